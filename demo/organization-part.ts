import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the organization part printed, and its exit code (0: converged). */
export interface OrganizationPart {
  code: number;
  stdout: string;
}

/**
 * Runs demo/organization.ts in a process of its own, started now so that it runs alongside the
 * main part: the handlers keep their SDK clients (and the endpoint they were built for) for the
 * life of the process, so a second local stack needs a second process. Its errors go to stderr.
 */
export function runOrganizationPart(args: readonly string[]): Promise<OrganizationPart> {
  const script = fileURLToPath(new URL('./organization.ts', import.meta.url));
  const root = fileURLToPath(new URL('..', import.meta.url));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (stderr !== '') process.stderr.write(stderr);
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout });
      },
    );
  });
}
