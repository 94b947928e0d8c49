import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  credentialScope,
  type EmulatedRequest,
  type EmulatedResponse,
  type EmulatedService,
} from './http.js';

/**
 * One loopback HTTP endpoint for every emulated service, as `AWS_ENDPOINT_URL` points every SDK
 * client at one URL. The service is the signing name of the SigV4 credential scope
 * (`Credential=AKID/20260101/us-east-1/sqs/aws4_request` → `sqs`), as every SDK client and the AWS
 * CLI sign each request for the service they call. Unsigned requests fall back to the protocol:
 * `x-amz-target` `AWSEvents.*` → EventBridge, `DynamoDB_20120810.*` → DynamoDB, `AmazonSQS.*` →
 * SQS, `AmazonSSM.*` → SSM, `AWSOrganizationsV20161128.*` → Organizations, `TrentService.*` → KMS, a Query body with SNS's `Version=2010-03-31` → SNS, SQS's `2012-11-05` → SQS or STS's
 * `2011-06-15` → STS, anything else → EC2 (Query).
 *
 * A service that is not emulated (or not configured) is answered 501 `NotImplemented`, in JSON for
 * JSON-protocol requests and in XML otherwise, naming the service. Bodies are buffered and handed to
 * the service whole. The server never dies on a bad request: a service that throws gets a logged 500.
 */
export interface LocalServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** A loopback address only: `127.0.0.1` (default), `::1` or `localhost`. */
  host?: string;
  ec2: EmulatedService;
  /** EventBridge (signing name `events`). */
  eventbridge?: EmulatedService;
  dynamodb?: EmulatedService;
  sqs?: EmulatedService;
  sns?: EmulatedService;
  /** STS (signing name `sts`): GetCallerIdentity, so clients learn the account they act for. */
  sts?: EmulatedService;
  /** SSM (signing name `ssm`): Parameter Store. */
  ssm?: EmulatedService;
  /** Organizations (signing name `organizations`): the seeded organization, read-only. */
  organizations?: EmulatedService;
  /** KMS (signing name `kms`): DescribeKey over the seeded keys and every account's `aws/ebs` key. */
  kms?: EmulatedService;
}

/** The signing names this server can route, and the option serving each. */
export const ROUTED_SERVICES = {
  ec2: 'ec2',
  events: 'eventbridge',
  dynamodb: 'dynamodb',
  sqs: 'sqs',
  sns: 'sns',
  sts: 'sts',
  ssm: 'ssm',
  organizations: 'organizations',
  kms: 'kms',
} as const satisfies Record<string, keyof LocalServerOptions>;

export interface LocalServer {
  /** `http://127.0.0.1:PORT`, for `endpoint` / `--endpoint-url` / `AWS_ENDPOINT_URL`. */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/** Bodies larger than this are refused (413): no real request to these APIs comes near it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge(`request body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function isJsonRequest(request: EmulatedRequest): boolean {
  const contentType = headerOf(request, 'content-type') ?? '';
  return headerOf(request, 'x-amz-target') !== undefined || contentType.includes('json');
}

function headerOf(request: EmulatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const DISPLAY_NAMES: Record<string, string> = {
  ec2: 'EC2',
  events: 'EventBridge',
  dynamodb: 'DynamoDB',
  sqs: 'SQS',
  sns: 'SNS',
  sts: 'STS',
  ssm: 'SSM',
  organizations: 'Organizations',
  kms: 'KMS',
};

/**
 * Answers a request for a service this endpoint does not serve, in the request's own protocol
 * family: a routable service that was not mounted, or one this server does not know at all.
 */
function notImplemented(request: EmulatedRequest, service: string): EmulatedResponse {
  const display = Object.hasOwn(DISPLAY_NAMES, service) ? DISPLAY_NAMES[service] : undefined;
  const message =
    display !== undefined
      ? `${display} is not emulated by this local server`
      : `The local endpoint does not emulate the AWS service '${service}' (it serves: ${Object.keys(ROUTED_SERVICES).join(', ')}).`;
  if (isJsonRequest(request)) {
    return {
      status: 501,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'NotImplemented' },
      body: JSON.stringify({ __type: 'NotImplemented', message }),
    };
  }
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    status: 501,
    headers: { 'content-type': 'text/xml' },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<ErrorResponse><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>${escaped}</Message></Error></ErrorResponse>`,
  };
}

const TARGET_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['AWSEvents.', 'events'],
  ['DynamoDB_20120810.', 'dynamodb'],
  ['AmazonSQS.', 'sqs'],
  ['AmazonSSM.', 'ssm'],
  ['AWSOrganizationsV20161128.', 'organizations'],
  ['TrentService.', 'kms'],
];

/** The signing name a request is for: its credential scope's, else told by its protocol (see above). */
export function serviceOf(request: EmulatedRequest): string {
  const scope = credentialScope(request.headers);
  if (scope !== undefined) return scope.service;
  const target = headerOf(request, 'x-amz-target');
  if (target !== undefined) {
    const known = TARGET_PREFIXES.find(([prefix]) => target.startsWith(prefix));
    return known?.[1] ?? target.split('.')[0] ?? target;
  }
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const version =
    new URLSearchParams(request.body).get('Version') ?? new URLSearchParams(query).get('Version');
  if (version === '2010-03-31') return 'sns';
  if (version === '2012-11-05') return 'sqs';
  if (version === '2011-06-15') return 'sts';
  return 'ec2';
}

function route(request: EmulatedRequest, options: LocalServerOptions): EmulatedService {
  const service = serviceOf(request);
  const option = Object.hasOwn(ROUTED_SERVICES, service)
    ? ROUTED_SERVICES[service as keyof typeof ROUTED_SERVICES]
    : undefined;
  const handler = option === undefined ? undefined : options[option];
  if (typeof handler === 'function') return handler;
  return async () => notImplemented(request, service);
}

async function handle(request: IncomingMessage, response: ServerResponse, options: LocalServerOptions) {
  let result: EmulatedResponse;
  try {
    const body = await readBody(request);
    const emulated: EmulatedRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body,
    };
    result = await route(emulated, options)(emulated);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      result = { status: 413, headers: { 'content-type': 'text/plain' }, body: error.message };
    } else {
      console.error('local server: request failed', request.method, request.url, error);
      const message = error instanceof Error ? error.message : String(error);
      result = { status: 500, headers: { 'content-type': 'text/plain' }, body: `Internal error: ${message}` };
    }
  }
  if (response.headersSent || response.destroyed) return;
  response.writeHead(result.status, {
    ...result.headers,
    'content-length': String(Buffer.byteLength(result.body)),
  });
  response.end(result.body);
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new RangeError(`startLocalServer listens on loopback only, not ${host}`);
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      console.error('local server: could not answer', error);
      response.destroy();
    });
  });
  // Idle connections stay open 5 s (Node's default), so clients reuse them as they reuse AWS's. Not
  // less: Node's http.Agent stops reusing a socket 1 s before the `Keep-Alive: timeout=` the server
  // announces, so an announced 1 s made every request of every Node client open a new connection.
  // close() ends idle connections itself (closeAllConnections), so they never hold it up.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('local server: no TCP address');
  const { port } = address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
