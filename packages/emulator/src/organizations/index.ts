/** The local AWS Organizations (read-only, one seeded organization): see `createOrganizationsEmulator`. */
export {
  createOrganizationsEmulator,
  ORGANIZATIONS_OPERATIONS,
  ORGANIZATIONS_TARGET_PREFIX,
  type OrganizationsEmulator,
  type OrganizationsEmulatorOptions,
} from './emulator.js';
export {
  type AccountSeed,
  type ChildSeed,
  loadOrganization,
  Organization,
  type OrganizationSeed,
  type OuSeed,
} from './model.js';
