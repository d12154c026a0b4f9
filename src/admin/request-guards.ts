import express, { type RequestHandler, type Router } from 'express';
import { InvalidRequest, NotFound } from '../shared/errors';
import { MAX_ID_LENGTH, MAX_JSON_DEPTH } from '../shared/input-limits';
import { refuseDeepJson } from '../shared/json-depth';
import { checkRequestPath, describeFinding, findHostileInput } from '../shared/text-guard';

// What every admin request passes before authentication or a route reads it; refusals are 400 problems.

export const adminJsonBody = (): RequestHandler =>
  express.json({ limit: '1mb', type: () => true, verify: refuseDeepJson(MAX_JSON_DEPTH) });

/** Runs ahead of the body parser: a path no route could decode is refused without reading the body. */
export const refuseUndecodablePath: RequestHandler = (req, _res, next) => {
  checkRequestPath(req.path);
  next();
};

export const refuseHostileInput: RequestHandler = (req, _res, next) => {
  const inQuery = findHostileInput(req.query, MAX_JSON_DEPTH);
  if (inQuery) throw new InvalidRequest(describeFinding(inQuery, 'query parameter', MAX_JSON_DEPTH));
  const inBody = req.body === undefined ? null : findHostileInput(req.body, MAX_JSON_DEPTH);
  if (inBody) throw new InvalidRequest(describeFinding(inBody, 'body field', MAX_JSON_DEPTH));
  next();
};

/** An id longer than any we issue names nothing: 404 without a store read. */
export function refuseLongIdParams(router: Router, names: string[]): void {
  for (const name of names) {
    router.param(name, (_req, _res, next, value: unknown) => {
      const length = String(value).length;
      if (length > MAX_ID_LENGTH) throw new NotFound(`${name} of ${length} characters (ids are at most ${MAX_ID_LENGTH})`);
      next();
    });
  }
}
