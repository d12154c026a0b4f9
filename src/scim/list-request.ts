import type { ListOptions } from '../directory/list-page';
import { InvalidRequest } from '../shared/errors';
import { filterToQuery, sortFieldFor, type FilterAttributes } from './filter-to-query';
import { projectionAttribute, type Projection } from './projection';

export interface ListRequest extends Projection {
  filter?: string;
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder: 'ascending' | 'descending';
}

type Raw = Record<string, unknown>;

/** Parameter names matched case-insensitively: clients vary (`startindex`, `Count`). */
function rawParam(raw: Raw, name: string): unknown {
  const key = Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : raw[key];
}

/** A repeated query parameter counts once, the last one. */
function param(raw: Raw, name: string): unknown {
  const v = rawParam(raw, name);
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function integer(raw: Raw, name: string): number | undefined {
  const v = param(raw, name);
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n)) throw new InvalidRequest(`${name} must be an integer`, 'invalidValue');
  return n;
}

/** Splits `a,b` at the commas outside value filters and quotes: `emails[value eq "a,b"]` is one path. */
function splitPaths(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** attributes / excludedAttributes as attribute paths; `emails[type eq "work"]` is read as `emails` (projection.ts). */
function attributeList(raw: Raw, name: string): string[] | undefined {
  // A SearchRequest sends an array (RFC 7644 section 3.4.3), a query string a comma-separated list.
  const v = rawParam(raw, name);
  if (v === undefined || v === null || v === '') return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((s) => splitPaths(String(s)));
  const out = list.map((s) => projectionAttribute(String(s))).filter(Boolean);
  return out.length ? out : undefined;
}

/**
 * Reads list parameters from a query string or a SearchRequest body (RFC 7644 sections 3.4.2 and 3.4.3).
 * A startIndex below 1 means 1 and a negative count means 0 (section 3.4.2.4); count is capped at maxResults.
 */
export function parseListRequest(raw: Raw, maxResults: number): ListRequest {
  const filter = param(raw, 'filter');
  if (filter !== undefined && typeof filter !== 'string') throw new InvalidRequest('filter must be a string', 'invalidFilter');
  const startIndex = Math.max(1, integer(raw, 'startIndex') ?? 1);
  const count = Math.min(maxResults, Math.max(0, integer(raw, 'count') ?? maxResults));
  const sortBy = param(raw, 'sortBy');
  const order = String(param(raw, 'sortOrder') ?? 'ascending').toLowerCase();
  if (order !== 'ascending' && order !== 'descending') {
    throw new InvalidRequest('sortOrder must be "ascending" or "descending"', 'invalidValue');
  }
  return {
    filter: typeof filter === 'string' && filter.trim() !== '' ? filter : undefined,
    startIndex,
    count,
    sortBy: typeof sortBy === 'string' && sortBy.trim() ? sortBy.trim() : undefined,
    sortOrder: order,
    attributes: attributeList(raw, 'attributes'),
    excludedAttributes: attributeList(raw, 'excludedAttributes'),
  };
}

/** A list request as the directory reads it; ties on the sort field are broken by id so pages never overlap. */
export function toListOptions(req: ListRequest, attributes: FilterAttributes): ListOptions {
  const query = req.filter ? filterToQuery(req.filter, attributes) : {};
  const sort = req.sortBy
    ? { [sortFieldFor(req.sortBy, attributes)]: req.sortOrder === 'descending' ? -1 : 1, _id: 1 as const }
    : undefined;
  return {
    query,
    sort: sort as Record<string, 1 | -1> | undefined,
    skip: req.startIndex - 1,
    limit: req.count,
  };
}
