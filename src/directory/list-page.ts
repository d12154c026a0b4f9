import type { Model } from 'mongoose';
import type { IdLookup } from '../store/id-lookup';
import type { DirectoryListing, ListedEntry, ListedKind } from '../store/directory-listing';

export interface ListOptions {
  query: Record<string, unknown>;
  sort?: Record<string, 1 | -1>;
  skip: number;
  limit: number;
}

/** SCIM leaves the order of an unsorted list to the server; ours is creation order, then id. */
export const CREATION_ORDER = { createdAt: 1, _id: 1 } as const;

/** Ghost ids (deleted while the listing missed it) are dropped and the page read again, this often at most. */
const GHOST_RETRIES = 3;

export interface ListPageDeps<T> {
  model: Model<T>;
  kind: ListedKind;
  ids: IdLookup;
  listing: DirectoryListing;
  /** Reads a page's documents by id (a service may read through its cache); by default `ids.findByIds`. */
  read?: (ids: string[]) => Promise<T[]>;
}

/**
 * One page of a directory's users or groups and how many match, for any `skip`: unfiltered pages in
 * creation order through the store's listing (FerretDB), everything else as an indexed query.
 */
export async function listPage<T extends ListedEntry>(deps: ListPageDeps<T>, directoryId: string, opts: ListOptions): Promise<{ total: number; docs: T[] }> {
  if (Object.keys(opts.query).length === 0 && opts.sort === undefined) {
    const listed = await pageFromListing(deps, directoryId, opts);
    if (listed) return listed;
  }
  const query = { ...opts.query, directoryId };
  const sort = opts.sort ?? CREATION_ORDER;
  if (opts.skip === 0 && opts.limit > 0) {
    // A first page that is not full is the whole result: IdP lookups by name cost one read.
    const docs = await deps.model.find(query).sort(sort).limit(opts.limit).lean<T[]>();
    if (docs.length < opts.limit) return { total: docs.length, docs };
  }
  const total = await deps.model.countDocuments(query);
  if (opts.limit === 0 || opts.skip >= total) return { total, docs: [] };
  const docs = await deps.model.find(query).sort(sort).skip(opts.skip).limit(opts.limit).lean<T[]>();
  return { total, docs };
}

async function pageFromListing<T extends ListedEntry>(deps: ListPageDeps<T>, directoryId: string, opts: ListOptions) {
  const loadAll = () => deps.model.find({ directoryId }, { _id: 1, createdAt: 1 }).lean<ListedEntry[]>();
  for (let attempt = 0; attempt < GHOST_RETRIES; attempt++) {
    const page = await deps.listing.page(deps.kind, directoryId, opts.skip, opts.limit, loadAll);
    if (!page) return null;
    const found = deps.read ? await deps.read(page.ids) : ((await deps.ids.findByIds(deps.model, page.ids, {}, [])) as T[]);
    const byId = new Map<string, T>(found.filter((d) => (d as { directoryId?: string }).directoryId === directoryId).map((d) => [d._id, d]));
    const ghosts = page.ids.filter((id) => !byId.has(id));
    if (ghosts.length === 0) return { total: page.total, docs: page.ids.map((id) => byId.get(id)!) };
    await deps.listing.removed(deps.kind, directoryId, ghosts);
  }
  return null;
}
