/** The CLI's exit codes, a contract for scripts (DESIGN.md "Contracts that must not drift"). */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  partlyFailed: 3,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM: 128 + the signal's number, as a shell reports a killed command. */
  interrupted: 130,
  terminated: 143,
} as const;

/** Bad or missing input the user must fix before anything can run: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure explained in one sentence (no stack trace): exit 1. */
export class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}
