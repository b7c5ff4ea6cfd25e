/**
 * The emulator's settings: what a test may vary (timings, failing images, faults of the server's
 * own behaviour) and CapRover's fixed facts it follows (placeholder image, password and name rules).
 */

/** The image CapRover deploys into a newly registered app. */
export const PLACEHOLDER_IMAGE = "caprover/caprover-placeholder-app:latest";
/** CapRover's longest accepted password. */
export const MAX_PASSWORD_LENGTH = 29;
/** The server's own app-name rule (kept here, not imported, so the emulator stays independent of our config). */
export const APP_NAME_RULE = /^(?=.{1,49}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface EmulatorOptions {
    /** Dashboard password (at most 29 characters, as CapRover accepts). */
    password: string;
    /** Port on 127.0.0.1; 0 picks a free one. */
    port?: number;
    /** Root domain: the API answers on `captain.<root>` (or any other host), apps on `<app>.<root>`. */
    rootDomain?: string;
    /** Lifetime of a session token, in ms. */
    tokenTtlMs?: number;
    /** How long a deploy reports building (image pull and service update), in ms. */
    deployMs?: number;
    /** After the build, how long the new container takes to answer HTTP, in ms. */
    startMs?: number;
    /**
     * How long after a deploy's build ends CapRover updates the Docker service, in ms. CapRover
     * reports the build done and the version deployed first, then updates the service
     * (ServiceManager.startDeployingNewVersion: onBuildFinished, then ensureServiceInitedAndUpdated)
     * with the definition it read as the build ended: a definition change sent in between is undone
     * by that late update. That is the order of CapRover's source; on this machine's real server the
     * late update landed first in every try (54 deploys, each followed at once by a definition change).
     * Default 0, the update done when the build is: many fast-tier tests read a deploy's effects as
     * soon as the build is reported done (a 1 ms lag made several of them race); the provider's
     * tests of the real order set it.
     */
    serviceUpdateLagMs?: number;
    /**
     * How long the deploy of CapRover's placeholder image, which register schedules, takes, in ms.
     * Until it ends, CapRover refuses every update of the app with 1108 "Build in-progress".
     */
    placeholderMs?: number;
    /**
     * The placeholder's pull fails, as on an offline or rate-limited server: version 0 keeps no
     * image, and updates answer 1110 (the definition is saved, the service is not updated).
     */
    placeholderFails?: boolean;
    /** One deploy at a time, as CapRover's build queue runs them. */
    serialBuilds?: boolean;
    /** Images whose deploy fails (a pull error in the build log). */
    failingImages?: string[];
    /** Images that deploy but answer HTTP 503 on every path; as a worker (not web-exposed) they crash on start. */
    unhealthyImages?: string[];
    /**
     * Images whose tasks Docker refuses to start (as "error setting rlimit type 7: operation not
     * permitted" for an open-file limit above dockerd's): no container, so no log line at all.
     */
    unstartableImages?: string[];
    /**
     * Images whose health answer names no release although the release variable is set (most
     * Django health views: `{"status": "ok"}`); as workers they log their ready line as usual.
     */
    unreportingImages?: string[];
    /**
     * Images in which a run-once task (RestartPolicy none, e.g. a release task running migrations)
     * fails: it logs a migration's traceback, naming the DATABASE_URL it was given, and exits 1.
     * In other images it logs applied migrations and exits 0; in silentImages it never exits.
     */
    failingTaskImages?: string[];
    /** Images that deploy but never answer HTTP (the request hangs); as a worker they log nothing after starting. */
    silentImages?: string[];
    /**
     * The environment variable the stand-in app (app/) reports as its release: in its health answer
     * (`{"status": "ok", "release": ...}`) and, as a worker or beat, in a `<name>=<value> ready` log line.
     */
    releaseEnvVar?: string;
    /**
     * The site's canary view (`GET /canary/` on web: a task sent through the broker to a Celery
     * worker and its result awaited; what the Canary resource asks), answered through real
     * redis-servers on 127.0.0.1 that the apps' REDIS_URL names (canary.ts, brokers.ts). Unset: the
     * site serves no canary, and its path answers 404 (Django's answer for a path it does not
     * route). Tests may change it between requests (each emulator has its own copy).
     */
    canary?: CanaryOptions;
    /** Delay added to every API request, in ms. */
    latencyMs?: number;
    /** How long a change holds the namespace lock, in ms (a parallel change meanwhile gets HTTP 429). */
    mutationMs?: number;
    /** Wrong passwords in a row before logins answer 1113. */
    wrongPasswordLimit?: number;
    /** Length of the 1113 back-off, in ms. */
    passwordBackoffMs?: number;
    /** Root SSL enabled (apps can then get certificates and force SSL); without it enablebasedomainssl answers 1000, as CapRover does. */
    hasRootSsl?: boolean;
    /** Log in to a registry (GET http://<domain>/v2/ with its credentials) before storing it, refusing with 1112 as CapRover does; off: any registry is stored. */
    verifyRegistries?: boolean;
    /** One line per request: method, path, outcome. Never bodies, never headers. */
    log?: (line: string) => void;
}

/**
 * Where the canary view finds the Celery side, and the links a test breaks. The view answers per
 * the site's contract: HTTP 200 `{"link": "ok", "web_release", "release", "worker", "beat": {"age_s"}}`,
 * or HTTP 503 `{"link": "enqueue" | "delivery" | "result", "web_release", "error"}`.
 */
export interface CanaryOptions {
    /** Path of the view on every web-exposed app; default `/canary/`. */
    path?: string;
    /**
     * The app whose worker takes the canary task: the task of it that is up (start-first: the
     * previous one until the new one is; serving() in tasks.ts) takes it from the broker its own
     * REDIS_URL names and answers with its release (the release variable it started with) as
     * `release` and `celery@<task id>` as `worker`. None up, an unhealthy image (it crashes on
     * start), or another broker, database or password than web's: nobody takes it (`delivery`). A
     * silent image (hung) takes it and never writes the result (`result`).
     */
    workerApp: string;
    /**
     * The app that runs beat; absent: beat runs inside workerApp; a list: each of them that runs
     * beats, the last heartbeat wins (a stack whose profile flips between beat alone and beat in the
     * worker: the old beat runs until its app is removed). Its task that is up records a
     * heartbeat when it comes up and every heartbeatMs after, so `beat.age_s` is the time since the
     * last one by the emulator's clock (Date.now: a test holding the clock holds the age). No task of
     * it up (or an unhealthy image): no heartbeat, `beat` null. A silent image (hung) recorded only
     * the first one, so its age grows with the clock.
     */
    beatApp?: string | string[];
    /** Interval of beat's heartbeat, in ms; default 30 000. */
    heartbeatMs?: number;
    /** Beat recorded a heartbeat when it came up and none since (as a silent image): its age grows with the clock. */
    beatStalled?: boolean;
}

export type ResolvedOptions = Required<Omit<EmulatorOptions, "log" | "canary">> & Pick<EmulatorOptions, "log" | "canary">;

/** The options with the emulator's defaults; refuses a password CapRover would not accept. */
export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
    if (!options.password || options.password.length > MAX_PASSWORD_LENGTH) {
        throw new Error(`the emulator's password must be 1 to ${MAX_PASSWORD_LENGTH} characters (CapRover's limit)`);
    }
    return {
        port: 0,
        rootDomain: "emulator.test",
        tokenTtlMs: 3600_000,
        deployMs: 0,
        startMs: 0,
        serviceUpdateLagMs: 0,
        placeholderMs: 20,
        placeholderFails: false,
        serialBuilds: false,
        failingImages: [],
        unhealthyImages: [],
        silentImages: [],
        unreportingImages: [],
        unstartableImages: [],
        failingTaskImages: [],
        releaseEnvVar: "SITE_RELEASE",
        latencyMs: 0,
        mutationMs: 0,
        wrongPasswordLimit: 3,
        passwordBackoffMs: 30_000,
        hasRootSsl: true,
        verifyRegistries: false,
        ...options,
        // Its own copy: a test changing it changes this emulator only.
        canary: options.canary && { ...options.canary },
    };
}
