import { SsmError } from './errors.js';

/**
 * Reads the members of one JSON request body, checked against the SSM API model's shapes
 * (types, lengths, ranges, list sizes, enums) before any action looks at them, as AWS validates a
 * request before the service sees it. A member of the wrong JSON type is a
 * `SerializationException`; a constraint broken is a `ValidationException` worded as AWS words them.
 */
export class Input {
  constructor(private readonly members: Record<string, unknown>) {}

  private raw(name: string): unknown {
    const value = this.members[name];
    return value === null ? undefined : value;
  }

  string(name: string, limits: { min?: number; max?: number } = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw SsmError.serialization(`${name} must be a string`);
    checkLength(name, value, value.length, limits);
    return value;
  }

  requiredString(name: string, limits: { min?: number; max?: number } = {}): string {
    const value = this.string(name, limits);
    if (value === undefined) throw SsmError.constraint(name, null, 'Member must not be null');
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw SsmError.serialization(`${name} must be a boolean`);
    return value;
  }

  integer(name: string, limits: { min?: number; max?: number } = {}): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw SsmError.serialization(`${name} must be an integer`);
    if (limits.min !== undefined && value < limits.min)
      throw SsmError.constraint(name, value, `Member must have value greater than or equal to ${limits.min}`);
    if (limits.max !== undefined && value > limits.max)
      throw SsmError.constraint(name, value, `Member must have value less than or equal to ${limits.max}`);
    return value;
  }

  enumValue<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value))
      throw SsmError.constraint(name, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    return value as T;
  }

  /** A list of strings, each within `item` limits, the list within `min`/`max` members. */
  stringList(
    name: string,
    limits: { min?: number; max?: number; item?: { min?: number; max?: number } } = {},
  ): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
      throw SsmError.serialization(`${name} must be a list of strings`);
    const items = value as string[];
    checkLength(name, `[${items.join(', ')}]`, items.length, limits);
    for (const item of items) checkLength(name, item, item.length, limits.item ?? {});
    return items;
  }

  /** `Names` of GetParameters and DeleteParameters: 1 to 10 names of up to 2048 characters. */
  requiredNames(): string[] {
    const names = this.stringList('Names', { min: 1, max: 10, item: { min: 1, max: 2048 } });
    if (names === undefined) throw SsmError.constraint('Names', null, 'Member must not be null');
    return names;
  }

  /** A list of JSON objects, each read with its own `Input`. */
  objectList(name: string, limits: { max?: number } = {}): Input[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => !isRecord(item)))
      throw SsmError.serialization(`${name} must be a list of objects`);
    const items = value as Record<string, unknown>[];
    checkLength(name, `[${items.length} items]`, items.length, limits);
    return items.map((item) => new Input(item));
  }
}

function checkLength(name: string, shown: string, length: number, limits: { min?: number; max?: number }) {
  if (limits.min !== undefined && length < limits.min)
    throw SsmError.constraint(name, shown, `Member must have length greater than or equal to ${limits.min}`);
  if (limits.max !== undefined && length > limits.max)
    throw SsmError.constraint(name, shown, `Member must have length less than or equal to ${limits.max}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A tag as SSM takes it; keys and values limited to letters, digits, white space and `_.:/=+-@`. */
export interface Tag {
  Key: string;
  Value: string;
}

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** `Tags` of PutParameter and AddTagsToResource: Key 1–128 and Value 0–256 characters (the `Tag` shape). */
export function readTags(input: Input, name: string): Tag[] | undefined {
  const items = input.objectList(name, { max: 1000 });
  if (items === undefined) return undefined;
  return items.map((item, index) => {
    const key = item.requiredString('Key', { min: 1, max: 128 });
    const value = item.requiredString('Value', { max: 256 });
    checkTagText(`${name}.${index + 1}.member.key`, key);
    checkTagText(`${name}.${index + 1}.member.value`, value);
    return { Key: key, Value: value };
  });
}

/** Tag keys and values (and the keys RemoveTagsFromResource names) share one pattern. */
export function checkTagText(member: string, text: string): void {
  if (!TAG_TEXT.test(text))
    throw SsmError.constraint(
      member,
      text,
      'Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$',
    );
}
