/**
 * The one builder of an app's `serviceUpdateOverride`: everything the program sets on the Docker
 * service behind a CapRover app. CapRover merges this object over the service spec it generates,
 * on every deploy and definition update (caprover/caprover `DockerApi.updateService`: objects
 * merge key by key, arrays and scalars replace), so each part here wins over CapRover's own.
 */
import { ServiceDrain, TASK_TIME_LIMIT_LABEL } from "../../config/drain";
import type { Limits } from "../../config/limits";

/** What the override is derived from. */
export interface OverrideInput {
    /** The service runs the beat scheduler. */
    scheduler: boolean;
    /** The service mounts volumes (a persistent-data app). */
    hasMounts: boolean;
    /** Container limits (the role's, then the service's). */
    limits: Limits;
    /**
     * How its containers stop (config/drain.ts): Docker's stop grace period, and for a worker the
     * task time limit it fits, declared in a service label (TASK_TIME_LIMIT_LABEL) the policy pack reads.
     */
    drain?: ServiceDrain;
    /** The container's command, replacing the image's entrypoint and command (accessories: how generated configuration reaches them). */
    command?: string[];
    /** The container's arguments, replacing the image's command (after its entrypoint). */
    args?: string[];
    /**
     * This release's migrations are declared breaking (`site:release.migrations`): the previous
     * release must not run against the new schema, so the service updates stop-first this once,
     * and says why in a label the policy pack reads (BREAKING_RELEASE_LABEL).
     */
    breakingRelease?: boolean;
    /**
     * The stack's own Docker service settings (`site:services.<service>.serviceUpdateOverride`,
     * validated by config/: none the program owns), merged over the program's as CapRover merges.
     */
    custom?: Record<string, unknown>;
}

/** Docker's update order: start the new task before stopping the old one, or the reverse. */
export type UpdateOrder = "start-first" | "stop-first";

/**
 * Beat must never run twice: a start-first update overlaps the old and the new container, and both
 * would send every periodic task due meanwhile, so services carrying beat update stop-first (a few
 * seconds without beat). So do apps with mounts, as CapRover's own "auto" order does; the rest
 * (web) start-first, so the old container serves until the new one runs.
 */
export function updateOrder(input: Pick<OverrideInput, "scheduler" | "hasMounts" | "breakingRelease">): UpdateOrder {
    return input.scheduler || input.hasMounts || input.breakingRelease ? "stop-first" : "start-first";
}

/**
 * Service label of a service updated stop-first because the release's migrations are breaking: the
 * policy pack lets web update stop-first only with it, so the outage is declared, never accidental.
 */
export const BREAKING_RELEASE_LABEL = "site.release.migrations";

/** Docker's NanoCPUs per CPU, and nanoseconds per second (its unit of durations). */
const NANO = 1e9;
const MIB = 1024 * 1024;

/**
 * The override as CapRover stores it: a JSON object in a string, keys in a fixed order so the same
 * inputs always give the same text (the provider compares it as text).
 */
export function serviceUpdateOverride(input: OverrideInput): string {
    const { nofile, memoryMiB, cpus } = input.limits;
    const { stopGraceSeconds, taskTimeLimitSeconds } = input.drain ?? {};
    const process = { ...(input.command ? { Command: input.command } : {}), ...(input.args ? { Args: input.args } : {}) };
    const containerSpec = nofile || input.command || input.args || stopGraceSeconds !== undefined
        ? {
              ...process,
              ...(nofile ? { Ulimits: [{ Name: "nofile", Soft: nofile.soft, Hard: nofile.hard }] } : {}),
              ...(stopGraceSeconds !== undefined ? { StopGracePeriod: stopGraceSeconds * NANO } : {}),
          }
        : undefined;
    const resourceLimits = memoryMiB !== undefined || cpus !== undefined
        ? { ...(cpus !== undefined ? { NanoCPUs: Math.round(cpus * NANO) } : {}), ...(memoryMiB !== undefined ? { MemoryBytes: memoryMiB * MIB } : {}) }
        : undefined;
    const taskTemplate = containerSpec || resourceLimits
        ? { ...(containerSpec ? { ContainerSpec: containerSpec } : {}), ...(resourceLimits ? { Resources: { Limits: resourceLimits } } : {}) }
        : undefined;
    const labelled = {
        ...(input.breakingRelease ? { [BREAKING_RELEASE_LABEL]: "breaking" } : {}),
        ...(taskTimeLimitSeconds !== undefined ? { [TASK_TIME_LIMIT_LABEL]: String(taskTimeLimitSeconds) } : {}),
    };
    const labels = Object.keys(labelled).length > 0 ? { Labels: labelled } : {};
    const program = { ...labels, ...(taskTemplate ? { TaskTemplate: taskTemplate } : {}), UpdateConfig: { Order: updateOrder(input) } };
    const merged = mergeOverride(program, input.custom ?? {}) as typeof program;
    // CapRover replaces arrays: the program's open-file limit is kept beside the stack's other ulimits.
    const ulimits = (input.custom?.TaskTemplate as { ContainerSpec?: { Ulimits?: unknown[] } } | undefined)?.ContainerSpec?.Ulimits;
    if (nofile && ulimits) merged.TaskTemplate!.ContainerSpec!.Ulimits = [...(ulimits as { Name: string; Soft: number; Hard: number }[]), { Name: "nofile", Soft: nofile.soft, Hard: nofile.hard }];
    return JSON.stringify(merged);
}

/**
 * `over` merged over `base` as CapRover merges an override over the service spec
 * (caprover/caprover `Utils.mergeObjects`): objects key by key, arrays and scalars replace.
 */
export function mergeOverride(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) {
        const mine = out[key];
        out[key] = isObject(mine) && isObject(value) ? mergeOverride(mine, value) : value;
    }
    return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
