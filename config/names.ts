/**
 * Name and reference rules shared by configuration checks, promotion and the CapRover provider,
 * so a value one of them accepts the others accept too.
 */

/** CapRover app names: 1 to 49 of a-z, 0-9 and '-', starting and ending with a letter or digit. */
export const APP_NAME = /^(?=.{1,49}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
export const APP_NAME_ACCEPTED = "1 to 49 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
/** An image by digest, `<image>@sha256:<64 hex>`; the registry host may carry a port. */
export const DIGEST_REF = /^[a-z0-9][a-z0-9./_:-]*@sha256:[a-f0-9]{64}$/;
/** A commit SHA, abbreviated or full, as images are tagged with it. */
export const COMMIT = /^[0-9a-f]{7,40}$/;
/** Environment variable (and build arg) names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** GitHub user and organisation logins: up to 39 letters, digits and single inner hyphens. */
export const GITHUB_LOGIN = /^(?=.{1,39}$)[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
/** GitHub repository names (without the owner). */
export const REPO_NAME = /^[A-Za-z0-9._-]+$/;
/** A CapRover dashboard URL: http(s), a host and an optional port, no path. */
export const SERVER_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/;
