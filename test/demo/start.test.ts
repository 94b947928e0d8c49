import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** `npm start`, the README's main command: the whole flow locally, ending with the matrix and exit 0. */
it('npm start distributes the seeded AMI to every target region and prints the timeline, matrix and call counts', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'demo/start.ts', '--copy-delay-ms', '100'],
      { cwd: root, timeout: 60_000 },
      (error, out, err) => {
        if (error === null) resolve({ code: 0, stdout: out });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout: out });
        else reject(new Error(`${error.message}\n${err}`));
      },
    );
  });

  expect(code).toBe(0);
  expect(stdout).toContain('Timeline');
  expect(stdout).toMatch(/amiStateChange: source: \d+ action\(s\) applied/);
  expect(stdout).toContain('Image x region matrix');
  for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2']) {
    expect(stdout).toMatch(new RegExp(`${region}\\s+ami-[0-9a-f]+\\s+(source|copy)\\s+available`));
  }
  expect(stdout).toMatch(/CopyImage\s+3 /);
  expect(stdout).toContain('Converged:');
});
