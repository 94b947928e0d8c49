import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * The test suite in layers, one Vitest project each (`npm run test:<layer>`; `npm test` runs all):
 *
 * - unit: the product's code with fakes or mocked SDK clients, no server, no child process;
 * - integration: the real handlers, CLI and SDK against the emulator on loopback (test/integration,
 *   test/local-stack, test/demo);
 * - emulator: the two workspace packages' own tests, the AWS CLI ones aside (each package also has
 *   a vitest.config.ts of its own, for `npm test -w <package>`);
 * - deploy: `serverless package` once, then the template and the zips it wrote;
 * - compatibility: the emulator driven by the AWS CLI (`/usr/bin/aws`, which `.ci/run` installs).
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file more than cores (Vitest's default is one fewer): many files spend their time waiting
    // for processes of their own (serverless package, npm pack, the CLI, the demo, the AWS CLI), so
    // on two cores one worker left a core idle and `npm test` took half again as long.
    maxWorkers: availableParallelism() + 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [
            'test/integration/**',
            'test/local-stack/**',
            'test/demo/**',
            'test/deploy/**',
            'test/build/**',
          ],
          setupFiles: ['test/setup.ts'],
          // Files share a worker and its loaded modules (the SDK clients are most of the import
          // time): a third of the CPU. Safe because unit tests set no process state they do not
          // undo (vi.stubEnv with unstubAllEnvs, mocks restored).
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          // Files share workers, so the AWS SDK and the other libraries are loaded once a worker
          // (a quarter of the CPU of npm test went to loading them once a file); the product's own
          // modules are loaded afresh for each file (fresh-modules.ts), because the handlers read
          // the environment, which the local stack sets for its file, when first imported. No
          // integration file mocks modules or stubs globals; the stack restores the environment.
          isolate: false,
          setupFiles: ['test/support/fresh-modules.ts'],
          // The CLI built once into dist/, for the tests that spawn bin/ami-lifecycle.js (here only,
          // so the other layers do not wait for a build).
          globalSetup: ['test/support/build-cli.ts'],
          include: [
            'test/integration/**/*.test.ts',
            'test/local-stack/**/*.test.ts',
            'test/demo/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'emulator',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: ['packages/emulator/test/awscli/**'],
          // As for unit: the emulators are created per test and the local stack restores the
          // environment it sets when closed, so files can share a worker (a third of the CPU).
          isolate: false,
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts', 'test/build/**/*.test.ts'],
          // The bundles esbuild-plugins.test.ts writes and imports back, loaded by Node as they are:
          // through Vite's transform, the two EC2 schema bundles (1.3 MB each) took 4 s to import.
          server: { deps: { external: [/[\\/]ami-lifecycle-plugins-[^\\/]+[\\/]/] } },
        },
      },
      {
        test: {
          name: 'compatibility',
          include: ['packages/emulator/test/awscli/**/*.test.ts'],
          // Each AWS CLI invocation is a second of Python start-up; a loaded machine stretches it.
          testTimeout: 180_000,
          // Files share a worker, and so the AWS CLI fork server of aws.ts (the CLI imported and the
          // models parsed once a worker, not once a file). Each file starts its own emulator.
          isolate: false,
        },
      },
    ],
  },
});
