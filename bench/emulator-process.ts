import { createEc2Emulator, type Ec2Emulator } from '@ami-lifecycle/emulator/ec2/index.js';
import { createOrganizationsEmulator } from '@ami-lifecycle/emulator/organizations/index.js';
import { type LocalServer, startLocalServer } from '@ami-lifecycle/emulator/server.js';
import {
  type EmulatorConfig,
  type EmulatorRequest,
  EmulatorRequestSchema,
  type EmulatorResponse,
} from './emulator-protocol.js';

/**
 * The EC2 emulator (and Organizations, when the bench seeds one) and their HTTP server, in a process
 * of their own, for `bench/scale.ts` and `bench/org.ts`: with the
 * tool in the same process, thousands of images share one event loop and the emulator's CPU mixes
 * into the wall time the benchmark measures. Forked by `bench/emulator-client.ts` with an IPC
 * channel (`node --import tsx bench/emulator-process.ts`); the requests and responses are those of
 * `bench/emulator-protocol.ts`. Writes nothing to stdout (the bench's stdout is its document).
 * Exits after `close`, or when the parent goes away.
 */

interface Running {
  readonly emulator: Ec2Emulator;
  readonly server: LocalServer;
}

let running: Running | undefined;

/** Sends `response`; `sent` runs once it is handed to the channel. */
function send(response: EmulatorResponse, sent?: () => void): void {
  process.send?.(response, undefined, undefined, () => sent?.());
}

function started(): Running {
  if (running === undefined) throw new Error('the emulator is not started: send `start` first');
  return running;
}

async function start(config: EmulatorConfig): Promise<Running> {
  if (running !== undefined) throw new Error('the emulator is already started');
  const organizations =
    config.organization === undefined
      ? undefined
      : createOrganizationsEmulator({ organization: config.organization });
  const membership = organizations?.organization;
  const emulator = createEc2Emulator({
    copyDelayMs: config.copyDelayMs,
    throttle: config.throttle,
    ...(membership !== undefined
      ? { membershipOf: (account: string) => membership.membership(account) }
      : {}),
  });
  const server = await startLocalServer({
    ec2: emulator.service,
    ...(organizations !== undefined ? { organizations: organizations.service } : {}),
  });
  running = { emulator, server };
  return running;
}

async function stop(): Promise<void> {
  const current = running;
  running = undefined;
  if (current === undefined) return;
  current.emulator.close();
  await current.server.close();
}

async function answer(request: EmulatorRequest): Promise<EmulatorResponse> {
  const { id } = request;
  switch (request.type) {
    case 'start': {
      const { emulator, server } = await start(request.config);
      return { type: 'started', id, endpoint: server.endpoint, accountId: emulator.accountId };
    }
    case 'seed': {
      const { emulator } = started();
      for (let i = 0; i < request.count; i++) {
        emulator.seedImage({
          region: request.region,
          name: `${request.namePrefix}${String(i).padStart(5, '0')}`,
          emitEvent: false,
          creationDate: new Date(request.firstCreationMs + i * 60_000),
        });
      }
      return { type: 'seeded', id, count: request.count };
    }
    case 'counters':
      return { type: 'counters', id, counters: started().emulator.counters() };
    case 'loop': {
      const cpu = process.cpuUsage();
      return {
        type: 'loop',
        id,
        activeMs: performance.eventLoopUtilization().active,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
    }
    case 'accountCounters':
      return { type: 'accountCounters', id, counters: started().emulator.countersByAccount() };
    case 'reset': {
      const { emulator } = started();
      emulator.resetCounters();
      emulator.resetThrottle();
      return { type: 'reset', id };
    }
    case 'states': {
      const states: Record<string, number> = {};
      for (const image of started().emulator.listImages(request.region)) {
        states[image.state] = (states[image.state] ?? 0) + 1;
      }
      return { type: 'states', id, region: request.region, states };
    }
    case 'ownerStates': {
      const states: Record<string, Record<string, number>> = {};
      for (const image of started().emulator.listImages(request.region)) {
        const owned = states[image.ownerId] ?? {};
        owned[image.state] = (owned[image.state] ?? 0) + 1;
        states[image.ownerId] = owned;
      }
      return { type: 'ownerStates', id, region: request.region, states };
    }
    case 'close':
      await stop();
      return { type: 'closed', id };
  }
}

function idOf(raw: unknown): number {
  if (typeof raw === 'object' && raw !== null && 'id' in raw && Number.isInteger(raw.id)) {
    return Number(raw.id);
  }
  return -1;
}

if (process.send === undefined) {
  process.stderr.write(
    'bench/emulator-process.ts runs as a forked child with an IPC channel (see emulator-client.ts)\n',
  );
  process.exit(2);
}

process.on('message', (raw: unknown) => {
  const parsed = EmulatorRequestSchema.safeParse(raw);
  if (!parsed.success) {
    send({ type: 'error', id: idOf(raw), message: `bad request: ${parsed.error.message}` });
    return;
  }
  const request = parsed.data;
  answer(request).then(
    (response) =>
      // After `closed` nothing is left to serve: let the IPC channel go so the process can end.
      send(response, () => {
        if (response.type === 'closed') process.disconnect();
      }),
    (error: unknown) =>
      send({
        type: 'error',
        id: request.id,
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});

// The parent went away (crashed, killed) without `close`: do not outlive it.
process.on('disconnect', () => {
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
