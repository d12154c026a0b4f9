import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequest } from './errors';

/**
 * True when JSON text nests arrays and objects deeper than `max`, read in one pass over the raw UTF-8
 * bytes. It runs before JSON.parse because parsing is what costs: V8 takes seconds over 10 MB of `[`,
 * and code after it that recurses would overflow. Bytes of multi-byte UTF-8 characters are all >= 0x80,
 * so they are never mistaken for brackets or quotes.
 */
export function exceedsJsonDepth(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++; // backslash: the next byte is escaped, even a quote
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

/**
 * A body-parser `verify` hook refusing too-deep JSON before it is parsed. UTF-16 and UTF-32 bodies
 * (rare; RFC 8259 asks for UTF-8) are left to the depth check that walks the parsed value.
 * body-parser passes the thrown error on with its own status unless the error has one, so the
 * InvalidRequest reaches each edge's mapping as a domain error.
 */
export function refuseDeepJson(max: number) {
  return (_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string | null): void => {
    const utf8 = !encoding || encoding.toLowerCase() === 'utf-8' || encoding.toLowerCase() === 'utf8';
    if (utf8 && exceedsJsonDepth(buf, max)) {
      throw Object.assign(new InvalidRequest(`the JSON body nests deeper than ${max} levels`, 'invalidSyntax'), { status: 400 });
    }
  };
}
