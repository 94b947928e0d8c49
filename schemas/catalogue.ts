import { z } from 'zod';
import {
  DetailSchemas,
  type DetailTypeName,
  EVENT_SOURCE,
  SCHEMA_VERSION,
} from '../shared/core/notifications.js';

/**
 * The published JSON Schemas of the tool's events, one file per detail type and version:
 * `schemas/events/<detail-type as a slug>.v<version>.json`, generated from the zod schemas in
 * shared/core/notifications.ts (the source of truth) by `npm run schemas`. A test fails when a
 * committed file differs from what the code would generate.
 */

export const SCHEMA_BASE_URI = 'https://github.com/ami-lifecycle/ami-lifecycle/blob/main/schemas/events/';

export function slug(detailType: string): string {
  return detailType.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function schemaFileName(detailType: string): string {
  return `${slug(detailType)}.v${SCHEMA_VERSION}.json`;
}

/** The JSON Schema (draft 2020-12) of one detail type's `detail`, as published. */
export function jsonSchemaOf(detailType: DetailTypeName): Record<string, unknown> {
  const generated = z.toJSONSchema(DetailSchemas[detailType], { target: 'draft-2020-12' });
  return {
    ...generated,
    $id: `${SCHEMA_BASE_URI}${schemaFileName(detailType)}`,
    title: `${detailType} (detail, version ${SCHEMA_VERSION})`,
    // The zod schema's own description says when the event is published; the file adds which event it is.
    description:
      `${DetailSchemas[detailType].description ?? ''} The detail of events with source "${EVENT_SOURCE}" and detail-type "${detailType}".`.trimStart(),
  };
}

/** The file's content: stable key order from the schema, two-space indentation, a final newline. */
export function renderSchema(detailType: DetailTypeName): string {
  return `${JSON.stringify(jsonSchemaOf(detailType), null, 2)}\n`;
}

export const DETAIL_TYPES = Object.keys(DetailSchemas) as DetailTypeName[];
