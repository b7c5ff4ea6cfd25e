/**
 * The site's canary view as the emulator answers it (options.canary): web, of the release its
 * answering task runs, sends a task through the broker to the worker app's task that is up, waits
 * for the result, and reports beat's heartbeat; or answers 503 naming the link that broke.
 */
import type { CanaryOptions } from "./options";
import { PLACEHOLDER_IMAGE } from "./options";
import type { Container, World } from "./state";
import { serving } from "./tasks";

/** The view's path when the options name none. */
export const CANARY_PATH = "/canary/";
/** Beat's heartbeat interval when the options name none, in ms. */
export const HEARTBEAT_MS = 30_000;
/** How long the view waits for a worker to take the task, and for its result (its errors name it), in s. */
const VIEW_WAIT_S = 10;

/** The canary view's answer to `url` on a web app whose task `web` answers; undefined for any other path. */
export function canaryAnswer(world: World, url: string, web: Container): { status: number; body: string; type: string } | undefined {
    const canary = world.options.canary;
    if (url.split("?")[0] !== (canary?.path ?? CANARY_PATH)) return undefined;
    // A site without the view: Django's 404 page.
    if (!canary) return { status: 404, body: "<!doctype html><title>Not Found</title><h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n", type: "text/html" };
    const webRelease = web.release ?? "";
    const broken = (link: string, error: string) => ({ status: 503, body: JSON.stringify({ link, web_release: webRelease, error }), type: "application/json" });
    if (canary.fault === "enqueue") return broken("enqueue", "Error 111 connecting to redis:6379. Connection refused.");
    const worker = taskUp(world, canary.workerApp);
    if (!worker || canary.fault === "delivery") return broken("delivery", `no worker took the canary task within ${VIEW_WAIT_S} s`);
    const node = `celery@${worker.id}`;
    if (canary.fault === "result" || world.options.silentImages.includes(worker.image)) return broken("result", `${node} took the canary task; its result did not come back within ${VIEW_WAIT_S} s`);
    const body = { link: "ok", web_release: webRelease, release: worker.release ?? "", worker: node, beat: heartbeat(world, canary) };
    return { status: 200, body: JSON.stringify(body), type: "application/json" };
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
