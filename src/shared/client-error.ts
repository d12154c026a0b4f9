import { STATUS_CODES } from 'node:http';

export interface ClientError {
  status: number;
  title: string;
  detail: string;
}

/**
 * A client error raised by Express, body-parser or the router rather than by our code: it carries its
 * own 4xx status (http-errors sets `status` and `expose`; the router's URIError for a param it cannot
 * decode sets only `status`). Such an error keeps its status at both edges instead of becoming a 500.
 * Its message is shown only when the library marked it safe to show.
 */
export function libraryClientError(err: unknown): ClientError | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status > 499) return null;
  const detail =
    err instanceof URIError ? 'the request path is not valid percent-encoded UTF-8'
    : e.expose === true && e.message ? e.message
    : 'the request was refused';
  return { status, title: STATUS_CODES[status] ?? 'Bad Request', detail };
}
