import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import type { RequestLog } from '../directory/request-log.service';

// Captures each /scim/v2 request for the request log. Mounted ahead of the SCIM router, it notes the start
// and keeps the response text the router sends; the router's token check names the directory (`attach`).
// Requests no directory token authenticated (discovery, a bad token) are not logged: they have no directory.

const PATH_CAP = 2048;
const USER_AGENT_CAP = 512;
/** Response text kept for the log: enough to mask and cap a body at 16 KB, never a whole 1,000-user page. */
const RESPONSE_KEEP_CHARS = 256 * 1024;

export function requestLogCapture(log: Pick<RequestLog, 'record'>) {
  const owners = new WeakMap<Response, { orgId: string; directoryId: string }>();

  function capture(req: Request, res: Response, next: NextFunction): void {
    const startedAt = performance.now();
    const at = new Date();
    const path = req.url.slice(0, PATH_CAP);
    let responseText: string | null = null;
    let responseChars = 0;
    const send = res.send;
    res.send = function sendAndKeep(this: Response, body?: unknown) {
      // Express calls send again with a Buffer for a string; only the router's first (text) call is kept.
      if (responseText === null && typeof body === 'string') {
        responseChars = body.length;
        responseText = body.length > RESPONSE_KEEP_CHARS ? body.slice(0, RESPONSE_KEEP_CHARS) : body;
      }
      return send.call(this, body);
    } as Response['send'];
    res.on('finish', () => {
      const who = owners.get(res);
      if (!who) return;
      // Nothing heavier than this push happens here: masking and storing wait for the log's flush.
      log.record({
        ...who,
        at,
        method: req.method,
        path,
        status: res.statusCode,
        latencyMs: Math.round((performance.now() - startedAt) * 10) / 10,
        userAgent: req.get('user-agent')?.slice(0, USER_AGENT_CAP) ?? null,
        requestId: String(req.id ?? ''),
        requestBody: req.body,
        responseText,
        responseChars,
        approxBytes: Number(req.get('content-length') ?? 0) + (responseText?.length ?? 0),
      });
    });
    next();
  }

  /** Called once the directory token is known: from then on, this request is logged for that directory. */
  function attach(res: Response, who: { orgId: string; directoryId: string }): void {
    owners.set(res, who);
  }

  return { capture, attach };
}
