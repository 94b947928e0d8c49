import type { Tag } from './input.js';
import { nameKey, parameterArn } from './names.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export const PARAMETER_TYPES: readonly ParameterType[] = ['String', 'StringList', 'SecureString'];
export type ParameterTier = 'Standard' | 'Advanced' | 'Intelligent-Tiering';
export const PARAMETER_TIERS: readonly ParameterTier[] = ['Standard', 'Advanced', 'Intelligent-Tiering'];
/** The data types emulated: plain text, and AMI ids checked against the caller's images. */
export type DataType = 'text' | 'aws:ec2:image';
export const EC2_IMAGE: DataType = 'aws:ec2:image';

/** One version of a parameter: every version keeps its own value, type and metadata. */
export interface VersionRecord {
  version: number;
  value: string;
  type: ParameterType;
  dataType: DataType;
  /** The tier a version was stored in: `Standard` or `Advanced` (Intelligent-Tiering resolves to one). */
  tier: 'Standard' | 'Advanced';
  description?: string;
  allowedPattern?: string;
  keyId?: string;
  labels: string[];
  lastModifiedDate: Date;
  lastModifiedUser: string;
}

export interface ParameterRecord {
  /** The name as first created (`/a/b`, or `MyParameter` / `/MyParameter` as the creator wrote it). */
  name: string;
  /** Versions oldest first; Parameter Store keeps the 100 most recent. */
  versions: VersionRecord[];
  tags: Map<string, string>;
}

/** A change of an `aws:ec2:image` parameter that is not visible until its value has been validated. */
export interface PendingChange {
  name: string;
  record: VersionRecord;
  /** Tags given with a create, applied if the validation passes. */
  tags: readonly Tag[];
  timer?: ReturnType<typeof setTimeout>;
}

/** The parameters of one account in one region. */
export class RegionStore {
  readonly parameters = new Map<string, ParameterRecord>();
  readonly pending = new Map<string, PendingChange>();

  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {}

  get(name: string): ParameterRecord | undefined {
    return this.parameters.get(nameKey(name));
  }

  arnOf(name: string): string {
    return parameterArn(this.region, this.accountId, name);
  }

  /** Parameters in name order (the order every listing here uses; see the README). */
  sorted(): ParameterRecord[] {
    return [...this.parameters.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

export function latest(record: ParameterRecord): VersionRecord {
  const last = record.versions.at(-1);
  if (last === undefined) throw new Error(`ssm emulator: ${record.name} has no version`);
  return last;
}

/** What tests and the stack read: the latest visible version of a parameter. */
export interface ParameterView {
  name: string;
  arn: string;
  value: string;
  type: ParameterType;
  dataType: DataType;
  version: number;
  tier: 'Standard' | 'Advanced';
  description?: string;
  labels: Record<number, string[]>;
  tags: Record<string, string>;
  lastModifiedDate: string;
}

export function toView(store: RegionStore, record: ParameterRecord): ParameterView {
  const last = latest(record);
  return structuredClone({
    name: record.name,
    arn: store.arnOf(record.name),
    value: last.value,
    type: last.type,
    dataType: last.dataType,
    version: last.version,
    tier: last.tier,
    ...(last.description !== undefined ? { description: last.description } : {}),
    labels: Object.fromEntries(
      record.versions.filter((v) => v.labels.length > 0).map((v) => [v.version, [...v.labels]]),
    ),
    tags: Object.fromEntries(record.tags),
    lastModifiedDate: last.lastModifiedDate.toISOString(),
  });
}
