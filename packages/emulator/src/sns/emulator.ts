/**
 * A local SNS that records: the Query protocol the SDK speaks (form-encoded `Action=…&Version=
 * 2010-03-31`, XML answers in the `http://sns.amazonaws.com/doc/2010-03-31/` namespace) for
 * CreateTopic, ListTopics, GetTopicAttributes, DeleteTopic and Publish.
 *
 * Nothing is delivered anywhere: every accepted Publish is kept (topic, subject, message, attributes,
 * time) and handed to listeners, standing in for the email and chat subscribers of a real topic.
 * Publish is validated as SNS validates it, so a message the recorder accepts is one SNS would
 * accept: Subject non-empty, under 100 characters, no line breaks or control characters; Message
 * non-empty and at most 262,144 bytes with its attributes; `MessageStructure=json` needing a JSON
 * object with a string `default`; `NotFound` for a topic that does not exist.
 *
 * Topics live per region (the SigV4 scope's; `defaultRegion` when unsigned) in one account.
 */
import { randomUUID } from 'node:crypto';
import { credentialScope, type EmulatedRequest, type EmulatedService } from '../http.js';
import { escapeXml, messageAttributesBytes } from '../wire.js';

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64, as the query protocol carries blobs. */
  BinaryValue?: string;
}

/** One accepted Publish, as the recorder keeps it. */
export interface PublishedMessage {
  messageId: string;
  region: string;
  topicArn: string;
  topicName: string;
  subject: string | undefined;
  /** The Message parameter as sent (a JSON document when `messageStructure` is `json`). */
  message: string;
  messageStructure: 'json' | undefined;
  messageAttributes: Record<string, SnsMessageAttribute>;
  /** ISO 8601. */
  time: string;
}

export interface TopicInfo {
  region: string;
  name: string;
  arn: string;
  attributes: Record<string, string>;
}

export type PublishListener = (message: PublishedMessage) => void;

export interface SnsEmulatorOptions {
  accountId?: string;
  /** The region of unsigned requests; default `us-east-1`. */
  defaultRegion?: string;
  now?: () => Date;
  newRequestId?: () => string;
}

export interface SnsEmulator {
  readonly service: EmulatedService;
  readonly accountId: string;
  /** Creates a topic, or returns it when it exists with the same attributes (as CreateTopic). */
  createTopic(region: string, name: string, attributes?: Record<string, string>): TopicInfo;
  /** The topic with this ARN, if it exists. */
  getTopic(arn: string): TopicInfo | undefined;
  listTopics(region: string): TopicInfo[];
  /** Every accepted Publish in order, optionally only those to one topic (by ARN or by name). */
  published(topic?: string): PublishedMessage[];
  /** Calls `listener` after each accepted Publish; returns the unsubscribe function. */
  onPublish(listener: PublishListener): () => void;
  /** Requests served per action, failed ones included: `{ Publish: 3 }`. */
  calls(): Readonly<Record<string, number>>;
}

/** What a subscriber of `protocol` receives (`email`, `sqs`, `https`, …): the per-protocol body of a JSON structure, else the message. */
export function bodyFor(message: PublishedMessage, protocol: string): string {
  if (message.messageStructure !== 'json') return message.message;
  const parsed: unknown = JSON.parse(message.message);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return message.message;
  const own: unknown = Reflect.get(parsed, protocol);
  const fallback: unknown = Reflect.get(parsed, 'default');
  return typeof own === 'string' ? own : typeof fallback === 'string' ? fallback : message.message;
}

class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  static invalidParameter(message: string): SnsError {
    return new SnsError('InvalidParameter', message);
  }

  static invalidValue(message: string): SnsError {
    return new SnsError('ParameterValueInvalid', message);
  }

  static notFound(message: string): SnsError {
    return new SnsError('NotFound', message, 404);
  }
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const TOPIC_ARN = /^arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)$/;
const MAX_MESSAGE_BYTES = 262_144;
const MAX_SUBJECT_LENGTH = 99;
const MESSAGE_ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/** The request's parameters: the query string merged with a form-encoded body, the body winning. */
function parameters(request: EmulatedRequest): Map<string, string> {
  const out = new Map<string, string>();
  const queryStart = request.url.indexOf('?');
  if (queryStart >= 0)
    for (const [k, v] of new URLSearchParams(request.url.slice(queryStart + 1))) out.set(k, v);
  for (const [k, v] of new URLSearchParams(request.body)) out.set(k, v);
  return out;
}

/** `Prefix.entry.N.<key>` / `Prefix.entry.N.<value>` pairs (Attributes, MessageAttributes). */
function entries(params: Map<string, string>, prefix: string): Array<Map<string, string>> {
  const byIndex = new Map<number, Map<string, string>>();
  for (const [key, value] of params) {
    const match = new RegExp(`^${prefix.replace('.', '\\.')}\\.entry\\.(\\d+)\\.(.+)$`).exec(key);
    if (match === null) continue;
    const index = Number(match[1]);
    let entry = byIndex.get(index);
    if (entry === undefined) {
      entry = new Map();
      byIndex.set(index, entry);
    }
    entry.set(match[2] ?? '', value);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
}

function messageAttributes(params: Map<string, string>): Record<string, SnsMessageAttribute> {
  const list = entries(params, 'MessageAttributes');
  if (list.length > 10)
    throw SnsError.invalidValue(
      `Number of message attributes [${list.length}] exceeds the allowed maximum [10].`,
    );
  const out: Record<string, SnsMessageAttribute> = {};
  for (const entry of list) {
    const name = entry.get('Name') ?? '';
    if (
      !MESSAGE_ATTRIBUTE_NAME.test(name) ||
      name.includes('..') ||
      name.startsWith('.') ||
      name.endsWith('.')
    )
      throw SnsError.invalidValue(`The message attribute name '${name}' is invalid.`);
    const dataType = entry.get('Value.DataType');
    if (dataType === undefined || dataType === '')
      throw SnsError.invalidValue(
        `The message attribute '${name}' must contain non-empty message attribute type.`,
      );
    const base = /^(String\.Array|String|Number|Binary)(\..+)?$/.exec(dataType)?.[1];
    if (base === undefined)
      throw SnsError.invalidValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    if (base === 'Binary') {
      const value = entry.get('Value.BinaryValue');
      if (value === undefined || value === '')
        throw SnsError.invalidValue(
          `The message attribute '${name}' must contain non-empty message attribute value.`,
        );
      out[name] = { DataType: dataType, BinaryValue: value };
      continue;
    }
    const value = entry.get('Value.StringValue');
    if (value === undefined || value === '')
      throw SnsError.invalidValue(
        `The message attribute '${name}' must contain non-empty message attribute value.`,
      );
    if (base === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value))
      throw SnsError.invalidValue(`Could not cast message attribute '${name}' value to number.`);
    if (base === 'String.Array') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed))
        throw SnsError.invalidValue(
          `The message attribute '${name}' with type 'String.Array' must be a JSON array.`,
        );
    }
    out[name] = { DataType: dataType, StringValue: value };
  }
  return out;
}

/** SNS's Subject rule: 1 to 99 characters, no line breaks or control characters, not starting with a space. */
function checkSubject(subject: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what SNS refuses
  const control = /[\u0000-\u001f\u007f]/;
  if (subject === '' || subject.length > MAX_SUBJECT_LENGTH || control.test(subject) || /^\s/.test(subject))
    throw SnsError.invalidParameter('Invalid parameter: Subject');
}

interface Topic {
  region: string;
  name: string;
  arn: string;
  attributes: Record<string, string>;
}

const SETTABLE_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'DataProtectionPolicy',
  'ArchivePolicy',
]);

export function createSnsEmulator(options: SnsEmulatorOptions = {}): SnsEmulator {
  const accountId = options.accountId ?? '123456789012';
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const now = options.now ?? (() => new Date());
  const newRequestId = options.newRequestId ?? randomUUID;
  const topics = new Map<string, Topic>();
  const recorded: PublishedMessage[] = [];
  const listeners = new Set<PublishListener>();
  const counts: Record<string, number> = {};

  const info = (topic: Topic): TopicInfo => ({
    region: topic.region,
    name: topic.name,
    arn: topic.arn,
    attributes: {
      TopicArn: topic.arn,
      Owner: accountId,
      SubscriptionsConfirmed: '0',
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      DisplayName: '',
      ...topic.attributes,
    },
  });

  function createTopic(region: string, name: string, attributes: Record<string, string>): Topic {
    if (name.endsWith('.fifo'))
      throw SnsError.invalidParameter('Invalid parameter: FIFO topics are not emulated locally');
    if (!TOPIC_NAME.test(name)) throw SnsError.invalidParameter('Invalid parameter: Topic Name');
    for (const key of Object.keys(attributes))
      if (!SETTABLE_ATTRIBUTES.has(key))
        throw SnsError.invalidParameter(`Invalid parameter: AttributeName ${key}`);
    const arn = `arn:aws:sns:${region}:${accountId}:${name}`;
    const existing = topics.get(arn);
    if (existing !== undefined) {
      if (Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value))
        throw SnsError.invalidParameter(
          'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
        );
      return existing;
    }
    const topic: Topic = { region, name, arn, attributes: { ...attributes } };
    topics.set(arn, topic);
    return topic;
  }

  function topicOf(arn: string | undefined, parameter: string): Topic {
    if (arn === undefined || arn === '')
      throw SnsError.invalidParameter(
        `Invalid parameter: ${parameter} Reason: no value for required parameter`,
      );
    if (!TOPIC_ARN.test(arn)) throw SnsError.invalidParameter(`Invalid parameter: ${parameter}`);
    const topic = topics.get(arn);
    if (topic === undefined) throw SnsError.notFound('Topic does not exist');
    return topic;
  }

  function publish(params: Map<string, string>): PublishedMessage {
    if (params.has('PhoneNumber'))
      throw SnsError.invalidParameter('Invalid parameter: PhoneNumber Reason: SMS is not emulated locally');
    const target = params.get('TopicArn') ?? params.get('TargetArn');
    const topic = topicOf(target, 'TopicArn or TargetArn');
    const message = params.get('Message');
    if (message === undefined || message === '')
      throw SnsError.invalidParameter('Invalid parameter: Empty message');
    const subject = params.get('Subject');
    if (subject !== undefined) checkSubject(subject);
    const structure = params.get('MessageStructure');
    if (structure !== undefined && structure !== 'json')
      throw SnsError.invalidParameter('Invalid parameter: MessageStructure');
    if (structure === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw SnsError.invalidParameter(
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        );
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw SnsError.invalidParameter(
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        );
      if (typeof Reflect.get(parsed, 'default') !== 'string')
        throw SnsError.invalidParameter(
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
    }
    const attributes = messageAttributes(params);
    if (Buffer.byteLength(message) + messageAttributesBytes(attributes) > MAX_MESSAGE_BYTES)
      throw SnsError.invalidParameter('Invalid parameter: Message too long');
    const record: PublishedMessage = {
      messageId: randomUUID(),
      region: topic.region,
      topicArn: topic.arn,
      topicName: topic.name,
      subject,
      message,
      messageStructure: structure === 'json' ? 'json' : undefined,
      messageAttributes: attributes,
      time: now().toISOString(),
    };
    recorded.push(record);
    for (const listener of listeners) {
      try {
        listener(structuredClone(record));
      } catch (error) {
        // A broken listener must not fail the publisher's call.
        console.error('local SNS: a publish listener failed', error);
      }
    }
    return record;
  }

  const respond = (action: string, requestId: string, result: string | undefined) => ({
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<${action}Response xmlns="${SNS_XML_NAMESPACE}">` +
      (result === undefined ? '' : `<${action}Result>${result}</${action}Result>`) +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  });

  const attributeEntries = (attributes: Record<string, string>) =>
    Object.entries(attributes)
      .map(([key, value]) => `<entry><key>${escapeXml(key)}</key><value>${escapeXml(value)}</value></entry>`)
      .join('');

  const actions: Record<string, (params: Map<string, string>, region: string) => string | undefined> = {
    CreateTopic(params, region) {
      const name = params.get('Name') ?? '';
      const attributes: Record<string, string> = {};
      for (const entry of entries(params, 'Attributes'))
        attributes[entry.get('key') ?? ''] = entry.get('value') ?? '';
      return `<TopicArn>${escapeXml(createTopic(region, name, attributes).arn)}</TopicArn>`;
    },
    ListTopics(params, region) {
      const token = params.get('NextToken');
      const arns = [...topics.values()].filter((t) => t.region === region).map((t) => t.arn);
      const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0 || start > arns.length)
        throw SnsError.invalidParameter('Invalid parameter: NextToken');
      const page = arns.slice(start, start + 100);
      const next =
        start + page.length < arns.length
          ? Buffer.from(String(start + page.length)).toString('base64')
          : undefined;
      return (
        `<Topics>${page.map((arn) => `<member><TopicArn>${escapeXml(arn)}</TopicArn></member>`).join('')}</Topics>` +
        (next === undefined ? '' : `<NextToken>${next}</NextToken>`)
      );
    },
    GetTopicAttributes(params) {
      const topic = topicOf(params.get('TopicArn'), 'TopicArn');
      return `<Attributes>${attributeEntries(info(topic).attributes)}</Attributes>`;
    },
    DeleteTopic(params) {
      const arn = params.get('TopicArn');
      if (arn === undefined || !TOPIC_ARN.test(arn))
        throw SnsError.invalidParameter('Invalid parameter: TopicArn');
      topics.delete(arn);
      return undefined;
    },
    Publish(params) {
      return `<MessageId>${publish(params).messageId}</MessageId>`;
    },
  };

  const service: EmulatedService = async (request) => {
    const requestId = newRequestId();
    const params = parameters(request);
    const action = params.get('Action') ?? '';
    counts[action] = (counts[action] ?? 0) + 1;
    try {
      const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
      if (handler === undefined)
        throw new SnsError(
          'InvalidAction',
          `The action ${action === '' ? '(none)' : action} is not valid for this endpoint (the local SNS).`,
        );
      const region = credentialScope(request.headers)?.region ?? defaultRegion;
      return respond(action, requestId, handler(params, region));
    } catch (error) {
      if (!(error instanceof SnsError)) throw error;
      return {
        status: error.status,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body:
          `<ErrorResponse xmlns="${SNS_XML_NAMESPACE}"><Error><Type>Sender</Type>` +
          `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    }
  };

  return {
    service,
    accountId,
    createTopic: (region, name, attributes = {}) => info(createTopic(region, name, attributes)),
    getTopic(arn) {
      const topic = topics.get(arn);
      return topic === undefined ? undefined : info(topic);
    },
    listTopics: (region) => [...topics.values()].filter((t) => t.region === region).map(info),
    published: (topic) =>
      recorded
        .filter((m) => topic === undefined || m.topicArn === topic || m.topicName === topic)
        .map((m) => structuredClone(m)),
    onPublish(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    calls: () => ({ ...counts }),
  };
}
