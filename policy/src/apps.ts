/**
 * A CapRover app (`caprover:index:App`) as the policies read it. What an app runs is read from its
 * `description`, which holds its process (e.g. `celery (celery-unified): celery --app config.celery
 * worker ... --beat ...`): the pack recognises Celery's subcommands and the web servers there, not
 * service or app names, so a renamed service is judged by what it runs.
 */
import type { SiteResource } from "./resources";
import { UNKNOWN, reveal } from "./wire";
import { parseYaml } from "./yaml";

/** What the app's process runs. */
export interface Runs {
    /** A WSGI/ASGI server or Django's runserver. */
    web: boolean;
    /** `celery ... worker`. */
    worker: boolean;
    /** Celery beat: `celery ... beat`, or a worker with `--beat` / `-B`. */
    beat: boolean;
    /** `celery ... flower`. */
    flower: boolean;
}

/** Nanoseconds per second: Docker's unit of durations. */
export const NANO = 1e9;
/** Docker's stop grace period when a service sets none, in ns. */
export const DOCKER_DEFAULT_GRACE_NS = 10 * NANO;

/** Docker update order: CapRover's default ("auto") is start-first, stop-first for apps with persistent data. */
export type UpdateOrder = "start-first" | "stop-first";

/** What `serviceUpdateOverride` sets that the policies care about. */
export interface Override {
    /** The string is empty or absent. */
    empty: boolean;
    /** Why it is not a JSON/YAML object, if it is not. */
    problem?: string;
    /** `UpdateConfig.Order`, if set. */
    order?: string;
    /** The `nofile` entry of `TaskTemplate.ContainerSpec.Ulimits`, if any. */
    nofile?: { soft: unknown; hard: unknown };
    /** The service label `site.release.migrations` (the program's BREAKING_RELEASE_LABEL): "breaking" declares a stop-first release. */
    migrations?: unknown;
    /** `TaskTemplate.ContainerSpec.StopGracePeriod` (nanoseconds), if set: Docker's default is 10 s. */
    stopGracePeriod?: unknown;
    /** The service label `site.celery.task-time-limit` (the program's TASK_TIME_LIMIT_LABEL): the seconds the app's Celery tasks may run. */
    taskTimeLimit?: unknown;
}

export interface AppView {
    urn: string;
    /** The resource's name: the program names each app's resource after its service. */
    service: string;
    /** The CapRover app name (or the resource name while unknown). */
    appName: string;
    image: unknown;
    /** Containers; the provider's default is 1. */
    instanceCount: unknown;
    exposed: boolean;
    forceSsl: boolean;
    /** HTTP auth: absent, unknown (known at `up`), or its user and whether a password is set. */
    httpAuth: undefined | typeof UNKNOWN | { user: unknown; password: unknown };
    description: string | typeof UNKNOWN;
    runs: Runs;
    healthPath: unknown;
    deployTimeoutMs: unknown;
    allowReplace: unknown;
    hasPersistentData: boolean;
    /** Raw `serviceUpdateOverride`. */
    override: Override | typeof UNKNOWN;
}

const CELERY = String.raw`\bcelery\b[^+;&|]*?\s`;
const PATTERNS: Record<keyof Runs, RegExp> = {
    web: /\b(gunicorn|uvicorn|daphne|hypercorn|runserver)\b/,
    worker: new RegExp(`${CELERY}worker\\b`),
    beat: new RegExp(`${CELERY}(beat\\b|--beat\\b|-B\\b)`),
    flower: new RegExp(`${CELERY}flower\\b`),
};

/** What a process description runs (an unknown description runs nothing known). */
export function runsOf(description: string | typeof UNKNOWN): Runs {
    const text = description === UNKNOWN ? "" : description;
    return { web: PATTERNS.web.test(text), worker: PATTERNS.worker.test(text), beat: PATTERNS.beat.test(text), flower: PATTERNS.flower.test(text) };
}

/** Reads `serviceUpdateOverride`: CapRover accepts a JSON object or the equivalent YAML. */
export function readOverride(value: unknown): Override | typeof UNKNOWN {
    if (value === UNKNOWN) return UNKNOWN;
    if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return { empty: true };
    if (typeof value !== "string") return { empty: false, problem: "is not a string" };
    let spec: unknown;
    try {
        spec = parseYaml(value);
    } catch {
        return { empty: false, problem: "is neither JSON nor YAML" };
    }
    if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return { empty: false, problem: "is not an object" };
    const s = spec as { UpdateConfig?: { Order?: unknown }; TaskTemplate?: { ContainerSpec?: { Ulimits?: unknown; StopGracePeriod?: unknown } }; Labels?: Record<string, unknown> };
    const ulimits = s.TaskTemplate?.ContainerSpec?.Ulimits;
    const nofile = Array.isArray(ulimits) ? (ulimits as { Name?: unknown; Soft?: unknown; Hard?: unknown }[]).find((u) => u?.Name === "nofile") : undefined;
    return {
        empty: false,
        order: typeof s.UpdateConfig?.Order === "string" ? s.UpdateConfig.Order : undefined,
        nofile: nofile && { soft: nofile.Soft, hard: nofile.Hard },
        migrations: s.Labels?.["site.release.migrations"],
        stopGracePeriod: s.TaskTemplate?.ContainerSpec?.StopGracePeriod,
        taskTimeLimit: s.Labels?.["site.celery.task-time-limit"],
    };
}

/** The order Docker will use: the override's, else CapRover's default for the app. */
export function effectiveOrder(app: AppView): UpdateOrder | string | typeof UNKNOWN {
    if (app.override === UNKNOWN) return UNKNOWN;
    return app.override.order ?? (app.hasPersistentData ? "stop-first" : "start-first");
}

export function appView(r: SiteResource): AppView {
    const inputs = (reveal(r.inputs) ?? {}) as Record<string, unknown>;
    const description = inputs.description === UNKNOWN ? UNKNOWN : typeof inputs.description === "string" ? inputs.description : "";
    const auth = inputs.httpAuth;
    return {
        urn: r.urn,
        service: r.name,
        appName: typeof inputs.appName === "string" ? inputs.appName : r.name,
        image: inputs.image,
        instanceCount: inputs.instanceCount,
        exposed: inputs.exposeAsWebApp === true,
        forceSsl: inputs.forceSsl === true,
        httpAuth: auth === undefined || auth === null ? undefined : auth === UNKNOWN ? UNKNOWN : { user: (auth as Record<string, unknown>).user, password: (auth as Record<string, unknown>).password },
        description,
        runs: runsOf(description),
        healthPath: inputs.healthPath,
        deployTimeoutMs: inputs.deployTimeoutMs,
        allowReplace: inputs.allowReplace,
        hasPersistentData: inputs.hasPersistentData === true,
        override: readOverride(inputs.serviceUpdateOverride),
    };
}
