import { eventId } from '../../src/events/event-ids';
import type { EventDraft, EventType } from '../../src/events/event-types';
import { claimId } from '../../src/events/sequencer';
import { startHarness, type Harness } from '../support/harness';
import { waitUntil } from '../support/seed';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ EVENT_SETTLE_MS: '0' });
});
afterAll(async () => h.close());

let n = 0;
function draft(orgId: string, subjectId: string, type: EventType = 'user.updated', at = new Date()): EventDraft {
  n += 1;
  return {
    _id: eventId(type, subjectId, n),
    type,
    orgId,
    subject: { type: 'user', id: subjectId },
    changeId: null,
    requestId: `req-${n}`,
    actor: { type: 'system', id: 'test' },
    data: { n },
    occurredAt: at,
  };
}

async function allEvents(orgId: string) {
  const out = [];
  let after = 0;
  for (;;) {
    const page = await h.c.events.log.list(orgId, { after, limit: 37 });
    out.push(...page.events);
    if (page.atEnd) return out;
    after = page.next;
  }
}

describe('the event log', () => {
  test('concurrent writers and concurrent sequencers give every draft exactly one seq, 1..n with no gap', async () => {
    const { orgId } = await h.directory();
    const drafts = Array.from({ length: 230 }, (_, i) => draft(orgId, `u${i % 17}`));
    await Promise.all(
      Array.from({ length: 23 }, async (_, w) => {
        await h.c.events.recorder.record(drafts.slice(w * 10, w * 10 + 10));
        await h.c.events.sequencer.run(orgId);
      }),
    );
    await h.c.events.sequencer.run(orgId);
    const events = await allEvents(orgId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e._id)).size).toBe(230);
    expect(new Set(events.map((e) => e._id))).toEqual(new Set(drafts.map((d) => d._id)));
    expect(await h.c.events.models.drafts.countDocuments({ orgId })).toBe(0);
    expect((await h.c.events.log.committed(orgId)).seq).toBe(230);
  });

  test('a draft recorded again after its event was sequenced (a re-swept change) adds nothing', async () => {
    const { orgId } = await h.directory();
    const d = draft(orgId, 'u1', 'user.created');
    await h.c.events.recorder.record([d]);
    await h.c.events.sequencer.run(orgId);
    await h.c.events.recorder.record([d, d]);
    await h.c.events.sequencer.run(orgId);
    const events = await allEvents(orgId);
    expect(events.map((e) => [e._id, e.seq])).toEqual([[d._id, 1]]);
    expect(await h.c.events.models.drafts.countDocuments({ orgId })).toBe(0);
  });

  test('a claim left unfinished by a crashed sequencer is finished with the same seq values', async () => {
    const { orgId } = await h.directory();
    const first = [draft(orgId, 'a'), draft(orgId, 'b')];
    await h.c.events.recorder.record(first);
    await h.c.events.sequencer.run(orgId);
    const crashed = [draft(orgId, 'c'), draft(orgId, 'd'), draft(orgId, 'e')];
    await h.c.events.models.drafts.collection.insertMany(crashed as never[]);
    // What a sequencer killed right after reserving seq 3..5 leaves: the claim, the drafts, one event written.
    await h.c.events.models.claims.collection.insertOne({ _id: claimId(orgId, 2), orgId, seqBefore: 2, eventIds: [crashed[2]._id, crashed[0]._id, crashed[1]._id], createdAt: new Date() } as never);
    await h.c.events.models.events.collection.insertOne({ ...crashed[2], seq: 3, block: 0 } as never);
    expect((await h.c.events.log.list(orgId, { after: 0, limit: 10 })).events.map((e) => e.seq)).toEqual([1, 2]);
    const later = draft(orgId, 'f');
    await h.c.events.recorder.record([later]);
    await h.c.events.sequencer.run(orgId);
    const events = await allEvents(orgId);
    // Whole events, not just ids: the claim's drafts were read back after the crash.
    expect(events.slice(3, 5).map((e) => [e.type, e.subject, e.data, e.requestId])).toEqual(crashed.slice(0, 2).map((d) => [d.type, d.subject, d.data, d.requestId]));
    expect(events.map((e) => [e._id, e.seq])).toEqual([
      [first[0]._id, 1],
      [first[1]._id, 2],
      [crashed[2]._id, 3],
      [crashed[0]._id, 4],
      [crashed[1]._id, 5],
      [later._id, 6],
    ]);
  });

  test('drafts are ordered by when their write was made, not by when they were inserted', async () => {
    const { orgId } = await h.directory();
    const t0 = Date.now() - 1000;
    const second = draft(orgId, 'same', 'user.updated', new Date(t0 + 10));
    const first = draft(orgId, 'same', 'user.updated', new Date(t0));
    await h.c.events.recorder.record([second]);
    await h.c.events.recorder.record([first]);
    await h.c.events.sequencer.run(orgId);
    expect((await allEvents(orgId)).map((e) => e._id)).toEqual([first._id, second._id]);
  });

  test('pages cross blocks, filter by type and subject, and an event is found by id only in its organization', async () => {
    const { orgId } = await h.directory();
    const other = await h.directory();
    const base = Date.now() - 5000;
    const drafts = Array.from({ length: 250 }, (_, i) => draft(orgId, `s${i % 5}`, i % 10 === 0 ? 'user.deleted' : 'user.updated', new Date(base + i)));
    await h.c.events.recorder.record(drafts);
    await h.c.events.sequencer.run(orgId);
    const page1 = await h.c.events.log.list(orgId, { after: 0, limit: 120 });
    expect(page1.events.map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(page1.next).toBe(120);
    const page2 = await h.c.events.log.list(orgId, { after: 120, limit: 1000 });
    expect(page2.events.map((e) => e.seq)).toEqual(Array.from({ length: 130 }, (_, i) => i + 121));
    expect(page2.atEnd).toBe(true);
    const deleted = await h.c.events.log.list(orgId, { after: 0, limit: 1000, types: ['user.deleted'] });
    expect(deleted.events.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i * 10 + 1));
    const s3 = await h.c.events.log.list(orgId, { after: 0, limit: 1000, subject: { type: 'user', id: 's3' } });
    expect(s3.events).toHaveLength(50);
    expect(s3.events.every((e) => e.subject.id === 's3')).toBe(true);
    expect((await h.c.events.log.get(orgId, drafts[7]._id))?.seq).toBe(8);
    expect(await h.c.events.log.get(other.orgId, drafts[7]._id)).toBeNull();
    expect((await h.c.events.log.list(other.orgId, { after: 0, limit: 10 })).events).toEqual([]);
  });

  test('drafts whose sequencing job was lost (Redis flushed) are found by the sweeper', async () => {
    const { orgId } = await h.directory();
    await h.c.events.models.drafts.collection.insertMany([draft(orgId, 'x', 'user.created', new Date(Date.now() - 10_001)), draft(orgId, 'y', 'user.created', new Date(Date.now() - 10_000))] as never[]);
    // FLUSHALL for this file's keys only (other test files share this Redis): the sequencing jobs are gone.
    const keys = await h.c.redis.keys(`${h.config.QUEUE_PREFIX}:*`);
    if (keys.length) await h.c.redis.del(...keys);
    await h.startWorkers({ sweepIntervalMs: 200 });
    await waitUntil('the lost drafts to be sequenced', async () => (await h.c.events.log.committed(orgId)).seq === 2, 20_000);
    expect((await allEvents(orgId)).map((e) => e.subject.id)).toEqual(['x', 'y']);
  });

  test('retention deletes whole old blocks and the log then starts after them', async () => {
    const { orgId } = await h.directory();
    const old = new Date(Date.now() - 40 * 86_400_000);
    await h.c.events.recorder.record(Array.from({ length: 205 }, (_, i) => draft(orgId, `r${i}`, 'user.updated', i < 150 ? new Date(old.getTime() + i) : new Date())));
    // The workers run by now (the test above started them), so a run here may find their job holding the lock.
    await h.c.events.sequencer.run(orgId);
    await waitUntil('all 205 sequenced', async () => (await h.c.events.log.committed(orgId)).seq === 205, 20_000);
    await h.c.events.log.purge();
    // Block 0 (seq 1-99) is all old and goes; block 1 (100-199) holds young events and stays whole.
    const kept = await allEvents(orgId);
    expect(kept[0].seq).toBe(100);
    expect(kept).toHaveLength(106);
  });
});
