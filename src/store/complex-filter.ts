import sift from 'sift';
import type { StoreBackend } from './backend';
import { relaxElemMatch } from './elem-match-relax';

type Query = Record<string, unknown>;

/** What to send for a query, and, where the server cannot run it exactly, the exact test of each candidate. */
export interface QueryPlan {
  dbQuery: Query;
  /** Null when the server's answer is exact; else every candidate must pass it. */
  recheck: ((doc: unknown) => boolean) | null;
}

/**
 * MongoDB runs `$elemMatch` itself: exact, indexed where an index fits, no cap. FerretDB v1 cannot
 * (see elem-match-relax.ts), so it gets a superset query and the exact query is applied here.
 */
export function createQueryPlanner(backend: StoreBackend): (query: Query) => QueryPlan {
  if (backend === 'mongodb') return (query) => ({ dbQuery: query, recheck: null });
  return (query) => {
    const { dbQuery, needsRecheck } = relaxElemMatch(query);
    return { dbQuery, recheck: needsRecheck ? (sift(query as never) as (doc: unknown) => boolean) : null };
  };
}
