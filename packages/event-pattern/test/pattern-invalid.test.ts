import { describe, expect, it } from 'vitest';
import { compilePattern, InvalidEventPatternError } from '../src/index.js';

interface InvalidCase {
  pattern: unknown;
  /** A fragment of the reason the error must give. */
  reason: string;
  /** The JSON path the error must point at. */
  at: string;
  why: string;
}

function compileError(pattern: unknown): InvalidEventPatternError {
  try {
    compilePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`pattern compiled but should not have: ${JSON.stringify(pattern)}`);
}

const cases: InvalidCase[] = [
  // structure
  { pattern: [], reason: 'must be a JSON object', at: '$', why: 'a pattern that is an array' },
  { pattern: 'source', reason: 'must be a JSON object', at: '$', why: 'a pattern that is a string' },
  { pattern: null, reason: 'must be a JSON object', at: '$', why: 'a null pattern' },
  { pattern: {}, reason: 'Empty objects are not allowed', at: '$', why: 'an empty pattern' },
  {
    pattern: { detail: {} },
    reason: 'Empty objects are not allowed',
    at: '$.detail',
    why: 'an empty nested object',
  },
  {
    pattern: { source: 'aws.ec2' },
    reason: '"source" must be an object or an array',
    at: '$.source',
    why: 'a string leaf that is not an array (string_nolist_EXC)',
  },
  {
    pattern: { detail: { n: 5 } },
    reason: '"n" must be an object or an array',
    at: '$.detail.n',
    why: 'a number leaf that is not an array (int_nolist_EXC)',
  },
  { pattern: { n: null }, reason: 'must be an object or an array', at: '$.n', why: 'a null leaf' },
  { pattern: { n: true }, reason: 'must be an object or an array', at: '$.n', why: 'a boolean leaf' },
  {
    pattern: { 'detail-type': [] },
    reason: 'Empty arrays are not allowed',
    at: '$["detail-type"]',
    why: 'an empty array (arrays_empty_EXC)',
  },
  {
    pattern: { a: [['x']] },
    reason: 'Match value must be String, number, true, false, or null',
    at: '$.a[0]',
    why: 'a nested array as a value',
  },
  {
    pattern: { a: [new Date(0)] },
    reason: 'Match value must be String, number, true, false, or null',
    at: '$.a[0]',
    why: 'a value that is not JSON',
  },
  { pattern: { a: [Number.NaN] }, reason: 'must be finite', at: '$.a[0]', why: 'NaN is not JSON' },
  // operators
  {
    pattern: { a: [{ foo: 'x' }] },
    reason: 'Unrecognized match type foo',
    at: '$.a[0].foo',
    why: 'unknown operator',
  },
  {
    pattern: { a: [{ Prefix: 'x' }] },
    reason: 'Unrecognized match type Prefix (operator names are case-sensitive: use "prefix")',
    at: '$.a[0].Prefix',
    why: 'a mis-cased operator (operator_case_sensitive_EXC)',
  },
  {
    pattern: { a: [{ 'ANYTHING-BUT': 'x' }] },
    reason: 'Unrecognized match type ANYTHING-BUT',
    at: '$.a[0]["ANYTHING-BUT"]',
    why: 'a mis-cased anything-but',
  },
  {
    pattern: { a: [{}] },
    reason: 'Empty objects are not allowed',
    at: '$.a[0]',
    why: 'an empty match expression',
  },
  {
    pattern: { a: [{ prefix: 'x', suffix: 'y' }] },
    reason: 'Only one key allowed in match expression',
    at: '$.a[0]',
    why: 'two operators in one object',
  },
  {
    pattern: { a: [{ prefix: 5 }] },
    reason: 'prefix match pattern must be a string',
    at: '$.a[0].prefix',
    why: 'number prefix',
  },
  {
    pattern: { a: [{ prefix: null }] },
    reason: 'prefix match pattern must be a string',
    at: '$.a[0].prefix',
    why: 'null prefix',
  },
  {
    pattern: { a: [{ prefix: ['x'] }] },
    reason: 'prefix match pattern must be a string',
    at: '$.a[0].prefix',
    why: 'a list of prefixes outside anything-but',
  },
  {
    pattern: { a: [{ prefix: { 'equals-ignore-case': 5 } }] },
    reason: 'equals-ignore-case match pattern must be a string',
    at: '$.a[0].prefix["equals-ignore-case"]',
    why: 'non-string prefix equals-ignore-case',
  },
  {
    pattern: { a: [{ prefix: { wildcard: 'x*' } }] },
    reason: 'prefix match pattern must be a string or {"equals-ignore-case": string}',
    at: '$.a[0].prefix',
    why: 'prefix with another operator',
  },
  {
    pattern: { a: [{ suffix: true }] },
    reason: 'suffix match pattern must be a string',
    at: '$.a[0].suffix',
    why: 'boolean suffix',
  },
  {
    pattern: { a: [{ 'equals-ignore-case': 5 }] },
    reason: 'equals-ignore-case match pattern must be a string',
    at: '$.a[0]["equals-ignore-case"]',
    why: 'non-string equals-ignore-case',
  },
  {
    pattern: { a: [{ 'equals-ignore-case': ['a'] }] },
    reason: 'equals-ignore-case match pattern must be a string',
    at: '$.a[0]["equals-ignore-case"]',
    why: 'list equals-ignore-case outside anything-but',
  },
  {
    pattern: { a: [{ wildcard: 5 }] },
    reason: 'wildcard match pattern must be a string',
    at: '$.a[0].wildcard',
    why: 'non-string wildcard',
  },
  {
    pattern: { a: [{ wildcard: 'a**b' }] },
    reason: 'Consecutive wildcard characters at pos 2',
    at: '$.a[0].wildcard',
    why: '** in wildcard',
  },
  {
    pattern: { a: [{ wildcard: 'a\\xb' }] },
    reason: 'Invalid escape character at pos 1',
    at: '$.a[0].wildcard',
    why: 'a bad escape in wildcard',
  },
  {
    pattern: { a: [{ wildcard: 'ab\\' }] },
    reason: 'Invalid escape character at pos 2',
    at: '$.a[0].wildcard',
    why: 'a trailing backslash in wildcard',
  },
  // anything-but
  {
    pattern: { a: [{ 'anything-but': null }] },
    reason: 'Value of anything-but must be an array or single string/number value',
    at: '$.a[0]["anything-but"]',
    why: 'anything-but null',
  },
  {
    pattern: { a: [{ 'anything-but': true }] },
    reason: 'Value of anything-but must be an array or single string/number value',
    at: '$.a[0]["anything-but"]',
    why: 'anything-but boolean',
  },
  {
    pattern: { a: [{ 'anything-but': ['a', 1] }] },
    reason: 'Inside anything-but list, either all values are number or string',
    at: '$.a[0]["anything-but"]',
    why: 'a mixed anything-but list',
  },
  {
    pattern: { a: [{ 'anything-but': ['a', null] }] },
    reason: 'null and boolean values are not supported',
    at: '$.a[0]["anything-but"][1]',
    why: 'null in an anything-but list',
  },
  {
    pattern: { a: [{ 'anything-but': [false] }] },
    reason: 'null and boolean values are not supported',
    at: '$.a[0]["anything-but"][0]',
    why: 'a boolean in an anything-but list',
  },
  {
    pattern: { a: [{ 'anything-but': [['a']] }] },
    reason: 'only strings and numbers are allowed',
    at: '$.a[0]["anything-but"][0]',
    why: 'a nested array in an anything-but list',
  },
  {
    pattern: { a: [{ 'anything-but': [] }] },
    reason: 'Empty arrays are not allowed',
    at: '$.a[0]["anything-but"]',
    why: 'an empty anything-but list',
  },
  {
    pattern: { a: [{ 'anything-but': { prefix: '' } }] },
    reason: 'anything-but prefix must not be an empty string',
    at: '$.a[0]["anything-but"].prefix',
    why: 'an empty anything-but prefix (content_anything_prefix_empty_EXC)',
  },
  {
    pattern: { a: [{ 'anything-but': { suffix: '' } }] },
    reason: 'anything-but suffix must not be an empty string',
    at: '$.a[0]["anything-but"].suffix',
    why: 'an empty anything-but suffix',
  },
  {
    pattern: { a: [{ 'anything-but': { prefix: 5 } }] },
    reason: 'prefix match pattern must be a string',
    at: '$.a[0]["anything-but"].prefix',
    why: 'a non-string anything-but prefix',
  },
  {
    pattern: { a: [{ 'anything-but': { 'equals-ignore-case': [1] } }] },
    reason: 'equals-ignore-case match pattern must be a string',
    at: '$.a[0]["anything-but"]["equals-ignore-case"][0]',
    why: 'a number in anything-but equals-ignore-case',
  },
  {
    pattern: { a: [{ 'anything-but': { wildcard: 'a**' } }] },
    reason: 'Consecutive wildcard characters',
    at: '$.a[0]["anything-but"].wildcard',
    why: '** in anything-but wildcard',
  },
  {
    pattern: { a: [{ 'anything-but': { numeric: ['>', 1] } }] },
    reason: 'Unsupported anything-but pattern: numeric',
    at: '$.a[0]["anything-but"].numeric',
    why: 'anything-but numeric is not an operator',
  },
  {
    pattern: { a: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] },
    reason: 'Only one key allowed in anything-but expression',
    at: '$.a[0]["anything-but"]',
    why: 'two keys in anything-but',
  },
  {
    pattern: { a: [{ 'anything-but': {} }] },
    reason: 'Empty objects are not allowed',
    at: '$.a[0]["anything-but"]',
    why: 'an empty anything-but object',
  },
  // numeric
  {
    pattern: { n: [{ numeric: '>5' }] },
    reason: 'Value of numeric must be a non-empty array',
    at: '$.n[0].numeric',
    why: 'not an array',
  },
  {
    pattern: { n: [{ numeric: [] }] },
    reason: 'Value of numeric must be a non-empty array',
    at: '$.n[0].numeric',
    why: 'empty',
  },
  {
    pattern: { n: [{ numeric: ['>'] }] },
    reason: 'pairs of an operator and a number',
    at: '$.n[0].numeric',
    why: 'no value',
  },
  {
    pattern: { n: [{ numeric: ['>', '5'] }] },
    reason: 'Value of > must be a number',
    at: '$.n[0].numeric[1]',
    why: 'a string value',
  },
  {
    pattern: { n: [{ numeric: ['!=', 5] }] },
    reason: 'Unrecognized numeric range operator: "!="',
    at: '$.n[0].numeric[0]',
    why: 'an unknown operator',
  },
  {
    pattern: { n: [{ numeric: ['>', 0, '<', 5, '=', 3] }] },
    reason: 'Too many terms in numeric range expression',
    at: '$.n[0].numeric',
    why: 'three terms',
  },
  {
    pattern: { n: [{ numeric: ['=', 1, '>', 0] }] },
    reason: 'Too many terms in numeric range expression: "=" must stand alone',
    at: '$.n[0].numeric',
    why: '= with a bound',
  },
  {
    pattern: { n: [{ numeric: ['>', 0, '>=', 5] }] },
    reason: 'at most one lower and one upper bound',
    at: '$.n[0].numeric',
    why: 'two lower bounds',
  },
  {
    pattern: { n: [{ numeric: ['<', 1, '<=', 2] }] },
    reason: 'at most one lower and one upper bound',
    at: '$.n[0].numeric',
    why: 'two upper bounds',
  },
  {
    pattern: { n: [{ numeric: ['>', 10, '<', 5] }] },
    reason: 'Bottom must be less than top',
    at: '$.n[0].numeric',
    why: 'an empty range',
  },
  {
    pattern: { n: [{ numeric: ['>=', 5, '<=', 5] }] },
    reason: 'Bottom must be less than top',
    at: '$.n[0].numeric',
    why: 'a degenerate range (use "=")',
  },
  // cidr
  { pattern: { ip: [{ cidr: '10.0.0.0' }] }, reason: "one '/' required", at: '$.ip[0].cidr', why: 'no mask' },
  {
    pattern: { ip: [{ cidr: '10.0.0.0/24/1' }] },
    reason: "one '/' required",
    at: '$.ip[0].cidr',
    why: 'two slashes',
  },
  {
    pattern: { ip: [{ cidr: '10.0.0.256/24' }] },
    reason: 'Invalid IP address "10.0.0.256"',
    at: '$.ip[0].cidr',
    why: 'a bad IP (content_ip_address_bad_ip_EXC)',
  },
  {
    pattern: { ip: [{ cidr: '10.0.0.0/33' }] },
    reason: 'Invalid CIDR mask "33": must be 0 to 32',
    at: '$.ip[0].cidr',
    why: 'a bad IPv4 mask (content_ip_address_bad_mask_EXC)',
  },
  {
    pattern: { ip: [{ cidr: '2001:db8::/129' }] },
    reason: 'Invalid CIDR mask "129": must be 0 to 128',
    at: '$.ip[0].cidr',
    why: 'a bad IPv6 mask',
  },
  {
    pattern: { ip: [{ cidr: '10.0.0.0/ab' }] },
    reason: 'Invalid CIDR mask',
    at: '$.ip[0].cidr',
    why: 'a non-numeric mask',
  },
  {
    pattern: { ip: [{ cidr: '10.0.0.0/' }] },
    reason: 'Invalid CIDR mask',
    at: '$.ip[0].cidr',
    why: 'an empty mask',
  },
  {
    pattern: { ip: [{ cidr: 10 }] },
    reason: 'cidr match pattern must be a string',
    at: '$.ip[0].cidr',
    why: 'a number',
  },
  // exists
  {
    pattern: { a: [{ exists: 'true' }] },
    reason: 'exists match pattern must be either true or false',
    at: '$.a[0].exists',
    why: 'exists with a string',
  },
  {
    pattern: { a: [{ exists: 1 }] },
    reason: 'exists match pattern must be either true or false',
    at: '$.a[0].exists',
    why: 'exists with a number',
  },
  // $or
  {
    pattern: { $or: [{ a: ['1'] }] },
    reason: 'Unrecognized match type a ("$or" is read as a field name here',
    at: '$.$or[0].a',
    why: '$or with a single object is not an or-relationship',
  },
  {
    pattern: { $or: [{ prefix: ['a'] }, { suffix: ['z'] }] },
    reason: 'prefix match pattern must be a string ("$or" is read as a field name here',
    at: '$.$or[0].prefix',
    why: 'objects with operator names as fields make $or an ordinary field, whose matchers must then be valid',
  },
  { pattern: { $or: [] }, reason: 'Empty arrays are not allowed', at: '$.$or', why: 'an empty $or' },
  {
    pattern: { $or: 'x' },
    reason: '"$or" must be an object or an array',
    at: '$.$or',
    why: '$or with a string',
  },
  {
    pattern: { $or: [{}, { a: ['1'] }] },
    reason: 'Empty objects are not allowed',
    at: '$.$or[0]',
    why: 'an empty branch',
  },
  {
    pattern: { $or: [{ a: ['1'] }, 'x'] },
    reason: 'Unrecognized match type a',
    at: '$.$or[0].a',
    why: '$or mixing objects and strings is an ordinary field',
  },
  {
    pattern: { $or: [{ a: 'x' }, { b: ['1'] }] },
    reason: '"a" must be an object or an array',
    at: '$.$or[0].a',
    why: 'an invalid leaf inside a branch',
  },
  {
    pattern: { $or: [{ numeric: ['>', 1] }, { b: ['1'] }] },
    reason: 'Unrecognized match type b',
    at: '$.$or[1].b',
    why: 'an operator name in a branch makes $or a field, and then the other branch is invalid',
  },
];

describe('invalid patterns', () => {
  it.each(cases)('$why', ({ pattern, reason, at }) => {
    const error = compileError(pattern);
    expect(error.name).toBe('InvalidEventPatternError');
    expect(error.reason).toContain(reason);
    expect(error.path).toBe(at);
    expect(error.message).toMatch(/^Event pattern is not valid\. Reason: /);
    expect(error.message).toContain(at);
  });

  it('accepts every operator in its valid forms', () => {
    const pattern = {
      a: ['x', 1, true, null, ''],
      b: [
        { prefix: 'x' },
        { prefix: { 'equals-ignore-case': 'X' } },
        { suffix: 'x' },
        { suffix: { 'equals-ignore-case': 'X' } },
      ],
      c: [{ 'equals-ignore-case': 'x' }, { wildcard: 'a*b\\*c\\\\' }],
      d: [
        { 'anything-but': 'x' },
        { 'anything-but': 1 },
        { 'anything-but': ['x', 'y'] },
        { 'anything-but': [1, 2] },
        { 'anything-but': { prefix: 'x' } },
        { 'anything-but': { prefix: ['x', 'y'] } },
        { 'anything-but': { suffix: ['x'] } },
        { 'anything-but': { 'equals-ignore-case': ['x'] } },
        { 'anything-but': { wildcard: ['*x', 'y*'] } },
      ],
      e: [{ numeric: ['=', 1] }, { numeric: ['>', 0, '<', 1] }, { numeric: ['>=', -1e300] }],
      f: [{ cidr: '10.0.0.0/8' }, { cidr: '::/0' }, { exists: true }, { exists: false }],
      $or: [{ g: ['1'] }, { $or: [{ h: ['2'] }, { i: ['3'] }] }],
    };
    expect(() => compilePattern(pattern)).not.toThrow();
  });
});
