import { type ChildProcess, fork } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { AccountCounterSnapshot, CounterSnapshot } from '@ami-lifecycle/emulator/ec2/index.js';
import {
  type EmulatorConfig,
  type EmulatorRequest,
  type EmulatorResponse,
  EmulatorResponseSchema,
} from './emulator-protocol.js';

/**
 * The tool's side of `bench/emulator-process.ts`: forks it, starts the emulator there, and offers
 * its IPC requests as methods. The tool reaches EC2 only through `endpoint`, over HTTP.
 *
 * Contract: every method resolves with the child's answer or rejects (an `error` answer, an answer
 * of the wrong type, or the child exiting first); `close` always ends the child, killing it if it
 * does not exit on its own within `EXIT_GRACE_MS`.
 */
export interface EmulatorProcess {
  /** `http://127.0.0.1:PORT`, the emulator's EC2 endpoint. */
  readonly endpoint: string;
  readonly accountId: string;
  /** See the `seed` request in `emulator-protocol.ts`. */
  seed(region: string, namePrefix: string, count: number, firstCreationMs: number): Promise<void>;
  counters(): Promise<CounterSnapshot>;
  /** The counters per calling account. */
  accountCounters(): Promise<AccountCounterSnapshot>;
  /** The child's event-loop time (active) and CPU time (user + system), ms, since it started: the emulator's own work. */
  load(): Promise<{ activeMs: number; cpuMs: number }>;
  /** Zeroes the counters and refills the token buckets. */
  reset(): Promise<void>;
  /** state → images of `region` in it. */
  states(region: string): Promise<Record<string, number>>;
  /** owner → state → images of `region`. */
  ownerStates(region: string): Promise<Record<string, Record<string, number>>>;
  close(): Promise<void>;
}

const CHILD = join(resolve(import.meta.dirname), 'emulator-process.ts');
const ROOT = resolve(import.meta.dirname, '..');
const EXIT_GRACE_MS = 5000;

/** A request before the client numbers it (`Omit` applied to each member of the union). */
type Request = EmulatorRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export async function startEmulatorProcess(config: EmulatorConfig): Promise<EmulatorProcess> {
  const child = fork(CHILD, [], {
    cwd: ROOT,
    // tsx from the repository, whatever loaders started this process (vitest, tsx).
    execArgv: ['--import', 'tsx'],
    // The child's output goes to stderr: the bench's stdout is its document.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const client = new Client(child);
  try {
    const started = await client.call({ type: 'start', config });
    if (started.type !== 'started') throw unexpected('started', started);
    return {
      endpoint: started.endpoint,
      accountId: started.accountId,
      seed: async (region, namePrefix, count, firstCreationMs) => {
        const r = await client.call({ type: 'seed', region, namePrefix, count, firstCreationMs });
        if (r.type !== 'seeded') throw unexpected('seeded', r);
      },
      counters: async () => {
        const r = await client.call({ type: 'counters' });
        if (r.type !== 'counters') throw unexpected('counters', r);
        return r.counters;
      },
      load: async () => {
        const r = await client.call({ type: 'loop' });
        if (r.type !== 'loop') throw unexpected('loop', r);
        return { activeMs: r.activeMs, cpuMs: r.cpuMs };
      },
      accountCounters: async () => {
        const r = await client.call({ type: 'accountCounters' });
        if (r.type !== 'accountCounters') throw unexpected('accountCounters', r);
        return r.counters;
      },
      reset: async () => {
        const r = await client.call({ type: 'reset' });
        if (r.type !== 'reset') throw unexpected('reset', r);
      },
      states: async (region) => {
        const r = await client.call({ type: 'states', region });
        if (r.type !== 'states') throw unexpected('states', r);
        return r.states;
      },
      ownerStates: async (region) => {
        const r = await client.call({ type: 'ownerStates', region });
        if (r.type !== 'ownerStates') throw unexpected('ownerStates', r);
        return r.states;
      },
      close: () => client.close(),
    };
  } catch (error) {
    await client.close();
    throw error;
  }
}

function unexpected(expected: string, response: EmulatorResponse): Error {
  return new Error(
    response.type === 'error'
      ? `emulator process: ${response.message}`
      : `emulator process: answered ${response.type}, expected ${expected}`,
  );
}

interface Pending {
  resolve(response: EmulatorResponse): void;
  reject(error: Error): void;
}

/** Request/response over the child's IPC channel, matched by id. */
class Client {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly exited: Promise<void>;
  private exitedAlready = false;

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.exitedAlready = true;
        this.failAll(new Error(`emulator process exited (${signal ?? `code ${code}`})`));
        resolveExit();
      });
    });
    child.on('error', (error) => this.failAll(error));
    child.on('message', (raw: unknown) => this.receive(raw));
  }

  call(request: Request): Promise<EmulatorResponse> {
    if (this.exitedAlready) return Promise.reject(new Error('emulator process: already exited'));
    const id = this.nextId++;
    return new Promise((resolveCall, rejectCall) => {
      this.pending.set(id, { resolve: resolveCall, reject: rejectCall });
      this.child.send({ ...request, id }, (error) => {
        if (error !== null) {
          this.pending.delete(id);
          rejectCall(error);
        }
      });
    });
  }

  async close(): Promise<void> {
    if (!this.exitedAlready && this.child.connected) {
      try {
        await this.call({ type: 'close' });
      } catch {
        // Exited or not answering: the kill below ends it.
      }
    }
    const timer = setTimeout(() => this.child.kill(), EXIT_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private receive(raw: unknown): void {
    const parsed = EmulatorResponseSchema.safeParse(raw);
    if (!parsed.success) {
      this.failAll(new Error(`emulator process: unreadable message: ${parsed.error.message}`));
      return;
    }
    const response = parsed.data;
    const waiting = this.pending.get(response.id);
    if (waiting === undefined) {
      // An error about a request the child could not read (id -1): every caller must know.
      if (response.type === 'error') this.failAll(new Error(`emulator process: ${response.message}`));
      return;
    }
    this.pending.delete(response.id);
    waiting.resolve(response);
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
