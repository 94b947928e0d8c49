/**
 * What the notify function sends, and the port it sends it through. Kept here rather than in
 * shared/core/ports.ts: only the notify function and its adapter use them.
 */

/**
 * A custom notification of Amazon Q Developer in chat applications (formerly AWS Chatbot). Its
 * schema is fixed by the service: `version` and `source` must be exactly these values, and a
 * message that does not match is not rendered in the channel.
 */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  /** The detail's stable `eventId`: the same for every re-send of the event. */
  readonly id?: string;
  readonly content: {
    /** The only type the service supports: rendered in the chat platform's own markdown. */
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords?: readonly string[];
  };
  readonly metadata: {
    /** The source image id: every message about one release lands in one thread. */
    readonly threadId: string;
    readonly summary: string;
    /** The detail type of the event. */
    readonly eventType: string;
    /** Image ARNs. */
    readonly relatedResources: readonly string[];
    readonly additionalContext?: Readonly<Record<string, string>>;
  };
}

/** One event, written for people: a plain-text message (email, SMS) and its chat form. */
export interface Notification {
  /** SNS's rule: fewer than 100 characters, no line breaks or control characters. */
  readonly subject: string;
  /** The plain-text body; well below SNS's 256 KB. */
  readonly text: string;
  readonly chat: ChatNotification;
}

export interface Notifier {
  /** Delivers the notification to every channel, or throws an `AwsCallError` saying whether a retry can help. */
  send(notification: Notification): Promise<void>;
}
