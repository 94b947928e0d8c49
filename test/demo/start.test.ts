import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** `npm start`, the README's main command, as a newcomer runs it: the demo in a process of its own. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = ['--import', 'tsx', 'demo/start.ts'];

/** This process's environment without the npm configs the demo reads as options npm kept. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_config_(serve|port|copy_delay_ms|rules|json)$/i.test(key)) delete env[key];
  }
  return { ...env, ...extra };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runDemo(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...DEMO, ...args],
      { cwd: root, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
        else reject(new Error(`${error.message}\n${stderr}`));
      },
    );
  });
}

/** A loopback port held by this test, so that the demo finds it taken; `port` 0 holds a free one. */
function holdPort(port: number): Promise<{ server: Server | undefined; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      // Taken already (another emulator): just as good for a test that needs it taken.
      if (error.code === 'EADDRINUSE') resolve({ server: undefined, port });
      else reject(error);
    });
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : port });
    });
  });
}

const held: Server[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function hold(port: number): Promise<number> {
  const { server, port: bound } = await holdPort(port);
  if (server !== undefined) held.push(server);
  return bound;
}

/** The demo's run as `--serve` prints it: the demo, then how to reach the endpoint it keeps serving. */
interface Served {
  child: ChildProcess;
  /** Everything up to the serving lines: what `npm start` without --serve prints. */
  stdout: string;
  /** The serving lines. */
  serving: string;
  endpoint: string;
}

/**
 * One demo, with --serve while 4566 is held, read from both sides: the demo's output (the same as
 * without --serve, which then exits 0 where this one serves; `npm run bench -- local` runs that and
 * requires its exit 0), and the endpoint it serves until SIGTERM. One run instead of two: a demo is
 * a second of tsx and SDK start-up and two of the demo itself.
 */
describe('npm start', () => {
  let heldPort: Server | undefined;
  let child: ChildProcess | undefined;
  let served: Promise<Served>;

  beforeAll(async () => {
    ({ server: heldPort } = await holdPort(4566));
    const started = spawn(process.execPath, [...DEMO, '--serve', '--copy-delay-ms', '100'], {
      cwd: root,
      env: cleanEnv(),
    });
    child = started;
    served = new Promise<Served>((resolve, reject) => {
      let stdout = '';
      started.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /keeps running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1] !== undefined && stdout.includes('Handlers stay subscribed')) {
          const at = stdout.indexOf('\nThe emulator keeps running');
          resolve({
            child: started,
            stdout: stdout.slice(0, at),
            serving: stdout.slice(at),
            endpoint: match[1],
          });
        }
      });
      started.once('exit', (code) => reject(new Error(`exited ${code} before serving:\n${stdout}`)));
    });
    // Read by the tests; a failure here is theirs to report.
    served.catch(() => {});
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await new Promise((resolve) => (heldPort === undefined ? resolve(undefined) : heldPort.close(resolve)));
  });

  it('distributes the seeded AMI and prints a readable timeline, in order of effect, then the matrix and call counts', async () => {
    const { stdout } = await served;
    for (const line of stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(160);
    expect(stdout).not.toContain('"detail"');
    const lines = stdout.split('\n');
    const first = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const all = (pattern: RegExp) => lines.flatMap((l, i) => (pattern.test(l) ? [i] : []));

    // The source's event, then the handler it triggered, then the event that handler published.
    const sourceEvent = first(/EC2 AMI State Change: ami-[0-9a-f]+ is available → amiStateChange$/);
    const sourceHandler = first(/amiStateChange \(\d+\.\d\d s\): source: \d+ action\(s\) applied/);
    const distributionStarted = first(
      /AMI Distribution Started: ami-[0-9a-f]+ \(golden-linux\): copying to /,
    );
    expect(sourceEvent).toBeGreaterThan(-1);
    expect(sourceHandler).toBeGreaterThan(sourceEvent);
    expect(distributionStarted).toBeGreaterThan(sourceHandler);

    // Every copy's handler shares it before the family is complete; notify runs on Completed and sends.
    const copyHandlers = all(/amiStateChange \(\d+\.\d\d s\): copy: \d+ action\(s\) applied/);
    const completed = first(
      /AMI Distribution Completed: ami-[0-9a-f]+ \(golden-linux\): available in 4 regions/,
    );
    const notify = first(/notify \(\d+\.\d\d s\): sent/);
    const email = first(/\[ami-lifecycle-dev-notifications\] /);
    expect(copyHandlers).toHaveLength(3);
    for (const handler of copyHandlers) expect(handler).toBeLessThan(completed);
    expect(notify).toBeGreaterThan(completed);
    expect(email).toBeGreaterThan(notify);

    expect(stdout).toContain('Image x region matrix');
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2']) {
      expect(stdout).toMatch(new RegExp(`${region}\\s+ami-[0-9a-f]+\\s+(source|copy)\\s+available`));
    }
    expect(stdout).toMatch(/CopyImage\s+3 /);
    // The metrics the handlers emitted, read back from their EMF lines (which never reach the output).
    const metrics = stdout.slice(stdout.indexOf('\nMetrics ('), stdout.indexOf('\nWall time'));
    for (const region of ['eu-west-1', 'ap-southeast-2', 'us-west-2']) {
      expect(metrics).toMatch(new RegExp(`CopiesStarted\\s+1\\s+rule=golden-linux region=${region}`));
      expect(metrics).toMatch(
        new RegExp(`CopyDuration\\s+1 × (< 1|[\\d.]+) s\\s+rule=golden-linux region=${region}`),
      );
    }
    expect(metrics).toMatch(/ReleasesStarted\s+1\s+rule=golden-linux region=us-east-1/);
    expect(metrics).toMatch(/ReleasesCompleted\s+1\s+rule=golden-linux region=us-east-1/);
    expect(metrics).toMatch(/NotificationsSent\s+1\s+detailType=AMI Distribution Completed/);
    expect(stdout).not.toContain('"_aws"');
    expect(stdout).toContain('Converged:');
  });

  it('then the organization part: the hub and two members (named, found under the OU), their copies, one notification, calls per account', async () => {
    const { stdout } = await served;
    const part = stdout.slice(stdout.indexOf('\nOrganization o-a1b2c3d4e5'));
    expect(part).toMatch(/123456789012 build +hub: the management account/);
    expect(part).toMatch(/333333333333 prod +member: named in the rule/);
    expect(part).toMatch(/222222222222 dev +member: found under the OU ou-ab12-11111111 \(workloads/);

    // Each member owns an available copy in each of its regions.
    const matrix = part.slice(part.indexOf('\nMember copies'), part.indexOf('\nNotification'));
    for (const account of ['333333333333', '222222222222']) {
      expect(matrix).toMatch(new RegExp(`\\n  ${account}  ami-[0-9a-f]+ available +ami-[0-9a-f]+ available`));
    }

    // The one Account Copies Completed notification, listing accounts × regions, as notify formats it.
    const notification = part.slice(part.indexOf('\nNotification'), part.indexOf('\nEC2 calls per account'));
    expect(notification).toContain('(1 AMI Account Copies Completed event, as notify sent it)');
    expect(notification.match(/\[ami-lifecycle-dev-notifications\]/g)).toHaveLength(1);
    expect(notification).toMatch(/copied into 2 accounts × regions/);
    for (const account of ['222222222222', '333333333333']) {
      expect(notification).toMatch(
        new RegExp(`${account}: eu-west-1 ami-[0-9a-f]+, us-east-1 ami-[0-9a-f]+`),
      );
    }

    // The calls each account made: the hub shares, the members copy (two each, one per region).
    const calls = part.slice(part.indexOf('\nEC2 calls per account'));
    expect(calls).toMatch(/123456789012 build +\d+ .*ModifyImageAttribute 1/);
    expect(calls).not.toMatch(/123456789012 build .*CopyImage/);
    expect(calls).toMatch(/333333333333 prod +\d+ +CopyImage 2, /);
    expect(calls).toMatch(/222222222222 dev +\d+ +CopyImage 2, /);
    expect(part).toContain('announced once.');
  });

  it('with --serve, listens on a free port even when 4566 is taken, prints the lines that reach it, and exits 0 on SIGTERM', async () => {
    const { child: demo, serving, endpoint } = await served;

    expect(endpoint).not.toBe('http://127.0.0.1:4566');
    expect(serving).toContain(`export AWS_ENDPOINT_URL=${endpoint} AWS_ACCESS_KEY_ID=test`);
    expect(serving).toContain(`aws --endpoint-url ${endpoint} ec2 describe-images`);
    const identity = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(identity.status).toBe(200);
    expect(await identity.text()).toContain('<Account>');

    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    demo.kill('SIGTERM');
    // 0: the demo converged (1 if not), as without --serve.
    expect(await exited).toBe(0);
  });
});

describe('npm start, refusing', () => {
  it('with a --port that is taken, says so in one line and exits 2', async () => {
    const port = await hold(0);
    const { code, stdout, stderr } = await runDemo(['--port', String(port)]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `npm start: port ${port} on 127.0.0.1 is already in use (an earlier \`npm start -- --serve\`, or another local AWS?); stop it, choose another with --port N, or leave out --port to get a free one.`,
    ]);
  });

  it('refuses a --port that is not a port number, exit 2', async () => {
    const { code, stderr } = await runDemo(['--port', 'http']);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--port <port>' argument 'http' is invalid");
  });

  it('stops with one line when npm kept --serve for itself (npm start --serve, without --)', async () => {
    // npm 11 runs `npm start --serve` as the script with npm_config_serve=true and no argument.
    const { code, stdout, stderr } = await runDemo([], cleanEnv({ npm_config_serve: 'true' }));

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      "npm start: npm took --serve as its own option and did not pass it to the demo; put the demo's options after --: npm start -- --serve",
    ]);
  });
});
