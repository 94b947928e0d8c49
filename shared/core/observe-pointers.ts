import { parameterNamesIn, ruleStateName, templateLabel, templatesIn } from '../rules/publish.js';
import type { Rule } from '../rules/schema.js';
import { type ObservedPointers, type ObservedTemplate, parseRuleState } from './pointers-model.js';
import type { Ec2Reader, SsmPort } from './ports.js';

/**
 * Reads one rule's pointers in one region, read-only and in bulk: one GetParameters for the rule
 * state and the managed parameters together (10 names a call), and one DescribeLaunchTemplateVersions
 * per named template (its `$Default` and `$Latest` together). Nothing else: the planner compares.
 */
export async function observePointers(
  rule: Rule,
  region: string,
  ssm: SsmPort,
  ec2: Ec2Reader,
): Promise<ObservedPointers> {
  const stateName = ruleStateName(rule.name);
  const names = parameterNamesIn(rule, region);
  const [found, templates] = await Promise.all([
    ssm.getParameters([stateName, ...names]),
    Promise.all(
      templatesIn(rule, region).map(
        async (t) =>
          [
            templateLabel(t),
            await ec2.describeLaunchTemplate(t.id === undefined ? { name: t.name } : { id: t.id }),
          ] as [string, ObservedTemplate | undefined],
      ),
    ),
  ]);
  const state = found.get(stateName);
  found.delete(stateName);
  return {
    rule: rule.name,
    region,
    ...(state === undefined ? {} : { state: parseRuleState(stateName, state.value) }),
    parameters: found,
    templates: new Map(templates),
  };
}
