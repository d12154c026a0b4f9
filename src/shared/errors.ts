// Domain errors. Each edge (SCIM, admin API) maps them to its own wire format once.

export class NotFound extends Error {
  constructor(readonly what: string) {
    super(`${what} not found`);
  }
}

export class Conflict extends Error {
  constructor(readonly what: string, detail: string) {
    super(detail);
  }
}

/** A SCIM filter that cannot be parsed or names an attribute we do not filter on (RFC 7644 section 3.4.2.2). */
export class InvalidFilter extends Error {}

/** A request whose content is wrong for the operation. `scimType` follows RFC 7644 section 3.12 table 9. */
export class InvalidRequest extends Error {
  constructor(
    message: string,
    readonly scimType:
      | 'invalidSyntax'
      | 'invalidPath'
      | 'invalidValue'
      | 'noTarget'
      | 'mutability'
      | 'invalidVers'
      | 'tooMany'
      | 'sensitive'
      | 'uniqueness'
      | 'invalidFilter' = 'invalidValue',
  ) {
    super(message);
  }
}

/** If-Match did not match the current version (RFC 7644 section 3.14). */
export class PreconditionFailed extends Error {
  constructor(readonly currentVersion: string) {
    super(`resource version is ${currentVersion}`);
  }
}

/**
 * How far a request got when a backing store failed it (shared/store-outage.ts classifies errors and
 * words the answer): `unreachable` when the failing command was never sent, `interrupted` when the
 * connection broke while it may have been executing.
 */
export type OutageStage = 'unreachable' | 'interrupted';
export type BackingStore = 'mongodb' | 'redis';

/** A backing store could not be reached or broke off; both edges answer 503 with Retry-After. */
export class ServiceUnavailable extends Error {
  constructor(
    readonly store: BackingStore = 'mongodb',
    readonly stage: OutageStage = 'unreachable',
    options?: { cause?: unknown },
  ) {
    super(`${store} is unavailable (${stage})`, options);
  }
}

export class Unauthorized extends Error {}
export class Forbidden extends Error {}

export class TooManyRequests extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many requests');
  }
}
