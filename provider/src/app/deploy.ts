/**
 * Deploying an image to an app and waiting for it, all within the deploy timeout (every request,
 * retry and poll included): CapRover must report the build done and the image deployed; then the
 * gate waits for the new release itself (one service update carries the image and the release
 * variable naming it: app/release.ts): its health answer names the release (web-exposed apps with a
 * health path declared to report it: `healthReportsRelease`), or its logs show
 * `<releaseEnvVar>=<release> ready` (workers, beat). A health answer declared not to name the
 * release is gated on what can be seen: consecutive 2xx answers after CapRover reports the new
 * image deployed (ANSWER_STREAK). A failed build, gate or deadline throws with what CapRover said
 * and what was awaited.
 */
import { CapRoverClient, Connection, deployedImage, latestVersion, logTail } from "../api/client";
import { DeadlineError, probe, rampingPause, sleep } from "../api/transport";
import type { AppDefinition, BuildStatus } from "../api/types";
import { ANSWER_SPACING_MS, ANSWER_STREAK, AppInputs, appUrl, healthNamesRelease, releaseOf, siteImage } from "./definition";

/**
 * Longest interval between build-state polls, in ms: a deploy is seen done at most this long after
 * CapRover reports it (one poll is a cheap GET). The polls start POLL_FIRST_MS apart and ramp up to
 * it (rampingPause), so a quick deploy is seen within tens of ms.
 */
export const POLL_MS = 250;
export const POLL_FIRST_MS = 50;
/** Longest pause before a failed health probe or readiness check is tried again, in ms; the first is RETRY_CHECK_FIRST_MS. */
export const RETRY_CHECK_MS = 500;
export const RETRY_CHECK_FIRST_MS = 100;

/**
 * Deploys Docker refused with "update out of sequence" (a deploy right after a definition update
 * of the same service: CapRover's build log ends in `rpc error: ... update out of sequence`) are
 * sent again, up to this many times, the pause growing by OUT_OF_SEQUENCE_PAUSE_MS each time.
 */
export const OUT_OF_SEQUENCE_RETRIES = 3;
export const OUT_OF_SEQUENCE_PAUSE_MS = 250;

/** True if the failed build's log says Swarm refused the service update as out of sequence. */
function isOutOfSequence(status: BuildStatus): boolean {
    return logTail(status).some((l) => /update out of sequence/i.test(l));
}

/** The pause before check number `n` + 1 of the new release (health answer, ready line or canary), within `deadline`. */
export const checkPause = (n: number, deadline: number) => Math.min(rampingPause(RETRY_CHECK_FIRST_MS, RETRY_CHECK_MS, n), Math.max(0, deadline - Date.now()));

/** A deploy that did not end well: what was awaited, CapRover's build log tail, whether the old version still serves. */
export class DeployError extends Error {
    /**
     * @param newImageRuns CapRover runs the new image, which failed its gate (a rollback can help).
     * @param consequence The part of the message saying what runs now (a rollback replaces it).
     */
    constructor(
        message: string,
        public readonly newImageRuns = false,
        public readonly consequence?: string,
    ) {
        super(message);
        this.name = "DeployError";
    }
}

/** What the app resource supplies around the deploy. */
export interface DeploySteps {
    /**
     * The containers before the deploy run an image whose health answer a gate proved to name its
     * release: an answer without one is then the new image's, and breaks its contract at once.
     */
    oldReleasesNamed?: boolean;
    /** Where the stack declares the health answer's contract, named when an answer breaks it (e.g. site:services.web.healthReportsRelease). */
    contractKey?: string;
    /** The operation's deadline (epoch ms), when it started before the deploy (waiting for CapRover's placeholder, writing the definition). */
    deadline?: number;
}

/** True if the app is gated on its logs (a release variable and no HTTP health check): workers and beat. */
export function gatedByLogs(inputs: Pick<AppInputs, "exposeAsWebApp" | "healthPath" | "releaseEnvVar">): boolean {
    return !!inputs.releaseEnvVar && !(inputs.exposeAsWebApp && inputs.healthPath);
}

/** Deploys `inputs.image` and waits for it (and its gate) within `inputs.deployTimeoutMs`. */
export async function deploy(client: CapRoverClient, connection: Connection, inputs: AppInputs, before: AppDefinition, steps: DeploySteps): Promise<void> {
    const limitMs = inputs.deployTimeoutMs;
    const deadline = steps.deadline ?? Date.now() + limitMs;
    const awaiting = (waitingFor: string) => (client.deadline = { at: deadline, waitingFor, limitMs });
    try {
        const release = releaseOf(inputs.image);
        const byHealth = inputs.exposeAsWebApp && !!inputs.healthPath;
        // Ready lines logged before this deploy belong to earlier containers (a rollback to this
        // release, or a retry after a failed gate): only a new one counts. Docker's timestamps keep
        // them apart. Read before the deploy starts: its container may log ready at once.
        awaiting(`CapRover's logs of ${inputs.appName}`);
        const earlier = gatedByLogs(inputs) ? new Set(await client.appLogs(inputs.appName)) : undefined;
        awaiting(`CapRover to accept the deploy of ${inputs.image}`);
        const tries = { outOfSequence: 0 };
        const status = await deployAndWait(client, connection, inputs, before, deadline, awaiting, tries);
        client.log(`${inputs.appName} runs ${inputs.image}`);
        const late = lateFailures(client, connection, inputs, before, deadline, awaiting, tries);
        if (earlier) {
            const marker = readyLine(inputs.releaseEnvVar, release);
            await waitReady(client, inputs, deadline, marker, (l) => l.includes(marker) && !earlier.has(l), earlier, awaiting, undefined, late);
        } else if (healthNamesRelease(inputs)) {
            // Only CapRover's placeholder ran before (no JSON answer), or the site's own containers.
            const firstDeploy = siteImage(before) === undefined;
            await waitHealthy(client, connection, inputs, deadline, status, release, steps, awaiting, firstDeploy, !firstDeploy && !!steps.oldReleasesNamed, late);
        } else if (byHealth) {
            // The health answer names no release (declared so, or no variable to name): only answers
            // that come after CapRover reported the new image deployed count.
            await waitAnswering(client, connection, inputs, deadline, status, awaiting, late);
        }
    } finally {
        client.deadline = undefined;
    }
}

/**
 * After a definition change restarted an app gated on its logs (running `running`, the image its
 * last gate proved), before a deploy follows: waits until the restarted task is up (a new ready
 * line naming the release it runs), so the two service updates never overlap (Swarm starts the
 * newest task while a superseded one is still stopping: under stop-first, beat twice).
 * `earlier`: the lines logged before the change. The old image may not come up with the new
 * definition (an env var only the new image reads): the wait takes at most half the time left, and
 * then the deploy goes ahead, the gate keeping the rest. Returns false when it went ahead so.
 */
export async function waitRestarted(client: CapRoverClient, inputs: AppInputs, running: string, earlier: Set<string>, deadline: number): Promise<boolean> {
    const limitMs = inputs.deployTimeoutMs;
    const until = Date.now() + Math.max(0, deadline - Date.now()) / 2;
    // Requests end by the wait's share too: the deploy keeps the rest of the time.
    const awaiting = (waitingFor: string) => (client.deadline = { at: until, waitingFor, limitMs });
    const started = readyLine(inputs.releaseEnvVar, releaseOf(running));
    try {
        await waitReady(client, inputs, until, started, (l) => l.includes(started) && !earlier.has(l), earlier, awaiting, `the task the definition change restarted to log "${started}" (that update finished)`);
        return true;
    } catch (e) {
        // Its share is over (the ready line never came, or a read was cut short by it): the deploy goes
        // ahead, and fails on its own words if the deadline is over too. Anything else is the server's.
        if (Date.now() >= until && (e instanceof DeployError || e instanceof DeadlineError)) return false;
        throw e;
    } finally {
        client.deadline = { at: deadline, waitingFor: `CapRover to accept the deploy of ${inputs.image}`, limitMs };
    }
}

/**
 * For a failed build: true when Swarm refused the service update as out of sequence (another update
 * of the service, e.g. our definition change, was still being applied; nothing of the deploy ran)
 * and a try is left, after logging it (`when`: where it was seen) and pausing; the caller deploys
 * again. The tries are counted across the deploy, before and after CapRover reported it done.
 */
async function outOfSequenceAgain(client: CapRoverClient, inputs: AppInputs, status: BuildStatus, deadline: number, tries: { outOfSequence: number }, when: string): Promise<boolean> {
    if (!isOutOfSequence(status) || tries.outOfSequence >= OUT_OF_SEQUENCE_RETRIES) return false;
    tries.outOfSequence++;
    client.log(`${inputs.appName}: Docker refused the service update ("update out of sequence")${when}; deploying ${inputs.image} again (${tries.outOfSequence}/${OUT_OF_SEQUENCE_RETRIES})`);
    await sleep(Math.min(OUT_OF_SEQUENCE_PAUSE_MS * tries.outOfSequence, Math.max(0, deadline - Date.now())));
    return true;
}

/** What runs after a deploy that failed before the new image ran: the previous version, where the site ran one. */
function keepsServing(before: AppDefinition): string | undefined {
    return siteImage(before) !== undefined ? "the previous version keeps serving" : undefined;
}

/** Starts the deploy and polls the build state until CapRover runs the image; returns the last build state. */
async function deployAndWait(
    client: CapRoverClient,
    connection: Connection,
    inputs: AppInputs,
    before: AppDefinition,
    deadline: number,
    awaiting: (what: string) => void,
    tries: { outOfSequence: number },
): Promise<BuildStatus> {
    const pollMs = connection.pollMs ?? POLL_MS;
    let previousVersion = latestVersion(before);
    client.log(`deploy ${inputs.image} to ${inputs.appName}`);
    await client.deployImage(inputs.appName, inputs.image);
    awaiting(`CapRover to report ${inputs.image} running on ${inputs.appName}`);
    let sawBuilding = false;
    for (let polls = 1; ; polls++) {
        const status = await client.buildStatus(inputs.appName);
        sawBuilding = sawBuilding || status.isAppBuilding;
        if (!status.isAppBuilding) {
            const app = await client.getApp(inputs.appName);
            if (!app) throw new DeployError(`CapRover app ${inputs.appName} on ${client.server} vanished during the deploy`);
            // A failure flag seen before our build started would belong to an earlier deploy.
            const ours = sawBuilding || latestVersion(app) > previousVersion;
            if (ours && status.isBuildFailed && (await outOfSequenceAgain(client, inputs, status, deadline, tries, ""))) {
                previousVersion = latestVersion(app);
                sawBuilding = false;
                await client.deployImage(inputs.appName, inputs.image);
                continue;
            }
            if (ours && status.isBuildFailed) throw failure(client, inputs, "the deploy failed", status, keepsServing(before));
            if (deployedImage(app) === inputs.image) return status;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw failure(client, inputs, `CapRover did not report ${inputs.image} running within the deploy timeout of ${inputs.deployTimeoutMs} ms`, status);
        await sleep(Math.min(rampingPause(Math.min(POLL_FIRST_MS, pollMs), pollMs, polls), left));
    }
}

/**
 * CapRover reports a deploy done (build state idle, the version deployed) before it updates the
 * Docker service (ServiceManager.startDeployingNewVersion: onBuildFinished, then
 * ensureServiceInitedAndUpdated), so that update can still fail after the polls saw the build
 * done: the build state turns failed then. The gates call the returned check between their
 * attempts: "update out of sequence" is deployed again (within the same bound as before the build
 * was done), anything else fails with CapRover's build log, the new image not running.
 */
function lateFailures(
    client: CapRoverClient,
    connection: Connection,
    inputs: AppInputs,
    before: AppDefinition,
    deadline: number,
    awaiting: (what: string) => void,
    tries: { outOfSequence: number },
): () => Promise<void> {
    return async () => {
        const status = await client.buildStatus(inputs.appName);
        if (status.isAppBuilding || !status.isBuildFailed) return;
        if (await outOfSequenceAgain(client, inputs, status, deadline, tries, " after CapRover reported the deploy done")) {
            await deployAndWait(client, connection, inputs, (await client.getApp(inputs.appName)) ?? before, deadline, awaiting, tries);
            return;
        }
        throw failure(client, inputs, "the deploy failed after CapRover had reported it done (its update of the Docker service)", status, keepsServing(before));
    };
}

/**
 * One check for a late failure between a gate's attempts (none after the deadline: the gate then
 * says what it waited for), and the gate's own words back on the deadline once it is done.
 */
async function lateCheck(late: (() => Promise<void>) | undefined, deadline: number, restore: () => void): Promise<void> {
    if (!late || Date.now() >= deadline) return;
    try {
        await late();
    } catch (e) {
        // A request the deadline cut short says nothing: the gate's own failure follows.
        if (e instanceof DeployError || Date.now() < deadline) throw e;
    } finally {
        restore();
    }
}

/**
 * Web apps whose health answer names the release: waits until it names `release`. An answer
 * without the field breaks the declared contract once it must be the new image's (the old
 * containers named theirs, or only CapRover's placeholder, which answers no JSON, ran before): the
 * gate fails at once, saying to report the release or declare that the answer does not; where an
 * older container may still be answering, it keeps asking, and fails the same way at the deadline.
 */
async function waitHealthy(
    client: CapRoverClient,
    connection: Connection,
    inputs: AppInputs,
    deadline: number,
    status: BuildStatus,
    release: string,
    steps: DeploySteps,
    awaiting: (what: string) => void,
    firstDeploy: boolean,
    oldReleasesNamed: boolean,
    late?: () => Promise<void>,
): Promise<void> {
    const answering = `2xx from release ${release}`;
    const unreported = (code: number, untilDeadline: boolean) =>
        failure(
            client,
            inputs,
            `health check GET ${inputs.healthPath} answered HTTP ${code} without a release (no JSON field "release")${untilDeadline ? ` until the deploy timeout of ${inputs.deployTimeoutMs} ms` : ""}, but its answer is declared to name it (healthReportsRelease true). ` +
                `Either report the environment variable ${inputs.releaseEnvVar} there (JSON {"release": <its value>}), or declare that the answer names no release: ` +
                `healthReportsRelease false${steps.contractKey ? ` (${steps.contractKey})` : ""}, and the gate waits for ${ANSWER_STREAK} consecutive 2xx answers after the deploy instead`,
            status,
            UNHEALTHY,
            true,
        );
    let unreportedStatus = 0;
    const label = `GET ${inputs.healthPath} to answer ${answering}`;
    awaiting(label);
    const url = await urlOnApp(client, connection, inputs.appName, inputs.healthPath ?? "");
    let last = "no answer yet";
    for (let probes = 1; ; probes++) {
        const left = deadline - Date.now();
        if (left <= 0) {
            // Only answers without a release until the end: the new image does not report it.
            if (unreportedStatus) throw unreported(unreportedStatus, true);
            // CapRover has already switched to the new image: it is what runs now, unverified.
            throw failure(client, inputs, `health check GET ${inputs.healthPath} did not answer ${answering} within the deploy timeout of ${inputs.deployTimeoutMs} ms (last: ${last})`, status, UNHEALTHY, true);
        }
        const { answer, cutShort } = await probeWithin(url, connection, left, inputs.httpAuth);
        if ("status" in answer && answer.status >= 200 && answer.status < 300) {
            const reported = reportedRelease(answer.body);
            if (reported === release) {
                client.log(`${inputs.appName}: ${inputs.healthPath} answered ${answer.status} from release ${release}`);
                return;
            }
            if (reported === undefined) {
                // Where the old containers named their release, or only CapRover's placeholder (no JSON)
                // ran, this answer is the new image's. Else it may be an older one's (start-first: it
                // serves until the new one is up): keep asking.
                if (oldReleasesNamed || (firstDeploy && isJsonObject(answer.body))) throw unreported(answer.status, false);
                unreportedStatus = answer.status;
                last = `HTTP ${answer.status} without a release`;
            } else {
                unreportedStatus = 0;
                last = `HTTP ${answer.status} from release ${reported}, not ${release} (the previous deployment still answers)`;
            }
        } else if ("status" in answer || !cutShort || last === "no answer yet") {
            // A probe the deadline cut short says nothing new: the answer before it stays the last.
            unreportedStatus = 0;
            last = "status" in answer ? `HTTP ${answer.status}` : answer.error;
        }
        await lateCheck(late, deadline, () => awaiting(label));
        await sleep(checkPause(probes, deadline));
    }
}

/**
 * Web apps whose health answer names no release: after CapRover reported the new image deployed
 * (the caller's order: no answer from before the deploy is looked at), waits for ANSWER_STREAK
 * consecutive 2xx answers ANSWER_SPACING_MS apart; anything else starts the count again. At the
 * deadline it fails with the last answer.
 */
async function waitAnswering(
    client: CapRoverClient,
    connection: Connection,
    inputs: AppInputs,
    deadline: number,
    status: BuildStatus,
    awaiting: (what: string) => void,
    late?: () => Promise<void>,
): Promise<void> {
    const wanted = `2xx ${ANSWER_STREAK} times in a row after CapRover reported ${inputs.image} deployed`;
    const label = `GET ${inputs.healthPath} to answer ${wanted}`;
    awaiting(label);
    const url = await urlOnApp(client, connection, inputs.appName, inputs.healthPath ?? "");
    let last = "no answer yet";
    let streak = 0;
    for (let probes = 1; ; probes++) {
        const left = deadline - Date.now();
        if (left <= 0) {
            const count = streak > 0 ? `, ${streak} in a row` : "";
            throw failure(client, inputs, `health check GET ${inputs.healthPath} did not answer ${wanted} within the deploy timeout of ${inputs.deployTimeoutMs} ms (last: ${last}${count}); the answer names no release (healthReportsRelease false)`, status, UNHEALTHY, true);
        }
        const { answer, cutShort } = await probeWithin(url, connection, left, inputs.httpAuth);
        if ("status" in answer && answer.status >= 200 && answer.status < 300) {
            streak++;
            last = `HTTP ${answer.status}`;
            if (streak >= ANSWER_STREAK) {
                client.log(`${inputs.appName}: ${inputs.healthPath} answered 2xx ${streak} times in a row after the deploy (the answer names no release)`);
                return;
            }
            await sleep(Math.min(ANSWER_SPACING_MS, Math.max(0, deadline - Date.now())));
            continue;
        }
        if ("status" in answer || !cutShort || last === "no answer yet") {
            // A probe the deadline cut short says nothing new: the answer before it stays the last.
            streak = 0;
            last = "status" in answer ? `HTTP ${answer.status}` : answer.error;
        }
        await lateCheck(late, deadline, () => awaiting(label));
        await sleep(checkPause(probes, deadline));
    }
}

/** The URL of `path` on the app as captain-nginx serves it: `<scheme>://<appName>.<rootDomain><path>` (the root domain asked of CapRover). */
export async function urlOnApp(client: CapRoverClient, connection: Connection, appName: string, path: string): Promise<string> {
    const { rootDomain } = await client.listApps();
    return appUrl(connection.url, appName, rootDomain) + path;
}

/**
 * One probe of `url` through captain-nginx (the provider's probeAddress), its timeout the request
 * timeout or the time `left` before the deadline (ms), whichever is shorter; `cutShort` says the
 * deadline shortened it (a failure then says nothing new about the app).
 */
export async function probeWithin(
    url: string,
    connection: Connection,
    left: number,
    basicAuth?: { user: string; password: string },
): Promise<{ answer: Awaited<ReturnType<typeof probe>>; cutShort: boolean }> {
    const probeMs = connection.requestTimeoutMs ?? 10_000;
    const answer = await probe(url, { timeoutMs: Math.min(probeMs, left), connectTo: connection.probeAddress, basicAuth });
    return { answer, cutShort: left < probeMs };
}

/** True if `body` is a JSON object: an app's own answer (CapRover's placeholder serves an HTML page). */
function isJsonObject(body: string): boolean {
    try {
        const parsed = JSON.parse(body) as unknown;
        return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
    } catch {
        return false;
    }
}

/** The `release` field of a JSON health answer, if it has one. */
export function reportedRelease(body: string): string | undefined {
    try {
        const parsed = JSON.parse(body) as { release?: unknown };
        return typeof parsed?.release === "string" ? parsed.release : undefined;
    } catch {
        return undefined;
    }
}

/** The readiness line a worker or beat of `release` logs (the stand-in app: app/config/release.py). */
export function readyLine(releaseEnvVar: string, release: string): string {
    return `${releaseEnvVar}=${release} ready`;
}

/**
 * Apps without an HTTP health check: waits until CapRover's app logs show a line `accept` takes (a
 * ready line not among `earlier`, the lines logged before the deploy). At the deadline it fails
 * saying that the new release never logged `marker`, with the last lines any read showed; or, where
 * no read showed a line since the deploy, that the container may never have started (Docker refuses to
 * start a task, e.g. an open-file limit above what dockerd may grant, and CapRover's logs show
 * nothing of it).
 */
async function waitReady(
    client: CapRoverClient,
    inputs: AppInputs,
    deadline: number,
    marker: string,
    accept: (line: string) => boolean,
    earlier: Set<string>,
    awaiting: (what: string) => void,
    what = `the log line "${marker}"`,
    late?: () => Promise<void>,
): Promise<void> {
    awaiting(what);
    let tail: string[] = [];
    let fresh = false;
    for (let checks = 1; ; checks++) {
        if (Date.now() >= deadline) {
            const shown = tail.length ? `\nlast lines of its logs:\n  ${tail.join("\n  ")}` : "";
            const silent =
                !fresh
                    ? ` There was no log line at all since the deploy: the container may not have started; look at \`docker service ps --no-trunc ${inputs.appName}\` ` +
                      `on the server (srv-captain--${inputs.appName} for apps made before CapRover 1.15); a host must allow the open-file limit the service asks for (nofile in its serviceUpdateOverride).`
                    : "";
            throw new DeployError(
                client.redact(
                    `CapRover app ${inputs.appName} on ${client.server}: the new release never logged "${marker}" within the deploy timeout of ${inputs.deployTimeoutMs} ms; ` +
                        `${NOT_READY}.${silent}${shown}`,
                ),
                true,
                NOT_READY,
            );
        }
        let lines: string[];
        try {
            lines = await client.appLogs(inputs.appName);
        } catch (e) {
            // Cut off by the deadline: say what was awaited and what the logs showed last.
            if (Date.now() >= deadline) continue;
            throw e;
        }
        const found = lines.find(accept);
        if (found !== undefined) {
            client.log(`${inputs.appName}: logged ${found.replace(/^\S+\s/, "")}`);
            return;
        }
        // The tail is the newest lines since the deploy of the last read that had any: CapRover
        // prunes stopped containers (their logs with them) 5 s after any service update, so a
        // crash-looping worker's last read before the deadline can show none of its lines.
        const since = lines.filter((l) => !earlier.has(l));
        if (since.length || !fresh) tail = (since.length ? since : lines).slice(-5);
        fresh ||= since.length > 0;
        await lateCheck(late, deadline, () => awaiting(what));
        await sleep(checkPause(checks, deadline));
    }
}

/** What runs after a failed gate, unless a rollback changes it. */
const UNHEALTHY = "the new image is running unhealthy; the next `pulumi up` deploys and checks it again";
const NOT_READY = "the new image is running but not ready; the next `pulumi up` deploys and checks it again";

function failure(client: CapRoverClient, inputs: AppInputs, what: string, status: BuildStatus | undefined, consequence?: string, newImageRuns = false): DeployError {
    const tail = status ? logTail(status) : [];
    const log = tail.length ? `\nlast lines of CapRover's build log:\n  ${tail.join("\n  ")}` : "";
    return new DeployError(client.redact(`CapRover app ${inputs.appName} on ${client.server}: ${what}${consequence ? `; ${consequence}` : ""}.${log}`), newImageRuns, consequence);
}
