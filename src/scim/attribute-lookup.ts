/**
 * Own-property lookups for attribute tables. Attribute names come off the wire, and `table[name]`
 * would answer `constructor`, `__proto__`, `toString`, `valueOf`, `hasOwnProperty` ... from
 * Object.prototype: a filter `constructor eq "x"` became a query on the field `undefined`, and a
 * POST with `"constructor": "x"` stored an attribute named `Object`. JavaScript prototype names are
 * never SCIM attribute names, so every lookup by name goes through `ownEntry` and such a name is
 * simply unknown (400 invalidPath in PATCH, 400 invalidFilter in filters, ignored in POST/PUT bodies).
 */
export function ownEntry<T>(table: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** A table without a prototype, so even a lookup that forgets `ownEntry` cannot reach Object.prototype. */
export function lookupTable<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const table = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) table[name] = value;
  return table;
}
