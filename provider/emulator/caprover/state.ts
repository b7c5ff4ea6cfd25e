/**
 * What the emulated server holds: its apps (definition, build log, deploys, the tasks of its
 * Docker service), named volumes and registries, and the timers of work in progress, shared by
 * the modules that answer the API.
 */
import type { AppDefinition, Registry } from "../../src/api/types";
import { STATUS } from "../../src/api/types";
import { Brokers } from "./brokers";
import type { ResolvedOptions } from "./options";

const BUILD_LOG_SIZE = 50;

/** CapRover's BuildLog: a fixed window of recent lines, numbered from -size on. */
export class BuildLog {
    lines: string[];
    firstLineNumber: number;
    failed: boolean;

    constructor() {
        this.lines = new Array<string>(BUILD_LOG_SIZE).fill("");
        this.firstLineNumber = -BUILD_LOG_SIZE;
        this.failed = false;
    }

    log(line: string): void {
        this.lines.push(line);
        this.lines.shift();
        this.firstLineNumber++;
    }

    reset(): void {
        this.failed = false;
    }
}

/** One task of the app's Docker service: the image and release it runs, when it started and when it was up. */
export interface Container {
    id: string;
    image: string;
    release?: string;
    /** The environment it started with (the app's envVars then: REDIS_URL names its broker). */
    env: Record<string, string>;
    /** The process the override gave it (Command, then Args); undefined: the image's own. */
    process?: string[];
    startedAt: number;
    readyAt: number;
    /**
     * A run-once task (the service's RestartPolicy is `none` and the override gives its process):
     * the process and environment it ran with. It exits at `readyAt`, logging its output and, for
     * `sh -c '...; echo "...$?"'`, that echo with the exit code; nothing restarts it.
     */
    oneOff?: { process: string[]; env: Record<string, string>; /** The override disables the image's HEALTHCHECK (`HealthCheck.Test: ["NONE"]`). */ healthCheckOff: boolean };
}

/** One run of a run-once task, for tests: where, what, when, and how it ended. */
export interface TaskRun {
    appName: string;
    image: string;
    process: string[];
    startedAt: number;
    /** Undefined: it never exits (an image in silentImages). */
    exitCode?: number;
}

export interface EmulatedApp {
    def: AppDefinition;
    log: BuildLog;
    /** Deploys queued or running. */
    pending: number;
    /** Deploys of this app run one after the other. */
    chain: Promise<unknown>;
    /** The service's containers, oldest first (the last is the current task; earlier ones have stopped or are stopping). */
    containers: Container[];
    /**
     * Times two of the site's containers ran at once under stop-first: an update arrived while the
     * previous update's task was still starting, and Swarm started the newest task while the
     * superseded one was still running (seen on the real server: beat twice for about 2 s).
     */
    overlaps: { at: number; tasks: [string, string] }[];
    /** A deploy's service update still to come (serviceUpdateLagMs): CapRover has reported the build done. */
    serviceUpdate?: Promise<unknown>;
    /** The image of the service's spec (what a definition update restarts), whether or not any replica runs it. */
    serviceImage?: string;
    /** Every HTTP answer the app gave (nginx's 502 included): when, the status, and the image of the task that answered. */
    answers: AppAnswer[];
    /**
     * Whether Swarm has placed the service's task on a node. A persistent-data app's change before
     * that is refused ("No NodeId was found. Try again in a minute...": CapRover keeps its volumes on
     * that node); here the refusal comes once, the first change, and the task is placed meanwhile.
     */
    placed: boolean;
}

/** One HTTP answer of an app. */
export interface AppAnswer {
    at: number;
    path: string;
    status: number;
    /** Image of the task that answered (none: nginx answered, no task was up). */
    image?: string;
}

/** A CapRover refusal: the envelope's status and description. */
export class ApiFailure extends Error {
    constructor(
        public readonly status: number,
        public readonly description: string,
    ) {
        super(description);
    }
}

/** An error that is not CapRover's own (a throwing pre-deploy function): its catcher answers a bare HTTP 500 (express sendStatus). */
export class HttpFailure extends Error {
    readonly httpStatus = 500;
}

export type Body = Record<string, unknown>;

/** An answer of a route: status, description and data of the envelope. */
export type Answer = [number, string, unknown?];

export function notFound(appName: string): ApiFailure {
    return new ApiFailure(STATUS.GENERIC, `App (${appName}) could not be found. Make sure that you have created the app.`);
}

/** The server's state and the timers of its work in progress. */
export class World {
    /** Apps by name. */
    readonly apps = new Map<string, EmulatedApp>();
    /** Registries by id. */
    readonly registries = new Map<string, Registry>();
    /** The registry CapRover pushes its own builds to: the first one added, until changed ("" for none). */
    defaultPushRegistryId: string | undefined;
    /** Named volumes that exist (kept when an app is deleted without asking to delete them). */
    readonly volumes = new Set<string>();
    /** The end of the build queue (serialBuilds: every app's deploys one after another). */
    buildQueue: Promise<unknown> = Promise.resolve();
    /**
     * Deploys whose Docker service update Swarm refuses with "update out of sequence" (what the real
     * server logs when a deploy follows a definition update of the same service too closely).
     */
    outOfSequence = 0;
    /** While set, placeholder deploys do not end until `releasePlaceholders` (tests wait for events, not times). */
    heldPlaceholders?: (() => void)[];
    /** Every run-once task started, oldest first (their apps may be gone). */
    readonly taskRuns: TaskRun[] = [];
    /** The redis-servers standing for the apps' brokers (brokers.ts); the canary's traffic goes through them. */
    readonly brokers = new Brokers();
    /** Set once the emulator is closed: pending deploys end without effect. */
    closed = false;
    private readonly timers = new Set<NodeJS.Timeout>();

    constructor(readonly options: ResolvedOptions) {}

    /** Resolves after `ms`; close() cancels it (the promise then never resolves). */
    wait(ms: number): Promise<void> {
        if (ms <= 0) return Promise.resolve();
        return new Promise((resolve) => {
            const t = setTimeout(() => {
                this.timers.delete(t);
                resolve();
            }, ms);
            this.timers.add(t);
        });
    }

    close(): void {
        this.closed = true;
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
    }

    /** CapRover refuses changes to an app while a build of it is active or queued (ServiceManager.ensureNotBuilding). */
    ensureNotBuilding(appName: string, app: EmulatedApp): void {
        if (app.pending > 0) throw new ApiFailure(STATUS.ILLEGAL_OPERATION, `Build in-progress for ${appName}. Please wait...`);
    }

    mustGet(appName: unknown): EmulatedApp {
        const app = this.apps.get(String(appName));
        if (!app) throw notFound(String(appName));
        return app;
    }

    /** The app's definition as the API lists it. */
    listed(appName: string, app: EmulatedApp): AppDefinition {
        return { ...structuredClone(app.def), appName, isAppBuilding: app.pending > 0 };
    }
}
