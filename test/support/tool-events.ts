import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { DETAIL_TYPES, schemaFileName } from '../../schemas/catalogue.js';
import { EVENT_SOURCE } from '../../shared/core/notifications.js';

/**
 * Validation of the tool's events against the COMMITTED JSON Schemas (schemas/events/), the files
 * consumers use, with a JSON Schema validator independent of the zod schemas they came from.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);

const validators = new Map<string, ValidateFunction>(
  DETAIL_TYPES.map((detailType) => [
    detailType,
    ajv.compile(
      JSON.parse(
        readFileSync(join(import.meta.dirname, '../../schemas/events', schemaFileName(detailType)), 'utf8'),
      ),
    ),
  ]),
);

/** The schema's complaints about a detail, or [] when it is valid; an unknown detail type is a complaint too. */
export function schemaErrors(detailType: string, detail: unknown): string[] {
  const validate = validators.get(detailType);
  if (validate === undefined) return [`no schema for detail type "${detailType}"`];
  if (validate(detail)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

interface EnvelopeLike {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: unknown;
}

/** Every event of the tool among these is valid against its schema; returns how many were checked. */
export function expectValidToolEvents(events: readonly EnvelopeLike[]): number {
  const own = events.filter((e) => e.source === EVENT_SOURCE);
  for (const event of own) {
    expect(
      schemaErrors(event['detail-type'], event.detail),
      `${event['detail-type']} ${JSON.stringify(event.detail)}`,
    ).toEqual([]);
  }
  return own.length;
}
