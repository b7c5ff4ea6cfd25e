/** CapRover's own rules for names and references, as the provider checks inputs (and programs may reuse). */

/** CapRover app names: 1 to 49 of a-z, 0-9 and '-', starting and ending with a letter or digit. */
export const APP_NAME = /^(?=.{1,49}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
export const APP_NAME_ACCEPTED = "1 to 49 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
/** An image by digest, `<image>@sha256:<64 hex>`; the registry host may carry a port. */
export const DIGEST_REF = /^[a-z0-9][a-z0-9./_:-]*@sha256:[a-f0-9]{64}$/;
/** Environment variable names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A CapRover dashboard URL: http(s), a host and an optional port, no path. */
export const SERVER_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/;
/** CapRover's longest accepted dashboard password. */
export const MAX_PASSWORD = 29;
