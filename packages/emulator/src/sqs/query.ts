/**
 * SQS's older Query protocol (form-encoded `Action=SendMessage&Version=2012-11-05&…`, XML answers in
 * the `http://queue.amazonaws.com/doc/2012-11-05/` namespace), which AWS CLI builds before late 2023
 * (Debian's among them) still speak. Requests are turned into the JSON protocol's input shape and
 * run by the same operations; outputs are rendered back as Query XML. So both protocols share one
 * implementation and one behaviour.
 */
import type { EmulatedRequest } from '../http.js';
import { escapeXml } from '../wire.js';

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** The request's parameters: the query string merged with the form body, the body winning. */
export function queryParameters(request: EmulatedRequest): Map<string, string> {
  const out = new Map<string, string>();
  const start = request.url.indexOf('?');
  if (start >= 0) for (const [k, v] of new URLSearchParams(request.url.slice(start + 1))) out.set(k, v);
  const contentType = String(request.headers['content-type'] ?? '');
  if (request.body !== '' && !contentType.includes('json'))
    for (const [k, v] of new URLSearchParams(request.body)) out.set(k, v);
  return out;
}

const INTEGER_PARAMETERS = new Set([
  'MaxNumberOfMessages',
  'VisibilityTimeout',
  'WaitTimeSeconds',
  'DelaySeconds',
  'MaxResults',
]);

/** `Prefix.N.rest` → the entries' `rest` maps, by N in numeric order. */
function numbered(params: Map<string, string>, prefix: string): Array<Map<string, string>> {
  const byIndex = new Map<number, Map<string, string>>();
  for (const [key, value] of params) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const rest = key.slice(prefix.length + 1);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    let entry = byIndex.get(index);
    if (entry === undefined) {
      entry = new Map();
      byIndex.set(index, entry);
    }
    entry.set(dot < 0 ? '' : rest.slice(dot + 1), value);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
}

function scalar(name: string, value: string): unknown {
  return INTEGER_PARAMETERS.has(name) && /^-?\d+$/.test(value) ? Number(value) : value;
}

function messageAttributes(params: Map<string, string>, prefix: string): Record<string, unknown> | undefined {
  const entries = numbered(params, prefix);
  if (entries.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const entry of entries) {
    const value: Record<string, string> = {};
    const dataType = entry.get('Value.DataType');
    const stringValue = entry.get('Value.StringValue');
    const binaryValue = entry.get('Value.BinaryValue');
    if (dataType !== undefined) value.DataType = dataType;
    if (stringValue !== undefined) value.StringValue = stringValue;
    if (binaryValue !== undefined) value.BinaryValue = binaryValue;
    out[entry.get('Name') ?? ''] = value;
  }
  return out;
}

/** One batch entry's own parameters, as the JSON protocol writes them. */
function batchEntry(entry: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entry) if (!key.includes('.')) out[key] = scalar(key, value);
  const attributes = messageAttributes(entry, 'MessageAttribute');
  if (attributes !== undefined) out.MessageAttributes = attributes;
  return out;
}

/** The JSON-protocol input of a Query request (the parameters SQS's Query API names differently mapped). */
export function queryInput(params: Map<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version' || key.includes('.')) continue;
    input[key] = scalar(key, value);
  }
  const lists: Array<[string, string]> = [
    ['AttributeName', 'AttributeNames'],
    ['MessageSystemAttributeName', 'MessageSystemAttributeNames'],
    ['MessageAttributeName', 'MessageAttributeNames'],
  ];
  for (const [prefix, name] of lists) {
    const values = numbered(params, prefix).flatMap((entry) => {
      const value = entry.get('');
      return value === undefined ? [] : [value];
    });
    if (values.length > 0) input[name] = values;
  }
  const attributes = numbered(params, 'Attribute');
  if (attributes.length > 0)
    input.Attributes = Object.fromEntries(
      attributes.map((entry) => [entry.get('Name') ?? '', entry.get('Value') ?? '']),
    );
  const message = messageAttributes(params, 'MessageAttribute');
  if (message !== undefined) input.MessageAttributes = message;
  for (const prefix of [
    'SendMessageBatchRequestEntry',
    'DeleteMessageBatchRequestEntry',
    'ChangeMessageVisibilityBatchRequestEntry',
  ]) {
    const entries = numbered(params, prefix);
    if (entries.length > 0) input.Entries = entries.map(batchEntry);
  }
  return input;
}

const element = (name: string, value: unknown): string =>
  value === undefined || value === null ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const records = (value: unknown): Array<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter(isRecord) : [];

function nameValues(tag: string, map: unknown): string {
  if (!isRecord(map)) return '';
  return Object.entries(map)
    .map(([name, value]) => `<${tag}>${element('Name', name)}${element('Value', value)}</${tag}>`)
    .join('');
}

function messageAttributeXml(map: unknown): string {
  if (!isRecord(map)) return '';
  return Object.entries(map)
    .map(([name, value]) => {
      const v = isRecord(value) ? value : {};
      return `<MessageAttribute>${element('Name', name)}<Value>${element('StringValue', v.StringValue)}${element('BinaryValue', v.BinaryValue)}${element('DataType', v.DataType)}</Value></MessageAttribute>`;
    })
    .join('');
}

function batchXml(output: Record<string, unknown>, successTag: string): string {
  const ok = records(output.Successful)
    .map((entry) => {
      const fields = ['Id', 'MessageId', 'MD5OfMessageBody', 'MD5OfMessageAttributes']
        .map((name) => element(name, entry[name]))
        .join('');
      return `<${successTag}>${fields}</${successTag}>`;
    })
    .join('');
  const failed = records(output.Failed)
    .map(
      (entry) =>
        `<BatchResultErrorEntry>${['Id', 'SenderFault', 'Code', 'Message'].map((name) => element(name, entry[name])).join('')}</BatchResultErrorEntry>`,
    )
    .join('');
  return ok + failed;
}

/** The `<Result>` content of an action's output. */
function resultXml(action: string, output: Record<string, unknown>): string {
  switch (action) {
    case 'CreateQueue':
    case 'GetQueueUrl':
      return element('QueueUrl', output.QueueUrl);
    case 'ListQueues':
      return (
        (Array.isArray(output.QueueUrls)
          ? output.QueueUrls.map((url) => element('QueueUrl', url)).join('')
          : '') + element('NextToken', output.NextToken)
      );
    case 'GetQueueAttributes':
      return nameValues('Attribute', output.Attributes);
    case 'SendMessage':
      return ['MD5OfMessageBody', 'MD5OfMessageAttributes', 'MessageId']
        .map((name) => element(name, output[name]))
        .join('');
    case 'ReceiveMessage':
      return records(output.Messages)
        .map(
          (message) =>
            '<Message>' +
            ['MessageId', 'ReceiptHandle', 'MD5OfBody', 'Body']
              .map((name) => element(name, message[name]))
              .join('') +
            nameValues('Attribute', message.Attributes) +
            element('MD5OfMessageAttributes', message.MD5OfMessageAttributes) +
            messageAttributeXml(message.MessageAttributes) +
            '</Message>',
        )
        .join('');
    case 'SendMessageBatch':
      return batchXml(output, 'SendMessageBatchResultEntry');
    case 'DeleteMessageBatch':
      return batchXml(output, 'DeleteMessageBatchResultEntry');
    default:
      return '';
  }
}

const WITHOUT_RESULT = new Set([
  'DeleteQueue',
  'SetQueueAttributes',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'PurgeQueue',
]);

export function queryResponseXml(action: string, output: Record<string, unknown>, requestId: string): string {
  const result = WITHOUT_RESULT.has(action)
    ? ''
    : `<${action}Result>${resultXml(action, output)}</${action}Result>`;
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${SQS_XML_NAMESPACE}">${result}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryErrorXml(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${SQS_XML_NAMESPACE}"><Error><Type>Sender</Type>` +
    `${element('Code', code)}${element('Message', message)}<Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
