import { DETAIL_TYPES, jsonSchemaOf, schemaFileName, slug } from '../../schemas/catalogue.js';
import { EXAMPLE_RESOURCES, EXAMPLES } from '../../schemas/examples.js';
import { DetailSchemas, type DetailTypeName, EVENT_SOURCE } from '../../shared/core/notifications.js';
import { formatNotification, type ToolEventEnvelope } from '../../shared/notify/format.js';
import { fieldsOf, type JsonSchema, typeName } from './json-schema.js';
import { code, jsonBlock, table } from './markdown.js';

/**
 * The reference part of docs/events.md: per detail type, when it is published, its fields (from
 * the published JSON Schema), an example event (from schemas/examples.ts, which tests validate
 * against the schemas) and the message the notify function writes from it.
 */

/** The example's whole EventBridge event, as a rule on the tool's bus receives it. */
export function exampleEvent(type: DetailTypeName): ToolEventEnvelope & Record<string, unknown> {
  const detail = EXAMPLES[type];
  return {
    version: '0',
    id: '6a7e8f90-1b2c-3d4e-5f60-718293a4b5c6',
    'detail-type': type,
    source: EVENT_SOURCE,
    account: '111122223333',
    time: '2026-11-26T10:42:18Z',
    // The bus of the family's source region (or, for a report, of the region reconciled; for a
    // rule's targets, of its first source region).
    region: 'sourceRegion' in detail ? detail.sourceRegion : 'region' in detail ? detail.region : 'us-east-1',
    resources: [...EXAMPLE_RESOURCES[type]],
    detail,
  };
}

function fieldTable(schema: JsonSchema): string {
  const rows = fieldsOf(schema, true).map((f) => [
    code(f.path),
    typeName(f.schema),
    f.required ? 'yes' : 'no',
    f.schema.description ?? '',
  ]);
  return table(['field', 'type', 'required', 'meaning'], rows);
}

function section(type: DetailTypeName): string {
  const file = schemaFileName(type);
  const message = formatNotification(exampleEvent(type));
  return [
    `### ${type}`,
    DetailSchemas[type].description ?? '',
    `Schema: [${code(`schemas/events/${file}`)}](../schemas/events/${file})`,
    fieldTable(jsonSchemaOf(type)),
    `<details><summary>Example event</summary>\n\n${jsonBlock(exampleEvent(type))}\n\n</details>`,
    `<details><summary>The message <code>notify</code> writes from it</summary>\n\n` +
      `\`\`\`text\nSubject: ${message.subject}\n\n${message.text}\n\`\`\`\n\n</details>`,
  ].join('\n\n');
}

export function eventsReference(): { readonly catalogue: string; readonly details: string } {
  const rows = DETAIL_TYPES.map((type) => [
    `[${code(type)}](#${slug(type)})`,
    DetailSchemas[type].description ?? '',
  ]);
  return {
    catalogue: table(['detail-type', 'published when'], rows),
    details: DETAIL_TYPES.map(section).join('\n\n'),
  };
}
