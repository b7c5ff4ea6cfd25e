/**
 * Running a command once on CapRover, which has no one-off job API: a short-lived app whose Docker
 * service never restarts (`TaskTemplate.RestartPolicy.Condition: none` through its
 * serviceUpdateOverride), its exit code read from CapRover's app logs (`GET
 * /user/apps/appData/<app>/logs`, the service's `docker service logs`), the app removed afterwards.
 *
 * The order matters on the real server. Register deploys CapRover's placeholder, and every
 * definition update restarts whatever image the service runs: were the command set while the
 * placeholder runs, the placeholder would run it too and log an exit line of its own. So the
 * definition (command, restart policy, environment) is written with no replica, the release's image
 * deployed with no replica, and only then one replica asked for: the only container that ever runs
 * the command is the release's.
 *
 * And the container must outlive its exit line. CapRover prunes every stopped container of the
 * server 5 s after any service update, any app's (DockerApi.updateService -> pruneContainers), and a
 * pruned container's logs are gone: a task that exits can lose its exit line before the next read
 * (seen on the real server: the task completed, `docker service logs` empty, the up timed out). So
 * after the exit line the process holds, idle, until the run's deadline (plus a margin): the line
 * stays readable while the container runs, removing the app stops it at once (a TERM trap), and an
 * interrupted run's container ends by itself, never restarted.
 */
import * as crypto from "crypto";
import { CapRoverClient, deployedImage, latestVersion, logTail } from "../api/client";
import { CapRoverError, rampingPause, sleep } from "../api/transport";
import type { AppChanges, AppDefinition } from "../api/types";
import { STATUS } from "../api/types";
import { ownedBy, pristine } from "../app/definition";

/** What the last line of a task's logs starts with: `<EXIT_MARKER> <run id> exit=<code>`. */
export const EXIT_MARKER = "caprover-release-task";
/** Longest pause between two reads of the build state or the logs, in ms (the first is POLL_FIRST_MS). */
export const POLL_MS = 500;
export const POLL_FIRST_MS = 50;

/** One run of a task. */
export interface TaskRun {
    /** The app it runs in (registered here, removed after). */
    appName: string;
    /** Image by digest. */
    image: string;
    /** The process, as an argument list. */
    command: string[];
    /** Its environment. */
    envVars: Record<string, string>;
    /** Last output lines a failure shows. */
    outputLines: number;
    /** Epoch ms by which the run must have ended. */
    deadline: number;
    /** The whole run's limit, for messages. */
    limitMs: number;
    /** Tag the app carries: the stack's, so an interrupted run's app is known as ours. */
    tag: string;
    /** A warning the user sees. */
    warn: (line: string) => void;
}

/** A task that ran and exited with another code than 0, or never exited in time: the message carries its output. */
export class TaskFailed extends Error {
    constructor(message: string) {
        super(message);
        this.name = "TaskFailed";
    }
}

/** How long a task's container holds after its exit line beyond the run's deadline, in seconds. */
export const HOLD_MARGIN_S = 60;

/**
 * The container's process: sh runs the command, prints the exit line (where CapRover shows a
 * finished service's outcome: its logs; `runId` tells this run's line from any other), then holds
 * for `holdSeconds` so the line is never pruned with the container, ending at once on TERM.
 * Command replaces the image's entrypoint, Args its command.
 */
export function taskProcess(command: string[], runId: string, holdSeconds: number): { Command: string[]; Args: string[] } {
    const script = `"$@"; echo "${EXIT_MARKER} ${runId} exit=$?"; trap 'exit 0' TERM; sleep ${holdSeconds} & wait`;
    return { Command: ["/bin/sh", "-c", script, "release-task"], Args: command };
}

/**
 * The override that makes the app's service run the process once: never restarted, whatever its
 * exit, and without the image's HEALTHCHECK (web's probes a server the task never starts: Swarm
 * would hold the task in `starting`, where `docker service logs` shows none of its lines, then
 * kill it as unhealthy).
 */
export function taskOverride(command: string[], runId: string, holdSeconds: number): string {
    return JSON.stringify({ TaskTemplate: { ContainerSpec: { ...taskProcess(command, runId, holdSeconds), HealthCheck: { Test: ["NONE"] } }, RestartPolicy: { Condition: "none" } } });
}

/** The hold of a run ending at `deadline`: until then, plus the margin. */
export function holdSeconds(deadline: number, now = Date.now()): number {
    return Math.max(0, Math.ceil((deadline - now) / 1000)) + HOLD_MARGIN_S;
}

/** The exit code of run `runId` in the log lines, and the lines before it; undefined while it runs. */
export function exitOf(lines: string[], runId: string): { code: number; before: string[] } | undefined {
    const at = lines.findIndex((l) => l.includes(`${EXIT_MARKER} ${runId} exit=`));
    if (at < 0) return undefined;
    const code = Number(/exit=(\d+)/.exec(lines[at].slice(lines[at].indexOf(EXIT_MARKER)))?.[1] ?? NaN);
    return { code, before: lines.slice(0, at) };
}

/** A log line without Docker's timestamp. */
function text(line: string): string {
    return line.replace(/^\d{4}-\d\d-\d\dT\S+Z /, "");
}

/**
 * Runs the task once: removes an app an interrupted run left, registers, writes the definition and
 * deploys with no replica, starts one, waits for the exit line, and removes the app whatever
 * happened. Throws TaskFailed with the output's last lines (secrets scrubbed by the client) when the
 * command fails or does not exit before the deadline.
 */
export async function runTask(client: CapRoverClient, run: TaskRun): Promise<void> {
    client.addSecrets(...Object.values(run.envVars));
    const runId = crypto.randomBytes(6).toString("hex");
    const awaiting = (waitingFor: string) => (client.deadline = { at: run.deadline, waitingFor, limitMs: run.limitMs });
    let failure: Error | undefined;
    // Set once the name is ours (free, or freed of our own leftover): only then is the app removed at the end.
    let ours = false;
    try {
        awaiting(`CapRover to remove ${run.appName} left by an interrupted run`);
        await removeLeftover(client, run);
        ours = true;
        awaiting(`CapRover to register ${run.appName}`);
        await client.registerApp(run.appName, false);
        awaiting(`CapRover to finish deploying its placeholder into ${run.appName}`);
        await client.waitForBuild(run.appName, "POST /user/apps/appDefinitions/register");
        awaiting(`CapRover to accept the definition of ${run.appName}`);
        await define(client, run, runId);
        awaiting(`CapRover to deploy ${run.image} into ${run.appName}`);
        await deployStopped(client, run);
        awaiting(`CapRover to start ${run.appName}`);
        await client.whenNotBuilding(run.appName, "POST /user/apps/appDefinitions/update", async () => client.updateApp(await mustGet(client, run.appName), { instanceCount: 1 }));
        awaiting(`${run.command.join(" ")} to exit in ${run.appName} (its exit line in CapRover's app logs)`);
        await waitExit(client, run, runId);
    } catch (e) {
        failure = e as Error;
    } finally {
        client.deadline = undefined;
    }
    // Removed whatever happened: a task app is never left behind by a run that ends.
    if (!ours) throw failure!;
    const removed = await client.deleteApp(run.appName).then(
        () => undefined,
        (e: Error) => e,
    );
    if (failure) throw removed ? new Error(`${failure.message}\nRemoving ${run.appName} failed too (${removed.message}); the next run removes it`) : failure;
    if (removed) run.warn(`the release task succeeded, but removing its app ${run.appName} failed (${removed.message}); it runs nothing (its service never restarts), and the next run removes it`);
}

/** An app of this name left by an interrupted run (it carries the tag, or was never configured) is removed; anyone else's is refused. */
async function removeLeftover(client: CapRoverClient, run: TaskRun): Promise<void> {
    const current = await client.getApp(run.appName);
    if (!current) return;
    if (!ownedBy(current, run.tag) && !pristine(current)) {
        throw new Error(
            `app ${run.appName} already exists and is not a release task app of this stack (it has no tag ${run.tag}); ` +
                "the release task would remove it: rename the task (site:release.tasks) or the other app",
        );
    }
    run.warn(`removing ${run.appName}, a release task app left by an interrupted run; the task runs again`);
    await client.deleteApp(run.appName);
}

/** The task's definition, with no replica yet (see the module's note); 1110 (no placeholder image) still saves it. */
async function define(client: CapRoverClient, run: TaskRun, runId: string): Promise<void> {
    const changes: AppChanges = {
        instanceCount: 0,
        notExposeAsWebApp: true,
        forceSsl: false,
        envVars: Object.entries(run.envVars).map(([key, value]) => ({ key, value })),
        description: `release task: ${run.command.join(" ")} in ${run.image}`,
        tags: [{ tagName: run.tag }],
        serviceUpdateOverride: taskOverride(run.command, runId, holdSeconds(run.deadline)),
    };
    const current = await mustGet(client, run.appName);
    try {
        await client.updateApp(current, changes);
    } catch (e) {
        // As for apps: CapRover saved the definition before it found no image to restart; the deploy applies it.
        if (!(e instanceof CapRoverError && e.code === STATUS.ILLEGAL_PARAMETER && deployedImage(current) === undefined)) throw e;
    }
}

/** Deploys the image (no replica runs it yet) and waits until CapRover reports it deployed. */
async function deployStopped(client: CapRoverClient, run: TaskRun): Promise<void> {
    const before = latestVersion(await mustGet(client, run.appName));
    await client.whenNotBuilding(run.appName, `POST /user/apps/appData/${run.appName}`, () => client.deployImage(run.appName, run.image));
    for (let polls = 1; ; polls++) {
        const status = await client.buildStatus(run.appName);
        if (!status.isAppBuilding) {
            const app = await mustGet(client, run.appName);
            const ours = latestVersion(app) > before;
            if (ours && status.isBuildFailed) {
                throw new Error(`CapRover could not deploy ${run.image} into ${run.appName}; last lines of its build log:\n  ${logTail(status).join("\n  ")}`);
            }
            if (ours && deployedImage(app) === run.image) return;
        }
        await pause(run, polls);
    }
}

/** Reads the logs until this run's exit line; a non-zero code, or none by the deadline, fails with the output's last lines. */
async function waitExit(client: CapRoverClient, run: TaskRun, runId: string): Promise<void> {
    const what = `\`${run.command.join(" ")}\` in ${run.image} (app ${run.appName})`;
    let seen: string[] = [];
    for (let polls = 1; ; polls++) {
        let lines: string[];
        try {
            lines = await client.appLogs(run.appName);
        } catch (e) {
            if (Date.now() < run.deadline) throw e;
            lines = seen;
        }
        seen = lines;
        const exit = exitOf(lines, runId);
        const tail = (from: string[]) => from.slice(-run.outputLines).map((l) => client.redact(text(l)));
        const shown = (from: string[]) => (from.length ? `\nlast lines of its output:\n  ${tail(from).join("\n  ")}` : "\nit printed nothing");
        if (exit && exit.code === 0) {
            client.log(`release task ${what} exited 0`);
            return;
        }
        if (exit) throw new TaskFailed(client.redact(`release task ${what} exited with code ${exit.code}${shown(exit.before)}`));
        if (Date.now() >= run.deadline) {
            throw new TaskFailed(client.redact(`release task ${what} did not exit within the deploy timeout of ${run.limitMs} ms; it was stopped (its app removed)${shown(lines)}`));
        }
        await pause(run, polls);
    }
}

async function pause(run: TaskRun, n: number): Promise<void> {
    await sleep(Math.min(rampingPause(POLL_FIRST_MS, POLL_MS, n), Math.max(0, run.deadline - Date.now())));
}

async function mustGet(client: CapRoverClient, appName: string): Promise<AppDefinition> {
    const app = await client.getApp(appName);
    if (!app) throw new Error(`app ${appName} vanished during the release task (deleted by someone else?)`);
    return app;
}
