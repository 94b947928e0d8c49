import type { DetailTypeName } from '../core/notifications.js';
import { type Draft, render, type Section } from './document.js';
import { LIMITS } from './limits.js';
import type { ChatNotification } from './port.js';

/**
 * The chat message: a draft as an Amazon Q Developer custom notification for Slack and Teams. The
 * service fixes its shape; the markdown body is shorter than the plain-text one (lists capped at
 * `LIMITS.chatItems`), and the next steps go in their own field rather than in the body.
 */
export function chatMessage(
  draft: Draft,
  sections: readonly Section[],
  eventType: DetailTypeName,
): ChatNotification {
  return {
    version: '1.0',
    source: 'custom',
    id: draft.eventId,
    content: {
      textType: 'client-markdown',
      title: draft.subject,
      description: render(sections, 'markdown', LIMITS.chatItems),
      ...(draft.nextSteps === undefined ? {} : { nextSteps: draft.nextSteps }),
      keywords: [...new Set(draft.keywords)],
    },
    metadata: {
      threadId: draft.threadId,
      summary: draft.subject,
      eventType,
      relatedResources: [...new Set(draft.resources)].slice(0, LIMITS.relatedResources),
      additionalContext: draft.context,
    },
  };
}
