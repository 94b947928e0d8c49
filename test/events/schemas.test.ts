import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES, jsonSchemaOf, schemaFileName } from '../../schemas/catalogue.js';
import { EXAMPLES } from '../../schemas/examples.js';
import { DetailSchemas, DetailType } from '../../shared/core/notifications.js';
import { schemaErrors } from '../support/tool-events.js';

const dir = join(import.meta.dirname, '../../schemas/events');

describe('the published event schemas', () => {
  it('cover every detail type the tool publishes, one file each, and nothing else', () => {
    expect(readdirSync(dir).sort()).toEqual(DETAIL_TYPES.map(schemaFileName).sort());
    expect([...DETAIL_TYPES].sort()).toEqual(Object.values(DetailType).sort());
  });

  it.each(DETAIL_TYPES)(
    '%s: the committed file is what the code generates (run `npm run schemas`)',
    (type) => {
      const committed: unknown = JSON.parse(readFileSync(join(dir, schemaFileName(type)), 'utf8'));
      expect(committed).toEqual(jsonSchemaOf(type));
    },
  );

  it.each(DETAIL_TYPES)(
    '%s: the example (docs/events.md) is valid against the file and the zod schema',
    (type) => {
      expect(schemaErrors(type, EXAMPLES[type])).toEqual([]);
      expect(DetailSchemas[type].safeParse(EXAMPLES[type]).success).toBe(true);
    },
  );

  it.each(DETAIL_TYPES)('%s: a detail with an unknown field, or without its eventId, is rejected', (type) => {
    expect(schemaErrors(type, { ...EXAMPLES[type], surprise: true })).toEqual([
      '/ must NOT have additional properties',
    ]);
    const { eventId: _eventId, ...withoutId } = EXAMPLES[type];
    expect(schemaErrors(type, withoutId)).toEqual(["/ must have required property 'eventId'"]);
  });

  it('rejects wrong values where the schema constrains them', () => {
    const completed = EXAMPLES[DetailType.DistributionCompleted];
    expect(schemaErrors(DetailType.DistributionCompleted, { ...completed, schemaVersion: 2 })).toEqual([
      '/schemaVersion must be equal to constant',
    ]);
    expect(
      schemaErrors(DetailType.DistributionCompleted, { ...completed, completedAt: 'yesterday' }),
    ).toEqual(expect.arrayContaining(['/completedAt must match format "date-time"']));
    expect(
      schemaErrors(DetailType.DistributionCompleted, {
        ...completed,
        regions: [{ region: 'eu-west-1', role: 'copy', status: 'arrived' }],
      }),
    ).toEqual(['/regions/0/status must be equal to one of the allowed values']);
    expect(schemaErrors('AMI Teleported', {})).toEqual(['no schema for detail type "AMI Teleported"']);
  });
});
