/**
 * The CapRover section of the `site:` configuration: whether apps are managed, how to reach the
 * server, how long a deploy may take, Flower's basic auth and persistent volumes.
 */
import type { Volume } from "../provider/src/api/types";
import type { ProgramEnv } from "./env";
import { MAX_PASSWORD, SERVER_URL } from "./names";
import type { ConfigReader } from "./reader";
import { ActiveService, SERVICE_NAMES, ServiceName } from "./topology";

const PROBE_ADDRESS = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const VOLUME_ACCEPTED = "a list of \"<volume-name>:/container/path\" or \"/host/path:/container/path\" strings";

/** Keys of this section whose values are secret (never shown in messages). */
export const CAPROVER_SECRET_KEYS = ["caproverPassword", "flowerPassword", "caproverPullToken"] as const;

/** Validated CapRover settings. */
export interface CapRoverSettings {
    /** Manage CapRover apps (off: the stack builds images only). */
    enabled: boolean;
    /** Dashboard URL, e.g. `https://captain.example.com`. */
    url?: string;
    /** Dashboard password (secret). */
    password?: string;
    /** Seconds a deploy may take until the new image runs and answers its health path. */
    deployTimeoutSeconds: number;
    /** `host:port` health probes connect to instead of the app's domain (e.g. before DNS exists). */
    probeAddress?: string;
    /** Flower's HTTP basic auth; required when the profile runs Flower. */
    flowerAuth?: { user: string; password: string };
    /** Volumes per service; a service with volumes becomes a persistent-data app. */
    volumes: Partial<Record<ServiceName, Volume[]>>;
    /** Delete an app's named volumes when the app is deleted (default: keep them). */
    deleteVolumes: boolean;
    /** A failed gate redeploys the previous verified release (default true; `site:rollbackOnFailure`). */
    rollbackOnFailure: boolean;
    /** Long-lived GHCR token (read:packages) CapRover pulls private images with; none for public images. */
    pullToken?: string;
    /** Take over apps that already exist under the stack's app names (moving a live site under Pulumi). */
    adoptExistingApps: boolean;
    /** Allow changes that replace an app (new app name or persistent-data flag: delete plus create, downtime). */
    allowReplace: boolean;
    /** Web-exposed apps force HTTPS (certificate on the root domain); off for a server whose root domain has no SSL. */
    forceSsl: boolean;
}

/**
 * Reads and checks the CapRover keys; `services` are the active ones (Flower and volumes refer to
 * them). The server and passwords may come from CI's environment (the pipeline's CAPROVER_SERVER
 * secret, CAPROVER_PASSWORD, FLOWER_PASSWORD); they are required only when the run changes
 * things, so a preview needs no credentials.
 */
export function readCapRoverSettings(r: ConfigReader, services: ActiveService[], env: ProgramEnv = {}): CapRoverSettings {
    const enabled = r.boolean("caprover");
    const url = r.string("caproverUrl", { pattern: SERVER_URL, accepted: "the dashboard URL, e.g. https://captain.example.com (no path)" }) ?? env.CAPROVER_SERVER;
    if (url !== undefined && !SERVER_URL.test(url)) r.complain("caproverUrl", "(from CAPROVER_SERVER) is not a dashboard URL; expected e.g. https://captain.example.com (no path)");
    const password = r.secret("caproverPassword") ?? env.CAPROVER_PASSWORD;
    if (password !== undefined && password.length > MAX_PASSWORD) {
        r.complain("caproverPassword", `is longer than CapRover accepts; expected at most ${MAX_PASSWORD} characters`);
    }
    const deployTimeoutSeconds = r.integer("caproverDeployTimeout");
    const probeAddress = r.string("caproverProbeAddress", { pattern: PROBE_ADDRESS, accepted: "host:port, e.g. 203.0.113.10:443" });
    const flowerUser = r.string("flowerUser", { pattern: /^[^:\s]+$/, accepted: "a user name without ':' or spaces" })!;
    const flowerPassword = r.secret("flowerPassword") ?? env.FLOWER_PASSWORD;
    const volumes = readVolumes(r, services);
    const deleteVolumes = r.boolean("caproverDeleteVolumes");
    const rollbackOnFailure = r.boolean("rollbackOnFailure");
    const pullToken = r.secret("caproverPullToken");
    const adoptExistingApps = r.boolean("adoptExistingApps");
    const allowReplace = r.boolean("allowReplace");
    const forceSsl = r.boolean("forceSsl");

    if (enabled && env.pushing) {
        if (!url) r.complain("caproverUrl", "is required when site:caprover is true; expected the dashboard URL, e.g. https://captain.example.com (or export CAPROVER_SERVER)");
        if (!password) r.complain("caproverPassword", "is required when site:caprover is true; set it with `pulumi config set --secret site:caproverPassword <password>` (or export CAPROVER_PASSWORD)");
        if (services.some((s) => s.name === "flower") && !flowerPassword) {
            r.complain("flowerPassword", "is required when site:caprover is true and the profile runs flower (Flower sits behind HTTP basic auth); set it with `pulumi config set --secret site:flowerPassword <password>` (or export FLOWER_PASSWORD)");
        }
    }
    return {
        enabled,
        url,
        password,
        deployTimeoutSeconds,
        probeAddress,
        flowerAuth: flowerPassword ? { user: flowerUser, password: flowerPassword } : undefined,
        volumes,
        deleteVolumes,
        rollbackOnFailure,
        pullToken,
        adoptExistingApps,
        allowReplace,
        forceSsl,
    };
}

/**
 * `site:caproverVolumes`: `{<service>: ["name:/path", "/host:/path"]}`. Volumes of catalogue
 * services the profile does not run are checked, then kept aside (inactive).
 */
function readVolumes(r: ConfigReader, services: ActiveService[]): Partial<Record<ServiceName, Volume[]>> {
    const raw = r.object("caproverVolumes")!;
    const out: Partial<Record<ServiceName, Volume[]>> = {};
    for (const [service, list] of Object.entries(raw)) {
        const key = `caproverVolumes.${service}`;
        if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
            r.fail(key, service, `a service name: ${SERVICE_NAMES.join(", ")}`);
            continue;
        }
        if (!Array.isArray(list)) {
            r.fail(key, list, VOLUME_ACCEPTED);
            continue;
        }
        const volumes = list.map((entry) => parseVolume(entry)).filter((v): v is Volume => v !== undefined);
        if (volumes.length !== list.length) r.fail(key, list.filter((e) => parseVolume(e) === undefined), VOLUME_ACCEPTED);
        if (!services.some((s) => s.name === service)) r.inactive(key);
        else if (volumes.length > 0) out[service as ServiceName] = volumes;
    }
    return out;
}

/** `name:/path` (named volume) or `/host:/path` (bind mount); undefined if neither. */
export function parseVolume(entry: unknown): Volume | undefined {
    if (typeof entry !== "string") return undefined;
    const i = entry.lastIndexOf(":");
    if (i <= 0) return undefined;
    const [source, containerPath] = [entry.slice(0, i), entry.slice(i + 1)];
    if (!containerPath.startsWith("/")) return undefined;
    if (source.startsWith("/")) return { hostPath: source, containerPath };
    return VOLUME_NAME.test(source) ? { volumeName: source, containerPath } : undefined;
}
