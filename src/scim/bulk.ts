import { InvalidRequest } from '../shared/errors';
import { scimError, toScimError } from './errors';
import type { ScimRequestContext, ScimResult } from './result';
import { BULK_REQUEST_URN, BULK_RESPONSE_URN } from './urns';

export interface BulkDispatch {
  (ctx: ScimRequestContext, method: string, path: string, data: unknown): Promise<ScimResult>;
}

interface BulkOperation {
  method: string;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

const BULK_REF = /^bulkId:(.+)$/;

/**
 * Bulk (RFC 7644 section 3.7): operations run in order; one that refers to a bulkId not yet created
 * is retried after the others, so forward references resolve; each gets its own status.
 */
export async function runBulk(
  ctx: ScimRequestContext,
  body: unknown,
  dispatch: BulkDispatch,
  limits: { maxOperations: number },
): Promise<ScimResult> {
  const req = body as { schemas?: unknown; Operations?: unknown; failOnErrors?: unknown } | null;
  if (!req || typeof req !== 'object' || !Array.isArray(req.schemas) || !req.schemas.includes(BULK_REQUEST_URN)) {
    throw new InvalidRequest(`a bulk request must list the schema ${BULK_REQUEST_URN}`, 'invalidSyntax');
  }
  const ops = req.Operations;
  if (!Array.isArray(ops) || ops.length === 0) throw new InvalidRequest('Operations must be a non-empty array', 'invalidSyntax');
  if (ops.length > limits.maxOperations) {
    const e = scimError(413, `a bulk request may hold at most ${limits.maxOperations} operations`);
    return { status: 413, body: e.body as unknown as Record<string, unknown> };
  }
  const failOnErrors =
    req.failOnErrors === undefined || req.failOnErrors === null ? Infinity : Number(req.failOnErrors);
  if (!Number.isInteger(failOnErrors) && failOnErrors !== Infinity) {
    throw new InvalidRequest('failOnErrors must be an integer', 'invalidSyntax');
  }

  const created = new Map<string, string>();
  const results: Array<Record<string, unknown> | undefined> = new Array(ops.length);
  let pending = ops.map((op, index) => ({ op: op as BulkOperation, index }));
  let errors = 0;

  while (pending.length > 0 && errors < failOnErrors) {
    const deferred: typeof pending = [];
    for (const { op, index } of pending) {
      if (errors >= failOnErrors) break;
      const shapeError = checkShape(op);
      if (shapeError) {
        results[index] = errorResult(op, 400, shapeError, 'invalidSyntax');
        errors++;
        continue;
      }
      const refs = unresolvedRefs(op, created);
      if (refs.length > 0) {
        deferred.push({ op, index });
        continue;
      }
      const path = substitute(op.path, created) as string;
      const data = substitute(op.data, created);
      const opCtx: ScimRequestContext = { ...ctx, ifMatch: op.version };
      try {
        const r = await dispatch(opCtx, op.method.toUpperCase(), path, data);
        if (op.method.toUpperCase() === 'POST' && op.bulkId && r.body?.id) created.set(op.bulkId, String(r.body.id));
        results[index] = {
          method: op.method.toUpperCase(),
          ...(op.bulkId ? { bulkId: op.bulkId } : {}),
          ...(r.etag ? { version: r.etag } : {}),
          ...(r.location || r.body?.meta ? { location: r.location ?? (r.body?.meta as { location?: string }).location } : {}),
          status: String(r.status),
        };
      } catch (err) {
        const mapped = toScimError(err) ?? scimError(500, 'internal error');
        results[index] = errorResult(op, mapped.status, mapped.body.detail ?? '', mapped.body.scimType);
        errors++;
      }
    }
    if (deferred.length === pending.length) {
      // Nothing progressed: the remaining references can never resolve (RFC 7644 section 3.7.2).
      for (const { op, index } of deferred) {
        results[index] = errorResult(op, 409, `bulkId reference ${unresolvedRefs(op, created).join(', ')} does not resolve`, 'invalidValue');
        errors++;
      }
      break;
    }
    pending = deferred;
  }
  return {
    status: 200,
    body: { schemas: [BULK_RESPONSE_URN], Operations: results.filter((r) => r !== undefined) },
  };
}

function checkShape(op: BulkOperation): string | null {
  if (!op || typeof op !== 'object') return 'each operation must be an object';
  if (typeof op.method !== 'string' || !/^(POST|PUT|PATCH|DELETE)$/i.test(op.method)) {
    return 'method must be POST, PUT, PATCH or DELETE';
  }
  if (typeof op.path !== 'string' || !op.path.startsWith('/')) return 'path must be a resource path such as /Users';
  if (op.method.toUpperCase() === 'POST' && (typeof op.bulkId !== 'string' || op.bulkId === '')) {
    return 'POST operations need a bulkId';
  }
  // Both are echoed back and `version` becomes the operation's If-Match: anything but a string is malformed.
  if (op.bulkId !== undefined && typeof op.bulkId !== 'string') return 'bulkId must be a string';
  if (op.version !== undefined && typeof op.version !== 'string') return 'version must be a string (an ETag)';
  return null;
}

function errorResult(op: BulkOperation, status: number, detail: string, scimType?: string) {
  return {
    method: typeof op?.method === 'string' ? op.method.toUpperCase() : undefined,
    ...(typeof op?.bulkId === 'string' && op.bulkId ? { bulkId: op.bulkId } : {}),
    status: String(status),
    response: scimError(status, detail, scimType).body,
  };
}

function unresolvedRefs(op: BulkOperation, created: Map<string, string>): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      for (const part of v.split('/')) {
        const m = BULK_REF.exec(part);
        if (m && !created.has(m[1])) out.push(m[1]);
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(op.path);
  visit(op.data);
  return out;
}

function substitute(v: unknown, created: Map<string, string>): unknown {
  if (typeof v === 'string') {
    return v
      .split('/')
      .map((part) => {
        const m = BULK_REF.exec(part);
        return m && created.has(m[1]) ? created.get(m[1]) : part;
      })
      .join('/');
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, created));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, created)]));
  }
  return v;
}
