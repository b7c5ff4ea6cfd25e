/**
 * Accessories: services that are not built from the app's Dockerfile but run from pinned public
 * images (Prometheus, Grafana, node-exporter), switched on per stack by one line,
 * `site:accessories: [monitoring]`. The catalogue is data, like the topology's: what each app runs,
 * its image by digest, its port, exposure and data volume. The reader checks the keys and derives
 * the apps; nothing here registers a resource.
 */
import type { Volume } from "../provider/src/api/types";
import type { ProgramEnv } from "./env";
import { APP_NAME, APP_NAME_ACCEPTED, DIGEST_REF } from "./names";
import { ConfigReader, show } from "./reader";
import type { ActiveService } from "./topology";

/** One accessory app of the catalogue. */
export interface AccessoryRole {
    /** The public image, pinned by digest (where each pin comes from: docs/monitoring.md); none: the stack pins it (`site:accessoryImages`). */
    image?: string;
    /** What the container runs, for the app's description. */
    process: string;
    /** `login`: web-exposed behind its own login, forced SSL; `internal`: reachable only inside CapRover. */
    exposure: "login" | "internal";
    /** Port the container serves on. */
    port: number;
    /** Health path the deploy gate probes (exposed apps). */
    healthPath?: string;
    /** Container path of its named data volume (`<app name>-data`), kept across redeploys. */
    dataPath?: string;
    /** Host paths it reads (bind mounts). */
    hostMounts?: Volume[];
}

/**
 * The accessory apps. Images by digest without a tag (the policy pack's deploy-by-digest refuses a
 * tag beside the digest); the release each digest is, and where it was found: docs/monitoring.md.
 */
export const ACCESSORY_APPS = {
    prometheus: {
        // v3.5.0
        image: "prom/prometheus@sha256:63805ebb8d2b3920190daf1cb14a60871b16fd38bed42b857a3182bc621f4996",
        process: "prometheus --config.file=<generated scrape configuration> --storage.tsdb.path=/prometheus",
        exposure: "internal",
        port: 9090,
        dataPath: "/prometheus",
    },
    grafana: {
        // 12.1.0
        image: "grafana/grafana@sha256:6ac590e7cabc2fbe8d7b8fc1ce9c9f0582177b334e0df9c927ebd9670469440f",
        process: "grafana server with a provisioned Prometheus data source and the site's dashboard",
        exposure: "login",
        port: 3000,
        healthPath: "/api/health",
        dataPath: "/var/lib/grafana",
    },
    "node-exporter": {
        // v1.9.1
        image: "prom/node-exporter@sha256:d00a542e409ee618a4edc67da14dd48c5da66726bbd5537ab2af9c1dfc442c8a",
        process: "node_exporter reading the host's /proc, /sys and root file system",
        exposure: "internal",
        port: 9100,
        hostMounts: [
            { hostPath: "/proc", containerPath: "/host/proc" },
            { hostPath: "/sys", containerPath: "/host/sys" },
            { hostPath: "/", containerPath: "/rootfs" },
        ],
    },
    // The site's Celery broker. No pin of ours: the stack names the image it trusts by digest
    // (site:accessoryImages.redis), an official redis image or a stand-in with Debian's redis-server.
    redis: {
        process: "redis-server --requirepass <site:brokerPassword> --appendonly yes --dir /data",
        exposure: "internal",
        port: 6379,
        dataPath: "/data",
    },
} as const satisfies Record<string, AccessoryRole>;
export type AccessoryAppName = keyof typeof ACCESSORY_APPS;
export const ACCESSORY_APP_NAMES = Object.keys(ACCESSORY_APPS) as AccessoryAppName[];

/** Accessories a stack switches on by name, and the apps each brings. */
export const ACCESSORIES = { monitoring: ["prometheus", "grafana", "node-exporter"], broker: ["redis"] } as const satisfies Record<string, readonly AccessoryAppName[]>;
export type AccessoryName = keyof typeof ACCESSORIES;
export const ACCESSORY_NAMES = Object.keys(ACCESSORIES) as AccessoryName[];

/** A tag before the digest (`name:tag@sha256:...`; a registry's `host:port/` is not one). */
const TAG = /:[^/@]*@/;

/** Keys of this section whose values are secret (never shown in messages). */
export const ACCESSORY_SECRET_KEYS = ["grafanaPassword", "brokerPassword", "brokerUrl"] as const;

/** One accessory app of the stack, everything derived. */
export interface AccessoryApp extends Omit<AccessoryRole, "hostMounts" | "dataPath" | "image"> {
    /** The image by digest (the catalogue's pin or the stack's). */
    image: string;
    /** Catalogue name, the resource name (stable across profiles). */
    name: AccessoryAppName;
    /** The accessory that brings it (`site:accessories`). */
    accessory: AccessoryName;
    /** CapRover app name: `site:appNamePrefix` + name. */
    appName: string;
    /** Its volumes: the named data volume, then host mounts; any makes it a persistent-data app. */
    volumes: Volume[];
}

/** Validated accessory settings. */
export interface AccessorySettings {
    /** Accessories switched on (`site:accessories`). */
    enabled: AccessoryName[];
    /** Their apps, in catalogue order. */
    apps: AccessoryApp[];
    /** Grafana's admin login (the password a secret; required by `up` with monitoring on). */
    grafana: { user: string; password?: string };
    /** Path of the web app's Prometheus metrics, when it exposes them (scraped by Prometheus). */
    webMetricsPath?: string;
    /** The Celery broker the site's apps get as REDIS_URL: the managed redis app's password, or an external broker's URL (both secrets). */
    broker: BrokerSettings;
}

/** Where the site's Celery broker is. */
export type BrokerSettings =
    /** None configured here: the apps keep whatever REDIS_URL they have. */
    | { kind: "none" }
    /** The managed redis app (`site:accessories: [broker]`); its password is required by `up`. */
    | { kind: "managed"; password?: string }
    /** An external broker named by URL (`site:brokerUrl`, a secret). */
    | { kind: "external"; url: string };

/** What the reader needs besides the keys. */
export interface AccessoryContext {
    /** `site:appNamePrefix`. */
    appNamePrefix: string;
    /** The site's active services (their app names must differ from the accessories'). */
    services: ActiveService[];
    /** `site:caprover`: accessories run as CapRover apps. */
    caprover: boolean;
}

/** Reads `site:accessories`, `site:accessoryImages`, Grafana's login and `site:webMetricsPath`; problems are recorded on `r`. */
export function readAccessories(r: ConfigReader, ctx: AccessoryContext, env: ProgramEnv = {}): AccessorySettings {
    const accepted = `accessories: ${ACCESSORY_NAMES.join(", ")}`;
    const enabled: AccessoryName[] = [];
    for (const [i, name] of r.stringList("accessories", { accepted }).entries()) {
        if (!(ACCESSORY_NAMES as string[]).includes(name)) r.fail(`accessories[${i}]`, name, accepted);
        else if (enabled.includes(name as AccessoryName)) r.complain(`accessories[${i}]`, `${show(name)} is listed twice`);
        else enabled.push(name as AccessoryName);
    }
    const names = new Set<AccessoryAppName>(enabled.flatMap((a) => ACCESSORIES[a]));
    const images = readImages(r, names);
    const user = r.string("grafanaUser", { pattern: /^[A-Za-z0-9._@-]+$/, accepted: "a login name (letters, digits, '.', '_', '@', '-')" })!;
    const password = r.secret("grafanaPassword");
    const webMetricsPath = r.string("webMetricsPath", { pattern: /^\/[A-Za-z0-9._~\/-]*$/, accepted: "an absolute URL path, e.g. /metrics" });
    const broker = readBroker(r, enabled.includes("broker"), ctx, env);

    if (enabled.length > 0 && !ctx.caprover) {
        r.complain("accessories", `${enabled.join(", ")} run as CapRover apps; set site:caprover true or remove site:accessories`);
    }
    if (names.has("grafana") && ctx.caprover && env.pushing && !password) {
        r.complain("grafanaPassword", "is required when monitoring is on (Grafana's admin login); set it with `pulumi config set --secret site:grafanaPassword <password>`");
    }
    for (const name of ACCESSORY_APP_NAMES.filter((n) => names.has(n) && !(ACCESSORY_APPS[n] as AccessoryRole).image && !images[n])) {
        r.complain(`accessoryImages.${name}`, `is required when site:accessories has ${owner(name)}: the ${name} image by digest, <image>@sha256:<64 hex digits> (an official image, or a stand-in running Debian's ${name}-server)`);
    }
    const apps = ACCESSORY_APP_NAMES.filter((n) => names.has(n) && ((ACCESSORY_APPS[n] as AccessoryRole).image || images[n])).map((name) => accessoryApp(name, ctx.appNamePrefix, images[name]));
    checkAppNames(r, apps, ctx.services);
    return { enabled, apps, grafana: { user, password }, webMetricsPath, broker };
}

/** The accessory that brings an app. */
function owner(app: AccessoryAppName): AccessoryName {
    return ACCESSORY_NAMES.find((a) => (ACCESSORIES[a] as readonly string[]).includes(app))!;
}

/** Password characters that need no escaping in a redis:// URL or on redis-server's command line. */
const BROKER_PASSWORD = /^[A-Za-z0-9._~-]{16,128}$/;
const BROKER_URL = /^rediss?:\/\/[^\s]+$/;

/** `site:brokerPassword` (the managed broker) or `site:brokerUrl` (an external one), never both; values never shown. */
function readBroker(r: ConfigReader, managed: boolean, ctx: AccessoryContext, env: ProgramEnv): BrokerSettings {
    const password = r.secret("brokerPassword");
    const url = r.secret("brokerUrl");
    if (password !== undefined && !BROKER_PASSWORD.test(password)) {
        r.complain("brokerPassword", "is not accepted; expected 16 to 128 letters, digits, '.', '_', '~' or '-' (it goes into REDIS_URL unescaped)");
    }
    if (url !== undefined && !BROKER_URL.test(url)) r.complain("brokerUrl", "is not accepted; expected redis://[:<password>@]<host>:<port>/<db> or rediss://...");
    if (managed && url !== undefined) {
        r.complain("brokerUrl", "names an external broker while site:accessories has broker (the managed redis app); keep one: remove site:brokerUrl or broker from site:accessories");
        return { kind: "none" };
    }
    if (!managed && password !== undefined) r.complain("brokerPassword", "applies to the managed broker only; add broker to site:accessories, or name an external one with site:brokerUrl");
    const taken = ctx.services.find((s) => s.env.REDIS_URL !== undefined);
    if ((managed || url !== undefined) && taken) {
        r.complain(`services.${taken.name}.env.REDIS_URL`, `is derived from the broker (${managed ? "site:accessories: broker" : "site:brokerUrl"}) for every app; remove it here`);
    }
    if (managed) {
        if (ctx.caprover && env.pushing && password === undefined) {
            r.complain("brokerPassword", "is required when site:accessories has broker (the redis app's password); set it with `pulumi config set --secret site:brokerPassword <password>`");
        }
        return { kind: "managed", password };
    }
    return url !== undefined ? { kind: "external", url } : { kind: "none" };
}

/** `site:accessoryImages`: another pin per accessory app (e.g. a newer release), by digest. */
function readImages(r: ConfigReader, active: Set<AccessoryAppName>): Partial<Record<AccessoryAppName, string>> {
    const out: Partial<Record<AccessoryAppName, string>> = {};
    for (const [name, value] of Object.entries(r.object("accessoryImages") ?? {})) {
        const key = `accessoryImages.${name}`;
        if (!(ACCESSORY_APP_NAMES as string[]).includes(name)) r.fail(key, name, `an accessory app: ${ACCESSORY_APP_NAMES.join(", ")}`);
        else if (typeof value !== "string" || !DIGEST_REF.test(value) || TAG.test(value)) r.fail(key, value, "an image by digest without a tag, <image>@sha256:<64 hex digits>");
        else if (active.has(name as AccessoryAppName)) out[name as AccessoryAppName] = value;
        else r.inactive(key);
    }
    return out;
}

function accessoryApp(name: AccessoryAppName, prefix: string, image: string | undefined): AccessoryApp {
    const role: AccessoryRole = ACCESSORY_APPS[name];
    const { hostMounts, dataPath, ...rest } = role;
    const appName = `${prefix}${name}`;
    const data: Volume[] = dataPath ? [{ volumeName: `${appName}-data`, containerPath: dataPath }] : [];
    return { ...rest, image: (image ?? role.image)!, name, accessory: owner(name), appName, volumes: [...data, ...(hostMounts ?? [])] };
}

function checkAppNames(r: ConfigReader, apps: AccessoryApp[], services: ActiveService[]): void {
    for (const app of apps) {
        if (!APP_NAME.test(app.appName)) r.complain("appNamePrefix", `gives accessory ${app.name} the app name ${show(app.appName)}, which CapRover refuses; expected ${APP_NAME_ACCEPTED}`);
        const clash = services.find((s) => s.appName === app.appName);
        if (clash) r.complain(`services.${clash.name}.appName`, `${show(app.appName)} is also the app name of accessory ${app.name}; app names must be unique`);
    }
}
