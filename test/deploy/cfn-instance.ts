/**
 * A hand-written CloudFormation template (long-form intrinsics, plain YAML) as one stack instance
 * would see it: the conditions decided for given parameters, account and region, and the
 * intrinsic functions the template uses evaluated, so tests read the policies and rules a
 * StackSet instance would actually create. Unknown functions throw: a template may not use what
 * this cannot evaluate and then pass unchecked.
 */

export type Value = unknown;

export interface InstanceContext {
  readonly parameters: Readonly<Record<string, string | readonly string[]>>;
  readonly accountId: string;
  readonly region: string;
  readonly partition?: string;
}

export interface CfnTemplate {
  readonly Parameters?: Record<string, { Type: string; Default?: string; AllowedPattern?: string }>;
  readonly Conditions?: Record<string, Value>;
  readonly Resources: Record<string, { Type: string; Condition?: string; Properties?: Value }>;
  readonly Outputs?: Record<string, { Condition?: string; Value: Value }>;
}

/** Marks a value `Ref: AWS::NoValue` removed. */
const NO_VALUE = Symbol('AWS::NoValue');

const isRecord = (v: Value): v is Record<string, Value> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Instance {
  /** The resources this instance creates, their properties evaluated. */
  readonly resources: Record<string, { Type: string; Properties: Value }>;
  condition(name: string): boolean;
}

export function instantiate(template: CfnTemplate, ctx: InstanceContext): Instance {
  const partition = ctx.partition ?? 'aws';
  const parameter = (name: string): string | readonly string[] => {
    const given = ctx.parameters[name];
    if (given !== undefined) return given;
    const declared = template.Parameters?.[name];
    if (declared?.Default === undefined) throw new Error(`parameter ${name} has no value and no default`);
    return declared.Type === 'CommaDelimitedList' ? declared.Default.split(',') : declared.Default;
  };
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ctx.accountId,
    'AWS::Region': ctx.region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const decided = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    const known = decided.get(name);
    if (known !== undefined) return known;
    const expression = template.Conditions?.[name];
    if (expression === undefined) throw new Error(`unknown condition ${name}`);
    const holds = evaluate(expression) === true;
    decided.set(name, holds);
    return holds;
  };

  function sub(text: string): string {
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const value = pseudo[name] ?? parameter(name);
      if (typeof value !== 'string') throw new Error(`\${${name}} in Fn::Sub is a list`);
      return value;
    });
  }

  function evaluate(value: Value): Value {
    if (Array.isArray(value)) return value.map(evaluate).filter((v) => v !== NO_VALUE);
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const [key] = keys;
    if (
      keys.length === 1 &&
      key !== undefined &&
      (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::'))
    ) {
      const arg = value[key];
      switch (key) {
        case 'Ref': {
          const name = String(arg);
          if (name === 'AWS::NoValue') return NO_VALUE;
          if (name in pseudo) return pseudo[name];
          if (template.Parameters?.[name] !== undefined) return parameter(name);
          if (template.Resources[name] !== undefined) return `${name}-physical-id`;
          throw new Error(`Ref to unknown ${name}`);
        }
        case 'Condition':
          return condition(String(arg));
        case 'Fn::Sub':
          return sub(String(arg));
        case 'Fn::Join': {
          const [separator, items] = arg as [string, Value];
          return (evaluate(items) as Value[]).map(String).join(separator);
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, Value];
          return String(evaluate(text)).split(separator);
        }
        case 'Fn::Equals': {
          const [a, b] = (arg as Value[]).map(evaluate);
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !(evaluate((arg as Value[])[0]) === true);
        case 'Fn::And':
          return (arg as Value[]).every((c) => evaluate(c) === true);
        case 'Fn::Or':
          return (arg as Value[]).some((c) => evaluate(c) === true);
        case 'Fn::If': {
          const [name, then, otherwise] = arg as [string, Value, Value];
          return evaluate(condition(name) ? then : otherwise);
        }
        case 'Fn::GetAtt': {
          const [resource, attribute] = arg as [string, string];
          if (template.Resources[resource] === undefined)
            throw new Error(`Fn::GetAtt of unknown ${resource}`);
          return `${resource}.${attribute}`;
        }
        default:
          throw new Error(`${key} is not evaluated here`);
      }
    }
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(value)) {
      const evaluated = evaluate(v);
      if (evaluated !== NO_VALUE) out[k] = evaluated;
    }
    return out;
  }

  const resources: Instance['resources'] = {};
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !condition(resource.Condition)) continue;
    resources[name] = { Type: resource.Type, Properties: evaluate(resource.Properties ?? {}) };
  }
  for (const output of Object.values(template.Outputs ?? {})) {
    if (output.Condition === undefined || condition(output.Condition)) evaluate(output.Value);
  }
  return { resources, condition };
}
