import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EmulatedRequest, EmulatedResponse, EmulatedService } from './http.js';

/**
 * One loopback HTTP endpoint for every emulated service, as `AWS_ENDPOINT_URL` points every SDK
 * client at one URL. Requests whose `x-amz-target` starts with `AWSEvents.` (EventBridge's JSON
 * protocol) go to `eventbridge`; everything else is EC2's Query protocol. Bodies are buffered and
 * handed to the service whole. The server never dies on a bad request: a service that throws gets
 * a logged 500.
 */
export interface LocalServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** A loopback address only: `127.0.0.1` (default), `::1` or `localhost`. */
  host?: string;
  ec2: EmulatedService;
  eventbridge?: EmulatedService;
}

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

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function jsonError(status: number, type: string, message: string): EmulatedResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ __type: type, message }),
  };
}

function route(request: IncomingMessage, options: LocalServerOptions): EmulatedService {
  if (header(request, 'x-amz-target')?.startsWith('AWSEvents.')) {
    return (
      options.eventbridge ??
      (async () => jsonError(501, 'NotImplemented', 'EventBridge is not emulated by this local server'))
    );
  }
  return options.ec2;
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
    result = await route(request, options)(emulated);
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
  // Clients that open keep-alive connections must not hold close() up.
  server.keepAliveTimeout = 1000;
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
