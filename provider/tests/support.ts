/**
 * Shared fixtures of the CapRover tests: an emulator per test on 127.0.0.1 (always closed), fast
 * timeouts and backoff (milliseconds), app inputs, and a scan for leaked secrets.
 */
import { expect } from "chai";
import { CapRoverClient, Connection } from "../src/api/client";
import { clearTokenCache } from "../src/api/transport";
import { AppInputs, AppOutputs, withDefaults } from "../src/app/definition";
import { appHandler } from "../src/resources/app";
import { Context } from "../src/resources/handler";
import { RegistryInputs, RegistryOutputs, registryHandler } from "../src/resources/registry";
import { CapRoverEmulator, EmulatorOptions, SeenRequest } from "../emulator/caprover";

/** The emulator's dashboard password (test-only, never a real secret). */
export const PASSWORD = "emulator-dashboard-pw";
/** Env value and auth password the tests watch for in messages. */
export const ENV_SECRET = "env-value-that-must-not-leak";
export const AUTH_SECRET = "flower-pw-that-must-not-leak";

/**
 * Short backoff and polls (milliseconds), so every retry and poll loop ends quickly; but limits
 * that only a hang reaches: a request's timeout is far beyond what any answer takes on a busy
 * machine (a test that holds a request on purpose, e.g. to keep CapRover's lock, must not see it cut
 * by the timeout), and a build is waited for (lock wait) until it ends, not for a time.
 */
/**
 * The request timeout of a test whose server leaves a request unanswered on purpose: the timeout is
 * the event such a test waits for, and however late a busy machine fires it, the outcome is the same.
 */
export const HANG_TIMEOUT_MS = 1000;

export const FAST = { requestTimeoutMs: 120_000, retry: { attempts: 4, baseMs: 5, maxMs: 20, lockWaitMs: 60_000, lockPollMs: 5 }, pollMs: 5 };

/** An image by digest; `c` is the hex digit repeated. */
export function image(c: string, name = "ghcr.io/example/site-web"): string {
    return `${name}@sha256:${c.repeat(64)}`;
}

/** Starts a fresh emulator before each test and closes it after; returns a getter. */
export function useEmulator(options: Partial<EmulatorOptions> = {}): () => CapRoverEmulator {
    let emulator: CapRoverEmulator | undefined;
    beforeEach(async () => {
        emulator = new CapRoverEmulator({ password: PASSWORD, ...options });
        await emulator.start();
    });
    afterEach(async () => {
        await emulator?.close();
        emulator = undefined;
        clearTokenCache();
    });
    return () => {
        if (!emulator) throw new Error("emulator not running");
        return emulator;
    };
}

/** A connection to the emulator, probes sent to it as well. */
export function connection(emulator: CapRoverEmulator, password = PASSWORD): Connection {
    return { url: emulator.url, password, probeAddress: `127.0.0.1:${emulator.port}`, ...FAST };
}

/** A client of an emulator (or any server URL) with fast settings; `lines` collects its log. */
export function client(server: { url: string }, lines: string[] = [], password = PASSWORD, timeoutMs = FAST.requestTimeoutMs): CapRoverClient {
    return new CapRoverClient({ url: server.url, password, timeoutMs, retry: FAST.retry, log: (l) => lines.push(l) });
}

/** App inputs as tests write them: the connection (the provider's configuration) beside the app's inputs. */
export type TestAppInputs = AppInputs & { connection: Connection };
export type TestAppOutputs = AppOutputs & { connection: Connection };
export type TestRegistryInputs = RegistryInputs & { connection: Connection };

/** Inputs of a web app with a secret env var, a health path and a deploy token, on an emulator (or any server's connection). */
export function webInputs(server: CapRoverEmulator | Connection, overrides: Partial<TestAppInputs> = {}): TestAppInputs {
    return {
        connection: server instanceof CapRoverEmulator ? connection(server) : server,
        appName: "web",
        image: image("a"),
        instanceCount: 1,
        containerHttpPort: 80,
        exposeAsWebApp: true,
        forceSsl: true,
        websocketSupport: false,
        envVars: { DJANGO_SECRET_KEY: ENV_SECRET, DEBUG: "0" },
        hasPersistentData: false,
        volumes: [],
        enableDeployToken: true,
        description: "web (web): gunicorn",
        healthPath: "/health/",
        releaseEnvVar: "SITE_RELEASE",
        healthReportsRelease: true,
        // A deadline no deploy reaches on a busy machine; tests about the deadline hold the clock and move it (clock.ts).
        deployTimeoutMs: 600_000,
        rollbackOnFailure: true,
        deleteVolumes: false,
        serviceUpdateOverride: "",
        customNginxConfig: "",
        adopt: false,
        allowReplace: false,
        ...overrides,
    };
}

/** Inputs of a worker: not exposed, no health path. */
export function workerInputs(emulator: CapRoverEmulator, overrides: Partial<TestAppInputs> = {}): TestAppInputs {
    return webInputs(emulator, { appName: "celery", image: image("c", "ghcr.io/example/site-celery"), exposeAsWebApp: false, forceSsl: false, healthPath: undefined, ...overrides });
}

/**
 * Registers an app as a user would, then waits for the deploy of CapRover's placeholder that
 * register schedules (until it ends, CapRover refuses every change of the app with 1108).
 */
export async function registered(c: CapRoverClient, appName: string, hasPersistentData = false): Promise<void> {
    await c.registerApp(appName, hasPersistentData);
    await c.waitForBuild(appName, "POST /user/apps/appDefinitions/register");
}

/** Resolves once `condition` holds (checked every few ms), so a test waits for an event, not a time; fails after `limitMs` (only a hang reaches it). */
export async function until(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
    const end = Date.now() + limitMs;
    while (!condition()) {
        if (Date.now() > end) expect.fail(`never saw ${what} within ${limitMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
    }
}

/** Runs `f` and returns the error it throws (fails the test if it does not throw). */
export async function failure(f: () => Promise<unknown>): Promise<Error> {
    try {
        await f();
    } catch (e) {
        return e as Error;
    }
    expect.fail("expected an error");
}

/** Asserts that no text contains any of the secrets. */
export function expectNoSecrets(texts: string[], secrets: string[]): void {
    for (const text of texts) {
        for (const secret of secrets) expect(text, "a message leaked a secret").to.not.include(secret);
    }
}

/** The context of one call: the connection, a URN of stack `test`, project `site`, and a log sink. */
export function context(connection: Connection, name: string, log?: (line: string) => void): Context {
    return { connection, urn: `urn:pulumi:test::site::caprover:index:App::${name}`, log: log ?? (() => undefined), warn: log ?? (() => undefined) };
}

function split<T extends { connection: Connection }>(values: T): [Connection, Omit<T, "connection">] {
    const { connection: c, ...rest } = values;
    return [c, rest];
}

const allKnown = () => true;

/**
 * The App handler driven as the engine drives it, with the connection carried beside the inputs
 * and the state (in the engine it is the provider's configuration).
 */
export class TestAppProvider {
    constructor(private readonly opts: { log?: (line: string) => void } = {}) {}

    async check(_olds: Partial<TestAppInputs>, news: Partial<TestAppInputs>, known: (v: unknown) => boolean = allKnown): Promise<{ inputs: TestAppInputs; failures: { property: string; reason: string }[] }> {
        const { connection: c, ...rest } = news;
        const r = appHandler.check(rest, known);
        return { inputs: { ...withDefaults(r.inputs), connection: c! }, failures: r.failures };
    }

    async diff(_id: string, olds: TestAppOutputs, news: TestAppInputs) {
        return appHandler.diff(split(olds)[1] as AppOutputs, split(news)[1] as AppInputs);
    }

    async create(inputs: TestAppInputs): Promise<{ id: string; outs: TestAppOutputs }> {
        const [c, rest] = split(inputs);
        const r = await appHandler.create(context(c, rest.appName, this.opts.log), rest as AppInputs);
        return { id: r.id, outs: { ...r.outs, connection: c } };
    }

    async read(id: string, props?: TestAppOutputs, c: Connection = props!.connection): Promise<{ id?: string; props?: TestAppOutputs; inputs?: Partial<AppInputs> }> {
        const r = await appHandler.read(context(c, id, this.opts.log), id, props && (split(props)[1] as AppOutputs));
        return r ? { id: r.id, props: { ...r.outs, connection: c }, inputs: r.inputs } : {};
    }

    async update(id: string, olds: TestAppOutputs, news: TestAppInputs): Promise<{ outs: TestAppOutputs }> {
        const [c, rest] = split(news);
        const outs = await appHandler.update(context(c, id, this.opts.log), id, split(olds)[1] as AppOutputs, rest as AppInputs);
        return { outs: { ...outs, connection: c } };
    }

    async delete(id: string, props: TestAppOutputs): Promise<void> {
        const [c, rest] = split(props);
        await appHandler.delete(context(c, id, this.opts.log), id, rest as AppOutputs);
    }
}

/** The Registry handler, driven the same way. */
export class TestRegistryProvider {
    constructor(private readonly opts: { log?: (line: string) => void } = {}) {}

    async check(_olds: unknown, news: TestRegistryInputs) {
        const [c, rest] = split(news);
        const r = registryHandler.check(rest, allKnown);
        return { inputs: { ...r.inputs, connection: c }, failures: r.failures };
    }

    async diff(_id: string, olds: RegistryOutputs & { connection: Connection }, news: TestRegistryInputs) {
        return registryHandler.diff(split(olds)[1] as RegistryOutputs, split(news)[1] as RegistryInputs);
    }

    async create(inputs: TestRegistryInputs) {
        const [c, rest] = split(inputs);
        const r = await registryHandler.create(context(c, "registry", this.opts.log), rest as RegistryInputs);
        return { id: r.id, outs: { ...r.outs, connection: c } };
    }

    async read(id: string, props: RegistryOutputs & { connection: Connection }) {
        const [c, rest] = split(props);
        const r = await registryHandler.read(context(c, id, this.opts.log), id, rest as RegistryOutputs);
        return r ? { id: r.id, props: { ...r.outs, connection: c } } : {};
    }

    async update(id: string, olds: RegistryOutputs & { connection: Connection }, news: TestRegistryInputs) {
        const [c, rest] = split(news);
        return { outs: { ...(await registryHandler.update(context(c, id, this.opts.log), id, split(olds)[1] as RegistryOutputs, rest as RegistryInputs)), connection: c } };
    }

    async delete(id: string, props: RegistryOutputs & { connection: Connection }) {
        const [c, rest] = split(props);
        await registryHandler.delete(context(c, id, this.opts.log), id, rest as RegistryOutputs);
    }
}

const requestWatchers = new WeakMap<CapRoverEmulator, ((r: SeenRequest) => void)[]>();

/** Resolves with the first request the emulator records that matches (noted before the client sees the answer). */
export function whenRequest(emulator: CapRoverEmulator, match: (r: SeenRequest) => boolean): Promise<SeenRequest> {
    let watchers = requestWatchers.get(emulator);
    if (!watchers) {
        const list: ((r: SeenRequest) => void)[] = [];
        watchers = list;
        requestWatchers.set(emulator, list);
        const previous = emulator.options.log;
        emulator.options.log = (line) => {
            previous?.(line);
            const seen = emulator.requests[emulator.requests.length - 1];
            for (const w of [...list]) w(seen);
        };
    }
    const list = watchers;
    return new Promise((resolve) => {
        const watcher = (r: SeenRequest) => {
            if (!match(r)) return;
            list.splice(list.indexOf(watcher), 1);
            resolve(r);
        };
        list.push(watcher);
    });
}

/** A health probe of an app's path on the emulator, with that outcome if given. */
export const probeOf = (appName: string, path: string, outcome?: string) => (r: SeenRequest) => r.path === `app ${appName}${path}` && (outcome === undefined || r.outcome === outcome);
