/**
 * Resources as the engine sends them to the pack (wire form: secrets marked, unknowns as sentinels),
 * shaped like the program's (components/, provider/sdk): compliant by default, so a test changes
 * one thing and watches one policy.
 */
import { SiteResource, StackView, TYPES, stackView } from "../src/resources";
import { UNKNOWN_SENTINELS, Wire, secretWire } from "../src/wire";

export const secret = secretWire;
/** The engine's sentinel of an unknown string (a preview of a computed value). */
export const unknown = UNKNOWN_SENTINELS[2];

const DIGEST = "sha256:" + "ab".repeat(32);
export const image = (service: string) => `ghcr.io/aaronspindler/aaronspindler.com-${service}@${DIGEST}`;

const WORKER = "celery --app config.celery worker --concurrency 4 -Q default,notifications,heavy --events";
const SCHEDULER = "--scheduler django_celery_beat.schedulers:DatabaseScheduler";

/** The processes of the catalogue's roles, as descriptions carry them (config/topology.ts). */
export const PROCESS = {
    web: "web (web): gunicorn config.wsgi --bind 0.0.0.0:80",
    worker: `celery (celery-worker): ${WORKER}`,
    beat: `celerybeat (celerybeat): celery --app config.celery beat ${SCHEDULER}`,
    unified: `celery (celery-unified): ${WORKER} --beat ${SCHEDULER}`,
    flower: "flower (flower): celery --app config.celery flower --port=80 --persistent",
    allInOne: `web (all-in-one): gunicorn config.wsgi + ${WORKER} --beat ${SCHEDULER}`,
};

/** A worker's drain as the program declares it: tasks of up to 300 s, stopped within 330 s. */
const DRAIN = { Labels: { "site.celery.task-time-limit": "300" }, StopGracePeriod: 330_000_000_000 };

export const OVERRIDE = {
    startFirst: JSON.stringify({ UpdateConfig: { Order: "start-first" } }),
    stopFirst: JSON.stringify({ UpdateConfig: { Order: "stop-first" } }),
    worker: JSON.stringify({ Labels: DRAIN.Labels, TaskTemplate: { ContainerSpec: { StopGracePeriod: DRAIN.StopGracePeriod } }, UpdateConfig: { Order: "start-first" } }),
    consolidated: JSON.stringify({
        Labels: DRAIN.Labels,
        UpdateConfig: { Order: "stop-first" },
        TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 65536, Hard: 65536 }], StopGracePeriod: DRAIN.StopGracePeriod } },
    }),
};

export function urnOf(stack: string, type: string, name: string, parent = "site:caprover:SiteApps"): string {
    return `urn:pulumi:${stack}::site::${parent}$${type}::${name}`;
}

export function resource(type: string, name: string, inputs: Record<string, Wire>, stack = "dev", parent?: string): SiteResource {
    return { urn: urnOf(stack, type, name, parent), type, name, inputs };
}

type Role = keyof typeof PROCESS;
const EXPOSED: Partial<Record<Role, string>> = { web: "/health/", allInOne: "/health/", flower: "/healthcheck" };
const SAFE_OVERRIDE: Record<Role, string> = {
    web: OVERRIDE.startFirst,
    worker: OVERRIDE.worker,
    beat: OVERRIDE.stopFirst,
    unified: OVERRIDE.consolidated,
    flower: OVERRIDE.startFirst,
    allInOne: OVERRIDE.consolidated,
};

/** A compliant app of a role, as SiteApps registers it; `change` overrides inputs. */
export function app(role: Role, change: Record<string, Wire> = {}, stack = "dev"): SiteResource {
    const name = { web: "web", worker: "celery", beat: "celerybeat", unified: "celery", flower: "flower", allInOne: "web" }[role];
    const health = EXPOSED[role];
    const inputs: Record<string, Wire> = {
        adopt: false,
        allowReplace: false,
        appName: `${stack}-${name}`,
        containerHttpPort: 80,
        deleteVolumes: false,
        deployTimeoutMs: 600_000,
        description: PROCESS[role],
        enableDeployToken: true,
        envVars: secret({ DJANGO_SECRET_KEY: "test-only-django-key" }),
        exposeAsWebApp: health !== undefined,
        forceSsl: health !== undefined,
        hasPersistentData: false,
        image: image(name),
        instanceCount: 1,
        serviceUpdateOverride: SAFE_OVERRIDE[role],
        volumes: [],
        websocketSupport: false,
        ...(health ? { healthPath: health } : {}),
        ...(role === "flower" ? { httpAuth: secret({ user: "admin", password: "test-only-flower" }) } : {}),
        ...change,
    };
    for (const [k, v] of Object.entries(inputs)) if (v === undefined) delete inputs[k];
    return resource(TYPES.app, name, inputs, stack);
}

/** A stack of these resources (plus the stack resource itself, as the engine lists it). */
export function stack(resources: SiteResource[], name = "dev"): StackView {
    return stackView([{ urn: `urn:pulumi:${name}::site::pulumi:pulumi:Stack::site-${name}`, type: "pulumi:pulumi:Stack", name: `site-${name}`, inputs: {} }, ...resources]);
}

/** Messages only (a stack policy's violations also carry URNs). */
export const messages = (vs: { message: string }[]) => vs.map((v) => v.message);
