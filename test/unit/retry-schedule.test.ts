import { DEFAULT_RETRY_DELAYS_MS, DEFAULT_RETRY_WINDOW_MS, nextRetryDelay, parseRetryAfter, retryPolicyOf } from '../../src/events/retry-schedule';

const policy = { delaysMs: DEFAULT_RETRY_DELAYS_MS, windowMs: DEFAULT_RETRY_WINDOW_MS };
const first = new Date('2025-03-01T00:00:00Z');
const at = (ms: number) => new Date(first.getTime() + ms);
const mid = () => 0.5; // no jitter
const H = 3_600_000;

describe('webhook retry schedule', () => {
  it.each([
    [1, 5_000],
    [2, 300_000],
    [3, 1_800_000],
    [4, 2 * H],
    [5, 5 * H],
    [6, 10 * H],
    [8, 14 * H],
    [12, 14 * H],
  ])('waits the scheduled delay after failed attempt %i', (failedAttempts, expected) => {
    expect(nextRetryDelay(policy, { failedAttempts, firstAttemptAt: first, now: first }, mid)).toBe(expected);
  });

  it('spreads each delay by at most 20% either way', () => {
    expect(nextRetryDelay(policy, { failedAttempts: 2, firstAttemptAt: first, now: first }, () => 0)).toBe(240_000);
    expect(nextRetryDelay(policy, { failedAttempts: 2, firstAttemptAt: first, now: first }, () => 0.999999)).toBe(360_000);
  });

  it('tries 12 times over three days, the last one when the window ends', () => {
    let now = 0;
    let failed = 0;
    const attemptsAt: number[] = [0];
    for (;;) {
      failed += 1;
      const d = nextRetryDelay(policy, { failedAttempts: failed, firstAttemptAt: first, now: at(now) }, mid);
      if (d === null) break;
      now += d;
      attemptsAt.push(now);
    }
    const S = 1000;
    const M = 60 * S;
    // 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 14 h, 14 h, then the rest of the 72 h.
    expect(attemptsAt).toEqual([
      0, 5 * S, 5 * M + 5 * S, 35 * M + 5 * S, 2 * H + 35 * M + 5 * S, 7 * H + 35 * M + 5 * S, 17 * H + 35 * M + 5 * S,
      27 * H + 35 * M + 5 * S, 41 * H + 35 * M + 5 * S, 55 * H + 35 * M + 5 * S, 69 * H + 35 * M + 5 * S, 72 * H,
    ]);
  });

  it('gives up once the window has passed', () => {
    expect(nextRetryDelay(policy, { failedAttempts: 3, firstAttemptAt: first, now: at(DEFAULT_RETRY_WINDOW_MS) }, mid)).toBeNull();
  });

  it('honours Retry-After over the backoff, within the window', () => {
    expect(nextRetryDelay(policy, { failedAttempts: 1, firstAttemptAt: first, now: first, retryAfterMs: 120_000 }, mid)).toBe(120_000);
    expect(nextRetryDelay(policy, { failedAttempts: 4, firstAttemptAt: first, now: first, retryAfterMs: 60_000 }, mid)).toBe(60_000);
    expect(nextRetryDelay(policy, { failedAttempts: 1, firstAttemptAt: first, now: at(DEFAULT_RETRY_WINDOW_MS - 1000), retryAfterMs: 3_600_000 }, mid)).toBe(1000);
  });

  it('never retries sooner than the first delay, even when Retry-After says 0', () => {
    expect(nextRetryDelay(policy, { failedAttempts: 1, firstAttemptAt: first, now: first, retryAfterMs: 0 }, mid)).toBe(5_000);
  });

  it('reads Retry-After as seconds or as an HTTP-date', () => {
    const now = new Date('2025-03-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Fri, 28 Feb 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7_000);
    for (const bad of [undefined, '', '-5', '1.5', 'soon']) expect(parseRetryAfter(bad, now)).toBeNull();
  });

  it('takes the schedule from config, or the default when none is set', () => {
    expect(retryPolicyOf({ WEBHOOK_RETRY_DELAYS_MS: '50,100', WEBHOOK_RETRY_WINDOW_MS: 2000 })).toEqual({ delaysMs: [50, 100], windowMs: 2000 });
    expect(retryPolicyOf({ WEBHOOK_RETRY_DELAYS_MS: '', WEBHOOK_RETRY_WINDOW_MS: DEFAULT_RETRY_WINDOW_MS }).delaysMs).toBe(DEFAULT_RETRY_DELAYS_MS);
  });
});
