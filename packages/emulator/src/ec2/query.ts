import { Ec2Error } from './errors.js';

/**
 * EC2 Query parameters as a tree. The wire form is flat (`Filter.1.Value.2=x`: lists are
 * 1-based and flattened, structures add `.Member`):
 * each dotted segment becomes a child, so `Filter.1.Value.2` is reached as
 * `root.child('Filter').child('1').child('Value').child('2')`. Lists are the children whose names
 * are positive integers, read in numeric order (the SDK numbers them from 1, but callers must not
 * rely on parameter order, so gaps and shuffles are tolerated).
 *
 * The tree distinguishes a parameter that is absent from one sent with an empty value
 * (`Tag.1.Value=`), which DeleteTags gives different meanings.
 */
export class QueryNode {
  /** The value sent for exactly this path, if any. */
  value: string | undefined;
  readonly children = new Map<string, QueryNode>();

  constructor(
    /** The dotted wire path of this node, used in error messages (`''` for the root). */
    readonly path: string,
  ) {}

  /** The child at `name` (may be a dotted path); an empty node when absent, so lookups chain safely. */
  child(name: string): QueryNode {
    let node: QueryNode | undefined = this;
    for (const segment of name.split('.')) {
      node = node?.children.get(segment);
      if (node === undefined) return new QueryNode(joinPath(this.path, name));
    }
    return node ?? new QueryNode(joinPath(this.path, name));
  }

  /** True when this path or anything below it was sent. */
  get present(): boolean {
    return this.value !== undefined || this.children.size > 0;
  }

  /** The string at `name`, or undefined when absent. */
  string(name: string): string | undefined {
    return this.child(name).value;
  }

  /** The string at `name`; `MissingParameter` when absent (an empty value counts as present). */
  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw Ec2Error.missingParameter(name);
    return value;
  }

  /** A boolean parameter: `true`/`false` (case-insensitive, as EC2 accepts); anything else is refused. */
  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw Ec2Error.invalidParameterValue(`Invalid value '${value}' for ${name}. Expected a boolean.`);
  }

  /** An integer parameter; `InvalidParameterValue` for anything that is not a whole number. */
  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value.trim())) {
      throw Ec2Error.invalidParameterValue(`Invalid value '${value}' for ${name}. Expected an integer.`);
    }
    return Number.parseInt(value, 10);
  }

  /** The numbered children of `name` (`Name.1`, `Name.2`, …) in numeric order. */
  items(name: string): QueryNode[] {
    const parent = this.child(name);
    return [...parent.children.entries()]
      .filter(([index]) => /^[1-9]\d*$/.test(index))
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, node]) => node);
  }

  /** The values of a flattened string list (`ImageId.1`, `ImageId.2`, …); items without a value are skipped. */
  strings(name: string): string[] {
    const values: string[] = [];
    for (const item of this.items(name)) if (item.value !== undefined) values.push(item.value);
    return values;
  }

  /** Every leaf as `path=value`, sorted: a canonical form of the request for idempotency fingerprints. */
  canonical(exclude: ReadonlySet<string> = new Set()): string {
    const lines: string[] = [];
    const walk = (node: QueryNode, path: string): void => {
      if (exclude.has(path)) return;
      if (node.value !== undefined) lines.push(`${path}=${node.value}`);
      for (const [name, child] of node.children) walk(child, joinPath(path, name));
    };
    walk(this, '');
    return lines.sort().join('&');
  }
}

function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}.${name}`;
}

/** Builds the tree from decoded `key=value` pairs. A later duplicate key overwrites an earlier one. */
export function buildQueryTree(pairs: Iterable<[string, string]>): QueryNode {
  const root = new QueryNode('');
  for (const [key, value] of pairs) {
    let node = root;
    for (const segment of key.split('.')) {
      let next = node.children.get(segment);
      if (next === undefined) {
        next = new QueryNode(joinPath(node.path, segment));
        node.children.set(segment, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
}

/**
 * Reads the parameters of one request: the query string (GET, or POST with parameters in the URL)
 * merged with a form-encoded POST body, the body winning. EC2 takes the same parameters by GET or
 * POST (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html).
 */
export function parseQueryRequest(url: string, body: string): QueryNode {
  const pairs = new Map<string, string>();
  const queryStart = url.indexOf('?');
  if (queryStart >= 0) {
    for (const [key, value] of new URLSearchParams(url.slice(queryStart + 1))) pairs.set(key, value);
  }
  if (body.length > 0) {
    for (const [key, value] of new URLSearchParams(body)) pairs.set(key, value);
  }
  return buildQueryTree(pairs);
}
