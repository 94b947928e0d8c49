import { vi } from 'vitest';

/**
 * The integration files share workers (`isolate: false`) for the libraries they load (the AWS SDK
 * above all, externalised and cached by Node), but not the product's modules: those are evaluated
 * afresh for every file, since the handlers build their clients from the environment when first
 * imported and each file starts its own emulator on its own port.
 */
vi.resetModules();
