import { EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, expect } from 'vitest';
import type { AmiStateChangeEvent, Ec2Emulator, Ec2EmulatorOptions } from '../src/ec2/index.js';
import { createEc2Emulator } from '../src/ec2/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';

/**
 * Test harness: an EC2 emulator behind the real loopback server, and real SDK clients pointed at
 * it. Throttling is off and copies wait for `completePendingCopies()` unless a test says otherwise.
 */
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const ACCOUNT = '123456789012';
export const OTHER_ACCOUNT = '210987654321';

export interface Harness {
  emulator: Ec2Emulator;
  server: LocalServer;
  /** Every AMI event emitted since the harness started, in order. */
  events: AmiStateChangeEvent[];
  /** An SDK client for `region`, with SDK retries off so errors surface on the first attempt. */
  client(region?: string, accessKeyId?: string): EC2Client;
  close(): Promise<void>;
}

export async function startHarness(options: Ec2EmulatorOptions = {}): Promise<Harness> {
  const emulator = createEc2Emulator({ throttle: false, copyDelayMs: 3_600_000, ...options });
  const server = await startLocalServer({ ec2: emulator.service });
  const events: AmiStateChangeEvent[] = [];
  emulator.onEvent((event) => events.push(event));
  const clients: EC2Client[] = [];
  let closed = false;
  return {
    emulator,
    server,
    events,
    client(region = 'us-east-1', accessKeyId = CREDENTIALS.accessKeyId) {
      const client = new EC2Client({
        region,
        endpoint: server.endpoint,
        credentials: { accessKeyId, secretAccessKey: CREDENTIALS.secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      // Idempotent, so a suite can close in afterEach whether or not the test made its own harness.
      if (closed) return;
      closed = true;
      for (const client of clients) client.destroy();
      emulator.close();
      await server.close();
    },
  };
}

/**
 * A fresh harness for each test of the enclosing `describe`, started before it and closed after it.
 * The object returned stands for the running test's harness.
 */
export function useHarness(options: Ec2EmulatorOptions = {}): Harness {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(options);
  });
  afterEach(() => current?.close());
  const harness = (): Harness => {
    if (current === undefined) throw new Error('useHarness: the harness exists only while a test runs');
    return current;
  };
  return {
    get emulator() {
      return harness().emulator;
    },
    get server() {
      return harness().server;
    },
    get events() {
      return harness().events;
    },
    client: (region, accessKeyId) => harness().client(region, accessKeyId),
    close: () => harness().close(),
  };
}

/** Awaits `call`, which must fail with the EC2 error `name` and HTTP `status`; returns the error. */
export async function expectEc2Error(
  call: Promise<unknown>,
  name: string,
  status = 400,
): Promise<EC2ServiceException> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof EC2ServiceException)) {
    throw new Error(`expected ${name}, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  expect(caught.name).toBe(name);
  expect(caught.$metadata.httpStatusCode).toBe(status);
  return caught;
}

/** A request signed-looking enough for the emulator: it reads the region from the credential scope. */
export function authorization(region: string, accessKeyId = 'test'): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=00`;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** Sends Query parameters as a form POST (or a GET query string) without the SDK. */
export async function rawRequest(
  endpoint: string,
  params: Record<string, string>,
  options: { region?: string; method?: 'GET' | 'POST' } = {},
): Promise<RawResponse> {
  const query = new URLSearchParams(params).toString();
  const headers: Record<string, string> = {};
  if (options.region !== undefined) headers.authorization = authorization(options.region);
  const response =
    options.method === 'GET'
      ? await fetch(`${endpoint}/?${query}`, { headers })
      : await fetch(`${endpoint}/`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: query,
        });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** Resolves with the first event (already seen or future) matching `predicate`. */
export function waitForEvent(
  harness: Harness,
  predicate: (event: AmiStateChangeEvent) => boolean,
): Promise<AmiStateChangeEvent> {
  const seen = harness.events.find(predicate);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const unsubscribe = harness.emulator.onEvent((event) => {
      if (predicate(event)) {
        unsubscribe();
        resolve(event);
      }
    });
  });
}
