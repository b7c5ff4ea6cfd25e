/**
 * The topology as data: one catalogue of service roles and one table of profiles.
 *
 * Everything else in the program (images, CapRover apps, GitHub secrets, the cleanup matrix, the
 * summary) is derived from the list of active services that `resolveServices` returns, so switching
 * profile is a configuration change and nothing else.
 */

import type { Limits } from "./limits";

/** Stable service names. A service keeps its name (and so its resources' URNs) across profiles. */
export const SERVICE_NAMES = ["web", "celery", "celerybeat", "flower"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** How a service is reached from outside the CapRover cluster. */
export type Exposure = "public" | "http-auth" | "internal";

/** Container health check, as the Dockerfile's HEALTHCHECK and the deploy gate use it. */
export interface HealthCheck {
    /** HTTP path that must answer 2xx. */
    path: string;
    /** Seconds between probes. */
    intervalSeconds: number;
    /** Seconds before a probe counts as failed. */
    timeoutSeconds: number;
    /** Grace period after start, in seconds. */
    startSeconds: number;
    /** Failed probes before the container is unhealthy. */
    retries: number;
    /**
     * The answer names the release it comes from (JSON field `release`): the deploy gate then waits
     * for the new release itself. False for answers that cannot (Flower's plain "OK"): the gate
     * checks 2xx only, and the app gets no release variable (it would restart it for nothing).
     */
    reportsRelease: boolean;
}

/** One way of running a service: a Dockerfile target and the process it starts. */
export interface Role {
    /** Multi-stage Dockerfile target. `undefined` means "taken from config" (`site:singleTarget`). */
    target: string | undefined;
    /** The container's process, for the summary and documentation. */
    process: string;
    /** Web exposure of the CapRover app. */
    exposure: Exposure;
    /** Container HTTP port, for exposed roles. */
    port?: number;
    /** Health check, for roles that serve HTTP. */
    health?: HealthCheck;
    /** Build args this role needs (merged over `site:buildArgs`). */
    buildArgs: Record<string, string>;
    /** Runs the beat scheduler: a second container would run every periodic task twice. */
    scheduler?: true;
    /** Runs a Celery worker: it must know a task name before web or beat sends it (deploy order). */
    worker?: true;
    /** Container limits this role needs whatever the stack sets (a service's `limits` override them field by field). */
    limits?: Limits;
}

const SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler";
const WORKER = "celery --app config.celery worker --concurrency 4 -Q default,notifications,heavy --events";
const WEB_HEALTH: HealthCheck = { path: "/health/", intervalSeconds: 30, timeoutSeconds: 10, startSeconds: 40, retries: 3, reportsRelease: true };
/** Flower answers `/healthcheck` with "OK"; the gate sends the app's HTTP auth with the probe. */
const FLOWER_HEALTH: HealthCheck = { path: "/healthcheck", intervalSeconds: 30, timeoutSeconds: 10, startSeconds: 20, retries: 3, reportsRelease: false };
/**
 * The app's Celery health endpoint, served by the web container (app/config/celery_health.py): 200
 * when workers answer a ping, 503 when none does; `?format=prometheus` gives the same as metrics
 * (workers answering, queue depth), which Prometheus scrapes when monitoring is on.
 */
export const CELERY_HEALTH_PATH = "/health/celery/";
/** Only the web image builds the JavaScript bundle. */
const SKIP_JS = { SKIP_JS_BUILD: "1" };
/**
 * Worker and beat in one container: the real site's `celery worker --beat` ran out of open files
 * at the host's default limit, which is why it went back to four services.
 */
const SHARED_CONTAINER_LIMITS: Limits = { nofile: { soft: 65536, hard: 65536 } };

/** The catalogue of roles (facts from DESIGN.md). */
export const ROLES = {
    web: {
        target: "runtime-full",
        process: "gunicorn config.wsgi --bind 0.0.0.0:80",
        exposure: "public",
        port: 80,
        health: WEB_HEALTH,
        buildArgs: { SKIP_JS_BUILD: "0" },
    },
    "celery-worker": { target: "celery-worker", process: WORKER, exposure: "internal", buildArgs: SKIP_JS, worker: true },
    celerybeat: {
        target: "celerybeat",
        process: `celery --app config.celery beat --scheduler ${SCHEDULER}`,
        exposure: "internal",
        buildArgs: SKIP_JS,
        scheduler: true,
    },
    flower: {
        target: "flower",
        process: "celery --app config.celery flower --port=80 --persistent",
        exposure: "http-auth",
        port: 80,
        health: FLOWER_HEALTH,
        buildArgs: SKIP_JS,
    },
    "celery-unified": {
        target: "celery-unified",
        process: `${WORKER} --beat --scheduler ${SCHEDULER}`,
        exposure: "internal",
        buildArgs: SKIP_JS,
        scheduler: true,
        worker: true,
        limits: SHARED_CONTAINER_LIMITS,
    },
    "all-in-one": {
        target: undefined,
        process: `gunicorn config.wsgi + ${WORKER} --beat --scheduler ${SCHEDULER}`,
        exposure: "public",
        port: 80,
        health: WEB_HEALTH,
        buildArgs: { SKIP_JS_BUILD: "0" },
        scheduler: true,
        worker: true,
        limits: SHARED_CONTAINER_LIMITS,
    },
} as const satisfies Record<string, Role>;
export type RoleName = keyof typeof ROLES;

/** The profiles (names are part of the interface): which role each running service plays. */
export const PROFILES = {
    /** Today's production: four services. */
    split: { web: "web", celery: "celery-worker", celerybeat: "celerybeat", flower: "flower" },
    /** Phase 1: Flower out of production. */
    essential: { web: "web", celery: "celery-worker", celerybeat: "celerybeat" },
    /** Phase 2, recommended: worker and beat in one container. */
    unified: { web: "web", celery: "celery-unified" },
    /** Phase 4, optional: web, worker and beat in one container. */
    single: { web: "all-in-one" },
} as const satisfies Record<string, Partial<Record<ServiceName, RoleName>>>;
export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/**
 * Services a stack may add to its profile for a while (`site:onDemand`), and the role each plays
 * then. Flower only: a second beat scheduler or worker added on demand could run tasks twice.
 */
export const ON_DEMAND = { flower: "flower" } as const satisfies Partial<Record<ServiceName, RoleName>>;
export type OnDemandService = keyof typeof ON_DEMAND;
export const ON_DEMAND_NAMES = Object.keys(ON_DEMAND) as OnDemandService[];

/** Per-service settings that configuration may override. */
export interface ServiceOverride {
    /** Whether the health answer names the release (the gate's contract), over the role's `reportsRelease`. */
    healthReportsRelease?: boolean;
    /** CapRover app name (default: `site:appNamePrefix` + service name). */
    appName?: string;
    /** Number of containers. */
    instanceCount?: number;
    /** Extra environment variables for the container. */
    env?: Record<string, string>;
    /** Leave this service out although the profile runs it. */
    off?: boolean;
    /** Container limits, over the role's own field by field. */
    limits?: Limits;
    /** Docker service settings merged over the program's `serviceUpdateOverride` (none it owns). */
    serviceUpdateOverride?: Record<string, unknown>;
}

/** A service the active profile runs, with everything derived from it. */
export interface ActiveService {
    /** Stable service name (resource names derive from it). */
    name: ServiceName;
    /** Role it plays under the active profile. */
    role: RoleName;
    /** Dockerfile target built for it. */
    target: string;
    /** Process the container runs. */
    process: string;
    /** Web exposure. */
    exposure: Exposure;
    /** Container HTTP port, when exposed. */
    port?: number;
    /** Health check, when it serves HTTP. */
    health?: HealthCheck;
    /** Build args for its image (config's global args, then the role's). */
    buildArgs: Record<string, string>;
    /** CapRover app name. */
    appName: string;
    /** Number of containers. */
    instanceCount: number;
    /** Extra environment variables. */
    env: Record<string, string>;
    /** Upper-case stem of the service's GitHub secrets, e.g. `CAPROVER_WEB`. */
    secretStem: string;
    /** Runs the beat scheduler, so it must run exactly one container. */
    scheduler: boolean;
    /** Runs a Celery worker (deploys first when a release adds task names). */
    worker: boolean;
    /** Container limits: the role's, then the service's override. */
    limits: Limits;
    /** Docker service settings the stack merges over the program's `serviceUpdateOverride` (empty: none). */
    serviceUpdateOverride: Record<string, unknown>;
    /** Added for a while by `site:onDemand`, not run by the profile. */
    onDemand: boolean;
}

/** Inputs of `resolveServices`, already validated by `config.ts`. */
export interface ResolveInput {
    /** Active profile. */
    profile: ProfileName;
    /** Dockerfile target of the all-in-one role (profile `single`). */
    singleTarget?: string;
    /** Prefix of every CapRover app name. */
    appNamePrefix: string;
    /** Build args shared by every image. */
    buildArgs: Record<string, string>;
    /** Per-service overrides. */
    overrides: Partial<Record<ServiceName, ServiceOverride>>;
    /** Services added on demand (those the profile already runs are left as they are). */
    onDemand?: OnDemandService[];
}

/** The services a profile runs, in catalogue order. */
export function profileServices(profile: ProfileName): ServiceName[] {
    const table: Partial<Record<ServiceName, RoleName>> = PROFILES[profile];
    return SERVICE_NAMES.filter((s) => table[s] !== undefined);
}

/**
 * Derives the active service list: the one seam everything else is built from. Services on demand
 * follow the profile's, under the same names, so their resources have the URNs the profile that
 * runs them would give them.
 */
export function resolveServices(input: ResolveInput): ActiveService[] {
    const table: Partial<Record<ServiceName, RoleName>> = PROFILES[input.profile];
    const running = profileServices(input.profile).filter((name) => !input.overrides[name]?.off);
    const added = ON_DEMAND_NAMES.filter((name) => input.onDemand?.includes(name) && !running.includes(name));
    return [
        ...running.map((name) => activeService(input, name, table[name]!, false)),
        ...added.map((name) => activeService(input, name, ON_DEMAND[name], true)),
    ];
}

function activeService(input: ResolveInput, name: ServiceName, roleName: RoleName, onDemand: boolean): ActiveService {
    const role: Role = ROLES[roleName];
    const override = input.overrides[name] ?? {};
    return {
        name,
        role: roleName,
        target: role.target ?? input.singleTarget!,
        process: role.process,
        exposure: role.exposure,
        port: role.port,
        health: role.health && override.healthReportsRelease !== undefined ? { ...role.health, reportsRelease: override.healthReportsRelease } : role.health,
        buildArgs: { ...input.buildArgs, ...role.buildArgs },
        appName: override.appName ?? `${input.appNamePrefix}${name}`,
        instanceCount: override.instanceCount ?? 1,
        env: override.env ?? {},
        secretStem: `CAPROVER_${name.toUpperCase()}`,
        scheduler: role.scheduler === true,
        worker: role.worker === true,
        limits: { ...role.limits, ...override.limits },
        serviceUpdateOverride: override.serviceUpdateOverride ?? {},
        onDemand,
    };
}

/** True if the service answers an HTTP health check under some profile (web, Flower): only there is a health answer's contract to declare. */
export function servesHealth(service: ServiceName): boolean {
    return PROFILE_NAMES.some((p) => {
        const role = (PROFILES[p] as Partial<Record<ServiceName, RoleName>>)[service];
        return role !== undefined && (ROLES[role] as Role).health !== undefined;
    });
}

/** Dockerfile targets a service is built from under any profile (`single`'s only when its target is configured). */
export function serviceTargets(service: ServiceName, singleTarget?: string): string[] {
    const targets = PROFILE_NAMES.map((p) => (PROFILES[p] as Partial<Record<ServiceName, RoleName>>)[service])
        .filter((role): role is RoleName => role !== undefined)
        .map((role) => (ROLES[role] as Role).target ?? singleTarget)
        .filter((t): t is string => t !== undefined);
    return [...new Set(targets)];
}

/**
 * Images a building stack makes for stacks that promote from it and run other profiles: every
 * (service, target) of `others` this stack does not build itself, once per role.
 */
export function releaseOnlyServices(own: ActiveService[], others: ActiveService[]): ActiveService[] {
    const built = new Set(own.map((s) => `${s.name}/${s.target}`));
    const extra: ActiveService[] = [];
    for (const s of others) {
        const key = `${s.name}/${s.target}`;
        if (!built.has(key)) extra.push(s);
        built.add(key);
    }
    return extra;
}

/**
 * One step of a release that runs once, before any app of the release is deployed, in the new web
 * image with web's environment (migrations, e.g.). Its name becomes part of a resource name and
 * of a short-lived CapRover app's name.
 */
export interface ReleaseTaskDecl {
    /** Stable name: lowercase letters, digits and '-' (resource `release-<name>`, app `<prefix>release-<name>`). */
    name: string;
    /** The process, as an argument list (no shell). */
    command: string[];
}

/**
 * The site's release tasks, in order: its Django migrations. A stack replaces the list with
 * `site:release.tasks` (adding others, e.g. collectstatic to a bucket, or none: `[]`).
 */
export const RELEASE_TASKS: ReleaseTaskDecl[] = [{ name: "migrate", command: ["python", "manage.py", "migrate", "--noinput"] }];

/**
 * Whether a release's migrations keep the previous release working against the new schema.
 * `compatible`: web updates start-first (the old release serves, against the new schema, until the
 * new one is up). `breaking`: web updates stop-first for that release (a short outage, no overlap).
 */
export const MIGRATION_KINDS = ["compatible", "breaking"] as const;
export type MigrationKind = (typeof MIGRATION_KINDS)[number];
