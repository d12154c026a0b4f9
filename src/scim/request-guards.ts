import express, { type RequestHandler, type Router } from 'express';
import { InvalidRequest, NotFound } from '../shared/errors';
import { MAX_ID_LENGTH, MAX_JSON_DEPTH } from '../shared/input-limits';
import { refuseDeepJson } from '../shared/json-depth';
import { checkRequestPath, describeFinding, findHostileInput, type InputFinding } from '../shared/text-guard';

// What every SCIM request passes before discovery, authentication or a route reads it, so no route
// meets undecodable paths, unstorable text or hostile nesting (RFC 7644 section 3.12 for the scimTypes).

export function scimJsonBody(limitBytes: number): RequestHandler {
  return express.json({
    limit: limitBytes,
    // Okta and Entra send application/scim+json; plain JSON clients are welcome too (RFC 7644 section 3.1).
    type: () => true,
    strict: true,
    verify: refuseDeepJson(MAX_JSON_DEPTH),
  });
}

/** Runs ahead of the body parser: a path no route could decode is refused without reading the body. */
export const refuseUndecodablePath: RequestHandler = (req, _res, next) => {
  checkRequestPath(req.path);
  next();
};

export const refuseHostileInput: RequestHandler = (req, _res, next) => {
  const inQuery = findHostileInput(req.query, MAX_JSON_DEPTH);
  if (inQuery) {
    const isFilter = topName(inQuery) === 'filter';
    throw new InvalidRequest(describeFinding(inQuery, 'query parameter', MAX_JSON_DEPTH), isFilter ? 'invalidFilter' : 'invalidValue');
  }
  const inBody = req.body === undefined ? null : findHostileInput(req.body, MAX_JSON_DEPTH);
  if (inBody) throw new InvalidRequest(describeFinding(inBody, 'attribute', MAX_JSON_DEPTH), scimTypeOf(inBody));
  next();
};

/** The scimType a client can act on: the filter of a SearchRequest, a PATCH or Bulk path, or a value. */
function scimTypeOf(f: InputFinding): InvalidRequest['scimType'] {
  if (f.reason === 'too deep') return 'invalidSyntax';
  if (f.path.toLowerCase() === 'filter') return 'invalidFilter';
  if (/^operations\[\d+\]\.path$/i.test(f.path)) return 'invalidPath';
  return 'invalidValue';
}

const topName = (f: InputFinding) => f.path.split(/[.[]/)[0].toLowerCase();

/**
 * An id longer than any we issue names nothing: answered 404 without a store read, so no database
 * sees a key of arbitrary length. Used for path params and for the ids in Bulk operation paths.
 */
export function refuseLongId(id: string): void {
  if (id.length > MAX_ID_LENGTH) {
    throw new NotFound(`resource with an id of ${id.length} characters (ids are at most ${MAX_ID_LENGTH})`);
  }
}

export function refuseLongIdParams(router: Router, names: string[]): void {
  for (const name of names) {
    router.param(name, (_req, _res, next, value: unknown) => {
      refuseLongId(String(value));
      next();
    });
  }
}
