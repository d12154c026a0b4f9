import net from 'node:net';

/**
 * A TCP proxy between one test's service and a real server, so that test can take the server away
 * from its own connections only (other test files share the server). Real sockets, nothing mocked:
 * a cut resets every open connection and every new one, which the client sees as a dropped or
 * refused connection, exactly as when the server's host goes away.
 */
export interface TcpProxy {
  readonly port: number;
  /** Bytes forwarded from clients to the server so far. */
  readonly bytesUp: number;
  /** Resets every open connection; new ones are reset as soon as they are accepted, until restore(). */
  cut(): void;
  /** Once `bytes` more bytes have gone to the server, forwards that chunk and cuts (a write in flight). */
  cutAfterBytesUp(bytes: number): Promise<void>;
  restore(): void;
  readonly isCut: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let isCut = false;
  let bytesUp = 0;
  let armed: { at: number; done: () => void } | null = null;

  const drop = (s: net.Socket) => {
    open.delete(s);
    // A reset, not a polite FIN: the client must not mistake it for the end of a reply.
    if (!s.destroyed) s.resetAndDestroy();
  };

  function cut(): void {
    isCut = true;
    for (const s of [...open]) drop(s);
  }

  const server = net.createServer((client) => {
    if (isCut) return void client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const closeBoth = () => {
      drop(client);
      drop(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('data', (chunk: Buffer) => {
      bytesUp += chunk.length;
      upstream.write(chunk);
      if (armed && bytesUp >= armed.at) {
        const { done } = armed;
        armed = null;
        cut();
        done();
      }
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get bytesUp() {
      return bytesUp;
    },
    get isCut() {
      return isCut;
    },
    cut,
    cutAfterBytesUp(bytes: number) {
      return new Promise<void>((resolve) => {
        armed = { at: bytesUp + bytes, done: resolve };
      });
    },
    restore() {
      armed = null;
      isCut = false;
    },
    async close() {
      armed = null;
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const DEFAULT_PORTS: Record<string, number> = { mongodb: 27017, redis: 6379, rediss: 6379 };

/** The host and port a mongodb:// or redis:// URL names (its first host when it names several). */
export function hostPortOf(url: string): { host: string; port: number } {
  const m = /^(mongodb|rediss?):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/,?]+)(?::(\d+))?/.exec(url);
  if (!m) throw new Error(`cannot proxy ${url}: only mongodb://host[:port] and redis://host[:port] URLs`);
  return { host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : DEFAULT_PORTS[m[1]] };
}

/** The same URL (credentials, path and options kept) naming the proxy instead of the server, plus `options`. */
export function throughProxy(url: string, proxy: TcpProxy, options: Record<string, string> = {}): string {
  const m = /^((?:mongodb|rediss?):\/\/(?:[^@/]*@)?)([^/?]+)(.*)$/.exec(url);
  if (!m) throw new Error(`cannot proxy ${url}`);
  const extra = new URLSearchParams(options).toString();
  const rest = extra ? `${m[3]}${m[3].includes('?') ? '&' : m[3].includes('/') ? '?' : '/?'}${extra}` : m[3];
  return `${m[1]}127.0.0.1:${proxy.port}${rest}`;
}
