import { describe, expect, it } from 'vitest';
import { compilePattern, parseJson } from '../src/index.js';

/** JSON text parsed with number text preserved, for the cases where `300` vs `300.0` matters. */
const j = (text: string): unknown => parseJson(text);

interface Case {
  pattern: unknown;
  event: unknown;
  expected: boolean;
  reason: string;
}

function table(cases: Case[]) {
  it.each(cases)('$reason', ({ pattern, event, expected }) => {
    expect(compilePattern(pattern).matches(event)).toBe(expected);
  });
}

describe('exact values, structure and types', () => {
  table([
    {
      pattern: { source: ['aws.ec2'] },
      event: { source: 'aws.ec2' },
      expected: true,
      reason: 'equal string matches',
    },
    {
      pattern: { source: ['AWS.EC2'] },
      event: { source: 'aws.ec2' },
      expected: false,
      reason: 'strings are case-sensitive',
    },
    {
      pattern: { State: ['available', 'failed'] },
      event: { State: 'failed' },
      expected: true,
      reason: 'a leaf array is an OR: any listed value matches',
    },
    {
      pattern: { State: ['available', 'failed'] },
      event: { State: 'deregistered' },
      expected: false,
      reason: 'a value not in the list does not match',
    },
    {
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'] },
      event: { source: 'aws.ec2', 'detail-type': 'Other' },
      expected: false,
      reason: 'all named fields must match (AND)',
    },
    {
      pattern: { x: ['a'] },
      event: { y: 'a' },
      expected: false,
      reason: 'a field named in the pattern must be present',
    },
    {
      pattern: { detail: { State: ['available'] } },
      event: { State: 'available', detail: {} },
      expected: false,
      reason: 'the field must be at the same nesting',
    },
    {
      pattern: { source: ['aws.ec2'] },
      event: { source: 'aws.ec2', other: 1, detail: { a: [1, 2] } },
      expected: true,
      reason: 'fields not in the pattern are ignored',
    },
    {
      pattern: { resources: ['arn:1', 'arn:9'] },
      event: { resources: ['arn:0', 'arn:1'] },
      expected: true,
      reason: 'an event array matches when it intersects the pattern array',
    },
    {
      pattern: { resources: ['arn:2'] },
      event: { resources: ['arn:0', 'arn:1'] },
      expected: false,
      reason: 'an event array without a common value does not match',
    },
    {
      pattern: { resources: ['arn:2'] },
      event: { resources: [] },
      expected: false,
      reason: 'an empty event array has no values',
    },
    { pattern: { a: ['a b'] }, event: { a: 'a  b' }, expected: false, reason: 'no whitespace normalisation' },
    {
      pattern: { a: ['\u00e9'] },
      event: { a: 'e\u0301' },
      expected: false,
      reason: 'no Unicode normalisation (NFC vs NFD)',
    },
    { pattern: j('{"n":[300]}'), event: j('{"n":300}'), expected: true, reason: 'same number text matches' },
    {
      pattern: j('{"n":[300]}'),
      event: j('{"n":300.0}'),
      expected: false,
      reason: 'numbers compare by string representation: 300 is not 300.0',
    },
    {
      pattern: j('{"n":[300]}'),
      event: j('{"n":3.0e2}'),
      expected: false,
      reason: 'numbers compare by string representation: 300 is not 3.0e2',
    },
    {
      pattern: j('{"n":[3.0e2]}'),
      event: j('{"n":3.0e2}'),
      expected: true,
      reason: 'the same exponent text matches',
    },
    {
      pattern: { n: [300] },
      event: { n: 300 },
      expected: true,
      reason: 'plain JS numbers compare by String(n)',
    },
    {
      pattern: { n: [300] },
      event: { n: '300' },
      expected: false,
      reason: 'a number does not match a numeric string',
    },
    {
      pattern: { n: ['300'] },
      event: { n: 300 },
      expected: false,
      reason: 'a string does not match a number',
    },
    { pattern: { b: [true] }, event: { b: true }, expected: true, reason: 'true matches true' },
    {
      pattern: { b: [true] },
      event: { b: 'true' },
      expected: false,
      reason: 'true does not match the string "true"',
    },
    { pattern: { b: [false] }, event: { b: true }, expected: false, reason: 'false does not match true' },
    { pattern: { v: [null] }, event: { v: null }, expected: true, reason: '[null] matches JSON null' },
    {
      pattern: { v: [null] },
      event: { v: '' },
      expected: false,
      reason: 'null and "" are distinct (null vs "")',
    },
    { pattern: { v: [null] }, event: {}, expected: false, reason: '[null] does not match a missing field' },
    { pattern: { v: [''] }, event: { v: '' }, expected: true, reason: '[""] matches the empty string' },
    { pattern: { v: [''] }, event: { v: null }, expected: false, reason: '[""] does not match null' },
    { pattern: { v: [''] }, event: {}, expected: false, reason: '[""] does not match a missing field' },
    {
      pattern: { detail: { state: ['available'] } },
      event: { detail: { State: 'available' } },
      expected: false,
      reason: 'keys are case-sensitive: detail.state is not detail.State',
    },
    {
      pattern: { resources: ['arn:aws:ec2:us-east-1::image/ami-1'] },
      event: { resources: ['arn:aws:ec2:us-east-1::image:ami-1'] },
      expected: false,
      reason: 'ARNs match exactly: ":" is not "/"',
    },
    {
      pattern: { detail: { State: ['a'] } },
      event: { detail: 'a' },
      expected: false,
      reason: 'a nested pattern does not match a scalar',
    },
    {
      pattern: { detail: ['x'] },
      event: { detail: { a: 'x' } },
      expected: false,
      reason: 'a leaf pattern does not match an object',
    },
    {
      pattern: { a: ['x'] },
      event: ['x'],
      expected: false,
      reason: 'an event that is not an object matches nothing',
    },
    {
      pattern: { a: ['x', 5, null, true] },
      event: { a: [false, null] },
      expected: true,
      reason: 'mixed-type value lists intersect on null',
    },
  ]);
});

describe('prefix and suffix', () => {
  table([
    {
      pattern: { r: [{ prefix: 'us-' }] },
      event: { r: 'us-east-1' },
      expected: true,
      reason: 'prefix matches',
    },
    {
      pattern: { r: [{ prefix: 'us-' }] },
      event: { r: 'eu-west-1' },
      expected: false,
      reason: 'prefix mismatch',
    },
    {
      pattern: { r: [{ prefix: 'US-' }] },
      event: { r: 'us-east-1' },
      expected: false,
      reason: 'prefix is case-sensitive',
    },
    {
      pattern: { r: [{ prefix: '1' }] },
      event: { r: 123 },
      expected: false,
      reason: 'prefix applies to strings only',
    },
    {
      pattern: { r: [{ prefix: '' }] },
      event: { r: 'x' },
      expected: true,
      reason: 'an empty prefix matches any string',
    },
    {
      pattern: { r: [{ prefix: '' }] },
      event: { r: null },
      expected: false,
      reason: 'an empty prefix does not match null',
    },
    {
      pattern: { r: [{ prefix: 'us-' }] },
      event: {},
      expected: false,
      reason: 'prefix does not match a missing field',
    },
    {
      pattern: { r: [{ prefix: { 'equals-ignore-case': 'EventB' } }] },
      event: { r: 'eventbridge' },
      expected: true,
      reason: 'prefix with equals-ignore-case ignores case',
    },
    {
      pattern: { r: [{ prefix: { 'equals-ignore-case': 'EventB' } }] },
      event: { r: 'xeventb' },
      expected: false,
      reason: 'prefix with equals-ignore-case still anchors at the start',
    },
    {
      pattern: { f: [{ suffix: '.png' }] },
      event: { f: 'image.png' },
      expected: true,
      reason: 'suffix matches',
    },
    {
      pattern: { f: [{ suffix: '.png' }] },
      event: { f: 'image.PNG' },
      expected: false,
      reason: 'suffix is case-sensitive',
    },
    {
      pattern: { f: [{ suffix: '.png' }] },
      event: { f: 'png.jpg' },
      expected: false,
      reason: 'suffix anchors at the end',
    },
    {
      pattern: { f: [{ suffix: { 'equals-ignore-case': '.png' } }] },
      event: { f: 'IMAGE.PNG' },
      expected: true,
      reason: 'suffix with equals-ignore-case ignores case',
    },
    {
      pattern: { f: [{ suffix: '3' }] },
      event: { f: 123 },
      expected: false,
      reason: 'suffix applies to strings only',
    },
    {
      pattern: { f: [{ prefix: 'a' }, { suffix: 'z' }, 'exact'] },
      event: { f: 'xyz' },
      expected: true,
      reason: 'operators and exact values in one list are OR-ed',
    },
    {
      pattern: { f: [{ prefix: 'ami-' }] },
      event: { f: ['snap-1', 'ami-2'] },
      expected: true,
      reason: 'prefix against an event array matches when any element matches',
    },
  ]);
});

describe('equals-ignore-case', () => {
  table([
    {
      pattern: { n: [{ 'equals-ignore-case': 'alice' }] },
      event: { n: 'ALICE' },
      expected: true,
      reason: 'equal ignoring case',
    },
    {
      pattern: { n: [{ 'equals-ignore-case': 'alice' }] },
      event: { n: 'AliCe' },
      expected: true,
      reason: 'mixed case',
    },
    {
      pattern: { n: [{ 'equals-ignore-case': 'alice' }] },
      event: { n: 'alicea' },
      expected: false,
      reason: 'must be equal, not a prefix',
    },
    {
      pattern: { n: [{ 'equals-ignore-case': '5' }] },
      event: { n: 5 },
      expected: false,
      reason: 'applies to strings only',
    },
  ]);
});

describe('wildcard', () => {
  table([
    {
      pattern: { s: [{ wildcard: 'Simple*Service' }] },
      event: { s: 'SimpleQueueService' },
      expected: true,
      reason: '* matches a run of characters',
    },
    {
      pattern: { s: [{ wildcard: 'Simple*Service' }] },
      event: { s: 'SimpleService' },
      expected: true,
      reason: '* matches zero characters',
    },
    {
      pattern: { s: [{ wildcard: 'Simple*Service' }] },
      event: { s: 'simplequeueservice' },
      expected: false,
      reason: 'wildcard is case-sensitive',
    },
    {
      pattern: { s: [{ wildcard: 'Simple*Service' }] },
      event: { s: 'SimpleQueueServices' },
      expected: false,
      reason: 'wildcard is anchored at both ends',
    },
    {
      pattern: { s: [{ wildcard: '*' }] },
      event: { s: '' },
      expected: true,
      reason: 'a lone * matches the empty string',
    },
    {
      pattern: { s: [{ wildcard: '*/lib/*' }] },
      event: { s: '/usr/lib/x' },
      expected: true,
      reason: 'several * in one pattern',
    },
    {
      pattern: { s: [{ wildcard: 'a\\*b' }] },
      event: { s: 'a*b' },
      expected: true,
      reason: '\\* is a literal *',
    },
    {
      pattern: { s: [{ wildcard: 'a\\*b' }] },
      event: { s: 'axb' },
      expected: false,
      reason: '\\* is not a wildcard',
    },
    {
      pattern: { s: [{ wildcard: 'a\\\\b' }] },
      event: { s: 'a\\b' },
      expected: true,
      reason: '\\\\ is a literal \\',
    },
    {
      pattern: { s: [{ wildcard: 'a.c' }] },
      event: { s: 'abc' },
      expected: false,
      reason: '. is literal, not a regex',
    },
    {
      pattern: { s: [{ wildcard: 'a(b|c)' }] },
      event: { s: 'a(b|c)' },
      expected: true,
      reason: 'regex syntax is literal',
    },
    {
      pattern: { s: [{ wildcard: 'a*b' }] },
      event: { s: 'a\nb' },
      expected: true,
      reason: '* spans newlines',
    },
    {
      pattern: { s: [{ wildcard: '1*' }] },
      event: { s: 123 },
      expected: false,
      reason: 'wildcard applies to strings only',
    },
  ]);
});

describe('anything-but', () => {
  table([
    {
      pattern: { s: [{ 'anything-but': 'initializing' }] },
      event: { s: 'running' },
      expected: true,
      reason: 'single string: a different value matches',
    },
    {
      pattern: { s: [{ 'anything-but': 'initializing' }] },
      event: { s: 'initializing' },
      expected: false,
      reason: 'single string: the excluded value does not match',
    },
    {
      pattern: { s: [{ 'anything-but': 'initializing' }] },
      event: {},
      expected: false,
      reason: 'anything-but does not match a missing field (content_anything_but_string_missing_NEG)',
    },
    {
      pattern: { s: [{ 'anything-but': 'initializing' }] },
      event: { s: null },
      expected: true,
      reason: 'anything-but matches null (content_anything_but_string_null)',
    },
    {
      pattern: { s: [{ 'anything-but': 'x' }] },
      event: { s: 5 },
      expected: true,
      reason: 'a number is anything but a string',
    },
    {
      pattern: { s: [{ 'anything-but': 'x' }] },
      event: { s: { nested: 'y' } },
      expected: false,
      reason: 'an object is not a leaf, so anything-but has nothing to match',
    },
    {
      pattern: { n: [{ 'anything-but': 123 }] },
      event: { n: 123 },
      expected: false,
      reason: 'single number: the excluded number does not match',
    },
    {
      pattern: { n: [{ 'anything-but': 123 }] },
      event: { n: 124 },
      expected: true,
      reason: 'single number: another number matches',
    },
    {
      pattern: { n: [{ 'anything-but': 123 }] },
      event: { n: '123' },
      expected: true,
      reason: 'single number: the string "123" is not the number 123',
    },
    {
      pattern: { s: [{ 'anything-but': ['stopped', 'overloaded'] }] },
      event: { s: 'stopped' },
      expected: false,
      reason: 'string list: a listed value does not match',
    },
    {
      pattern: { s: [{ 'anything-but': ['stopped', 'overloaded'] }] },
      event: { s: 'running' },
      expected: true,
      reason: 'string list: an unlisted value matches',
    },
    {
      pattern: { n: [{ 'anything-but': [1, 2] }] },
      event: { n: 2 },
      expected: false,
      reason: 'number list: a listed number does not match',
    },
    {
      pattern: { n: [{ 'anything-but': [1, 2] }] },
      event: { n: 3 },
      expected: true,
      reason: 'number list: others match',
    },
    {
      pattern: { command: [{ 'anything-but': ['no-message'] }] },
      event: { command: null },
      expected: true,
      reason: 'list vs null matches (LS test_put_events_with_rule_pattern_anything_but, AWS-validated)',
    },
    {
      pattern: { s: [{ 'anything-but': 'a' }] },
      event: { s: ['a', 'b'] },
      expected: true,
      reason: 'event array: matches when any element is not excluded',
    },
    {
      pattern: { s: [{ 'anything-but': 'a' }] },
      event: { s: ['a'] },
      expected: false,
      reason: 'event array: no element left after exclusion',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: 'init' } }] },
      event: { s: 'initializing' },
      expected: false,
      reason: 'prefix: a value with the prefix does not match',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: 'init' } }] },
      event: { s: 'running' },
      expected: true,
      reason: 'prefix: a value without the prefix matches',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: 'init' } }] },
      event: {},
      expected: false,
      reason: 'prefix: missing field does not match (content_anything_prefix_missing_NEG)',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: 'init' } }] },
      event: { s: null },
      expected: true,
      reason: 'prefix: null matches (content_anything_prefix_null)',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: '12' } }] },
      event: { s: 123 },
      expected: true,
      reason: 'prefix: a number has no string prefix, so it matches',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: ['a', 'b'] } }] },
      event: { s: 'bx' },
      expected: false,
      reason: 'prefix list: any listed prefix excludes',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: ['a', 'b'] } }] },
      event: { s: 'cx' },
      expected: true,
      reason: 'prefix list: other values match',
    },
    {
      pattern: { s: [{ 'anything-but': { prefix: ['a', 'b'] } }] },
      event: { s: null },
      expected: true,
      reason: 'prefix list: null matches (content_anything_prefix_list_null)',
    },
    {
      pattern: { f: [{ 'anything-but': { suffix: '.png' } }] },
      event: { f: 'a.png' },
      expected: false,
      reason: 'suffix: a value with the suffix does not match',
    },
    {
      pattern: { f: [{ 'anything-but': { suffix: '.png' } }] },
      event: { f: 'a.jpg' },
      expected: true,
      reason: 'suffix: others match',
    },
    {
      pattern: { f: [{ 'anything-but': { suffix: '.png' } }] },
      event: { f: null },
      expected: true,
      reason: 'suffix: null matches (content_anything_suffix_null)',
    },
    {
      pattern: { f: [{ 'anything-but': { suffix: '.png' } }] },
      event: {},
      expected: false,
      reason: 'suffix: missing field does not match (content_anything_suffix_missing_NEG)',
    },
    {
      pattern: { f: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] },
      event: { f: 'a.jpg' },
      expected: false,
      reason: 'suffix list',
    },
    {
      pattern: { s: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      event: { s: 'STOPPED' },
      expected: false,
      reason: 'equals-ignore-case: a listed value in any case does not match',
    },
    {
      pattern: { s: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      event: { s: 'running' },
      expected: true,
      reason: 'equals-ignore-case: others match',
    },
    {
      pattern: { s: [{ 'anything-but': { 'equals-ignore-case': 'Stopped' } }] },
      event: {},
      expected: false,
      reason:
        'equals-ignore-case: missing field does not match (content_anything_but_ignorecase_missing_NEG)',
    },
    {
      pattern: { s: [{ 'anything-but': { 'equals-ignore-case': 'Stopped' } }] },
      event: { s: null },
      expected: true,
      reason: 'equals-ignore-case: null matches',
    },
    {
      pattern: { p: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { p: '/usr/lib/x' },
      expected: false,
      reason: 'wildcard: a matching value is excluded',
    },
    {
      pattern: { p: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { p: '/usr/bin/x' },
      expected: true,
      reason: 'wildcard: a non-matching value matches',
    },
    {
      pattern: { p: [{ 'anything-but': { wildcard: ['*/lib/*', '*.tmp'] } }] },
      event: { p: 'a.tmp' },
      expected: false,
      reason: 'wildcard list',
    },
    {
      pattern: { p: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { p: null },
      expected: true,
      reason: 'wildcard: null matches (content_anything_wildcard_null)',
    },
    {
      pattern: { p: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: {},
      expected: false,
      reason: 'wildcard: missing field does not match (content_anything_wildcard_missing_NEG)',
    },
    {
      pattern: { p: [{ 'anything-but': { wildcard: '1*' } }] },
      event: { p: 123 },
      expected: true,
      reason: 'wildcard: a number is not a string, so it is not excluded',
    },
  ]);
});

describe('numeric', () => {
  table([
    {
      pattern: { n: [{ numeric: ['>', 0, '<=', 5] }] },
      event: { n: 5 },
      expected: true,
      reason: 'upper bound inclusive',
    },
    {
      pattern: { n: [{ numeric: ['>', 0, '<=', 5] }] },
      event: { n: 0 },
      expected: false,
      reason: 'lower bound exclusive',
    },
    {
      pattern: { n: [{ numeric: ['>', 0, '<=', 5] }] },
      event: { n: 3 },
      expected: true,
      reason: 'inside the range',
    },
    {
      pattern: { n: [{ numeric: ['>', 0, '<=', 5] }] },
      event: { n: 5.0001 },
      expected: false,
      reason: 'just above the range',
    },
    {
      pattern: { n: [{ numeric: ['>', 0, '<=', 5] }] },
      event: { n: '3' },
      expected: false,
      reason: 'a numeric string does not match numeric',
    },
    {
      pattern: { n: [{ numeric: ['>', 0] }] },
      event: { n: null },
      expected: false,
      reason: 'null is not a number',
    },
    {
      pattern: { n: [{ numeric: ['>', 0] }] },
      event: { n: true },
      expected: false,
      reason: 'a boolean is not a number',
    },
    {
      pattern: { n: [{ numeric: ['>', 0] }] },
      event: {},
      expected: false,
      reason: 'a missing field is not a number',
    },
    {
      pattern: { n: [{ numeric: ['=', 3.018e2] }] },
      event: { n: 301.8 },
      expected: true,
      reason: '= compares by value',
    },
    {
      pattern: j('{"n":[{"numeric":["=",300]}]}'),
      event: j('{"n":300.0}'),
      expected: true,
      reason: 'numeric = matches 300.0 (by value, unlike exact matching)',
    },
    {
      pattern: j('{"n":[{"numeric":["=",300]}]}'),
      event: j('{"n":3.0e2}'),
      expected: true,
      reason: 'numeric = matches 3.0e2',
    },
    {
      pattern: { n: [{ numeric: ['<', 10] }] },
      event: { n: -1e20 },
      expected: true,
      reason: '< without a lower bound',
    },
    { pattern: { n: [{ numeric: ['<', 10] }] }, event: { n: 10 }, expected: false, reason: '< is exclusive' },
    {
      pattern: { n: [{ numeric: ['<=', 10] }] },
      event: { n: 10 },
      expected: true,
      reason: '<= is inclusive',
    },
    { pattern: { n: [{ numeric: ['>', 10] }] }, event: { n: 10 }, expected: false, reason: '> is exclusive' },
    {
      pattern: { n: [{ numeric: ['>=', 10] }] },
      event: { n: 10 },
      expected: true,
      reason: '>= is inclusive',
    },
    {
      pattern: { n: [{ numeric: ['<=', 5, '>', 0] }] },
      event: { n: 3 },
      expected: true,
      reason: 'bounds may be given upper first',
    },
    {
      pattern: { n: [{ numeric: ['>', 5e11] }] },
      event: { n: 1e12 },
      expected: true,
      reason: 'values beyond the archived ±1e9 limit are compared as doubles (current Ruler)',
    },
    {
      pattern: { n: [{ numeric: ['<', 0] }, { numeric: ['>', 10] }] },
      event: { n: 11 },
      expected: true,
      reason: 'OR of ranges as separate array elements',
    },
    {
      pattern: { n: [{ numeric: ['<', 0] }, { numeric: ['>', 10] }] },
      event: { n: 5 },
      expected: false,
      reason: 'in neither range',
    },
    {
      pattern: { n: [{ numeric: ['>', 100] }] },
      event: { n: [1, 200] },
      expected: true,
      reason: 'an event array matches when any element is in range',
    },
  ]);
});

describe('cidr', () => {
  table([
    {
      pattern: { ip: [{ cidr: '10.0.0.0/24' }] },
      event: { ip: '10.0.0.255' },
      expected: true,
      reason: 'IPv4 in range',
    },
    {
      pattern: { ip: [{ cidr: '10.0.0.0/24' }] },
      event: { ip: '10.0.1.0' },
      expected: false,
      reason: 'IPv4 out of range',
    },
    {
      pattern: { ip: [{ cidr: '10.0.0.0/24' }] },
      event: { ip: 'not-an-ip' },
      expected: false,
      reason: 'a non-IP string simply does not match (content_ip_address_bad_type_NEG)',
    },
    {
      pattern: { ip: [{ cidr: '10.0.0.0/24' }] },
      event: { ip: 167772161 },
      expected: false,
      reason: 'a number is not an IP address',
    },
    {
      pattern: { ip: [{ cidr: '2001:db8::/32' }] },
      event: { ip: '2001:db8:ffff::1' },
      expected: true,
      reason: 'IPv6 in range',
    },
    {
      pattern: { ip: [{ cidr: '2001:db8::/32' }] },
      event: { ip: '2001:db9::' },
      expected: false,
      reason: 'IPv6 out of range',
    },
    {
      pattern: { ip: [{ cidr: '10.0.0.0/8' }] },
      event: { ip: '::1' },
      expected: false,
      reason: 'an IPv6 address is not in an IPv4 range',
    },
    {
      pattern: { ip: [{ cidr: '0.0.0.0/0' }] },
      event: { ip: '192.168.1.1' },
      expected: true,
      reason: '/0 matches every IPv4 address',
    },
    {
      pattern: { ip: [{ cidr: '192.168.1.1/32' }] },
      event: { ip: '192.168.1.2' },
      expected: false,
      reason: '/32 matches one host',
    },
    {
      pattern: { ip: [{ cidr: '10.0.0.7/24' }] },
      event: { ip: '10.0.0.200' },
      expected: true,
      reason: 'host bits in the pattern are ignored',
    },
  ]);
});

describe('exists', () => {
  table([
    {
      pattern: { a: [{ exists: true }] },
      event: { a: 'x' },
      expected: true,
      reason: 'exists:true, present string',
    },
    {
      pattern: { a: [{ exists: true }] },
      event: { a: null },
      expected: true,
      reason: 'exists:true, null is a value',
    },
    {
      pattern: { a: [{ exists: true }] },
      event: { a: 0 },
      expected: true,
      reason: 'exists:true, present number',
    },
    { pattern: { a: [{ exists: true }] }, event: {}, expected: false, reason: 'exists:true, missing' },
    {
      pattern: { a: [{ exists: true }] },
      event: { a: { b: 1 } },
      expected: false,
      reason: 'exists:true only applies to leaves: an object is not one',
    },
    {
      pattern: { a: [{ exists: true }] },
      event: { a: [] },
      expected: false,
      reason: 'exists:true, an empty array',
    },
    { pattern: { a: [{ exists: false }] }, event: {}, expected: true, reason: 'exists:false, missing' },
    {
      pattern: { a: [{ exists: false }] },
      event: { a: 'x' },
      expected: false,
      reason: 'exists:false, present',
    },
    {
      pattern: { a: [{ exists: false }] },
      event: { a: null },
      expected: false,
      reason: 'exists:false, null is present',
    },
    {
      pattern: { 'c-count': [{ exists: false }] },
      event: { 'c-count': { c1: 100 } },
      expected: true,
      reason: 'exists:false also matches when the field is an object (leaf-only semantics)',
    },
    {
      pattern: { detail: { ErrorMessage: [{ exists: false }] }, source: ['aws.ec2'] },
      event: { source: 'aws.ec2', detail: { State: 'available' } },
      expected: true,
      reason: 'exists:false combined with other fields',
    },
    {
      pattern: { a: [{ exists: false }, 'x'] },
      event: { a: 'x' },
      expected: true,
      reason: 'exists:false OR a value: the value matches',
    },
    {
      pattern: { a: [{ exists: false }, 'x'] },
      event: {},
      expected: true,
      reason: 'exists:false OR a value: absence matches',
    },
    {
      pattern: { a: [{ exists: false }, 'x'] },
      event: { a: 'y' },
      expected: false,
      reason: 'exists:false OR a value: another value does not',
    },
  ]);
});

describe('$or', () => {
  const cloudwatch = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };
  table([
    {
      pattern: cloudwatch,
      event: { source: 'aws.cloudwatch', metricName: 'ReadLatency' },
      expected: true,
      reason: 'first branch matches',
    },
    {
      pattern: cloudwatch,
      event: { source: 'aws.cloudwatch', namespace: 'AWS/ES' },
      expected: true,
      reason: 'second branch matches',
    },
    {
      pattern: cloudwatch,
      event: { source: 'aws.cloudwatch', namespace: 'AWS/S3' },
      expected: false,
      reason: 'no branch matches',
    },
    {
      pattern: cloudwatch,
      event: { source: 'aws.other', metricName: 'ReadLatency' },
      expected: false,
      reason: 'fields outside the $or still apply (AND)',
    },
    {
      pattern: { $or: [{ a: ['1'] }, { $or: [{ b: ['2'] }, { c: ['3'] }] }] },
      event: { c: '3' },
      expected: true,
      reason: 'nested $or',
    },
    {
      pattern: { detail: { $or: [{ State: ['available'] }, { ImageId: [{ prefix: 'ami-0' }] }] } },
      event: { detail: { State: 'failed', ImageId: 'ami-0abc' } },
      expected: true,
      reason: '$or inside a nested object applies at that level',
    },
    {
      pattern: { $or: [{ a: ['1'] }, { b: ['2'] }], detail: { $or: [{ c: ['3'] }, { d: ['4'] }] } },
      event: { a: '1', detail: { c: 'x', d: '5' } },
      expected: false,
      reason: 'parallel $or: every $or must hold',
    },
    {
      pattern: { $or: [{ a: ['1'] }, { b: ['2'] }], detail: { $or: [{ c: ['3'] }, { d: ['4'] }] } },
      event: { b: '2', detail: { d: '4' } },
      expected: true,
      reason: 'parallel $or: both satisfied',
    },
    {
      pattern: { $or: [{ prefix: 'a' }, { suffix: 'z' }] },
      event: { $or: 'abz' },
      expected: true,
      reason: '$or as an ordinary field with prefix/suffix matchers (backward compatibility)',
    },
    {
      pattern: { $or: ['x', 'y'] },
      event: { $or: 'y' },
      expected: true,
      reason: '$or with an array of strings is an ordinary field',
    },
    {
      pattern: { $or: { a: ['1'] } },
      event: { $or: { a: '1' } },
      expected: true,
      reason: '$or with an object is an ordinary nested field',
    },
  ]);
});

describe('array consistency (objects inside arrays)', () => {
  const employees = {
    employees: [
      { first: 'Anna', last: 'Smith' },
      { first: 'Peter', last: 'Jones' },
    ],
  };
  table([
    {
      pattern: { employees: { first: ['Anna'], last: ['Jones'] } },
      event: employees,
      expected: false,
      reason: 'fields from different elements of one array are not combined (current Ruler)',
    },
    {
      pattern: { employees: { first: ['Anna'], last: ['Smith'] } },
      event: employees,
      expected: true,
      reason: 'fields from the same element match',
    },
    {
      pattern: { employees: { first: ['Peter'] }, company: ['ACME'] },
      event: { ...employees, company: 'ACME' },
      expected: true,
      reason: 'a field outside the array combines with any element',
    },
    {
      pattern: { a: { x: ['1'] }, b: { y: ['2'] } },
      event: { a: [{ x: '0' }, { x: '1' }], b: [{ y: '2' }] },
      expected: true,
      reason: 'elements of different arrays combine freely',
    },
    {
      pattern: { teams: { members: { name: ['A'], role: ['lead'] } } },
      event: {
        teams: [
          {
            members: [
              { name: 'A', role: 'dev' },
              { name: 'B', role: 'lead' },
            ],
          },
        ],
      },
      expected: false,
      reason: 'nested arrays: different inner elements are not combined',
    },
    {
      pattern: { teams: { members: { name: ['A'], role: ['lead'] } } },
      event: {
        teams: [{ members: [{ name: 'B', role: 'dev' }] }, { members: [{ name: 'A', role: 'lead' }] }],
      },
      expected: true,
      reason: 'nested arrays: one inner element satisfies both',
    },
    {
      pattern: {
        $or: [{ e: { first: ['Anna'], last: ['Jones'] } }, { e: { first: ['Peter'], last: ['Jones'] } }],
      },
      event: {
        e: [
          { first: 'Anna', last: 'Smith' },
          { first: 'Peter', last: 'Jones' },
        ],
      },
      expected: true,
      reason: 'each $or branch is checked for consistency on its own',
    },
  ]);
});

describe('dotted keys and repeated paths', () => {
  table([
    {
      pattern: { detail: { 'state.status': ['AVAILABLE'] } },
      event: { detail: { state: { status: 'AVAILABLE' } } },
      expected: true,
      reason: 'a dotted pattern key matches the nested event shape (dot_joining_pattern)',
    },
    {
      pattern: { detail: { state: { status: ['AVAILABLE'] } } },
      event: { detail: { 'state.status': 'AVAILABLE' } },
      expected: true,
      reason: 'a nested pattern matches a dotted event key (dot_joining_event)',
    },
    {
      pattern: { 'detail.state.status': ['AVAILABLE'] },
      event: { detail: { state: { status: 'AVAILABLE' } } },
      expected: true,
      reason: 'a fully dotted top-level key',
    },
    {
      pattern: { 'a.b': ['1'], a: { b: ['2'] } },
      event: { 'a.b': '1', a: { b: '2' } },
      expected: true,
      reason: 'the same path twice: both tests must hold (documented choice)',
    },
    {
      pattern: { 'a.b': ['1'], a: { b: ['2'] } },
      event: { a: { b: '1' } },
      expected: false,
      reason: 'the same path twice: one failing test fails the pattern',
    },
    {
      pattern: j('{"a":["1"],"a":["2"]}'),
      event: { a: '2' },
      expected: true,
      reason: 'duplicate JSON keys are accepted; the last one wins, as in JSON.parse',
    },
  ]);
});
