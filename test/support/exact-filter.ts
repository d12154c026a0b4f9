import sift from 'sift';
import { detectBackend } from '../../src/store/backend';
import { filterToQuery, USER_FILTER_ATTRIBUTES } from '../../src/scim/filter-to-query';
import type { Harness } from './harness';

/**
 * Whether this run's server executes the MongoDB path's exact `$elemMatch`. Under MONGO_BACKEND=mongodb
 * on FerretDB it cannot ("unknown operator"): that is the one MongoDB branch FerretDB cannot run.
 */
export async function elemMatchRunsOnServer(h: Harness): Promise<boolean> {
  return h.c.store.backend === 'ferretdb' || (await detectBackend(h.c.mongo)) === 'mongodb';
}

/**
 * The userNames a SCIM user filter selects in one directory, found by evaluating the exact query the
 * store would send with sift (MongoDB's query semantics) over the users the server holds: what
 * MongoDB would answer, where the server at hand cannot run the query itself.
 */
export async function userNamesByExactQuery(h: Harness, directoryId: string, filter: string): Promise<string[]> {
  const plan = h.c.store.planQuery(filterToQuery(filter, USER_FILTER_ATTRIBUTES));
  if (plan.recheck) throw new Error('the store re-checks this query itself; ask the service instead');
  const stored = await h.c.models.users.find({ directoryId }).lean();
  return stored.filter(sift(plan.dbQuery as never)).map((u) => u.userName).sort();
}
