import { toRfcFilter } from '../../src/scim/filter-dialect';
import { filterToQuery, GROUP_FILTER_ATTRIBUTES, parseFilter, sortFieldFor, USER_FILTER_ATTRIBUTES } from '../../src/scim/filter-to-query';
import { invalidFilterMessage } from '../support/scim-type';

const query = (filter: string) => filterToQuery(filter, USER_FILTER_ATTRIBUTES);

describe('filters in the dialect Microsoft\'s reference client sends', () => {
  it.each([
    // [as the client sends it, the RFC 7644 filter it means]
    ['userName sw O', 'userName sw "O"'],
    ['name.familyName eq Employee', 'name.familyName eq "Employee"'],
    ['meta.created gt 2015-10-10T14:38:21.8617979-07:00', 'meta.created gt "2015-10-10T14:38:21.8617979-07:00"'],
    ['meta.created gt 2015-10-10T14:38:21.8617979+07:00', 'meta.created gt "2015-10-10T14:38:21.8617979+07:00"'],
    ['emails[type eq work and value co @work]', 'emails[type eq "work" and value co "@work"]'],
    ['not (title eq Boss) or displayName ew Lee', 'not (title eq "Boss") or displayName ew "Lee"'],
    ['emails[type eq work].value eq a@work.example', 'emails[type eq "work"].value eq "a@work.example"'],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq R&D', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"'],
    ['employeeNumber eq 007', 'employeeNumber eq "007"'],
  ])('accepts the unquoted %s as %s', (sent, meant) => {
    expect(toRfcFilter(sent)).toBe(meant);
    expect(query(sent)).toEqual(query(meant));
  });

  it('accepts an unquoted userName sw O as Microsoft\'s validator sends it', () => {
    expect(query('userName sw O')).toEqual({ userNameKey: /^o/ });
  });

  it('compares meta.created against a timestamp with 7 fractional digits and an offset at the same instant', () => {
    expect(query('meta.created gt 2015-10-10T14:38:21.8617979-07:00')).toEqual({ createdAt: { $gt: new Date('2015-10-10T21:38:21.861Z') } });
  });

  it('repairs a +hh:mm offset whose unencoded "+" a query string turned into a space', () => {
    expect(toRfcFilter('meta.created gt 2015-10-10T14:38:21.8617979 07:00')).toBe('meta.created gt "2015-10-10T14:38:21.8617979+07:00"');
  });

  it('keeps bare true, false and null as JSON literals in any case', () => {
    expect(toRfcFilter('active eq True and title eq NULL or active ne FALSE')).toBe('active eq true and title eq null or active ne false');
    expect(query('active eq True')).toEqual({ active: true });
    expect(query('title eq null')).toEqual({ title: null });
  });

  it('keeps a bare JSON number a number, compared with a string attribute as the text a number is stored as', () => {
    expect(toRfcFilter('employeeNumber eq 100')).toBe('employeeNumber eq 100');
    expect(parseFilter('employeeNumber eq 100')).toEqual({ op: 'eq', attrPath: 'employeeNumber', compValue: 100 });
    expect(query('employeeNumber eq 100')).toEqual(query('employeeNumber eq "100"'));
  });

  it('leaves quoted RFC filters exactly as they are', () => {
    for (const f of ['userName eq "a b"', 'userName eq "\\" or 1==1"', 'title co "eq x"', 'emails[type eq "work"]', 'title pr']) {
      expect(toRfcFilter(f)).toBe(f);
    }
  });

  it.each([
    ['userName eq', 'no value'],
    ['userName eq and title pr', 'a keyword where the value belongs'],
    ['name.familyName eq Van Der Berg', 'a value with spaces'],
    ['userName eq a\\b', 'a backslash without quotes'],
    ['userName eq "open', 'an unterminated quote'],
    ['active eq yes', 'a word for a boolean'],
    ['meta.created gt yesterday', 'a word for a date-time'],
    ['emails[type eq work', 'an unclosed value filter'],
  ])('refuses %s (%s) with invalidFilter', (filter) => {
    expect(invalidFilterMessage(() => query(filter))).toEqual(expect.any(String));
  });
});

describe('JavaScript prototype names in filters', () => {
  it.each([
    'constructor eq "x"',
    '__proto__ eq "x"',
    'prototype eq "x"',
    'toString pr',
    'hasOwnProperty eq "x"',
    'valueOf eq 1',
    'name.constructor eq "x"',
    'name.__proto__ pr',
    'emails[__proto__ eq "x"]',
    'emails[constructor eq "x"]',
    'emails.toString eq "x"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:constructor eq "x"',
    'manager.hasOwnProperty eq "x"',
    // The parser reads its and/or table with `table[word]`: a prototype name there is no operator either.
    'title pr constructor title pr',
    'title eq "x" __proto__ title eq "y"',
  ])('answers %s with invalidFilter', (filter) => {
    expect(invalidFilterMessage(() => query(filter))).toEqual(expect.any(String));
  });

  it('answers prototype names in group filters and sortBy the same way', () => {
    expect(invalidFilterMessage(() => filterToQuery('members[constructor eq "x"]', GROUP_FILTER_ATTRIBUTES))).toEqual(expect.any(String));
    expect(invalidFilterMessage(() => sortFieldFor('constructor', USER_FILTER_ATTRIBUTES))).toEqual(expect.any(String));
  });
});
