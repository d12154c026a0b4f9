import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a webhook receiver saw it. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body (the event envelope). */
  event: { id: string; type: string; seq: number; orgId: string; subject: { type: string; id: string }; data: Record<string, unknown> };
  receivedAt: number;
  /** When the answer went out (null while a hanging answer is held). */
  answeredAt: number | null;
  status: number | null;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
export type Handler = (r: Received, n: number) => Answer;

/**
 * A real HTTP receiver on 127.0.0.1 whose answers a test scripts (status, headers, or hanging), and
 * which records every request in arrival order.
 */
export async function startReceiver(handler: Handler = () => ({ status: 200 })) {
  const requests: Received[] = [];
  let current = handler;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, event: JSON.parse(body), receivedAt: Date.now(), answeredAt: null, status: null };
      requests.push(r);
      const answer = current(r, requests.length);
      if (answer === 'hang') return;
      r.answeredAt = Date.now();
      r.status = answer.status;
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    answer(h: Handler) {
      current = h;
    },
    /** The requests whose answer was a 2xx. */
    accepted: () => requests.filter((r) => r.status !== null && r.status >= 200 && r.status < 300),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
