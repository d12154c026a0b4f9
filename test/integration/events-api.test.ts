import type request from 'supertest';
import { randomBytes } from 'node:crypto';
import { eventId } from '../../src/events/event-ids';
import type { EventDraft, EventType } from '../../src/events/event-types';
import { startHarness, type AdminClient, type Harness, type TestDirectory } from '../support/harness';

// The Events API: GET /api/v1/orgs/:org/events (the organization's log in seq order, paged by an
// opaque cursor, filtered by types and subject) and GET /events/:id, against the real log written
// by the recorder and the sequencer.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const rand = () => randomBytes(4).toString('hex');

const CYCLE: EventType[] = ['user.created', 'user.updated', 'group.members.added', 'user.deactivated', 'group.deleted'];

interface Org {
  dir: TestDirectory;
  orgId: string;
  api: AdminClient;
  keyId: string;
}

async function newOrg(): Promise<Org> {
  const dir = await h.directory('generic');
  const key = await h.adminKey(dir.orgId);
  return { dir, orgId: dir.orgId, api: key.api, keyId: key.keyId };
}

/** The i-th draft of a run: its type cycles through CYCLE; user events are about one of 7 users, the rest about a group. */
function draft(o: Org, run: string, i: number, at: number): EventDraft {
  const type = CYCLE[i % CYCLE.length];
  const isUser = type.startsWith('user.');
  return {
    _id: eventId(type, o.orgId, run, i),
    type,
    orgId: o.orgId,
    directoryId: o.dir.directoryId,
    subject: isUser ? { type: 'user', id: `u-${i % 7}` } : { type: 'group', id: 'g-1' },
    changeId: `chg-${run}-${i}`,
    requestId: `req-${run}-${i}`,
    actor: { type: 'directory', id: o.dir.directoryId },
    data: { n: i },
    // Distinct, increasing and already settled: the sequencer orders by it.
    occurredAt: new Date(at + i),
  };
}

/** Records n drafts and sequences them; returns them in the order they were given seq values. */
async function record(o: Org, n: number): Promise<EventDraft[]> {
  const run = rand();
  const at = Date.now() - 60_000;
  const drafts = Array.from({ length: n }, (_, i) => draft(o, run, i, at));
  // Written in several inserts, out of order: the seq order still follows occurredAt.
  for (let i = 0; i < n; i += 40) await h.c.events.recorder.record(drafts.slice(i, i + 40).reverse());
  await h.c.events.sequencer.run(o.orgId);
  return drafts;
}

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
}

function expectValidation(res: request.Response, path: string) {
  expectProblem(res, 400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
}

type Page = { events: Array<{ id: string; seq: number; type: string; subject: { type: string; id: string } }>; next: string; hasMore: boolean };

async function page(o: Org, query: string): Promise<Page> {
  const res = await o.api.get(`/orgs/${o.orgId}/events${query}`);
  expect(res.status).toBe(200);
  return res.body as Page;
}

/** Follows `next` until the log says nothing more; returns every event seen, in order. */
async function readAll(o: Org, params: string): Promise<Page['events']> {
  const seen: Page['events'] = [];
  let next: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const p = await page(o, `?${params}${next ? `&after=${next}` : ''}`);
    seen.push(...p.events);
    next = p.next;
    if (!p.hasMore) return seen;
  }
  throw new Error('paging did not end');
}

describe('listing the log', () => {
  let o: Org;
  let drafts: EventDraft[];
  beforeAll(async () => {
    o = await newOrg();
    drafts = await record(o, 250);
  });

  it('answers the first 100 events in seq order with the exact envelope, a next cursor and more to come', async () => {
    const p = await page(o, '');
    expect(p.events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(p.events.map((e) => e.id)).toEqual(drafts.slice(0, 100).map((d) => d._id));
    expect(p.hasMore).toBe(true);
    expect(typeof p.next).toBe('string');
    const d = drafts[3];
    expect(p.events[3]).toEqual({
      id: d._id,
      type: 'user.deactivated',
      seq: 4,
      occurredAt: d.occurredAt.toISOString(),
      orgId: o.orgId,
      directoryId: o.dir.directoryId,
      subject: { type: 'user', id: 'u-3' },
      changeId: d.changeId,
      requestId: d.requestId,
      actor: { type: 'directory', id: o.dir.directoryId },
      data: { n: 3 },
    });
  });

  it('returns all 250 events with their exact types in one page of 1,000', async () => {
    const p = await page(o, '?limit=1000');
    expect(p.events.map((e) => e.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(p.events.map((e) => e.type)).toEqual(drafts.map((d) => d.type));
    expect(p.hasMore).toBe(false);
  });

  it('pages through every event exactly once with limit and next, across blocks of 100', async () => {
    const seen = await readAll(o, 'limit=37');
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(new Set(seen.map((e) => e.id)).size).toBe(250);
  });

  it('filters by types, paging with the filter, in seq order', async () => {
    const seen = await readAll(o, 'types=user.created,group.deleted&limit=20');
    const expected = drafts.filter((d) => d.type === 'user.created' || d.type === 'group.deleted');
    expect(expected.length).toBe(100);
    expect(seen.map((e) => e.id)).toEqual(expected.map((d) => d._id));
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('filters by subject (type:id), and by subject and type together', async () => {
    const bySubject = await readAll(o, 'subject=user:u-3&limit=1000');
    const expected = drafts.filter((d) => d.subject.type === 'user' && d.subject.id === 'u-3');
    expect(expected).toHaveLength(22);
    expect(bySubject.map((e) => e.id)).toEqual(expected.map((d) => d._id));
    expect(bySubject.every((e) => e.subject.type === 'user' && e.subject.id === 'u-3')).toBe(true);
    const both = await readAll(o, 'subject=user:u-3&types=user.updated');
    expect(both).toHaveLength(7);
    expect(both.map((e) => e.id)).toEqual(expected.filter((d) => d.type === 'user.updated').map((d) => d._id));
    expect(await readAll(o, 'subject=group:no-such-group')).toEqual([]);
  });

  it('gives from the end cursor exactly the events sequenced since, and nothing before them', async () => {
    const end = await page(o, '?limit=1000');
    expect(end.hasMore).toBe(false);
    const empty = await page(o, `?after=${end.next}`);
    expect(empty).toEqual({ events: [], next: end.next, hasMore: false });

    const run = rand();
    const later = Array.from({ length: 5 }, (_, i) => draft(o, run, i, Date.now() - 1000));
    await h.c.events.recorder.record(later);
    await h.c.events.sequencer.run(o.orgId);
    const fresh = await page(o, `?after=${end.next}`);
    expect(fresh.events.map((e) => e.id)).toEqual(later.map((d) => d._id));
    expect(fresh.events.map((e) => e.seq)).toEqual([251, 252, 253, 254, 255]);
    expect(fresh.hasMore).toBe(false);
  });

  it('answers one event by id with the same envelope the list shows', async () => {
    const listed = (await page(o, '?limit=10')).events[6];
    const res = await o.api.get(`/orgs/${o.orgId}/events/${listed.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(listed);
    expectProblem(await o.api.get(`/orgs/${o.orgId}/events/evt_${'0'.repeat(32)}`), 404);
  });
});

describe('what the Events API refuses', () => {
  let o: Org;
  beforeAll(async () => {
    o = await newOrg();
    await record(o, 3);
  });

  it('refuses a cursor it did not give with a 400 problem', async () => {
    const enc = (s: string) => Buffer.from(s).toString('base64url');
    for (const bad of ['garbage', enc('abc'), enc('-1'), enc('01'), enc('1.5'), enc('99999999999999999999')]) {
      expectValidation(await o.api.get(`/orgs/${o.orgId}/events?after=${bad}`), 'after');
    }
    // What the API gave is taken back.
    const first = await page(o, '?limit=1');
    expect((await page(o, `?after=${first.next}`)).events.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('refuses unknown event types, a malformed subject, a limit out of range and unknown parameters', async () => {
    const res = await o.api.get(`/orgs/${o.orgId}/events?types=user.created,user.exploded`);
    expectValidation(res, 'types');
    expect(JSON.stringify(res.body.errors)).toContain('user.exploded');
    for (const subject of ['user', ':u-1', 'user:', 'planet:earth']) expectValidation(await o.api.get(`/orgs/${o.orgId}/events?subject=${subject}`), 'subject');
    for (const limit of ['0', '1001', 'ten', '2.5']) expectValidation(await o.api.get(`/orgs/${o.orgId}/events?limit=${limit}`), 'limit');
    expectValidation(await o.api.get(`/orgs/${o.orgId}/events?afterSeq=3`), 'afterSeq');
    expectValidation(await o.api.get(`/orgs/${o.orgId}/events?after=${Buffer.from('1').toString('base64url')}&after=x`), 'after');
    expectValidation(await o.api.get(`/orgs/${o.orgId}/events/${'x'}?limit=1`), 'limit');
  });
});

describe('who may read events', () => {
  let a: Org;
  let b: Org;
  let aDrafts: EventDraft[];
  beforeAll(async () => {
    a = await newOrg();
    b = await newOrg();
    aDrafts = await record(a, 4);
    await record(b, 2);
  });

  it('lets an org reader key read events (it holds api.webhook.read)', async () => {
    const reader = await h.adminKey(a.orgId, 'preset:org-reader');
    const res = await reader.api.get(`/orgs/${a.orgId}/events`);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e: { id: string }) => e.id)).toEqual(aDrafts.map((d) => d._id));
    expect((await reader.api.get(`/orgs/${a.orgId}/events/${aDrafts[0]._id}`)).status).toBe(200);
  });

  it('forbids a key whose role lacks api.webhook.read', async () => {
    const role = await a.api.post(`/orgs/${a.orgId}/roles`, { name: `no-events-${rand()}`, permissions: ['api.model.read'] });
    expect(role.status).toBe(201);
    const custom = await h.adminKey(a.orgId, role.body.id);
    const res = await custom.api.get(`/orgs/${a.orgId}/events`);
    expectProblem(res, 403);
    expect(res.body.detail).toContain('api.webhook.read');
    expectProblem(await custom.api.get(`/orgs/${a.orgId}/events/${aDrafts[0]._id}`), 403);
  });

  it('shows each organization only its own events: another org\'s event id is 404, another org\'s path 403', async () => {
    const bList = await page(b, '?limit=1000');
    expect(bList.events).toHaveLength(2);
    expect(bList.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(JSON.stringify(bList)).not.toContain(a.orgId);

    const foreignId = await b.api.get(`/orgs/${b.orgId}/events/${aDrafts[0]._id}`);
    expectProblem(foreignId, 404);
    expect(JSON.stringify(foreignId.body)).not.toContain(a.orgId);

    const missing = await b.api.get(`/orgs/no-such-org-${rand()}/events`);
    expectProblem(missing, 403);
    for (const path of [`/orgs/${a.orgId}/events`, `/orgs/${a.orgId}/events/${aDrafts[0]._id}`]) {
      const res = await b.api.get(path);
      expectProblem(res, 403);
      expect(res.body.detail).toBe(missing.body.detail);
    }
  });
});
