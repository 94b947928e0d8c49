/**
 * EventBridge's JSON API (awsJson1_1: `POST /`, `x-amz-target: AWSEvents.<Operation>`), for the
 * operations the tool and its operators use against a local endpoint:
 *
 * - `PutEvents`: validated per entry as EventBridge does: 1 to 10 entries; an entry without `Source`,
 *   `DetailType` or `Detail` fails on its own, and the whole call fails if none has all three
 *   (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
 *   Results come back in request order with HTTP 200 even when some entries fail; accepted entries
 *   go onto the local bus.
 * - `TestEventPattern`: `{EventPattern, Event}` → `{Result}` with the local matcher, so the real SDK or
 *   `aws events test-event-pattern --endpoint-url …` can check patterns offline.
 * - `PutPermission`, `PutRule`, `PutTargets`: buses across accounts, their policies and forwarding
 *   rules (`bus-admin.ts`).
 *
 * Accounts (`accounts.ts`): the caller's account is the shared rule of `../accounts.ts`; a bus
 * name is the caller's own bus in the signed region, a bus ARN may name another account's, which
 * takes the event only if its policy allows the caller (else the entry fails
 * `AccessDeniedException`, inside the 200 answer [unverified: whether EventBridge fails the entry or
 * the request]). An event PutEvents puts carries the caller's account.
 *
 * Anything else is answered as awsJson answers an unknown target: 400 `UnknownOperationException`.
 */
import { randomUUID } from 'node:crypto';
import { isPlainObject, parseJson, testEventProblem } from '@ami-lifecycle/event-pattern';
import { callerAccount, type IssuedKeyAccount } from '../accounts.js';
import { type EmulatedRequest, type EmulatedService, signedRegion } from '../http.js';
import { AccountBuses, busArnOf } from './accounts.js';
import { EventBusNotFoundError, envelopeTime, type LocalEventBus } from './bus.js';
import { busAdministration } from './bus-admin.js';
import { compileEventPattern, RequestError } from './requests.js';

export interface EventBridgeServiceOptions {
  bus: LocalEventBus;
  /** The region of unsigned requests; defaults to the bus's region. */
  defaultRegion?: string;
  /**
   * The largest total entry size of one PutEvents call. EventBridge raised its payload limit from
   * 256 KB to 1 MB on 2026-01-29 (AWS Compute Blog), so the default is 1 MiB.
   */
  maxRequestBytes?: number;
  newRequestId?: () => string;
  /**
   * Fault injection: asked before each entry is put; an error code (`ThrottlingException`,
   * `InternalFailure`, `AccessDeniedException`…) fails that entry alone, as EventBridge does inside
   * a 200 answer with `FailedEntryCount`, and the entry is not put on the bus.
   */
  entryFault?: () => string | undefined;
  /** Every account's buses; default: the home account's (`bus`) alone. */
  accounts?: AccountBuses;
  /** The account of access keys the local STS issued (AssumeRole). */
  issuedKeyAccount?: IssuedKeyAccount;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_ENTRIES = 10;
const MAX_DETAIL_TYPE = 128;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function header(request: EmulatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).length;

/** The documented PutEvents entry size: Time 14 bytes, then Source, DetailType, Detail, Resources. */
function entrySize(entry: Record<string, unknown>): number {
  const text = (value: unknown) => (typeof value === 'string' ? bytes(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time !== undefined ? 14 : 0) +
    text(entry.Source) +
    text(entry.DetailType) +
    text(entry.Detail) +
    resources.reduce((sum: number, resource: unknown) => sum + text(resource), 0)
  );
}

function invalidArgument(parameter: string, reason: string): EntryResult {
  return {
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
  };
}

/** awsJson timestamps are epoch seconds (the SDK sends `Time` as a number); RFC 3339 strings are accepted too. */
function parseTime(value: unknown): Date | undefined {
  const date =
    typeof value === 'number'
      ? new Date(value * 1000)
      : typeof value === 'string'
        ? new Date(value)
        : undefined;
  return date !== undefined && !Number.isNaN(date.getTime()) ? date : undefined;
}

export function createEventBridgeService(options: EventBridgeServiceOptions): EmulatedService {
  const { bus } = options;
  const maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;
  const newRequestId = options.newRequestId ?? randomUUID;
  const accounts = options.accounts ?? new AccountBuses({ homeAccount: bus.accountId, homeBus: bus });
  const admin = busAdministration(accounts);

  function putEntry(entry: unknown, region: string, caller: string): EntryResult {
    if (!isPlainObject(entry)) return invalidArgument('Entry', 'an entry must be an object.');
    const fault = options.entryFault?.();
    if (fault !== undefined)
      return { ErrorCode: fault, ErrorMessage: `${fault} (injected by the local EventBridge)` };
    const { Source, DetailType, Detail, Resources, Time, EventBusName } = entry;
    if (Source === undefined || Source === null)
      return invalidArgument('Source', 'Source is a required argument.');
    if (typeof Source !== 'string' || Source === '')
      return invalidArgument('Source', 'Source must be a non-empty string.');
    if (DetailType === undefined || DetailType === null)
      return invalidArgument('DetailType', 'DetailType is a required argument.');
    if (typeof DetailType !== 'string' || DetailType === '')
      return invalidArgument('DetailType', 'DetailType must be a non-empty string.');
    if (DetailType.length > MAX_DETAIL_TYPE)
      return invalidArgument('DetailType', `DetailType is longer than ${MAX_DETAIL_TYPE} characters.`);
    if (Detail === undefined || Detail === null)
      return invalidArgument('Detail', 'Detail is a required argument.');
    if (typeof Detail !== 'string')
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    let detail: unknown;
    try {
      detail = parseJson(Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!isPlainObject(detail))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object.' };
    let resources: string[] = [];
    if (Resources !== undefined && Resources !== null) {
      if (!Array.isArray(Resources) || !Resources.every((resource) => typeof resource === 'string'))
        return invalidArgument('Resources', 'Resources must be a list of strings.');
      resources = Resources;
    }
    let time: string | undefined;
    if (Time !== undefined && Time !== null) {
      const date = parseTime(Time);
      if (date === undefined) return invalidArgument('Time', 'Time must be a timestamp.');
      time = envelopeTime(date);
    }
    const busName = EventBusName === undefined || EventBusName === null ? 'default' : EventBusName;
    if (typeof busName !== 'string' || busName === '')
      return invalidArgument('EventBusName', 'EventBusName must be a non-empty string.');
    const target = accounts.resolve(busName, caller, region);
    try {
      if (accounts.exists(target) && !accounts.canPut(target, caller))
        return {
          ErrorCode: 'AccessDeniedException',
          ErrorMessage: `User: arn:aws:iam::${caller}:user/local is not authorized to perform: events:PutEvents on resource: ${busArnOf(target)}`,
        };
      const eventId = accounts.put(target, {
        source: Source,
        'detail-type': DetailType,
        detail,
        resources,
        region,
        account: caller,
        ...(time !== undefined ? { time } : {}),
      });
      return { EventId: eventId };
    } catch (error) {
      if (error instanceof EventBusNotFoundError)
        return { ErrorCode: error.name, ErrorMessage: error.message };
      throw error;
    }
  }

  function putEvents(input: Record<string, unknown>, region: string, caller: string) {
    const { Entries } = input;
    if (Entries === undefined || Entries === null)
      throw new RequestError(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    if (!Array.isArray(Entries)) throw new RequestError('SerializationException', 'Entries must be a list.');
    if (Entries.length < 1 || Entries.length > MAX_ENTRIES)
      throw new RequestError(
        'ValidationException',
        `1 validation error detected: Value '[${Entries.length} entries]' at 'entries' failed to satisfy constraint: ` +
          `Member must have length ${Entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`}`,
      );
    // EventBridge fails the whole request when no entry has Source, DetailType and Detail.
    const complete = (entry: unknown) =>
      isPlainObject(entry) &&
      typeof entry.Source === 'string' &&
      typeof entry.DetailType === 'string' &&
      typeof entry.Detail === 'string';
    if (!Entries.some(complete))
      throw new RequestError(
        'ValidationException',
        'Parameters Source, DetailType and Detail are required: no entry in the request has all three.',
      );
    const size = Entries.reduce(
      (sum: number, entry: unknown) => sum + (isPlainObject(entry) ? entrySize(entry) : 0),
      0,
    );
    if (size > maxRequestBytes)
      throw new RequestError(
        'ValidationException',
        `Total size of the entries in the request is over the limit (${size} > ${maxRequestBytes} bytes).`,
      );
    const results = Entries.map((entry) => putEntry(entry, region, caller));
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  function testEventPattern(input: Record<string, unknown>) {
    const { EventPattern, Event } = input;
    if (typeof EventPattern !== 'string') throw RequestError.missing('eventPattern');
    if (typeof Event !== 'string') throw RequestError.missing('event');
    const compiled = compileEventPattern(EventPattern);
    let event: unknown;
    try {
      event = parseJson(Event);
    } catch {
      throw new RequestError(
        'ValidationException',
        'Parameter Event is not valid. Reason: the event is not valid JSON',
      );
    }
    const problem = testEventProblem(event);
    if (problem !== undefined)
      throw new RequestError('ValidationException', `Parameter Event is not valid. Reason: ${problem}`);
    return { Result: compiled.matches(event) };
  }

  return async (request) => {
    const requestId = newRequestId();
    const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
    try {
      const target = header(request, 'x-amz-target') ?? '';
      const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
      const administer = Object.hasOwn(admin, operation) ? admin[operation] : undefined;
      if (operation !== 'PutEvents' && operation !== 'TestEventPattern' && administer === undefined)
        throw new RequestError(
          'UnknownOperationException',
          `The local EventBridge does not implement ${target === '' ? 'requests without x-amz-target' : target}`,
        );
      if (request.method !== 'POST')
        throw new RequestError('SerializationException', 'Requests must be POST.');
      let input: unknown;
      try {
        input = request.body.trim() === '' ? {} : JSON.parse(request.body);
      } catch {
        throw new RequestError('SerializationException', 'The request body is not valid JSON.');
      }
      if (!isPlainObject(input))
        throw new RequestError('SerializationException', 'The request body must be a JSON object.');
      const region = signedRegion(request.headers) ?? options.defaultRegion ?? bus.region;
      const caller = callerAccount(request.headers, bus.accountId, options.issuedKeyAccount);
      const output =
        operation === 'PutEvents'
          ? putEvents(input, region, caller)
          : administer !== undefined
            ? administer(input, region, caller)
            : testEventPattern(input);
      return { status: 200, headers, body: JSON.stringify(output) };
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      return {
        status: error.status,
        headers: { ...headers, 'x-amzn-errortype': error.type },
        body: JSON.stringify({ __type: error.type, message: error.message }),
      };
    }
  };
}
