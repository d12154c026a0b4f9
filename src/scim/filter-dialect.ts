/**
 * Rewrites the filter dialects IdPs really send into RFC 7644 section 3.4.2.2 filters, before the
 * scim2-parse-filter parser (which knows only JSON comparison values) sees them.
 *
 * - Microsoft's reference client (Microsoft.SystemForCrossDomainIdentityManagement, which the Entra
 *   SCIM validator drives) writes string values without quotes: `userName sw O`,
 *   `name.familyName eq Employee`, `meta.created gt 2015-10-10T14:38:21.8617979-07:00`.
 * - Entra writes the JSON literals capitalized: `active eq True`.
 *
 * The grammar (`attrPath SP compareOp SP compValue`) leaves no doubt where a value is: it is the one
 * token after a comparison operator, so only that token is ever rewritten, and never inside quotes:
 * - `true` / `false` / `null` in any case become the JSON literal;
 * - a JSON number stays a number: compValue is JSON (RFC 7644 section 3.4.2.2), so `employeeNumber eq 100`
 *   compares the number 100. Against a string attribute filter-to-query compares String(100), which is
 *   how normalize-resource stores a number written to a string attribute, so it finds the user Entra
 *   created with `"employeeNumber": 100`. Text that is not a JSON number (`007`, `1.`) is a string;
 * - any other bare word is quoted.
 * What stays ambiguous is left alone for the parser to refuse (400 invalidFilter): a value that is
 * `and`/`or`/`not` (more likely a forgotten value than a name), one with a backslash (no agreed
 * escaping without quotes), a value with spaces (`eq Van Der Berg`), or no value at all.
 */

const COMPARE_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);
const KEYWORDS = new Set(['and', 'or', 'not']);
const JSON_LITERAL = /^(?:true|false|null)$/i;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
/** A date-time whose `+hh:mm` offset lost its `+`: an unencoded `+` in a query string is a space. */
const DATE_TIME_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/i;
const BARE_OFFSET = /^\d{2}:\d{2}$/;

/** Whitespace, a quoted string (as the parser reads it), a bracket, or a run of anything else. */
const TOKEN = /\s+|"(?:[^"\\]|\\[\s\S])*"|[()[\]]|[^\s()[\]"]+/y;

function tokenize(filter: string): string[] | null {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < filter.length) {
    const m = TOKEN.exec(filter);
    if (!m) return null; // an unterminated quote: nothing to rewrite, the parser will refuse it
    tokens.push(m[0]);
  }
  return tokens;
}

const isWord = (t: string) => !/^[\s"()[\]]/.test(t);

type Expecting = 'expression' | 'operator' | 'value' | 'connective';

/** The filter with bare comparison values written as RFC 7644 JSON values; anything else unchanged. */
export function toRfcFilter(filter: string): string {
  const tokens = tokenize(filter);
  if (!tokens) return filter;
  const out: string[] = [];
  let expecting: Expecting = 'expression';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const lower = t.toLowerCase();
    if (/^\s/.test(t)) {
      out.push(t);
      continue;
    }
    switch (expecting) {
      case 'expression':
        // `(` and `not` open an expression; a word is the attribute path; anything else the parser refuses.
        if (t !== '(' && lower !== 'not') expecting = isWord(t) ? 'operator' : 'connective';
        break;
      case 'operator':
        expecting = COMPARE_OPERATORS.has(lower) ? 'value' : t === '[' ? 'expression' : 'connective';
        break;
      case 'value':
        expecting = 'connective';
        if (!isWord(t)) break;
        if (JSON_LITERAL.test(t)) {
          out.push(lower);
          continue;
        }
        if (JSON_NUMBER.test(t) || KEYWORDS.has(lower) || t.includes('\\')) break;
        if (DATE_TIME_WITHOUT_OFFSET.test(t) && tokens[i + 1] === ' ' && BARE_OFFSET.test(tokens[i + 2] ?? '')) {
          out.push(`"${t}+${tokens[i + 2]}"`);
          i += 2;
          continue;
        }
        out.push(`"${t}"`);
        continue;
      case 'connective':
        if (lower === 'and' || lower === 'or') expecting = 'expression';
        // `emails[type eq "work"].value eq "x"`: the parser reads `].value` as the next attribute path.
        else if (t.startsWith('.') && tokens[i - 1] === ']') expecting = 'operator';
        break;
    }
    out.push(t);
  }
  return out.join('');
}
