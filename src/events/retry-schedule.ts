/**
 * When a failed webhook delivery is tried again: exponential backoff with jitter over a window that
 * ends about 3 days after the first attempt (what WorkOS and Svix give receivers), and a receiver's
 * Retry-After honoured inside that window. Pure: the clock and the randomness are arguments.
 */

/** Delays after the 1st, 2nd, ... failed attempt; the last one repeats until the window closes. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
];

export const DEFAULT_RETRY_WINDOW_MS = 3 * 86_400_000;

/** Each delay is spread by up to this fraction either way, so receivers that failed together are not retried together. */
const JITTER = 0.2;

export interface RetryPolicy {
  delaysMs: readonly number[];
  windowMs: number;
}

/** The policy from config: WEBHOOK_RETRY_DELAYS_MS ('' = the default schedule) and WEBHOOK_RETRY_WINDOW_MS. */
export function retryPolicyOf(config: { WEBHOOK_RETRY_DELAYS_MS: string; WEBHOOK_RETRY_WINDOW_MS: number }): RetryPolicy {
  const delays = config.WEBHOOK_RETRY_DELAYS_MS ? config.WEBHOOK_RETRY_DELAYS_MS.split(',').map(Number) : DEFAULT_RETRY_DELAYS_MS;
  return { delaysMs: delays.length ? delays : DEFAULT_RETRY_DELAYS_MS, windowMs: config.WEBHOOK_RETRY_WINDOW_MS };
}

/**
 * The delay before the next attempt after `failedAttempts` attempts failed, or null when the window
 * is over (the delivery is then failed). A last attempt is squeezed in at the window's end rather
 * than given up early; Retry-After wins over the backoff (never less than the first delay, so a
 * `Retry-After: 0` cannot make us hammer a receiver), but never beyond the window.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  input: { failedAttempts: number; firstAttemptAt: Date; now: Date; retryAfterMs?: number | null },
  random: () => number = Math.random,
): number | null {
  const remaining = input.firstAttemptAt.getTime() + policy.windowMs - input.now.getTime();
  if (remaining <= 0) return null;
  const i = Math.min(Math.max(input.failedAttempts, 1), policy.delaysMs.length) - 1;
  const base = policy.delaysMs[i];
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  const wanted = input.retryAfterMs != null ? Math.max(input.retryAfterMs, policy.delaysMs[0]) : jittered;
  return Math.max(0, Math.min(wanted, remaining));
}

/**
 * A Retry-After header (RFC 9110 section 10.2.3) as milliseconds from `now`: either delay-seconds or
 * an HTTP-date. Anything else (or a date in the past) is ignored.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return null; // not a number and not a date ("-5", "1.5")
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
