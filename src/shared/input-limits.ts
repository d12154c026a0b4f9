// The sizes both APIs accept, chosen once so the edges, the README and the tests agree.

/**
 * JSON bodies may nest containers this deep. A real SCIM request nests about 10 levels (Bulk > operation >
 * PatchOp > operation > value > members > member); the limit leaves room, and stops a body of thousands
 * of `[` from reaching code that recurses (normalizing, PATCH, Bulk's bulkId substitution, JSON.stringify).
 */
export const MAX_JSON_DEPTH = 64;

/** Ids we issue are UUIDs; no stored resource has an id longer than this, so a longer one is not looked up. */
export const MAX_ID_LENGTH = 256;

/**
 * Strings the directory keeps in an index (userName and its lower-cased key, externalId, group displayName)
 * and the user displayName. 256 characters is what Entra allows for displayName and more than Okta's
 * login (100) or group name (255). The byte cap keeps an index entry, with its directoryId, under the
 * 1,024 bytes MongoDB allowed before 4.2 and far under PostgreSQL's ~2,700-byte btree entry (FerretDB):
 * 256 characters of any script in the Basic Multilingual Plane fit in it; only 4-byte characters
 * (emoji, rare CJK) reach it first.
 */
export const MAX_INDEXED_TEXT = { characters: 256, utf8Bytes: 768 } as const;
