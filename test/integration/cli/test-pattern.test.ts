import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin/ami-lifecycle.js');
const FIXTURES = join(ROOT, 'packages/event-pattern/examples');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as users do (Node 24 under npm scripts), optionally feeding standard input. */
function cli(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

let dir: string;
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'test-pattern-'));
});

describe('ami-lifecycle test-pattern', () => {
  const available = join(FIXTURES, 'ec2-ami-state-change-available.json');
  const failed = join(FIXTURES, 'ec2-ami-state-change-failed.json');
  const toolPattern = () =>
    file(
      'tool.json',
      JSON.stringify({
        source: ['aws.ec2'],
        'detail-type': ['EC2 AMI State Change'],
        detail: { State: ['available'] },
      }),
    );

  it('prints true and exits 0 when the event matches', async () => {
    expect(await cli(['test-pattern', '--pattern', toolPattern(), '--event', available])).toEqual({
      code: 0,
      stdout: 'true\n',
      stderr: '',
    });
  });

  it('prints false and exits 0 when it does not', async () => {
    expect(await cli(['test-pattern', '--pattern', toolPattern(), '--event', failed])).toEqual({
      code: 0,
      stdout: 'false\n',
      stderr: '',
    });
  });

  it('compares numbers in exact matches by their JSON text, as EventBridge does', async () => {
    const pattern = file('n.json', '{"detail":{"n":[300]}}');
    const event = (n: string) =>
      file(
        `e-${n}.json`,
        `{"id":"1","account":"1","source":"s","time":"t","region":"r","resources":[],"detail-type":"d","detail":{"n":${n}}}`,
      );
    expect((await cli(['test-pattern', '--pattern', pattern, '--event', event('300')])).stdout).toBe(
      'true\n',
    );
    expect((await cli(['test-pattern', '--pattern', pattern, '--event', event('300.0')])).stdout).toBe(
      'false\n',
    );
  });

  it('reads one of the files from standard input', async () => {
    const result = await cli(
      ['test-pattern', '--pattern', '-', '--event', available],
      '{"detail":{"State":["available"]}}',
    );
    expect(result).toMatchObject({ code: 0, stdout: 'true\n' });
  });

  it('explains an invalid pattern and exits 2', async () => {
    const pattern = file('bad.json', '{"detail":{"State":[{"Prefix":"avail"}]}}');
    const result = await cli(['test-pattern', '--pattern', pattern, '--event', available]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `${pattern}: Event pattern is not valid. Reason: Unrecognized match type Prefix (operator names are case-sensitive: use "prefix") (at $.detail.State[0].Prefix)`,
    );
  });

  it.each([
    {
      why: 'a pattern file that is not JSON',
      pattern: () => file('syntax.json', '{"source": ['),
      stderr: 'is not valid JSON',
    },
    {
      why: 'a pattern file that does not exist',
      pattern: () => join(dir, 'missing.json'),
      stderr: 'cannot read the pattern file',
    },
    {
      why: 'an empty array in the pattern',
      pattern: () => file('empty.json', '{"source":[]}'),
      stderr: 'Empty arrays are not allowed',
    },
  ])('exits 2 for $why', async ({ pattern, stderr }) => {
    const result = await cli(['test-pattern', '--pattern', pattern(), '--event', available]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(stderr);
  });

  it('exits 2 for an event that is not JSON or lacks the envelope', async () => {
    const notJson = await cli([
      'test-pattern',
      '--pattern',
      toolPattern(),
      '--event',
      file('e.json', 'nope'),
    ]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('the event file');
    const detailOnly = await cli([
      'test-pattern',
      '--pattern',
      toolPattern(),
      '--event',
      file('d.json', '{"State":"available"}'),
    ]);
    expect(detailOnly.code).toBe(2);
    expect(detailOnly.stderr).toContain(
      'Parameter Event is not valid. Reason: the event is missing required field(s): id, account',
    );
  });

  it('exits 2 when an option is missing', async () => {
    const result = await cli(['test-pattern', '--pattern', toolPattern()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--event <file>' not specified");
  });
});
