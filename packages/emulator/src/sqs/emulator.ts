/**
 * A local SQS (standard queues): the AWS JSON 1.0 protocol the SDK speaks (`POST /`,
 * `x-amz-target: AmazonSQS.<Operation>`, `x-amzn-query-mode: true`), and the older Query protocol
 * older AWS CLIs speak (a request without `x-amz-target`; see `query.ts`), for CreateQueue, GetQueueUrl,
 * ListQueues, DeleteQueue, GetQueueAttributes, SetQueueAttributes, SendMessage, SendMessageBatch,
 * ReceiveMessage, DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility and PurgeQueue.
 *
 * Queues live per region (the queue URL's region when it is an AWS URL, else the SigV4 scope's) in
 * one account. A queue URL is `<endpoint>/<account>/<name>` (the endpoint set with `setEndpoint`,
 * else the request's Host); its ARN `arn:aws:sqs:<region>:<account>:<name>`.
 *
 * Messages keep SQS's visibility model: a received message is invisible for the visibility timeout
 * and then comes back with its receive count raised; only the latest receipt handle deletes it.
 * `WaitTimeSeconds` long-polls for at most `longPollCapMs` (default 1 s) rather than up to 20 s,
 * so an idle poller never stalls a test or the demo.
 */
import { randomUUID } from 'node:crypto';
import { credentialScope, type EmulatedRequest, type EmulatedService, headerValue } from '../http.js';
import { messageAttributesBytes } from '../wire.js';
import { SqsError } from './errors.js';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5.js';
import { queryErrorXml, queryInput, queryParameters, queryResponseXml } from './query.js';

export type { MessageAttributeValue } from './md5.js';

export interface SqsEmulatorOptions {
  accountId?: string;
  /** The region of unsigned requests; default `us-east-1`. */
  defaultRegion?: string;
  /** The base of queue URLs (`http://127.0.0.1:4566`); default the request's Host. */
  endpoint?: string;
  /** The longest a ReceiveMessage with WaitTimeSeconds waits for a message; default 1000 ms. */
  longPollCapMs?: number;
  now?: () => Date;
  newRequestId?: () => string;
}

export interface QueueInfo {
  region: string;
  name: string;
  url: string;
  arn: string;
  /** The queue's attributes as GetQueueAttributes `All` returns them (counts included). */
  attributes: Record<string, string>;
}

/** A message as a test sees it (a peek: reading it changes nothing). */
export interface SqsMessageView {
  messageId: string;
  body: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  md5OfBody: string;
  /** Epoch milliseconds. */
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp: number | undefined;
  /** `visible` (receivable), `in-flight` (received, within its visibility timeout) or `delayed`. */
  state: 'visible' | 'in-flight' | 'delayed';
}

export interface SendOptions {
  messageAttributes?: Record<string, MessageAttributeValue>;
  delaySeconds?: number;
}

export interface SqsEmulator {
  readonly service: EmulatedService;
  readonly accountId: string;
  /** The base URL queue URLs start with (the local server's endpoint). */
  setEndpoint(endpoint: string): void;
  /** Creates a queue, or returns it when it exists with the same attributes (as CreateQueue). */
  createQueue(region: string, name: string, attributes?: Record<string, string>): QueueInfo;
  getQueue(region: string, name: string): QueueInfo | undefined;
  /** The queue an `arn:aws:sqs:<region>:<account>:<name>` names, if it exists. */
  getQueueByArn(arn: string): QueueInfo | undefined;
  listQueues(region: string): QueueInfo[];
  /** Sends as SendMessage does (same validation); `QueueDoesNotExist` if there is no such queue. */
  sendMessage(region: string, queueName: string, body: string, options?: SendOptions): { messageId: string };
  /** Every message of the queue, in send order, without receiving any. */
  messages(region: string, queueName: string): SqsMessageView[];
  /** Requests served per operation, failed ones included: `{ SendMessage: 3 }`. */
  calls(): Readonly<Record<string, number>>;
}

interface Message {
  id: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  md5OfBody: string;
  md5OfAttributes: string | undefined;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt: number | undefined;
  /** The nonce of the latest receipt handle; only that handle deletes the message. */
  receipt: string | undefined;
}

interface Queue {
  region: string;
  name: string;
  arn: string;
  attributes: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  messages: Message[];
  lastPurgeAt: number | undefined;
  waiters: Set<() => void>;
}

const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
const MESSAGE_ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
/**
 * The default and largest message size. SQS raised its limit from 256 KiB to 1 MiB in 2025
 * [unverified]; a queue created without MaximumMessageSize reports 1048576 here.
 */
const MAX_MESSAGE_BYTES = 1_048_576;

/** Settable attributes: their default value and, for numbers, the allowed range. */
const ATTRIBUTES: Record<string, { default?: string; range?: [number, number] }> = {
  DelaySeconds: { default: '0', range: [0, 900] },
  MaximumMessageSize: { default: String(MAX_MESSAGE_BYTES), range: [1024, MAX_MESSAGE_BYTES] },
  MessageRetentionPeriod: { default: '345600', range: [60, 1_209_600] },
  ReceiveMessageWaitTimeSeconds: { default: '0', range: [0, 20] },
  VisibilityTimeout: { default: '30', range: [0, 43_200] },
  SqsManagedSseEnabled: { default: 'true' },
  Policy: {},
  RedrivePolicy: {},
  RedriveAllowPolicy: {},
  KmsMasterKeyId: {},
  KmsDataKeyReusePeriodSeconds: { range: [60, 86_400] },
};

const COMPUTED_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
];

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringParam(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw SqsError.invalidParameterValue(`Value for parameter ${name} must be a string.`);
  return value;
}

function requiredParam(input: Record<string, unknown>, name: string): string {
  const value = stringParam(input, name);
  if (value === undefined) throw SqsError.missingParameter(name);
  return value;
}

function integerParam(
  input: Record<string, unknown>,
  name: string,
  range: [number, number],
  reason: string,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1])
    throw SqsError.invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
    );
  return value;
}

function stringList(input: Record<string, unknown>, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw SqsError.invalidParameterValue(`Value for parameter ${name} must be a list of strings.`);
  return value;
}

/** Characters SQS accepts in a body or string attribute: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkAttributeValue(name: string, value: string): string {
  const spec = ATTRIBUTES[name];
  if (spec === undefined) throw SqsError.invalidAttributeName(name);
  if (spec.range !== undefined) {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < spec.range[0] || number > spec.range[1])
      throw SqsError.invalidAttributeValue(name);
  }
  if (name === 'SqsManagedSseEnabled' && value !== 'true' && value !== 'false')
    throw SqsError.invalidAttributeValue(name);
  if ((name === 'RedrivePolicy' || name === 'Policy' || name === 'RedriveAllowPolicy') && value !== '') {
    try {
      JSON.parse(value);
    } catch {
      throw SqsError.invalidAttributeValue(name);
    }
  }
  return value;
}

function parseMessageAttributes(raw: unknown): Record<string, MessageAttributeValue> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw SqsError.invalidParameterValue('MessageAttributes must be a map.');
  const entries = Object.entries(raw);
  if (entries.length > 10)
    throw SqsError.invalidParameterValue(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of entries) {
    if (
      !MESSAGE_ATTRIBUTE_NAME.test(name) ||
      name.includes('..') ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      /^(aws\.|amazon\.)/i.test(name)
    )
      throw SqsError.invalidParameterValue(`Message attribute name '${name}' is invalid.`);
    if (!isRecord(value) || typeof value.DataType !== 'string')
      throw SqsError.invalidParameterValue(
        `The message attribute '${name}' must contain a non-empty attribute type.`,
      );
    const dataType = value.DataType;
    const base = dataType.split('.')[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary')
      throw SqsError.invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    if (base === 'Binary') {
      if (typeof value.BinaryValue !== 'string' || value.BinaryValue === '')
        throw SqsError.invalidParameterValue(
          `The message attribute '${name}' with type 'Binary' must use field 'Binary'.`,
        );
      out[name] = { DataType: dataType, BinaryValue: value.BinaryValue };
    } else {
      if (typeof value.StringValue !== 'string' || value.StringValue === '')
        throw SqsError.invalidParameterValue(
          `The message attribute '${name}' must contain a non-empty message attribute value for message attribute type '${base}'.`,
        );
      if (base === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.StringValue))
        throw SqsError.invalidParameterValue(
          `Can't cast the value of message (user) attribute '${name}' to a number.`,
        );
      if (INVALID_CHARACTER.test(value.StringValue))
        throw SqsError.invalidParameterValue(`Message attribute '${name}' contains invalid characters.`);
      out[name] = { DataType: dataType, StringValue: value.StringValue };
    }
  }
  return out;
}

/** Attribute names to return: `All`/`.*` for every one, `prefix.*` for a prefix, else exact names. */
function selectAttributes(
  attributes: Record<string, MessageAttributeValue>,
  names: string[],
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const wanted = names.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
    if (wanted) out[name] = value;
  }
  return out;
}

interface ReceiptHandle {
  queueArn: string;
  messageId: string;
  nonce: string;
}

function encodeHandle(handle: ReceiptHandle): string {
  return Buffer.from(JSON.stringify([handle.queueArn, handle.messageId, handle.nonce]), 'utf8').toString(
    'base64',
  );
}

function decodeHandle(text: string): ReceiptHandle | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((part) => typeof part === 'string')) {
      const [queueArn, messageId, nonce] = parsed as [string, string, string];
      return { queueArn, messageId, nonce };
    }
  } catch {
    // not one of ours: invalid
  }
  return undefined;
}

const AWS_QUEUE_HOST = /^sqs\.([a-z0-9-]+)\.amazonaws\.com$|^([a-z0-9-]+)\.queue\.amazonaws\.com$/;

export function createSqsEmulator(options: SqsEmulatorOptions = {}): SqsEmulator {
  const accountId = options.accountId ?? '123456789012';
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const longPollCapMs = options.longPollCapMs ?? 1000;
  const now = options.now ?? (() => new Date());
  const newRequestId = options.newRequestId ?? randomUUID;
  let endpoint = options.endpoint?.replace(/\/+$/, '');
  const regions = new Map<string, Map<string, Queue>>();
  const counts: Record<string, number> = {};

  const clock = () => now().getTime();

  const queuesIn = (region: string): Map<string, Queue> => {
    let queues = regions.get(region);
    if (queues === undefined) {
      queues = new Map();
      regions.set(region, queues);
    }
    return queues;
  };

  const baseUrl = (request?: EmulatedRequest): string => {
    if (endpoint !== undefined) return endpoint;
    const host = request === undefined ? undefined : headerValue(request, 'host');
    return host === undefined ? 'http://localhost:4566' : `http://${host}`;
  };

  const urlOf = (queue: Queue, request?: EmulatedRequest) => `${baseUrl(request)}/${accountId}/${queue.name}`;

  /** Drops messages older than the retention period, as SQS does. */
  const expire = (queue: Queue) => {
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod ?? '345600') * 1000;
    const cutoff = clock() - retentionMs;
    if (queue.messages.some((m) => m.sentAt < cutoff))
      queue.messages = queue.messages.filter((m) => m.sentAt >= cutoff);
  };

  const stateOf = (message: Message, at: number): SqsMessageView['state'] =>
    message.visibleAt <= at ? 'visible' : message.receiveCount > 0 ? 'in-flight' : 'delayed';

  const allAttributes = (queue: Queue): Record<string, string> => {
    expire(queue);
    const at = clock();
    const count = (state: SqsMessageView['state']) =>
      queue.messages.filter((m) => stateOf(m, at) === state).length;
    return {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(count('visible')),
      ApproximateNumberOfMessagesNotVisible: String(count('in-flight')),
      ApproximateNumberOfMessagesDelayed: String(count('delayed')),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
      ...queue.attributes,
    };
  };

  const info = (queue: Queue, request?: EmulatedRequest): QueueInfo => ({
    region: queue.region,
    name: queue.name,
    url: urlOf(queue, request),
    arn: queue.arn,
    attributes: allAttributes(queue),
  });

  function createQueue(region: string, name: string, raw: Record<string, string>): Queue {
    if (name.endsWith('.fifo') || raw.FifoQueue !== undefined)
      throw SqsError.unsupported('FIFO queues are not emulated by the local SQS.');
    if (!QUEUE_NAME.test(name))
      throw SqsError.invalidParameterValue(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    const attributes: Record<string, string> = {};
    for (const [key, spec] of Object.entries(ATTRIBUTES))
      if (spec.default !== undefined) attributes[key] = spec.default;
    for (const [key, value] of Object.entries(raw)) attributes[key] = checkAttributeValue(key, value);
    const queues = queuesIn(region);
    const existing = queues.get(name);
    if (existing !== undefined) {
      const different = Object.keys(raw).find((key) => existing.attributes[key] !== attributes[key]);
      if (different !== undefined)
        throw new SqsError(
          'QueueNameExists',
          'QueueAlreadyExists',
          `A queue already exists with the same name and a different value for attribute ${different}`,
        );
      return existing;
    }
    const at = clock();
    const queue: Queue = {
      region,
      name,
      arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
      attributes,
      createdAt: at,
      modifiedAt: at,
      messages: [],
      lastPurgeAt: undefined,
      waiters: new Set(),
    };
    queues.set(name, queue);
    return queue;
  }

  /** The queue a QueueUrl names: `/<account>/<name>` on any host; the region from an AWS host, else the request's. */
  function queueOfUrl(url: string, region: string): Queue {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SqsError(
        'InvalidAddress',
        'InvalidAddress',
        `The address ${url} is not valid for this endpoint.`,
        404,
      );
    }
    const [account, name, ...rest] = parsed.pathname.split('/').filter((part) => part !== '');
    if (account === undefined || name === undefined || rest.length > 0)
      throw new SqsError(
        'InvalidAddress',
        'InvalidAddress',
        `The address ${url} is not valid for this endpoint.`,
        404,
      );
    const hostRegion = AWS_QUEUE_HOST.exec(parsed.hostname);
    const queueRegion = hostRegion?.[1] ?? hostRegion?.[2] ?? region;
    const queue = account === accountId ? queuesIn(queueRegion).get(name) : undefined;
    if (queue === undefined) throw SqsError.queueDoesNotExist();
    return queue;
  }

  function send(
    queue: Queue,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    delaySeconds: number | undefined,
  ) {
    if (body === '') throw SqsError.missingParameter('MessageBody');
    if (INVALID_CHARACTER.test(body))
      throw new SqsError(
        'InvalidMessageContents',
        'InvalidMessageContents',
        'Invalid binary character in the message body. Characters must be in the XML 1.0 allowed set.',
      );
    const limit = Number(queue.attributes.MaximumMessageSize ?? MAX_MESSAGE_BYTES);
    if (Buffer.byteLength(body) + messageAttributesBytes(attributes) > limit)
      throw SqsError.invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    const delay = delaySeconds ?? Number(queue.attributes.DelaySeconds ?? '0');
    const at = clock();
    const message: Message = {
      id: randomUUID(),
      body,
      attributes,
      md5OfBody: md5Hex(body),
      md5OfAttributes: Object.keys(attributes).length > 0 ? md5OfMessageAttributes(attributes) : undefined,
      sentAt: at,
      visibleAt: at + delay * 1000,
      receiveCount: 0,
      firstReceiveAt: undefined,
      receipt: undefined,
    };
    queue.messages.push(message);
    for (const wake of queue.waiters) wake();
    return message;
  }

  function receive(
    queue: Queue,
    max: number,
    visibilityTimeout: number,
  ): Array<{ message: Message; handle: string }> {
    expire(queue);
    const at = clock();
    const out: Array<{ message: Message; handle: string }> = [];
    for (const message of queue.messages) {
      if (out.length >= max) break;
      if (message.visibleAt > at) continue;
      message.receiveCount += 1;
      message.firstReceiveAt ??= at;
      message.visibleAt = at + visibilityTimeout * 1000;
      message.receipt = randomUUID();
      out.push({
        message,
        handle: encodeHandle({ queueArn: queue.arn, messageId: message.id, nonce: message.receipt }),
      });
    }
    return out;
  }

  /** The message a receipt handle names; undefined when it is gone. Foreign or garbled handles are invalid. */
  function messageOfHandle(queue: Queue, text: string): { message: Message | undefined; current: boolean } {
    const handle = decodeHandle(text);
    if (handle === undefined || handle.queueArn !== queue.arn) throw SqsError.receiptHandleIsInvalid(text);
    const message = queue.messages.find((m) => m.id === handle.messageId);
    return { message, current: message?.receipt === handle.nonce };
  }

  function deleteByHandle(queue: Queue, text: string): void {
    const { message, current } = messageOfHandle(queue, text);
    // A stale handle succeeds without deleting (the message was received again since), as SQS documents.
    if (message !== undefined && current) queue.messages = queue.messages.filter((m) => m !== message);
  }

  const waitForMessage = (queue: Queue, ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        queue.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      queue.waiters.add(done);
    });

  type Operation = (
    input: Record<string, unknown>,
    region: string,
    request: EmulatedRequest,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;

  const operations: Record<string, Operation> = {
    CreateQueue(input, region, request) {
      const name = requiredParam(input, 'QueueName');
      const raw = input.Attributes;
      const attributes: Record<string, string> = {};
      if (isRecord(raw)) for (const [key, value] of Object.entries(raw)) attributes[key] = String(value);
      return { QueueUrl: urlOf(createQueue(region, name, attributes), request) };
    },

    GetQueueUrl(input, region, request) {
      const name = requiredParam(input, 'QueueName');
      const owner = stringParam(input, 'QueueOwnerAWSAccountId');
      const queue = owner === undefined || owner === accountId ? queuesIn(region).get(name) : undefined;
      if (queue === undefined) throw SqsError.queueDoesNotExist();
      return { QueueUrl: urlOf(queue, request) };
    },

    ListQueues(input, region, request) {
      const prefix = stringParam(input, 'QueueNamePrefix') ?? '';
      const max = integerParam(input, 'MaxResults', [1, 1000], 'Must be between 1 and 1000, if provided.');
      const token = stringParam(input, 'NextToken');
      const names = [...queuesIn(region).keys()].filter((name) => name.startsWith(prefix)).sort();
      const start =
        token === undefined
          ? 0
          : names.findIndex((name) => name > Buffer.from(token, 'base64').toString('utf8'));
      const rest = start < 0 ? [] : names.slice(start);
      const page = rest.slice(0, max ?? 1000);
      const urls = page.flatMap((name) => {
        const queue = queuesIn(region).get(name);
        return queue === undefined ? [] : [urlOf(queue, request)];
      });
      const last = page[page.length - 1];
      return {
        ...(urls.length > 0 ? { QueueUrls: urls } : {}),
        ...(max !== undefined && rest.length > page.length && last !== undefined
          ? { NextToken: Buffer.from(last, 'utf8').toString('base64') }
          : {}),
      };
    },

    DeleteQueue(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      queuesIn(queue.region).delete(queue.name);
      return {};
    },

    GetQueueAttributes(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const names = stringList(input, 'AttributeNames');
      const all = allAttributes(queue);
      for (const name of names)
        if (name !== 'All' && !COMPUTED_ATTRIBUTES.includes(name) && ATTRIBUTES[name] === undefined)
          throw SqsError.invalidAttributeName(name);
      const wanted = names.includes('All') ? Object.keys(all) : names;
      const attributes: Record<string, string> = {};
      for (const name of wanted) {
        const value = all[name];
        if (value !== undefined) attributes[name] = value;
      }
      return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
    },

    SetQueueAttributes(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const raw = isRecord(input.Attributes) ? input.Attributes : {};
      const checked = Object.entries(raw).map(
        ([key, value]) => [key, checkAttributeValue(key, String(value))] as const,
      );
      for (const [key, value] of checked) queue.attributes[key] = value;
      queue.modifiedAt = clock();
      return {};
    },

    SendMessage(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const body = requiredParam(input, 'MessageBody');
      const delay = integerParam(input, 'DelaySeconds', [0, 900], 'Must be >= 0 and <= 900, if provided.');
      const message = send(queue, body, parseMessageAttributes(input.MessageAttributes), delay);
      return {
        MessageId: message.id,
        MD5OfMessageBody: message.md5OfBody,
        ...(message.md5OfAttributes !== undefined ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
      };
    },

    SendMessageBatch(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const entries = checkBatch(input.Entries);
      let total = 0;
      for (const entry of entries)
        total += Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '');
      if (total > MAX_MESSAGE_BYTES)
        throw SqsError.batch(
          'BatchRequestTooLong',
          `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes.`,
        );
      const successful: Record<string, unknown>[] = [];
      const failed: Record<string, unknown>[] = [];
      for (const entry of entries) {
        try {
          if (typeof entry.MessageBody !== 'string') throw SqsError.missingParameter('MessageBody');
          const delay = integerParam(
            entry,
            'DelaySeconds',
            [0, 900],
            'Must be >= 0 and <= 900, if provided.',
          );
          const message = send(
            queue,
            entry.MessageBody,
            parseMessageAttributes(entry.MessageAttributes),
            delay,
          );
          successful.push({
            Id: entry.Id,
            MessageId: message.id,
            MD5OfMessageBody: message.md5OfBody,
            ...(message.md5OfAttributes !== undefined
              ? { MD5OfMessageAttributes: message.md5OfAttributes }
              : {}),
          });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          failed.push({ Id: entry.Id, SenderFault: true, Code: error.queryCode, Message: error.message });
        }
      }
      return { Successful: successful, Failed: failed };
    },

    async ReceiveMessage(input, region) {
      const url = requiredParam(input, 'QueueUrl');
      let queue = queueOfUrl(url, region);
      const max =
        integerParam(input, 'MaxNumberOfMessages', [1, 10], 'Must be between 1 and 10, if provided.') ?? 1;
      const visibility =
        integerParam(input, 'VisibilityTimeout', [0, 43_200], 'Must be >= 0 and <= 43200, if provided.') ??
        Number(queue.attributes.VisibilityTimeout ?? '30');
      const wait =
        integerParam(input, 'WaitTimeSeconds', [0, 20], 'Must be >= 0 and <= 20, if provided.') ??
        Number(queue.attributes.ReceiveMessageWaitTimeSeconds ?? '0');
      const systemNames = [
        ...stringList(input, 'AttributeNames'),
        ...stringList(input, 'MessageSystemAttributeNames'),
      ];
      const attributeNames = stringList(input, 'MessageAttributeNames');
      let received = receive(queue, max, visibility);
      if (received.length === 0 && wait > 0) {
        await waitForMessage(queue, Math.min(wait * 1000, longPollCapMs));
        // The queue may have been deleted while waiting: look it up again, then take synchronously.
        queue = queueOfUrl(url, region);
        received = receive(queue, max, visibility);
      }
      if (received.length === 0) return {};
      const wantsAll = systemNames.includes('All');
      return {
        Messages: received.map(({ message, handle }) => {
          const system: Record<string, string> = {
            SenderId: accountId,
            SentTimestamp: String(message.sentAt),
            ApproximateReceiveCount: String(message.receiveCount),
            ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
          };
          const attributes: Record<string, string> = {};
          for (const name of SYSTEM_ATTRIBUTES)
            if (wantsAll || systemNames.includes(name)) attributes[name] = system[name] ?? '';
          const messageAttributes = selectAttributes(message.attributes, attributeNames);
          const hasAttributes = Object.keys(messageAttributes).length > 0;
          return {
            MessageId: message.id,
            ReceiptHandle: handle,
            MD5OfBody: message.md5OfBody,
            Body: message.body,
            ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
            ...(hasAttributes
              ? {
                  MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
                  MessageAttributes: messageAttributes,
                }
              : {}),
          };
        }),
      };
    },

    DeleteMessage(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      deleteByHandle(queue, requiredParam(input, 'ReceiptHandle'));
      return {};
    },

    DeleteMessageBatch(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const entries = checkBatch(input.Entries);
      const successful: Record<string, unknown>[] = [];
      const failed: Record<string, unknown>[] = [];
      for (const entry of entries) {
        try {
          if (typeof entry.ReceiptHandle !== 'string') throw SqsError.missingParameter('ReceiptHandle');
          deleteByHandle(queue, entry.ReceiptHandle);
          successful.push({ Id: entry.Id });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          failed.push({ Id: entry.Id, SenderFault: true, Code: error.queryCode, Message: error.message });
        }
      }
      return { Successful: successful, Failed: failed };
    },

    ChangeMessageVisibility(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const handle = requiredParam(input, 'ReceiptHandle');
      const timeout = integerParam(input, 'VisibilityTimeout', [0, 43_200], 'Must be >= 0 and <= 43200.');
      if (timeout === undefined) throw SqsError.missingParameter('VisibilityTimeout');
      const { message, current } = messageOfHandle(queue, handle);
      const at = clock();
      if (message === undefined || message.visibleAt <= at) throw SqsError.messageNotInflight();
      if (!current)
        throw SqsError.invalidParameterValue(
          `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
        );
      message.visibleAt = at + timeout * 1000;
      if (timeout === 0) for (const wake of queue.waiters) wake();
      return {};
    },

    PurgeQueue(input, region) {
      const queue = queueOfUrl(requiredParam(input, 'QueueUrl'), region);
      const at = clock();
      if (queue.lastPurgeAt !== undefined && at - queue.lastPurgeAt < 60_000)
        throw new SqsError(
          'PurgeQueueInProgress',
          'AWS.SimpleQueueService.PurgeQueueInProgress',
          `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
          403,
        );
      queue.lastPurgeAt = at;
      queue.messages = [];
      return {};
    },
  };

  function checkBatch(raw: unknown): Array<Record<string, unknown>> {
    if (!Array.isArray(raw) || raw.length === 0)
      throw SqsError.batch(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    if (raw.length > 10)
      throw SqsError.batch(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${raw.length}.`,
      );
    const entries = raw.map((entry) => (isRecord(entry) ? entry : {}));
    const ids = entries.map((entry) => entry.Id);
    for (const id of ids)
      if (typeof id !== 'string' || !BATCH_ID.test(id))
        throw SqsError.batch(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
    if (new Set(ids).size !== ids.length)
      throw SqsError.batch(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    return entries;
  }

  /** The Query protocol: same operations, form parameters in, XML out. */
  const queryService: EmulatedService = async (request) => {
    const requestId = newRequestId();
    const headers = { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
    const params = queryParameters(request);
    const action = params.get('Action') ?? '';
    counts[action] = (counts[action] ?? 0) + 1;
    try {
      const handler = Object.hasOwn(operations, action) ? operations[action] : undefined;
      if (handler === undefined)
        throw new SqsError(
          'InvalidAction',
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this endpoint.`,
        );
      const region = credentialScope(request.headers)?.region ?? defaultRegion;
      const output = await handler(queryInput(params), region, request);
      return { status: 200, headers, body: queryResponseXml(action, output, requestId) };
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      return {
        status: error.status,
        headers,
        body: queryErrorXml(error.queryCode, error.message, requestId),
      };
    }
  };

  const service: EmulatedService = async (request) => {
    const target = headerValue(request, 'x-amz-target') ?? '';
    if (target === '') return queryService(request);
    const requestId = newRequestId();
    const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    counts[operation || target] = (counts[operation || target] ?? 0) + 1;
    try {
      const handler = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (handler === undefined)
        throw new SqsError(
          'UnknownOperationException',
          'InvalidAction',
          `The local SQS does not implement ${target}`,
        );
      let input: unknown;
      try {
        input = request.body.trim() === '' ? {} : JSON.parse(request.body);
      } catch {
        throw new SqsError(
          'SerializationException',
          'SerializationException',
          'The request body is not valid JSON.',
        );
      }
      if (!isRecord(input))
        throw new SqsError(
          'SerializationException',
          'SerializationException',
          'The request body must be a JSON object.',
        );
      const region = credentialScope(request.headers)?.region ?? defaultRegion;
      const output = await handler(input, region, request);
      return { status: 200, headers, body: JSON.stringify(output) };
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      return {
        status: error.status,
        headers: { ...headers, 'x-amzn-query-error': `${error.queryCode};Sender` },
        body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.shape}`, message: error.message }),
      };
    }
  };

  const queueNamed = (region: string, name: string): Queue => {
    const queue = queuesIn(region).get(name);
    if (queue === undefined) throw SqsError.queueDoesNotExist();
    return queue;
  };

  return {
    service,
    accountId,
    setEndpoint(value) {
      endpoint = value.replace(/\/+$/, '');
    },
    createQueue: (region, name, attributes = {}) => info(createQueue(region, name, attributes)),
    getQueue(region, name) {
      const queue = queuesIn(region).get(name);
      return queue === undefined ? undefined : info(queue);
    },
    getQueueByArn(arn) {
      const match = /^arn:aws[\w-]*:sqs:([^:]+):(\d{12}):([^:]+)$/.exec(arn);
      if (match === null || match[2] !== accountId) return undefined;
      const queue = queuesIn(match[1] ?? '').get(match[3] ?? '');
      return queue === undefined ? undefined : info(queue);
    },
    listQueues: (region) => [...queuesIn(region).values()].map((queue) => info(queue)),
    sendMessage(region, queueName, body, sendOptions = {}) {
      const queue = queueNamed(region, queueName);
      const attributes = parseMessageAttributes(sendOptions.messageAttributes);
      return { messageId: send(queue, body, attributes, sendOptions.delaySeconds).id };
    },
    messages(region, queueName) {
      const queue = queueNamed(region, queueName);
      expire(queue);
      const at = clock();
      return queue.messages.map((message) => ({
        messageId: message.id,
        body: message.body,
        messageAttributes: structuredClone(message.attributes),
        md5OfBody: message.md5OfBody,
        sentTimestamp: message.sentAt,
        receiveCount: message.receiveCount,
        firstReceiveTimestamp: message.firstReceiveAt,
        state: stateOf(message, at),
      }));
    },
    calls: () => ({ ...counts }),
  };
}
