import { ruleStateName } from '../rules/publish.js';
import type {
  LabelParameterAction,
  PutParameterAction,
  PutRuleStateAction,
  TemplateVersionAction,
} from './actions.js';
import { InvariantError } from './errors.js';
import type { Ec2Port, SsmPort } from './ports.js';

/**
 * The pointers' actions as AWS calls (see `execute.ts`): each safe to repeat. A parameter is set,
 * not toggled; a template version carries a deterministic client token, so a repeat answers the
 * version made the first time; the rule state is written whole.
 */

/** The tool's tags on the parameters it creates: who manages them, and for which rule. */
export function parameterTags(rule: string): Record<string, string> {
  return { 'ami-lifecycle:rule': rule, 'ami-lifecycle:managed': 'true' };
}

export type PointerAction =
  | PutParameterAction
  | LabelParameterAction
  | TemplateVersionAction
  | PutRuleStateAction;

export type PointerResult =
  | { readonly kind: 'put-parameter'; readonly version: number }
  | { readonly kind: 'template-version'; readonly version: number };

export async function executePointer(
  action: PointerAction,
  ec2: Ec2Port,
  ssm: SsmPort | undefined,
): Promise<PointerResult | undefined> {
  switch (action.kind) {
    case 'put-parameter': {
      const version = await needs(ssm, action).putParameter(
        {
          name: action.name,
          value: action.imageId,
          dataType: 'aws:ec2:image',
          description: `ami-lifecycle rule ${action.rule}: release ${action.release.sourceImageId} (${action.release.sourceRegion})`,
          tags: parameterTags(action.rule),
        },
        action.exists,
      );
      return { kind: 'put-parameter', version };
    }
    case 'label-parameter':
      await needs(ssm, action).labelParameterVersion(action.name, action.version, [action.label]);
      return undefined;
    case 'put-rule-state':
      await needs(ssm, action).putParameter(
        {
          name: ruleStateName(action.rule),
          value: JSON.stringify(action.state),
          dataType: 'text',
          description: `ami-lifecycle rule ${action.rule}: the release its pointers name here, and its rollback pin`,
          tags: parameterTags(action.rule),
        },
        action.exists,
      );
      return undefined;
    case 'template-version': {
      const version =
        action.version ??
        (await ec2.createLaunchTemplateVersion({
          templateId: action.templateId,
          sourceVersion: action.sourceVersion,
          imageId: action.imageId,
          description:
            `ami-lifecycle ${action.rule}: ${action.release.sourceImageId} (${action.release.sourceRegion})`.slice(
              0,
              255,
            ),
          clientToken: action.clientToken,
        }));
      if (action.makeDefault) await ec2.setDefaultLaunchTemplateVersion(action.templateId, version);
      return { kind: 'template-version', version };
    }
  }
}

function needs(ssm: SsmPort | undefined, action: PointerAction): SsmPort {
  if (ssm === undefined) {
    throw new InvariantError(`${action.id} needs SSM, and the applier was given no SSM port`);
  }
  return ssm;
}
