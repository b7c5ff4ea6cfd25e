/**
 * The site's canary view as the emulator answers it (options.canary), through real redis: web, of
 * the release its answering task runs, pushes the canary onto the `default` queue of the broker its
 * REDIS_URL names (brokers.ts); the worker app's task that is up takes what the broker ITS REDIS_URL
 * names holds and writes each result (its release and node name) to its result backend, that same
 * broker, as Celery's redis backend does (`celery-task-meta-<id>`); web reads it back. So whether a
 * link works follows from the apps' configuration: web cannot reach or authenticate to its broker
 * (enqueue), the worker's broker is another one, database or password (delivery), a worker that
 * hangs takes the task and writes no result (result). Beat's heartbeat comes from the emulator's
 * clock (below).
 */
import * as crypto from "crypto";
import { RedisReplyError, RespClient } from "../redis/resp";
import type { BrokerRoute } from "./brokers";
import type { CanaryOptions } from "./options";
import { PLACEHOLDER_IMAGE } from "./options";
import type { Container, World } from "./state";
import { serving } from "./tasks";

/** The view's path when the options name none. */
export const CANARY_PATH = "/canary/";
/** Beat's heartbeat interval when the options name none, in ms. */
export const HEARTBEAT_MS = 30_000;
/**
 * How long the site's view waits (app/config/canary.py), as its errors say. The emulator's worker
 * takes the message as soon as web has pushed it (the push wakes it, as BRPOP would), so by the time
 * web reads the result, the wait is over: no timer, no race.
 */
const VIEW_WAIT_S = 5;
/** The queue the view sends to (the workers consume it: `-Q default,...`). */
const QUEUE = "default";
/** How long a canary's message and result are kept, in s (the stand-in's `expires`). */
const KEEP_S = 60;

type ViewAnswer = { status: number; body: string; type: string };

/** The canary view's answer to `url` on a web app whose task `web` answers; undefined for any other path. */
export async function canaryAnswer(world: World, url: string, web: Container): Promise<ViewAnswer | undefined> {
    const canary = world.options.canary;
    if (url.split("?")[0] !== (canary?.path ?? CANARY_PATH)) return undefined;
    // A site without the view: Django's 404 page.
    if (!canary) return { status: 404, body: "<!doctype html><title>Not Found</title><h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n", type: "text/html" };
    const webRelease = web.release ?? "";
    const broken = (link: string, error: string) => ({ status: 503, body: JSON.stringify({ link, web_release: webRelease, error }), type: "application/json" });
    const id = crypto.randomUUID();
    let client: RespClient;
    try {
        client = await open(await world.brokers.route(world, web));
        await client.command("RPUSH", QUEUE, JSON.stringify({ task: "site.canary", id }));
    } catch (e) {
        return broken("enqueue", clientError(e));
    }
    try {
        const worker = taskUp(world, canary.workerApp);
        if (worker) await work(world, worker);
        const meta = JSON.parse(String((await client.command("GET", resultKey(id))) ?? "null")) as { status: string; result?: { release: string; worker: string } } | null;
        if (!meta) return broken("delivery", `no worker took the canary within ${VIEW_WAIT_S} s`);
        if (meta.status !== "SUCCESS" || !meta.result) return broken("result", `a worker took the canary (state ${meta.status}) but no result came back within ${VIEW_WAIT_S} s`);
        const body = { link: "ok", web_release: webRelease, release: meta.result.release, worker: meta.result.worker, beat: heartbeat(world, canary) };
        return { status: 200, body: JSON.stringify(body), type: "application/json" };
    } catch (e) {
        return broken("result", `the result backend cannot be read: ${clientError(e)}`);
    } finally {
        client.close();
    }
}

/**
 * The worker's turn: it connects to its own broker (a worker that cannot takes nothing: it would
 * be retrying its connection) and takes every message queued there, marking each STARTED, then,
 * unless it hangs (a silent image), writing its result.
 */
async function work(world: World, worker: Container): Promise<void> {
    let client: RespClient;
    try {
        client = await open(await world.brokers.route(world, worker));
    } catch {
        return;
    }
    try {
        const hung = world.options.silentImages.includes(worker.image);
        for (let raw = await client.command("LPOP", QUEUE); raw !== null; raw = await client.command("LPOP", QUEUE)) {
            const { id } = JSON.parse(String(raw)) as { id: string };
            await client.command("SET", resultKey(id), JSON.stringify({ status: "STARTED" }), "EX", KEEP_S);
            if (hung) continue;
            const result = { release: worker.release ?? "", worker: `celery@${worker.id}` };
            await client.command("SET", resultKey(id), JSON.stringify({ status: "SUCCESS", result }), "EX", KEEP_S);
        }
    } finally {
        client.close();
    }
}

/** Celery's redis result backend's key of a task. */
const resultKey = (id: string) => `celery-task-meta-${id}`;

/** A connection to a broker, authenticated and on its database, as redis-py opens one. */
async function open(route: BrokerRoute): Promise<RespClient> {
    const client = await RespClient.connect(route.endpoint);
    try {
        if (route.password !== undefined) await client.command("AUTH", ...(route.username ? [route.username] : []), route.password);
        if (route.db !== 0) await client.command("SELECT", route.db);
        // Without a password, redis answers the first command that needs one.
        await client.command("PING");
        return client;
    } catch (e) {
        client.close();
        throw e;
    }
}

/** The error as the stand-in's view words it (`<class>: <message>`, redis-py's classes). */
function clientError(e: unknown): string {
    const message = (e as Error).message;
    if (!(e instanceof RedisReplyError)) return /^\w+Error: /.test(message) ? message : `ConnectionError: ${message}`;
    return /^(WRONGPASS|NOAUTH)/.test(message) ? `AuthenticationError: ${message.replace(/^\w+ /, "")}` : `ResponseError: ${message}`;
}

/** The app's task that is up and runs the site (not CapRover's placeholder, not crashing on start). */
function taskUp(world: World, appName: string): Container | undefined {
    const app = world.apps.get(appName);
    const task = app && serving(app);
    return task && task.image !== PLACEHOLDER_IMAGE && !world.options.unhealthyImages.includes(task.image) ? task : undefined;
}

/**
 * Beat's heartbeat: the time since the last one, by the emulator's clock, and the release of the beat
 * that sent it; null when no beat task is up. With candidates (beat alone, or in the worker), every
 * one whose task is up beats, and the last heartbeat wins, as in the site's one redis key (during a
 * flip the old beat runs until its app is removed, beside the new one).
 */
function heartbeat(world: World, canary: CanaryOptions): { age_s: number; release: string } | null {
    const candidates = Array.isArray(canary.beatApp) ? canary.beatApp : [canary.beatApp ?? canary.workerApp];
    // Among candidates, the worker app beats only where its process runs beat (the program's
    // description names it: `celery ... --beat`); a lone candidate always does.
    const runsBeat = (appName: string) => candidates.length === 1 || appName !== canary.workerApp || /\s--beat\b/.test(world.apps.get(appName)?.def.description ?? "");
    const now = Date.now();
    const interval = canary.heartbeatMs ?? HEARTBEAT_MS;
    let last: { at: number; release: string } | undefined;
    for (const beat of candidates.filter(runsBeat).map((a) => taskUp(world, a)).filter((t): t is Container => t !== undefined)) {
        const since = Math.max(0, now - beat.readyAt);
        const stalled = canary.beatStalled === true || world.options.silentImages.includes(beat.image);
        const at = now - (stalled ? since : since % interval);
        if (!last || at > last.at) last = { at, release: beat.release ?? "" };
    }
    return last ? { age_s: (now - last.at) / 1000, release: last.release } : null;
}
