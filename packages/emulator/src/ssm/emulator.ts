/**
 * A local SSM Parameter Store: the AWS JSON 1.1 protocol (`POST /`, `x-amz-target:
 * AmazonSSM.<Action>`, `application/x-amz-json-1.1`, signing name `ssm`) for PutParameter,
 * GetParameter(s), GetParametersByPath, GetParameterHistory, Label/UnlabelParameterVersion,
 * DeleteParameter(s), DescribeParameters and the tagging actions for parameters.
 *
 * Parameters live per account and region: the region of the SigV4 credential scope
 * (`defaultRegion` when unsigned), the account by the emulators' shared rule (`callerAccount`: a
 * 12-digit access key id is the account, any other key acts as `accountId`).
 *
 * `aws:ec2:image` values are validated asynchronously, as AWS does: PutParameter answers with the
 * new version at once, the change stays invisible until the validation (after `validationDelayMs`)
 * finds the value to be an AMI the account can use in that region (`imageUsable`), and a
 * `Parameter Store Change` event reports the outcome, with `exception` when the parameter was not
 * created or updated.
 */
import { randomUUID } from 'node:crypto';
import { accessKeyIdOf, callerAccount, type IssuedKeyAccount } from '../accounts.js';
import { DEFAULT_ACCOUNT_ID } from '../ec2/index.js';
import { credentialScope, type EmulatedService, headerValue } from '../http.js';
import type { SsmAction, SsmContext } from './context.js';
import { SsmError } from './errors.js';
import {
  IMAGE_VALIDATION_FAILURE,
  type ParameterEventListener,
  type ParameterStoreChangeEvent,
  parameterStoreChange,
} from './events.js';
import { Input, isRecord } from './input.js';
import { labelParameterVersion, unlabelParameterVersion } from './labels.js';
import {
  addTagsToResource,
  deleteParameter,
  deleteParameters,
  listTagsForResource,
  removeTagsFromResource,
} from './manage.js';
import { nameKey } from './names.js';
import { commitVersion, putParameter } from './put.js';
import {
  describeParameters,
  getParameter,
  getParameterHistory,
  getParameters,
  getParametersByPath,
} from './read.js';
import { latest, type ParameterView, type PendingChange, RegionStore, toView } from './store.js';

/** Whether `accountId` can use the image `imageId` in `region`: the question `aws:ec2:image` asks EC2. */
export type ImageUsable = (query: { accountId: string; region: string; imageId: string }) => boolean;

export interface SsmEmulatorOptions {
  /** The account of callers whose access key is not 12 digits; default the EC2 emulator's default. */
  accountId?: string;
  /** The region of unsigned requests; default `us-east-1`. */
  defaultRegion?: string;
  /**
   * Asked when an `aws:ec2:image` value is validated. Without it only the AMI id's format is
   * checked (an emulator with no EC2 behind it cannot know the account's images).
   */
  imageUsable?: ImageUsable;
  /** The account of access keys the local STS issued (AssumeRole); see `../accounts.ts`. */
  issuedKeyAccount?: IssuedKeyAccount;
  /**
   * The caller's ARN for `LastModifiedUser`, as STS names it (an assumed-role session's ARN for
   * AssumeRole's keys); default the account's user `local`.
   */
  callerArnOf?: (accessKeyId: string | undefined) => string | undefined;
  /** How long an `aws:ec2:image` validation takes; default 50 ms, 0 allowed (still asynchronous). */
  validationDelayMs?: number;
  now?: () => Date;
  newRequestId?: () => string;
}

export interface SsmEmulator {
  /** The HTTP face, for `startLocalServer({ ssm })`. */
  readonly service: EmulatedService;
  readonly accountId: string;
  /** The latest visible version of a parameter (of `accountId` by default), or undefined. */
  getParameter(region: string, name: string, accountId?: string): ParameterView | undefined;
  /** Every visible parameter of the account in the region, in name order. */
  listParameters(region: string, accountId?: string): ParameterView[];
  /**
   * The parameters of `accountId` in `region` whose latest value is one of `imageIds`, as EC2's
   * DescribeImageReferences reports them (`ssm:Parameter`, the parameter's ARN): for a stack to
   * hand to the EC2 emulator, which does not know this one.
   */
  imageReferences(
    accountId: string,
    region: string,
    imageIds: readonly string[],
  ): Array<{ imageId: string; resourceType: 'ssm:Parameter'; arn: string }>;
  /** `aws:ec2:image` changes whose validation has not finished. */
  pendingValidations(): number;
  /** Finishes every pending validation now instead of waiting for `validationDelayMs`. */
  completePendingValidations(): void;
  /** `Parameter Store Change` events of every account and region; returns the unsubscribe function. */
  onEvent(listener: ParameterEventListener): () => void;
  /** Requests served per action, failed ones included. */
  calls(): Readonly<Record<string, number>>;
  /** Stops the validation timers (pending changes stay pending). */
  close(): void;
}

const TARGET_PREFIX = 'AmazonSSM.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

const ACTIONS: Readonly<Record<string, SsmAction>> = {
  AddTagsToResource: addTagsToResource,
  DeleteParameter: deleteParameter,
  DeleteParameters: deleteParameters,
  DescribeParameters: describeParameters,
  GetParameter: getParameter,
  GetParameterHistory: getParameterHistory,
  GetParameters: getParameters,
  GetParametersByPath: getParametersByPath,
  LabelParameterVersion: labelParameterVersion,
  ListTagsForResource: listTagsForResource,
  PutParameter: putParameter,
  RemoveTagsFromResource: removeTagsFromResource,
  UnlabelParameterVersion: unlabelParameterVersion,
};

/** The actions the emulator implements; any other is `UnknownOperationException`. */
export const SSM_ACTIONS: readonly string[] = Object.keys(ACTIONS).sort();

export function createSsmEmulator(options: SsmEmulatorOptions = {}): SsmEmulator {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const delay = options.validationDelayMs ?? 50;
  if (!(Number.isFinite(delay) && delay >= 0))
    throw new RangeError(`validationDelayMs must be >= 0, got ${delay}`);
  const now = options.now ?? (() => new Date());
  const newRequestId = options.newRequestId ?? randomUUID;
  const stores = new Map<string, RegionStore>();
  const listeners = new Set<ParameterEventListener>();
  const counts: Record<string, number> = {};

  const storeOf = (account: string, region: string): RegionStore => {
    const key = `${account}/${region}`;
    let store = stores.get(key);
    if (store === undefined) {
      store = new RegionStore(account, region);
      stores.set(key, store);
    }
    return store;
  };

  const emit = (event: ParameterStoreChangeEvent): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('ssm emulator: a parameter event listener threw', error);
      }
    }
  };

  const imageOk = (store: RegionStore, imageId: string): boolean =>
    AMI_ID.test(imageId) &&
    (options.imageUsable?.({ accountId: store.accountId, region: store.region, imageId }) ?? true);

  /** The end of one validation: the change is stored and announced, or dropped and the failure announced. */
  const finish = (store: RegionStore, change: PendingChange): void => {
    const key = nameKey(change.name);
    if (store.pending.get(key) !== change) return;
    if (change.timer !== undefined) clearTimeout(change.timer);
    store.pending.delete(key);
    const { record } = change;
    if (imageOk(store, record.value)) {
      emit(commitVersion(store, change.name, record, change.tags));
      return;
    }
    emit(
      parameterStoreChange({
        accountId: store.accountId,
        region: store.region,
        name: change.name,
        type: record.type,
        operation: store.get(change.name) === undefined ? 'Create' : 'Update',
        time: now(),
        dataType: record.dataType,
        exception: IMAGE_VALIDATION_FAILURE,
        ...(record.description !== undefined ? { description: record.description } : {}),
      }),
    );
  };

  const service: EmulatedService = async (request) => {
    const requestId = newRequestId();
    const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
    const target = headerValue(request, 'x-amz-target') ?? '';
    const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    counts[action || target] = (counts[action || target] ?? 0) + 1;
    try {
      const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
      if (handler === undefined)
        throw new SsmError(
          'UnknownOperationException',
          `The local SSM does not implement ${target === '' ? 'requests without x-amz-target' : target}.`,
        );
      if (request.method !== 'POST') throw SsmError.serialization('Requests must be POST.');
      let body: unknown;
      try {
        body = request.body.trim() === '' ? {} : JSON.parse(request.body);
      } catch {
        throw SsmError.serialization('The request body is not valid JSON.');
      }
      if (!isRecord(body)) throw SsmError.serialization('The request body must be a JSON object.');
      const account = callerAccount(request.headers, accountId, options.issuedKeyAccount);
      const store = storeOf(account, credentialScope(request.headers)?.region ?? defaultRegion);
      const ctx: SsmContext = {
        store,
        input: new Input(body),
        now: now(),
        user: options.callerArnOf?.(accessKeyIdOf(request.headers)) ?? `arn:aws:iam::${account}:user/local`,
        emit,
        scheduleValidation: (change) => {
          store.pending.set(nameKey(change.name), change);
          change.timer = setTimeout(() => finish(store, change), delay);
        },
      };
      return { status: 200, headers, body: JSON.stringify(handler(ctx)) };
    } catch (error) {
      if (!(error instanceof SsmError)) throw error;
      return { status: error.status, headers, body: JSON.stringify(error.body()) };
    }
  };

  const allPending = () =>
    [...stores.values()].flatMap((store) => [...store.pending.values()].map((change) => ({ store, change })));

  return {
    service,
    accountId,
    getParameter(region, name, account = accountId) {
      const store = storeOf(account, region);
      const record = store.get(name);
      return record === undefined ? undefined : toView(store, record);
    },
    listParameters(region, account = accountId) {
      const store = storeOf(account, region);
      return store.sorted().map((record) => toView(store, record));
    },
    imageReferences(account, region, imageIds) {
      const store = storeOf(account, region);
      return store.sorted().flatMap((record) => {
        const { value } = latest(record);
        return imageIds.includes(value)
          ? [{ imageId: value, resourceType: 'ssm:Parameter' as const, arn: store.arnOf(record.name) }]
          : [];
      });
    },
    pendingValidations: () => allPending().length,
    completePendingValidations() {
      for (const { store, change } of allPending()) finish(store, change);
    },
    onEvent(listener) {
      // Wrapped so the same function can be subscribed twice and unsubscribed independently.
      const entry: ParameterEventListener = (event) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    calls: () => ({ ...counts }),
    close() {
      for (const { change } of allPending()) if (change.timer !== undefined) clearTimeout(change.timer);
    },
  };
}
