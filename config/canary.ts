/**
 * The canary through the broker (`site:canary`): a release is done only when web of the new release
 * has sent a canary task through the broker, a worker of the new release has run it, and its answer
 * came back, within the deploy timeout; and beat's heartbeat is fresh. The deploy asks web's canary
 * path (the stand-in's app/config/canary.py is the contract) once web and the workers run the
 * release. On by default wherever the profile runs web and a worker on CapRover; the site must serve
 * the path, or the stack says `enabled: false`.
 */
import type { ConfigReader } from "./reader";
import { show } from "./reader";
import type { ActiveService } from "./topology";

export const CANARY_FIELDS = ["enabled", "path", "beatMaxAgeSeconds"] as const;
/** Where the site answers the canary (its default). */
export const CANARY_PATH = "/canary/";
/**
 * The oldest beat heartbeat accepted by default: four of the stand-in's 30 s heartbeats, so a beat
 * that restarted in the release (stop-first: a few seconds without beat) passes, and a dead one not.
 */
export const BEAT_MAX_AGE_SECONDS = 120;
const URL_PATH = /^\/[A-Za-z0-9._~\/-]*$/;

/** The validated canary settings. */
export interface CanarySettings {
    /** Whether the deploy runs the canary: `enabled` (default true) and the profile runs web and a worker. */
    active: boolean;
    /** Web's canary path, e.g. `/canary/`. */
    path: string;
    /** The oldest beat heartbeat the canary accepts, in seconds; 0 when beat is not checked (no beat in the profile, or the stack set 0). */
    beatMaxAgeSeconds: number;
}

/** Reads `site:canary`: `{enabled, path, beatMaxAgeSeconds}`, each optional. */
export function readCanary(r: ConfigReader, services: ActiveService[], caprover: boolean): CanarySettings {
    const raw = r.object("canary") ?? {};
    for (const field of Object.keys(raw)) {
        if (!(CANARY_FIELDS as readonly string[]).includes(field)) r.complain(`canary.${field}`, `unknown field; accepted fields are ${CANARY_FIELDS.join(", ")}`);
    }
    let enabled = true;
    if (raw.enabled !== undefined) {
        if (typeof raw.enabled === "boolean") enabled = raw.enabled;
        else r.fail("canary.enabled", raw.enabled, "true or false (false: the site serves no canary, and a release is done once each app passed its own gate)");
    }
    let path = CANARY_PATH;
    if (raw.path !== undefined) {
        if (typeof raw.path === "string" && URL_PATH.test(raw.path)) path = raw.path;
        else r.fail("canary.path", raw.path, `an absolute URL path of web, e.g. ${CANARY_PATH}`);
    }
    let beatMaxAgeSeconds = BEAT_MAX_AGE_SECONDS;
    if (raw.beatMaxAgeSeconds !== undefined) {
        const v = raw.beatMaxAgeSeconds;
        if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 86_400) beatMaxAgeSeconds = v;
        else r.fail("canary.beatMaxAgeSeconds", v, `a whole number of seconds from 0 to 86400 (0: beat's heartbeat is not checked), e.g. ${BEAT_MAX_AGE_SECONDS}`);
    }
    const web = services.some((s) => s.name === "web");
    const worker = services.some((s) => s.worker);
    const beat = services.some((s) => s.scheduler);
    if (raw.enabled === true && caprover && !(web && worker)) {
        r.complain("canary.enabled", `is true, but the profile runs ${show(services.map((s) => s.name))}: the canary needs web and a Celery worker; remove it or run both`);
    }
    return { active: enabled && caprover && web && worker, path, beatMaxAgeSeconds: beat ? beatMaxAgeSeconds : 0 };
}
