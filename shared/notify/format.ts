import { InvalidEventError } from '../core/errors.js';
import { DetailSchemas, DetailType, type DetailTypeName } from '../core/notifications.js';
import { accountCopiesCompleted, targetAccountsChanged } from './account-drafts.js';
import { chatMessage } from './chat.js';
import { type Draft, render, type Section } from './document.js';
import {
  actionsFailed,
  copyFailed,
  deprecated,
  deregistered,
  disabled,
  distributionCompleted,
  distributionStarted,
  reconcileReport,
} from './drafts.js';
import { type ToolEventEnvelope, validDetail } from './envelope.js';
import { LIMITS } from './limits.js';
import { pointersMoved, rollback } from './pointer-drafts.js';
import type { Notification } from './port.js';
import { clip } from './text.js';

export { parseToolEventEnvelope, type ToolEventEnvelope, ToolEventEnvelopeSchema } from './envelope.js';
export { LIMITS } from './limits.js';
export type { ChatNotification, Notification } from './port.js';
export { subjectOf, truncate } from './text.js';

/**
 * The tool's events, written for people: a subject and a plain-text body for email and SMS, and the
 * same facts as an Amazon Q Developer custom notification for Slack and Teams. Pure: no clock, no
 * I/O; what it reads is the event. This module is the entry point: it picks the draft for the
 * detail type and makes both messages from it; the pieces live beside it (envelope, drafts,
 * sections, document, chat, text, limits).
 */

/**
 * The notification for an event of the tool. Throws an `InvalidEventError` (terminal: no retry
 * can fix the event) when the detail type is not one the tool publishes or the detail does not
 * satisfy its schema.
 */
export function formatNotification(event: ToolEventEnvelope): Notification {
  const type = event['detail-type'];
  const { time } = event;
  switch (type) {
    case DetailType.CopyFailed:
      return finish(copyFailed(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.DistributionCompleted:
      return finish(distributionCompleted(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.AccountCopiesCompleted:
      return finish(accountCopiesCompleted(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.TargetAccountsChanged:
      return finish(targetAccountsChanged(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.DistributionStarted:
      return finish(distributionStarted(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.ActionsFailed:
      return finish(actionsFailed(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.Deprecated:
      return finish(deprecated(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.Disabled:
      return finish(disabled(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.Deregistered:
      return finish(deregistered(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.PointersMoved:
      return finish(pointersMoved(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.Rollback:
      return finish(rollback(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.ReconcileReport:
      return finish(reconcileReport(validDetail(type, DetailSchemas[type], event.detail), time), type);
    default:
      throw new InvalidEventError(
        `unknown detail type "${clip(type, 100)}": expected one of ${Object.values(DetailType).join(', ')}`,
      );
  }
}

/** The notification from a draft: its subject, the plain-text body (next steps last), the chat message. */
function finish(draft: Draft, eventType: DetailTypeName): Notification {
  const sections = draft.sections.filter((s): s is Section => s !== undefined);
  const steps: Section[] =
    draft.nextSteps === undefined
      ? []
      : [{ heading: 'Next steps', lines: draft.nextSteps.map((step) => [`- ${step}`]) }];
  return {
    subject: draft.subject,
    text: render([...sections, ...steps], 'text', LIMITS.textItems),
    chat: chatMessage(draft, sections, eventType),
  };
}
