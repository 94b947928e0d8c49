import { Ec2Error } from './errors.js';
import type { LaunchTemplateStruct, LaunchTemplateValue } from './launch-template-model.js';
import type { QueryNode } from './query.js';
import type { XmlObject, XmlValue } from './xml.js';

/**
 * `LaunchTemplateData` of CreateLaunchTemplate(Version): read from the query tree as sent, merged
 * with a source version, and rendered as `ResponseLaunchTemplateData`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RequestLaunchTemplateData.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ResponseLaunchTemplateData.html).
 */

/** Request member names are PascalCase; anything else is not a launch parameter. */
const MEMBER_NAME = /^[A-Z][A-Za-z0-9]*$/;

/**
 * The tree under `node`: a node whose children are all list indexes is a list, one with other
 * children a structure, one without children a value.
 */
function readValue(node: QueryNode): LaunchTemplateValue {
  const children = [...node.children.entries()];
  if (children.length === 0) return node.value ?? '';
  if (children.every(([name]) => /^[1-9]\d*$/.test(name))) {
    return children.sort(([a], [b]) => Number(a) - Number(b)).map(([, child]) => readValue(child));
  }
  const struct: LaunchTemplateStruct = {};
  for (const [name, child] of children) {
    if (!MEMBER_NAME.test(name)) {
      throw new Ec2Error('UnknownParameter', `The parameter ${child.path} is not recognized`);
    }
    struct[name] = readValue(child);
  }
  return struct;
}

/** `LaunchTemplateData.*` of the request; `{}` when none was sent (the SDK sends nothing for `{}`). */
export function readLaunchTemplateData(params: QueryNode): LaunchTemplateStruct {
  const node = params.child('LaunchTemplateData');
  if (!node.present) return {};
  const value = readValue(node);
  if (typeof value === 'string' || Array.isArray(value)) {
    throw Ec2Error.invalidParameterValue('LaunchTemplateData must be a structure of launch parameters.');
  }
  return value;
}

function isStruct(value: LaunchTemplateValue | undefined): value is LaunchTemplateStruct {
  return typeof value === 'object' && !Array.isArray(value);
}

/**
 * A block device mapping inherited from a source version, without its snapshot: "Snapshots
 * applied to the block device mapping are ignored when creating a new version unless they are
 * explicitly included" (CreateLaunchTemplateVersion, `SourceVersion`).
 */
function withoutSnapshot(mapping: LaunchTemplateValue): LaunchTemplateValue {
  if (!isStruct(mapping) || !isStruct(mapping.Ebs) || mapping.Ebs.SnapshotId === undefined) return mapping;
  const { SnapshotId: _dropped, ...ebs } = mapping.Ebs;
  return { ...mapping, Ebs: ebs };
}

/**
 * CreateLaunchTemplateVersion with `SourceVersion`: the new version inherits the source's launch
 * parameters, and each parameter given for the new version overwrites the inherited one. The
 * documentation does not say how deep the overwrite goes [unverified]; this emulator replaces
 * whole top-level parameters (a given `MetadataOptions` or `BlockDeviceMapping` list replaces the
 * source's entirely).
 */
export function mergeLaunchTemplateData(
  source: LaunchTemplateStruct,
  given: LaunchTemplateStruct,
): LaunchTemplateStruct {
  const merged: LaunchTemplateStruct = structuredClone(source);
  const mappings = merged.BlockDeviceMapping;
  if (Array.isArray(mappings)) merged.BlockDeviceMapping = mappings.map(withoutSnapshot);
  for (const [name, value] of Object.entries(given)) merged[name] = structuredClone(value);
  return merged;
}

/**
 * Response element names of the lists whose request name differs by more than `Set`
 * (`SecurityGroupId.N` is `securityGroupIdSet` at the top, but `groupSet` in a network interface).
 */
const TOP_LEVEL_LISTS: Readonly<Record<string, string>> = { LicenseSpecification: 'licenseSet' };
const NESTED_LISTS: Readonly<Record<string, string>> = {
  Tag: 'tagSet',
  SecurityGroupId: 'groupSet',
};

function elementName(member: string, isList: boolean, topLevel: boolean): string {
  const lower = `${member.charAt(0).toLowerCase()}${member.slice(1)}`;
  if (!isList) return lower;
  const renamed = topLevel ? TOP_LEVEL_LISTS[member] : NESTED_LISTS[member];
  return renamed ?? `${lower}Set`;
}

function valueXml(value: LaunchTemplateValue): XmlValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(valueXml);
  return structXml(value, false);
}

function structXml(struct: LaunchTemplateStruct, topLevel: boolean): XmlObject {
  const out: XmlObject = {};
  for (const [member, value] of Object.entries(struct)) {
    out[elementName(member, Array.isArray(value), topLevel)] = valueXml(value);
  }
  return out;
}

/**
 * The data as `launchTemplateData`: members in lower camel case, lists as `<name>Set` of `<item>`s
 * (`BlockDeviceMapping.N` becomes `blockDeviceMappingSet`, `TagSpecification.N.Tag.N`
 * `tagSpecificationSet/item/tagSet`), the renamings of the EC2 model where they differ.
 */
export function launchTemplateDataXml(data: LaunchTemplateStruct): XmlObject {
  return structXml(data, true);
}

/** The value at a member path (`['MetadataOptions', 'HttpTokens']`), for filters. */
export function dataValue(data: LaunchTemplateStruct, path: readonly string[]): string | undefined {
  let value: LaunchTemplateValue | undefined = data;
  for (const member of path) value = isStruct(value) ? value[member] : undefined;
  return typeof value === 'string' ? value : undefined;
}
