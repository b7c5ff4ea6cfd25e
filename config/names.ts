/**
 * Name and reference rules shared by configuration checks, promotion and the CapRover provider,
 * so a value one of them accepts the others accept too. CapRover's own rules come from the provider.
 */
export { APP_NAME, APP_NAME_ACCEPTED, DIGEST_REF, ENV_NAME, MAX_PASSWORD, SERVER_URL } from "../provider/src/rules";

/** A commit SHA, abbreviated or full, as images are tagged with it. */
export const COMMIT = /^[0-9a-f]{7,40}$/;
/** GitHub user and organisation logins: up to 39 letters, digits and single inner hyphens. */
export const GITHUB_LOGIN = /^(?=.{1,39}$)[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
/** GitHub repository names (without the owner). */
export const REPO_NAME = /^[A-Za-z0-9._-]+$/;
