/**
 * The tasks of an app's Docker service: a deploy or a definition change starts a new one; which
 * one answers HTTP follows the service's update order; `docker service logs` of every task is
 * what CapRover's logs endpoint passes on.
 */
import * as crypto from "crypto";
import { parse as parseYaml } from "yaml";
import type { AppDefinition } from "../../src/api/types";
import { STATUS } from "../../src/api/types";
import { PLACEHOLDER_IMAGE } from "./options";
import { envOf, serviceSpec } from "./preDeploy";
import { Answer, Container, EmulatedApp, World } from "./state";

/** Containers kept per app (their log lines stay in the service's logs). */
const CONTAINER_HISTORY = 5;

/**
 * Starts a new task of the app's service (a deploy, or a definition change restarting the image),
 * with the environment of the update's spec: `def`'s env (the definition the update read) and its
 * pre-deploy function.
 */
export async function startTask(world: World, app: EmulatedApp, image: string, startMs: number, def: AppDefinition = app.def): Promise<void> {
    const env = envOf(await serviceSpec(def, image));
    app.serviceImage = image;
    // No replica (instanceCount 0): the service's spec changes, no task starts.
    if (def.instanceCount === 0) return;
    const now = Date.now();
    const previous = app.containers.at(-1);
    const id = crypto.randomBytes(6).toString("hex");
    // Stop-first promises one task at a time, and keeps it only for updates that do not overlap:
    // the previous update's task is still starting, so Swarm starts this one beside it.
    if (previous && now < previous.readyAt && previous.readyAt !== Infinity && previous.image !== PLACEHOLDER_IMAGE && image !== PLACEHOLDER_IMAGE && stopFirst(def)) {
        app.overlaps.push({ at: now, tasks: [previous.id, id] });
    }
    // CapRover's placeholder is a static page: it neither reports a release nor logs a ready line.
    const release = image === PLACEHOLDER_IMAGE ? undefined : env[world.options.releaseEnvVar] || undefined;
    // A task Docker refuses to start never comes up.
    const readyAt = world.options.unstartableImages.includes(image) ? Infinity : now + startMs;
    const oneOff = runOnce(def);
    app.containers.push({ id, image, release, env, process: processOf(def), startedAt: now, readyAt, ...(oneOff ? { oneOff } : {}) });
    if (oneOff) world.taskRuns.push({ appName: def.appName, image, process: oneOff.process, startedAt: now, exitCode: exitCode(world, image) });
    if (app.containers.length > CONTAINER_HISTORY) app.containers.shift();
}

/**
 * The task answering HTTP: the current one once it is up; before that, with Docker's start-first
 * order (CapRover's "auto" for apps without mounts) the newest earlier one that is up serves, with
 * stop-first (mounts, or `UpdateConfig.Order` in serviceUpdateOverride) nothing does.
 */
export function serving(app: EmulatedApp): Container | undefined {
    if (app.def.instanceCount === 0) return undefined;
    const now = Date.now();
    const current = app.containers.at(-1);
    if (current && now >= current.readyAt) return current;
    // Start-first: the newest task that is up keeps serving until a newer one is.
    return stopFirst(app.def) ? undefined : [...app.containers].reverse().find((c) => now >= c.readyAt);
}

/** Docker's update order of the app's service: CapRover's "auto" (stop-first with mounts), unless the override sets it. */
export function stopFirst(def: AppDefinition): boolean {
    let order: unknown;
    try {
        const override = def.serviceUpdateOverride ? (parseYaml(def.serviceUpdateOverride) as { UpdateConfig?: { Order?: unknown } } | null) : undefined;
        order = override?.UpdateConfig?.Order;
    } catch {
        order = undefined;
    }
    if (order === "stop-first" || order === "start-first") return order === "stop-first";
    return def.volumes.length > 0;
}

/**
 * `GET .../appData/<app>/logs`: as CapRover's getLogForService, the service's logs of every task
 * (docker service logs with timestamps, stdout and stderr, in Docker's 8-byte-header frames),
 * as a string in the requested encoding. The stand-in worker logs Celery's `celery@<host> ready.`
 * and, with a release, `<releaseEnvVar>=<release> ready`.
 */
export function runtimeLogs(world: World, appName: string, encoding: string): Answer {
    const app = world.mustGet(appName);
    const { options } = world;
    const now = Date.now();
    const frames: Buffer[] = [];
    const line = (at: number, text: string, stream = 1) => {
        const payload = Buffer.from(`${new Date(at).toISOString()} ${text}\n`, "utf8");
        const header = Buffer.alloc(8);
        header[0] = stream;
        header.writeUInt32BE(payload.length, 4);
        frames.push(header, payload);
    };
    // Task by task, newest first: `docker service logs` gives each task's lines in turn, not the
    // service's in time (the real server gave a crash-looping release's lines before those of the
    // release it replaced), so readers must order them (the provider's appLogs does).
    for (const c of [...app.containers].reverse()) {
        // Docker refused to create its container: nothing logged, the reason only in `docker service ps`.
        if (options.unstartableImages.includes(c.image)) continue;
        line(c.startedAt, `emulated task ${c.id} of ${appName} starting ${c.image}`);
        if (now < c.readyAt || c.image === PLACEHOLDER_IMAGE || options.silentImages.includes(c.image)) continue;
        if (options.unhealthyImages.includes(c.image)) {
            line(c.readyAt, "Traceback (most recent call last):", 2);
            line(c.readyAt, "ImportError: emulated start-up failure; the task exits", 2);
            continue;
        }
        if (c.oneOff) {
            const code = exitCode(world, c.image);
            // An exited container is pruned, its logs with it: CapRover prunes every stopped container
            // 5 s after any service update on the server, so that can come at any moment; the
            // emulator takes the worst case. Only a process that holds after its exit line keeps it.
            if (code !== undefined && !holds(c.oneOff.process)) continue;
            // The site's images carry a HEALTHCHECK (web's /health/) a task's process never passes:
            // Swarm holds such a task in `starting`, and `docker service logs` shows none of its lines.
            if (!c.oneOff.healthCheckOff) continue;
            for (const [text, stream] of taskOutput(c, code)) line(c.readyAt, text, stream);
            continue;
        }
        if (app.def.notExposeAsWebApp) line(c.readyAt, `celery@${c.id} ready.`);
        if (c.release) line(c.readyAt, `${options.releaseEnvVar}=${c.release} ready`);
    }
    const raw = Buffer.concat(frames);
    return [STATUS.OK, "App runtime logs are retrieved", { logs: raw.toString(encoding === "base64" ? "base64" : "utf8") }];
}

type TaskSpec = { RestartPolicy?: { Condition?: unknown }; ContainerSpec?: { Command?: unknown; Args?: unknown; HealthCheck?: { Test?: unknown } } };

/** The override's task template, if it parses. */
function taskSpec(def: AppDefinition): TaskSpec | undefined {
    try {
        return def.serviceUpdateOverride ? (parseYaml(def.serviceUpdateOverride) as { TaskTemplate?: TaskSpec } | null)?.TaskTemplate : undefined;
    } catch {
        return undefined;
    }
}

/** The process the override gives the service's tasks (Command, then Args); undefined: the image's own. */
function processOf(def: AppDefinition): string[] | undefined {
    const spec = taskSpec(def)?.ContainerSpec;
    if (!Array.isArray(spec?.Command)) return undefined;
    return [...spec.Command, ...(Array.isArray(spec.Args) ? spec.Args : [])].map(String);
}

/** The process of a run-once service: its RestartPolicy is `none` and its override sets the process (Command, then Args). */
function runOnce(def: AppDefinition): Container["oneOff"] {
    const task = taskSpec(def);
    const process = processOf(def);
    if (task?.RestartPolicy?.Condition !== "none" || !process) return undefined;
    const test = task.ContainerSpec?.HealthCheck?.Test;
    return {
        process,
        env: Object.fromEntries(def.envVars.map((e) => [e.key, e.value])),
        healthCheckOff: Array.isArray(test) && test[0] === "NONE",
    };
}

/** How a run-once task of `image` ends: 1 in failingTaskImages, never in silentImages, else 0. */
function exitCode(world: World, image: string): number | undefined {
    if (world.options.silentImages.includes(image)) return undefined;
    return world.options.failingTaskImages.includes(image) ? 1 : 0;
}

/** `echo "<text>$?"` in an `sh -c` script, at its end or followed by more commands. */
const ECHO_EXIT = /echo "([^"$]*)\$\?"\s*(;|$)/;

/** Whether an `sh -c` process holds after its exit echo (`...; echo "...$?"; ... sleep <n> ...`): its container keeps running. */
function holds(process: string[]): boolean {
    const [shell, flag, script] = process;
    if (!shell?.endsWith("sh") || flag !== "-c" || !script) return false;
    const echo = ECHO_EXIT.exec(script);
    return !!echo && /\bsleep\s+[1-9]/.test(script.slice(echo.index + echo[0].length));
}

/**
 * What a run-once task logs: the stand-in app's migrations (applied, or a traceback naming the
 * database it was given), then, for `sh -c '<...>; echo "<text>$?"' ...`, the echo with the code
 * (the only shell the emulator speaks). A task that never exits logs nothing.
 */
function taskOutput(c: Container, code: number | undefined): [string, number][] {
    if (code === undefined) return [];
    const out: [string, number][] = [["Operations to perform:", 1], ["  Apply all migrations: django_celery_beat, standin", 1], ["Running migrations:", 1]];
    if (code === 0) out.push(["  Applying standin.0002_release_mark... OK", 1]);
    else {
        out.push(["  Applying standin.0002_release_mark...Traceback (most recent call last):", 2]);
        out.push([`django.db.utils.OperationalError: could not apply standin.0002_release_mark to ${c.oneOff!.env.DATABASE_URL ?? "the database"}: no such column: standin_releasemark.release`, 2]);
    }
    const [shell, flag, script] = c.oneOff!.process;
    const echo = ECHO_EXIT.exec(script ?? "");
    if (shell?.endsWith("sh") && flag === "-c" && echo) out.push([`${echo[1]}${code}`, 1]);
    return out;
}
