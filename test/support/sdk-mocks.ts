import { afterAll } from 'vitest';

/**
 * Gives the mocked SDK clients their own `send()` back once the file's tests are done: unit test
 * files share a worker, and a mock left behind would answer the next file's real clients.
 */
export function restoreAfterAll(...mocks: readonly { restore(): void }[]): void {
  afterAll(() => {
    for (const mock of mocks) mock.restore();
  });
}
