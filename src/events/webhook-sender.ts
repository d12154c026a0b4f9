import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/**
 * One HTTP POST to a webhook receiver, to an address resolved (and checked) beforehand: the socket
 * goes to that address whatever DNS says now (so a rebinding answer gains nothing), while the Host
 * header, TLS SNI and certificate check still use the URL's host name. No redirect is followed,
 * at most MAX_RESPONSE_BYTES of the answer are read, and the whole exchange has one deadline.
 */
export const MAX_RESPONSE_BYTES = 4096;

export const USER_AGENT = 'scim-sync-webhooks/1.0 (+https://www.standardwebhooks.com)';

export type SendOutcome =
  | { kind: 'response'; status: number; retryAfter: string | undefined; location: string | undefined; body: string; latencyMs: number }
  | { kind: 'error'; error: string; latencyMs: number };

export interface SendRequest {
  url: URL;
  address: string;
  family: 4 | 6;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * Keep-alive agents per (scheme, resolved address, host name): connections are reused between
 * deliveries to one receiver, and never to another address or name. Bounded: the oldest go first.
 */
const MAX_AGENTS = 256;
const agents = new Map<string, http.Agent>();

function agentFor(url: URL, address: string): http.Agent {
  const key = `${url.protocol}|${address}|${url.host}`;
  let agent = agents.get(key);
  if (agent) {
    agents.delete(key);
    agents.set(key, agent); // most recently used last
    return agent;
  }
  const opts = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 16, maxFreeSockets: 4, timeout: 30_000 };
  agent = url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts);
  agents.set(key, agent);
  while (agents.size > MAX_AGENTS) {
    const [oldestKey, oldest] = agents.entries().next().value as [string, http.Agent];
    agents.delete(oldestKey);
    oldest.destroy();
  }
  return agent;
}

/** Closes every kept connection (process shutdown, tests). */
export function closeWebhookConnections(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

export function sendWebhook(req: SendRequest): Promise<SendOutcome> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  // The checked address, whatever the caller (or Node's family auto-selection) asks to look up.
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: req.address, family: req.family }]);
    else cb(null, req.address, req.family);
  };
  const transport = req.url.protocol === 'https:' ? https : http;

  return new Promise((resolve) => {
    let settled = false;
    let answered: (() => void) | null = null;
    const finish = (o: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(o);
    };
    const r = transport.request(
      {
        protocol: req.url.protocol,
        hostname: req.url.hostname.replace(/^\[|\]$/g, ''),
        port: req.url.port || undefined,
        path: `${req.url.pathname}${req.url.search}`,
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        lookup,
        agent: agentFor(req.url, req.address),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          finish({
            kind: 'response',
            status: res.statusCode ?? 0,
            retryAfter: header(res.headers['retry-after']),
            location: header(res.headers.location),
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BYTES),
            latencyMs: elapsed(),
          });
        answered = done;
        res.on('data', (chunk: Buffer) => {
          if (size >= MAX_RESPONSE_BYTES) return;
          chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
          size += chunk.length;
          // Enough read: the rest of a large answer is not waited for (the connection is not reused).
          if (size >= MAX_RESPONSE_BYTES) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    // One deadline for connect, send and answer. A status that arrived in time still counts.
    const deadline = setTimeout(() => {
      if (answered) answered();
      else finish({ kind: 'error', error: `no answer within ${req.timeoutMs} ms`, latencyMs: elapsed() });
      r.destroy();
    }, req.timeoutMs);
    r.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'error', error: describe(err), latencyMs: elapsed() }));
    r.end(req.body);
  });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A network error as a short line for lastError (no stack, no addresses beyond what the code says). */
function describe(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ECONNRESET') return 'connection reset by the receiver';
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return 'receiver unreachable';
  if (err.code && /CERT|SSL|TLS|SELF_SIGNED/i.test(err.code)) return `TLS error: ${err.code}`;
  return err.code ? `${err.code}: ${err.message}`.slice(0, 300) : err.message.slice(0, 300);
}
