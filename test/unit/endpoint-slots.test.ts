import { createEndpointSlots } from '../../src/events/endpoint-slots';

describe('per-endpoint delivery slots', () => {
  it('grants up to the limit per endpoint, independently for each endpoint', async () => {
    const slots = createEndpointSlots(2);
    const a1 = await slots.acquire('a', 0);
    const a2 = await slots.acquire('a', 0);
    expect(a1).not.toBeNull();
    expect(a2).not.toBeNull();
    expect(await slots.acquire('a', 10)).toBeNull();
    expect(await slots.acquire('b', 0)).not.toBeNull();
  });

  it('hands a released slot to the job waiting for it, and never more than the limit', async () => {
    const slots = createEndpointSlots(1);
    const first = (await slots.acquire('a', 0))!;
    const waiting = slots.acquire('a', 5_000);
    const late = slots.acquire('a', 5_000);
    first();
    const second = await waiting;
    expect(second).not.toBeNull();
    expect(await slots.acquire('a', 10)).toBeNull(); // the handed-over slot is taken
    second!();
    const third = await late;
    expect(third).not.toBeNull();
    third!();
    third!(); // releasing twice frees one slot only
    expect(await slots.acquire('a', 0)).not.toBeNull();
    expect(await slots.acquire('a', 0)).toBeNull();
  });

  it('tells how long the oldest attempt to an endpoint has been running', async () => {
    const slots = createEndpointSlots(3);
    expect(slots.busyForMs('a')).toBe(0);
    const r = (await slots.acquire('a', 0))!;
    await new Promise((res) => setTimeout(res, 30));
    expect(slots.busyForMs('a')).toBeGreaterThanOrEqual(25);
    r();
    expect(slots.busyForMs('a')).toBe(0);
  });
});
