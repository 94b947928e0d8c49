import { z } from 'zod';
import { INPUT_LIMITS } from '../../shared/rules/input-limits.js';
import { EC2_LIMITS } from '../../shared/rules/limits.js';
import { RulesFileSchema, VALUE_KINDS } from '../../shared/rules/schema.js';
import { type Field, fieldsOf, hasFields, itemsOf, type JsonSchema, typeName } from './json-schema.js';
import { code, table } from './markdown.js';

/**
 * The reference part of docs/rules.md, from the rules schema itself: a table per object of the
 * file (the file, a rule, then each section of a rule), and the kinds of value they use. The
 * schema's descriptions are the text; its defaults and bounds are what zod enforces.
 */

/** The input side: what a rules file may leave out (defaults) is what its author needs to know. */
export function rulesJsonSchema(): JsonSchema {
  return z.toJSONSchema(RulesFileSchema, { io: 'input', target: 'draft-2020-12' });
}

function defaultOf(field: Field): string {
  if (field.required) return 'required';
  if (field.schema.default === undefined) return '—';
  return code(JSON.stringify(field.schema.default));
}

/** Where an object field's own fields are documented: its path, with `[]` for a list of objects. */
function innerPath(field: Field, parent: string): string | undefined {
  const isList = field.schema.type === 'array';
  return hasFields(isList ? itemsOf(field.schema) : field.schema)
    ? `${parent}${field.path}${isList ? '[]' : ''}`
    : undefined;
}

/** GitHub's anchor of a heading that is one code span: lower case, punctuation other than - and _ dropped. */
function anchor(path: string): string {
  return path.toLowerCase().replace(/[^a-z0-9 _-]/g, '');
}

function fieldRow(field: Field, parent: string): string[] {
  const inner = innerPath(field, parent);
  // An object's own fields have their own table below; the row says where.
  const below = inner === undefined ? '' : ` Fields: [${code(inner)}](#${anchor(inner)}).`;
  return [
    code(field.path),
    typeName(field.schema),
    defaultOf(field),
    `${field.schema.description ?? ''}${below}`,
  ];
}

/** One heading and table per object with fields, depth first: the file, `rules[]`, `rules[].match`, … */
function sections(schema: JsonSchema, path: string): string[] {
  const parent = path === '' ? '' : `${path}.`;
  const fields = fieldsOf(schema, false);
  const heading = path === '' ? '### The file' : `### ${code(path)}`;
  const intro = path === '' || schema.description === undefined ? [] : [schema.description];
  const nested = fields.flatMap((f) => {
    const inner = innerPath(f, parent);
    if (inner === undefined) return [];
    const isList = f.schema.type === 'array';
    // A list's items are described by the list's own field.
    const described = isList ? { ...itemsOf(f.schema), description: f.schema.description } : f.schema;
    return sections(described, inner);
  });
  const rows = fields.map((f) => fieldRow(f, parent));
  return [[heading, ...intro, table(['field', 'type', 'default', 'meaning'], rows)].join('\n\n'), ...nested];
}

/** The kinds of value the fields name in their type column, with what each accepts. */
function kinds(): string {
  const rows = VALUE_KINDS.map((kind) => {
    const { title, description } = z.toJSONSchema(kind, { io: 'input' });
    return [title ?? '', description ?? ''];
  });
  return table(['kind', 'what it accepts'], rows);
}

/** EC2's limits on what a rule makes it do, each with how it is checked and where AWS documents it. */
function limits(): string {
  const rows = Object.values(EC2_LIMITS).map((l) => [l.what, l.limit, l.check, `[AWS](${l.source})`]);
  return table(['limit', 'EC2 allows', 'checked on', 'source'], rows);
}

function inputLimits(): string {
  const { bytes, depth, aliases, values } = INPUT_LIMITS;
  return `${bytes / 1024 / 1024} MiB, ${depth} levels of nesting, ${aliases} aliases, ${values.toLocaleString('en-US')} values once aliases are expanded`;
}

export function rulesReference(): Readonly<Record<'fields' | 'kinds' | 'limits' | 'input-limits', string>> {
  const schema = rulesJsonSchema();
  return {
    fields: sections(schema, '').join('\n\n'),
    kinds: kinds(),
    limits: limits(),
    'input-limits': inputLimits(),
  };
}
