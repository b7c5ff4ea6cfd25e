/**
 * `caprover:index:Canary`: a release is done only when a canary task sent by web of the new release
 * reaches a Celery worker of the new release through the broker, its result comes back, and beat's
 * heartbeat is fresh. The site's web app serves a view that does the round trip and says how it
 * went (the contract below); the canary asks it through captain-nginx, as the deploy gate asks the
 * health path, until an answer passes or the deploy timeout ends, and then fails with the last
 * answer, naming the link that broke.
 *
 * Like a release task, its state is the record of a run, keyed by the release (the images): an `up`
 * whose images already passed does not ask again; a failed run leaves the state as it was (no state,
 * or the previous release's), so the next `up` asks again. Nothing lives on the server.
 *
 * The view's contract (`GET <path>`, JSON):
 * - HTTP 200 `{"link": "ok", "web_release", "release", "worker", "beat": {"age_s", "release"} | null}`:
 *   web's release, the release and node name of the worker that ran the task, the age of beat's
 *   last heartbeat in seconds and the release of the beat that sent it (null: none ever recorded);
 * - HTTP 503 `{"link": "enqueue" | "delivery" | "result", "web_release", "error"}`: web could not
 *   send to the broker; no worker took the task within the view's wait; a worker took it and the
 *   result did not come back.
 */
import { connect } from "../api/client";
import { releaseOf, sameValue } from "../app/definition";
import { checkPause, probeWithin, urlOnApp } from "../app/deploy";
import { sleep } from "../api/transport";
import { APP_NAME, APP_NAME_ACCEPTED, DIGEST_REF } from "../rules";
import { resourceRules, withDefaultsOf } from "../schema";
import { Context, ResourceHandler, describe } from "./handler";
import type { Connection, CapRoverClient } from "../api/client";

export const CANARY_TYPE = "caprover:index:Canary";
const RULES = resourceRules(CANARY_TYPE);

/** Inputs after check. */
export interface CanaryInputs {
    appName: string;
    path: string;
    webImage: string;
    workerImage: string;
    /** Empty: beat runs inside the worker (or not at all). */
    beatImage: string;
    /** 0: beat is not checked. */
    beatHeartbeatMaxAgeS: number;
    deployTimeoutMs: number;
    httpAuth?: { user: string; password: string };
}

export interface CanaryOutputs extends CanaryInputs {
    /** What the run is keyed by: the releases of the images it passed for (canaryRelease). */
    release: string;
    /** The Celery node that ran the passing task. */
    worker: string;
    /** Age of beat's heartbeat in the passing answer, in s (absent: none reported, and beat not checked). */
    beatAgeS?: number;
}

/** The release a run belongs to: the digests of web's, the worker's and (if any) beat's image. */
export function canaryRelease(inputs: Pick<CanaryInputs, "webImage" | "workerImage" | "beatImage">): string {
    const beat = inputs.beatImage ? ` beat=${releaseOf(inputs.beatImage)}` : "";
    return `web=${releaseOf(inputs.webImage)} worker=${releaseOf(inputs.workerImage)}${beat}`;
}

/** What a link's failure means, in the words a failure shows. */
const LINKS: Record<string, string> = {
    enqueue: "web could not enqueue the canary",
    delivery: "the broker did not deliver the canary to any worker",
    result: "a worker took the canary, but its result did not come back to web",
};

/** The answer's verdict: it passes (with what it said), or what it showed instead, in plain words. */
type Verdict = { passed: true; worker: string; beatAgeS?: number } | { passed: false; seen: string };

/** Judges one answer of the view against the releases the canary is for. */
export function judge(answer: { status: number; body: string }, inputs: CanaryInputs): Verdict {
    const web = releaseOf(inputs.webImage);
    const worker = releaseOf(inputs.workerImage);
    const said = jsonObject(answer.body);
    const failed = (seen: string): Verdict => ({ passed: false, seen });
    if (answer.status === 404) return failed(`web answered HTTP 404 (the site serves no canary at ${inputs.path}; set the canary's path to where the site serves it, or deploy a web release with the canary view)`);
    // Any answer naming another web release is the previous web's (start-first: it serves until the new one is up).
    if (said && typeof said.web_release === "string" && said.web_release !== web) {
        return failed(`web of release ${said.web_release || "(none)"} answered, not web of release ${web} (the previous web release still serves)`);
    }
    if (answer.status !== 200) {
        const link = typeof said?.link === "string" ? said.link : undefined;
        const error = typeof said?.error === "string" ? `: ${said.error}` : "";
        if (link && Object.hasOwn(LINKS, link)) return failed(`${LINKS[link]} (${link})${error}`);
        if (answer.status === 401) return failed(`web answered HTTP 401 (its basic auth refused the canary; set the canary's httpAuth to web's user and password)`);
        return failed(`web answered HTTP ${answer.status}${link ? ` (link ${JSON.stringify(link)})` : ""}${error}`);
    }
    if (!said || said.link !== "ok") return failed(`web answered HTTP 200, but not a canary answer (expected JSON with "link": "ok"): ${JSON.stringify(answer.body.slice(0, 200))}`);
    if (typeof said.web_release !== "string") return failed(`web's answer names no release of its own (no JSON field "web_release")`);
    const node = typeof said.worker === "string" ? said.worker : "a worker";
    if (said.release !== worker) {
        if (typeof said.release !== "string") return failed(`the answer names no release of the worker that ran the canary (${node}; no JSON field "release")`);
        return failed(`a worker of release ${said.release || "(none)"} answered (${node}), not one of release ${worker} (an old worker still consumes the queue)`);
    }
    const beat = said.beat as { age_s?: unknown; release?: unknown } | null | undefined;
    const age = typeof beat?.age_s === "number" ? beat.age_s : undefined;
    const bound = inputs.beatHeartbeatMaxAgeS;
    if (bound > 0 && age === undefined) return failed(`beat's heartbeat was never recorded (bound ${bound} s): beat has not run, or does not record its heartbeat`);
    if (bound > 0 && age! > bound) return failed(`beat's heartbeat is ${Math.round(age! * 10) / 10} s old (bound ${bound} s): beat has stopped, or has not started yet`);
    // A heartbeat naming its beat's release must be the new beat's (beat's own image, or the worker's
    // it runs in): the old beat's last one may still be fresh right after beat's update.
    const beatRelease = inputs.beatImage ? releaseOf(inputs.beatImage) : worker;
    if (bound > 0 && typeof beat?.release === "string" && beat.release !== beatRelease) {
        return failed(`beat's last heartbeat came from beat of release ${beat.release || "(none)"}, not of release ${beatRelease} (the new beat has not sent one yet)`);
    }
    return { passed: true, worker: node, ...(age !== undefined ? { beatAgeS: age } : {}) };
}

function jsonObject(body: string): Record<string, unknown> | undefined {
    try {
        const parsed = JSON.parse(body) as unknown;
        return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Asks the view until an answer passes or the deploy timeout ends, pausing as the deploy gate does;
 * every answer that does not pass is asked again (web or a worker of the previous release, beat just
 * starting, a link down), and at the deadline the last one says why it failed.
 */
async function ask(client: CapRoverClient, connection: Connection, inputs: CanaryInputs): Promise<Omit<Extract<Verdict, { passed: true }>, "passed">> {
    const limitMs = inputs.deployTimeoutMs;
    const deadline = Date.now() + limitMs;
    client.deadline = { at: deadline, waitingFor: `GET ${inputs.path} on ${inputs.appName} to pass the canary`, limitMs };
    try {
        const url = await urlOnApp(client, connection, inputs.appName, inputs.path);
        let last = "no answer yet";
        let answers = 0;
        for (let probes = 1; ; probes++) {
            const left = deadline - Date.now();
            if (left <= 0) {
                const within = `within the deploy timeout of ${limitMs} ms`;
                const count =
                    answers === 0 ? `GET ${inputs.path} got no answer ${within}` : answers === 1 ? `that was the only answer of GET ${inputs.path} ${within}` : `that was the last of ${answers} answers of GET ${inputs.path} ${within}, none passing`;
                throw new Error(`${last.replace(/\.$/, "")}; ${count}`);
            }
            const { answer, cutShort } = await probeWithin(url, connection, left, inputs.httpAuth);
            const before = last;
            if ("status" in answer) {
                answers++;
                const verdict = judge(answer, inputs);
                if (verdict.passed) {
                    client.log(`canary of ${inputs.appName}: passed (worker ${verdict.worker}${verdict.beatAgeS !== undefined ? `, beat's heartbeat ${verdict.beatAgeS} s old` : ""})`);
                    const { passed: _passed, ...said } = verdict;
                    return said;
                }
                last = verdict.seen;
            } else if (!cutShort || answers === 0) {
                // A probe the deadline cut short says nothing new: the answer before it stays the last.
                last = `GET ${url} got no answer: ${answer.error}`;
            }
            if (last !== before) client.log(`canary of ${inputs.appName}: ${last}; asking again`);
            await sleep(checkPause(probes, deadline));
        }
    } finally {
        client.deadline = undefined;
    }
}

async function run(ctx: Context, inputs: CanaryInputs): Promise<CanaryOutputs> {
    const client = connect(ctx.connection, ctx.log, [inputs.httpAuth?.password]);
    return describe("canary", `release ${releaseOf(inputs.webImage)} (app ${inputs.appName})`, client, async () => {
        const said = await ask(client, ctx.connection, inputs);
        return { ...inputs, release: canaryRelease(inputs), ...said };
    });
}

export const canaryHandler: ResourceHandler<CanaryInputs, CanaryOutputs> = {
    check(news, known) {
        const inputs = withDefaultsOf<CanaryInputs>(RULES, news);
        const failures: { property: string; reason: string }[] = [];
        const fail = (property: string, reason: string) => failures.push({ property, reason });
        const digest = (property: "webImage" | "workerImage" | "beatImage", emptyOk: boolean) => {
            const v = inputs[property];
            if (known(v) && !(emptyOk && v === "") && !DIGEST_REF.test(v ?? "")) {
                fail(property, `${JSON.stringify(v)} is not an image by digest (<image>@sha256:<64 hex digits>)${emptyOk ? ", nor empty (beat runs inside the worker)" : ""}`);
            }
        };
        if (known(inputs.appName) && !APP_NAME.test(inputs.appName ?? "")) fail("appName", `${JSON.stringify(inputs.appName)} is not a CapRover app name: ${APP_NAME_ACCEPTED}`);
        if (known(inputs.path) && !(typeof inputs.path === "string" && inputs.path.startsWith("/"))) fail("path", `${JSON.stringify(inputs.path)} is not accepted; expected a path starting with /, e.g. /canary/`);
        digest("webImage", false);
        digest("workerImage", false);
        digest("beatImage", true);
        if (known(inputs.beatHeartbeatMaxAgeS) && !(Number.isInteger(inputs.beatHeartbeatMaxAgeS) && inputs.beatHeartbeatMaxAgeS >= 0)) {
            fail("beatHeartbeatMaxAgeS", `${inputs.beatHeartbeatMaxAgeS} is not accepted; expected an integer >= 0 (seconds; 0: beat is not checked)`);
        }
        if (known(inputs.deployTimeoutMs) && !(Number.isInteger(inputs.deployTimeoutMs) && inputs.deployTimeoutMs > 0)) fail("deployTimeoutMs", `${inputs.deployTimeoutMs} is not accepted; expected a positive integer (ms)`);
        if (known(inputs.httpAuth) && inputs.httpAuth && (!inputs.httpAuth.user || !inputs.httpAuth.password)) fail("httpAuth", "needs both user and password");
        return { inputs, failures };
    },

    diff(olds, news) {
        // Nothing lives on the server: every change is an update, which asks again only for new images.
        return { changes: RULES.inputs.some((k) => !sameValue(olds[k as keyof CanaryInputs], news[k as keyof CanaryInputs])), replaces: [], deleteBeforeReplace: false };
    },

    create: async (ctx, inputs) => ({ id: inputs.appName, outs: await run(ctx, inputs) }),

    async read(_ctx, id, olds) {
        // The run's record is the state itself: nothing on the server to read.
        if (!olds) throw new Error(`a canary cannot be imported (${id}): it is a record of a run, made by \`pulumi up\``);
        return { id, outs: olds };
    },

    async update(ctx, _id, olds, news) {
        const release = canaryRelease(news);
        if (olds.release === release) {
            ctx.log(`canary of ${news.appName}: release ${release} already passed; not asked again`);
            return { ...news, release, worker: olds.worker, ...(olds.beatAgeS !== undefined ? { beatAgeS: olds.beatAgeS } : {}) };
        }
        return run(ctx, news);
    },

    // Nothing on the server: the record goes with the state.
    async delete() {},

    secretOutputs: RULES.secretOutputs,
};
