import { z, ZodError } from 'zod';

type Issue = ZodError['issues'][number];

/**
 * Reads a query string strictly: every parameter must be one the route knows, given once, as a string.
 * Unknown names are errors rather than no-ops, so a typo (`principalID`) or an operator smuggled into
 * a name (`principalId[$ne]=x`) is answered 400 naming the parameter instead of listing everything.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const raw = (query ?? {}) as Record<string, unknown>;
  const issues: Issue[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      issues.push(issue(name, Array.isArray(value) ? `query parameter "${name}" is given more than once` : `query parameter "${name}" must be a string`));
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      if (i.code === 'unrecognized_keys') i.keys.forEach((k) => issues.push(issue(k, `unknown query parameter "${k}"`)));
      else if (!issues.some((known) => known.path[0] === i.path[0])) issues.push(i);
    }
  }
  if (issues.length > 0) throw new ZodError(issues);
  return (parsed as { data: z.infer<S> }).data;
}

const issue = (name: string, message: string): Issue => ({ code: 'custom', path: [name], message, input: undefined });
