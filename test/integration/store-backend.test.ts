import type { CommandStartedEvent } from 'mongodb';
import { loadConfig } from '../../src/config';
import { createContainer, type Container } from '../../src/container';
import { detectBackend } from '../../src/store/backend';
import { filterToQuery, USER_FILTER_ATTRIBUTES } from '../../src/scim/filter-to-query';
import { newUser, startHarness, type Harness } from '../support/harness';
import sift from 'sift';

/**
 * The storage seam is chosen once per process. These tests prove that MONGO_BACKEND really selects
 * the code paths (the commands the server receives differ) and that both paths give the same answers,
 * on whatever server MONGO_URL names. They run the same in both modes of `npm test`.
 */
describe('the storage backend a process runs on', () => {
  let h: Harness;
  let userIds: string[];
  let directoryId: string;
  const extra: Container[] = [];

  beforeAll(async () => {
    h = await startHarness();
    const dir = await h.directory('okta');
    directoryId = dir.directoryId;
    const c = h.as(dir);
    userIds = [];
    for (let i = 0; i < 40; i++) {
      const res = await c.post('/Users', newUser(`seam${i}@example.com`, i % 4 === 0 ? { emails: [{ value: `seam${i}@work.example`, type: 'work' }] } : {}));
      expect(res.status).toBe(201);
      userIds.push(res.body.id);
    }
  });
  afterAll(async () => {
    for (const c of extra) await c.close();
    await h.close();
  });

  /** A second process on the same database with the given backend setting, whose commands are counted. */
  async function processWith(backend: 'mongodb' | 'ferretdb') {
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', QUEUE_PREFIX: h.config.QUEUE_PREFIX, MONGO_BACKEND: backend, MONGO_BULK_UPDATE_SIZE: '16' });
    const c = await createContainer(config, { dbName: h.c.mongo.db!.databaseName, monitorCommands: true });
    extra.push(c);
    const seen: CommandStartedEvent[] = [];
    c.mongo.getClient().on('commandStarted', (e) => seen.push(e));
    const count = async <T>(work: () => Promise<T>) => {
      seen.length = 0;
      const result = await work();
      return { result, commands: seen.map((e) => e.commandName) };
    };
    return { c, count };
  }

  it('takes the backend MONGO_BACKEND names, and the server\'s own when it is auto or unset', async () => {
    const server = await detectBackend(h.c.mongo);
    const setting = process.env.MONGO_BACKEND ?? 'auto';
    expect(h.c.store.backend).toBe(setting === 'auto' ? server : setting);
    expect((await processWith('mongodb')).c.store.backend).toBe('mongodb');
    expect((await processWith('ferretdb')).c.store.backend).toBe('ferretdb');
  });

  it('reads 40 users by id in one find on the MongoDB path and in 40 indexed point reads on the FerretDB path, with the same result', async () => {
    const mongo = await processWith('mongodb');
    const ferret = await processWith('ferretdb');
    const wanted = [...userIds, 'no-such-user'];
    const a = await mongo.count(() => mongo.c.store.ids.findByIds(mongo.c.models.users, wanted, { directoryId }, ['_id']));
    const b = await ferret.count(() => ferret.c.store.ids.findByIds(ferret.c.models.users, wanted, { directoryId }, ['_id']));
    expect(a.commands).toEqual(['find']);
    expect(b.commands).toEqual(wanted.map(() => 'find'));
    const ids = (rows: Array<{ _id: string }>) => rows.map((r) => r._id).sort();
    expect(ids(a.result)).toEqual([...userIds].sort());
    expect(ids(b.result)).toEqual([...userIds].sort());
  });

  it('updates 40 existing documents in bulk commands of MONGO_BULK_UPDATE_SIZE on the MongoDB path and one statement per command on the FerretDB path', async () => {
    const mongo = await processWith('mongodb');
    const ferret = await processWith('ferretdb');
    const docs = (title: string) => userIds.map((_id) => ({ _id, title }));
    const a = await mongo.count(() => mongo.c.store.upsertMany(mongo.c.models.users, docs('Engineer')));
    const b = await ferret.count(() => ferret.c.store.upsertMany(ferret.c.models.users, docs('Manager')));
    // One unordered insert finds they all exist; then 16 + 16 + 8 statements, or 40 single ones.
    expect(a.commands).toEqual(['insert', 'update', 'update', 'update']);
    expect(b.commands).toEqual(['insert', ...userIds.map(() => 'update')]);
    const titles = await h.c.models.users.find({ directoryId }, 'title').lean();
    expect(new Set(titles.map((u) => u.title))).toEqual(new Set(['Manager']));
  });

  it('sends a complex-attribute filter as exact $elemMatch on the MongoDB path and as a superset with an exact re-check on the FerretDB path', async () => {
    const query = filterToQuery('emails[type eq "work" and value ew "@work.example"]', USER_FILTER_ATTRIBUTES);
    const mongo = (await processWith('mongodb')).c.store.planQuery(query);
    const ferret = (await processWith('ferretdb')).c.store.planQuery(query);
    expect(mongo.recheck).toBeNull();
    expect(JSON.stringify(mongo.dbQuery)).toContain('$elemMatch');
    expect(ferret.recheck).not.toBeNull();
    expect(JSON.stringify(ferret.dbQuery)).not.toContain('$elemMatch');
    // Both select exactly the ten users whose work address matches, judged by MongoDB's query semantics.
    const stored = await h.c.models.users.find({ directoryId }).lean();
    const exact = stored.filter(sift(mongo.dbQuery as never)).map((u) => u.userName).sort();
    const relaxed = stored.filter(sift(ferret.dbQuery as never)).filter((u) => ferret.recheck!(u)).map((u) => u.userName).sort();
    expect(exact).toHaveLength(10);
    expect(relaxed).toEqual(exact);
  });

  it('refuses an unknown MONGO_BACKEND value at start-up with one line naming the variable', () => {
    expect(() => loadConfig({ MONGO_BACKEND: 'postgres' })).toThrow(/MONGO_BACKEND/);
  });

});
