/**
 * Shared fixtures of the CapRover tests: an emulator per test on 127.0.0.1 (always closed), fast
 * timeouts and backoff (milliseconds), app inputs, and a scan for leaked secrets.
 */
import { expect } from "chai";
import { CapRoverClient, Connection, clearTokenCache } from "../../components/caprover/client";
import { AppInputs } from "../../components/caprover/provider";
import { CapRoverEmulator, EmulatorOptions } from "../../emulator/caprover";

/** The emulator's dashboard password (test-only, never a real secret). */
export const PASSWORD = "emulator-dashboard-pw";
/** Env value and auth password the tests watch for in messages. */
export const ENV_SECRET = "env-value-that-must-not-leak";
export const AUTH_SECRET = "flower-pw-that-must-not-leak";

/** The override web apps get (start-first updates). */
export const WEB_OVERRIDE = JSON.stringify({ UpdateConfig: { Order: "start-first" } });

/** Timeouts and backoff in milliseconds, so every retry and poll loop ends quickly. */
export const FAST = { requestTimeoutMs: 250, retry: { attempts: 4, baseMs: 5, maxMs: 20, lockWaitMs: 1000, lockPollMs: 5 }, pollMs: 5 };

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
export function client(server: { url: string }, lines: string[] = [], password = PASSWORD): CapRoverClient {
    return new CapRoverClient({ url: server.url, password, timeoutMs: FAST.requestTimeoutMs, retry: FAST.retry, log: (l) => lines.push(l) });
}

/** Inputs of a web app with a secret env var, a health path and a deploy token. */
export function webInputs(emulator: CapRoverEmulator, overrides: Partial<AppInputs> = {}): AppInputs {
    return {
        connection: connection(emulator),
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
        deployTimeoutMs: 2000,
        deleteVolumes: false,
        serviceUpdateOverride: WEB_OVERRIDE,
        ...overrides,
    };
}

/** Inputs of a worker: not exposed, no health path. */
export function workerInputs(emulator: CapRoverEmulator, overrides: Partial<AppInputs> = {}): AppInputs {
    return webInputs(emulator, { appName: "celery", image: image("c", "ghcr.io/example/site-celery"), exposeAsWebApp: false, forceSsl: false, healthPath: undefined, ...overrides });
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
