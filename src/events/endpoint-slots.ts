/**
 * Attempts in flight per endpoint, in one process: a slow or hanging receiver can hold at most
 * `limit` worker slots, so other endpoints and tenants keep theirs. A job over the bound waits a
 * moment for a slot (a fast receiver frees one within milliseconds) and otherwise goes back to the
 * queue, later the slower the receiver has been (busyForMs).
 */
interface EndpointSlots {
  startedAt: number[];
  waiters: Array<(release: () => void) => void>;
}

export function createEndpointSlots(limit: number) {
  const slots = new Map<string, EndpointSlots>();

  /** Takes a slot; its release hands it straight to the next waiter, so the bound is never overshot. */
  function grant(endpointId: string, s: EndpointSlots): () => void {
    const at = Date.now();
    s.startedAt.push(at);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      s.startedAt.splice(s.startedAt.indexOf(at), 1);
      const next = s.waiters.shift();
      if (next) next(grant(endpointId, s));
      else if (s.startedAt.length === 0) slots.delete(endpointId);
    };
  }

  /** A release function when a slot is free now or within `waitMs`, else null. */
  async function acquire(endpointId: string, waitMs: number): Promise<(() => void) | null> {
    let s = slots.get(endpointId);
    if (!s) {
      s = { startedAt: [], waiters: [] };
      slots.set(endpointId, s);
    }
    if (s.startedAt.length < limit) return grant(endpointId, s);
    const queue = s;
    return new Promise((resolve) => {
      const waiter = (release: () => void) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        queue.waiters.splice(queue.waiters.indexOf(waiter), 1);
        resolve(null);
      }, waitMs);
      queue.waiters.push(waiter);
    });
  }

  /** How long the oldest attempt now in flight to this endpoint has been running (0 when none). */
  function busyForMs(endpointId: string): number {
    const s = slots.get(endpointId);
    return s && s.startedAt.length ? Date.now() - Math.min(...s.startedAt) : 0;
  }

  return { acquire, busyForMs };
}
