/**
 * Exit codes of the `ami-lifecycle` CLI. Scripts and CI branch on these, so they are part of the
 * public contract: never renumber them.
 */
export const ExitCode = {
  /** The command succeeded; for `plan`, nothing needs to change. */
  Ok: 0,
  /** The command failed while running (AWS error, network, an unexpected bug). */
  Failure: 1,
  /** The input is invalid: bad arguments, a rules file that does not validate, an invalid event pattern. */
  InvalidInput: 2,
  /** `plan` (or `apply --dry-run`) found changes to make. */
  ChangesPlanned: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
