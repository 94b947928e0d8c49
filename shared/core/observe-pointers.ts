import { parameterNamesIn, ruleStateName, templateLabel, templatesIn } from '../rules/publish.js';
import type { Rule } from '../rules/schema.js';
import { InvariantError } from './errors.js';
import { type ObservedPointers, type ObservedTemplate, parseRuleState } from './pointers-model.js';
import type { Ec2Reader, SsmPort } from './ports.js';

/**
 * Reads rules' pointers in one region, read-only and in bulk: one GetParameters for every rule's
 * state and managed parameters together (10 names a call), and one DescribeLaunchTemplateVersions
 * per named template (its `$Default` and `$Latest` together). Nothing else: the planner compares.
 */
export async function observePointersOf(
  rules: readonly Rule[],
  region: string,
  ssm: SsmPort,
  ec2: Ec2Reader,
): Promise<Map<string, ObservedPointers>> {
  const names = rules.flatMap((rule) => [ruleStateName(rule.name), ...parameterNamesIn(rule, region)]);
  const [found, templates] = await Promise.all([
    names.length === 0 ? Promise.resolve(new Map()) : ssm.getParameters([...new Set(names)]),
    Promise.all(
      rules.map(async (rule) => {
        const read = templatesIn(rule, region).map(
          async (t): Promise<[string, ObservedTemplate | undefined]> => [
            templateLabel(t),
            await ec2.describeLaunchTemplate(t.id === undefined ? { name: t.name } : { id: t.id }),
          ],
        );
        return new Map(await Promise.all(read));
      }),
    ),
  ]);
  const observed = new Map<string, ObservedPointers>();
  rules.forEach((rule, i) => {
    const stateName = ruleStateName(rule.name);
    const state = found.get(stateName);
    observed.set(rule.name, {
      rule: rule.name,
      region,
      ...(state === undefined ? {} : { state: parseRuleState(stateName, state.value) }),
      parameters: new Map(
        parameterNamesIn(rule, region).flatMap((name) => {
          const parameter = found.get(name);
          return parameter === undefined ? [] : [[name, parameter] as const];
        }),
      ),
      templates: templates[i] ?? new Map(),
    });
  });
  return observed;
}

/** One rule's pointers in one region (the event path's read). */
export async function observePointers(
  rule: Rule,
  region: string,
  ssm: SsmPort,
  ec2: Ec2Reader,
): Promise<ObservedPointers> {
  const observed = (await observePointersOf([rule], region, ssm, ec2)).get(rule.name);
  if (observed === undefined) throw new InvariantError(`no pointers observed for rule ${rule.name}`);
  return observed;
}
