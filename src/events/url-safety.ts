import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. A URL an admin gives us is fetched by our workers from inside the
 * customer's network, so without these checks it could reach the metadata service (169.254.169.254),
 * a database on localhost or anything on a private range (SSRF). The URL is checked when it is saved
 * and its host is resolved and checked again at every delivery, and the delivery connects to the
 * address that was checked, so a DNS answer that changes in between (rebinding) gains nothing.
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_URLS) lifts all of this, for development and tests.
 */
// Two lists: Node checks an IPv4 address against IPv6 rules too (as IPv4-mapped), so ::ffff:0:0/96 would match every one.
const blocked = new BlockList();
const blocked6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['::ffff:0:0', 96], // IPv4-mapped: checked as IPv4 below as well
  ['64:ff9b::', 96], // NAT64 (reaches IPv4 space)
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) blocked6.addSubnet(net, bits, 'ipv6');

const MAX_URL_LENGTH = 2048;

/** Whether an IP address literal is one we refuse to deliver to. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], 'ipv4');
    return blocked6.check(address, 'ipv6');
  }
  return true;
}

/** Why this URL cannot be a webhook endpoint, or null when it can (syntax and literal addresses only). */
export function webhookUrlProblem(url: string, opts: { allowPrivate: boolean }): string | null {
  if (typeof url !== 'string' || url.length === 0) return 'url is required';
  if (url.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'url is not a valid absolute URL';
  }
  if (u.protocol !== 'https:' && !(opts.allowPrivate && u.protocol === 'http:')) return 'url must use https';
  if (u.username || u.password) return 'url must not contain credentials';
  if (u.hash) return 'url must not contain a fragment';
  const host = hostOf(u);
  if (!host) return 'url must name a host';
  if (opts.allowPrivate) return null;
  if (isIP(host) && isNonPublicAddress(host)) return 'url must not name a loopback, link-local or private address';
  if (/^localhost$|\.localhost$|\.local$|\.internal$/i.test(host)) return 'url must name a public host';
  return null;
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * The address a delivery connects to: the host resolved now, refused if any of its addresses is not
 * public (a name with one public and one private address is refused, since either could be used).
 */
export async function resolveDeliveryAddress(
  url: URL,
  opts: { allowPrivate: boolean; resolve?: Resolver },
): Promise<{ address: string; family: 4 | 6 } | { problem: string }> {
  const problem = webhookUrlProblem(url.href, { allowPrivate: opts.allowPrivate });
  if (problem) return { problem };
  const host = hostOf(url);
  if (isIP(host)) return { address: host, family: isIP(host) as 4 | 6 };
  let found: Array<{ address: string; family: number }>;
  try {
    found = await (opts.resolve ?? systemResolver)(host);
  } catch (err) {
    return { problem: `could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}` };
  }
  if (found.length === 0) return { problem: `could not resolve ${host}` };
  if (!opts.allowPrivate && found.some((a) => isNonPublicAddress(a.address))) {
    return { problem: `${host} resolves to a loopback, link-local or private address` };
  }
  const first = found[0];
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** The URL's host without IPv6 brackets. */
function hostOf(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '');
}
