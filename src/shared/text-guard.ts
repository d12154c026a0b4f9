import { InvalidRequest } from './errors';

/**
 * Text no store keeps as sent: PostgreSQL (under FerretDB) rejects U+0000 in a document, and a lone
 * UTF-16 surrogate cannot be encoded as UTF-8, so the driver silently stores U+FFFD instead. Both are
 * refused at the edge, before anything reads them, so they never become a 500 or a quiet change.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

export interface InputFinding {
  /** Where in the value, as `Operations[0].value.userName`; '' for the value itself. */
  path: string;
  reason: 'unstorable text' | 'too deep';
}

/**
 * Walks a parsed JSON value (a body, a query, params) without recursion, so a hostile nesting depth
 * cannot overflow the stack here, and reports the first string (value or key) that cannot be stored,
 * or the first container nested deeper than `maxDepth` (the value itself is depth 1).
 */
export function findHostileInput(value: unknown, maxDepth: number): InputFinding | null {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 1 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return { path, reason: 'unstorable text' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) return { path, reason: 'too deep' };
    const entries: Array<[string, unknown]> = [];
    if (Array.isArray(v)) v.forEach((x, i) => entries.push([`${path}[${i}]`, x]));
    else {
      for (const [k, x] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (!isStorableText(k)) return { path: at, reason: 'unstorable text' };
        entries.push([at, x]);
      }
    }
    // Pushed in reverse so the first offending entry in document order is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ v: entries[i][1], path: entries[i][0], depth: depth + 1 });
  }
  return null;
}

/** A finding as a sentence for an error detail; the offending characters are shown escaped, never echoed. */
export function describeFinding(f: InputFinding, what: string, maxDepth: number): string {
  const where = f.path ? `${what} ${escapeUnstorable(f.path)}` : what;
  return f.reason === 'too deep'
    ? `${where} nests deeper than ${maxDepth} levels`
    : `${where} contains U+0000 or an unpaired UTF-16 surrogate, which cannot be stored`;
}

export function escapeUnstorable(s: string): string {
  return s.replace(UNSTORABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Refuses a request path that cannot be decoded or decodes to U+0000. Malformed percent-encoding
 * (`%E0%A4%A`, `%zz`) would otherwise surface as the router's URIError only where a param is decoded,
 * and an encoded U+0000 must not reach a store. The whole path is checked, so routes without params
 * (`/ServiceProviderConfig%zz`) are covered; decodeURIComponent never yields a lone surrogate.
 */
export function checkRequestPath(rawPath: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new InvalidRequest('the request path is not valid percent-encoded UTF-8', 'invalidSyntax');
  }
  if (!isStorableText(decoded)) {
    throw new InvalidRequest(`the request path ${escapeUnstorable(decoded)} contains U+0000, which no id holds`, 'invalidValue');
  }
}
