/**
 * The one time limit of a unit test, as .mocharc.json sets it (`timeout`): a bound only a hang
 * reaches, never real work on a busy machine. A child process run synchronously (mocha's timer
 * cannot fire meanwhile) is killed after it.
 */
export const HANG_GUARD_MS = 300_000;
