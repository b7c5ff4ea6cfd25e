/**
 * Benchmark (not a test): deploys 4 apps with the caprover provider's App handler to the emulator, where
 * every deploy takes D seconds, and prints the wall time against 4×D (one deploy after the other)
 * and against D + 0.3 s, what goal 2 (bench/goals.ts, measured through the engine by
 * bench/engine-deploy.ts) allows the deploys to add: independent deploys in parallel, as the
 * engine runs them, each seen done soon after it is.
 *
 *   npm run bench:deploy -- [--seconds D] [--apps N] [--poll-ms P] [--serial-builds]
 *
 * `--serial-builds` makes the emulator queue deploys one at a time, as CapRover's build queue does
 * for builds, to show where the server rather than the program sets the limit.
 */
import type { Connection } from "../provider/src/api/client";
import { AppInputs, AppOutputs, withDefaults } from "../provider/src/app/definition";
import { appHandler } from "../provider/src/resources/app";
import { CapRoverEmulator } from "../provider/emulator/caprover";

interface BenchOptions {
    seconds: number;
    apps: number;
    pollMs: number;
    serialBuilds: boolean;
}

function parse(argv: string[]): BenchOptions {
    const out: BenchOptions = { seconds: 5, apps: 4, pollMs: 100, serialBuilds: false };
    for (let i = 0; i < argv.length; i++) {
        const next = () => {
            const n = Number(argv[++i]);
            if (!Number.isFinite(n) || n <= 0) throw new Error(`${argv[i - 1]} needs a positive number`);
            return n;
        };
        if (argv[i] === "--seconds") out.seconds = next();
        else if (argv[i] === "--apps") out.apps = Math.round(next());
        else if (argv[i] === "--poll-ms") out.pollMs = next();
        else if (argv[i] === "--serial-builds") out.serialBuilds = true;
        else throw new Error(`unknown argument ${argv[i]}; usage: bench:deploy -- [--seconds D] [--apps N] [--poll-ms P] [--serial-builds]`);
    }
    return out;
}

/** Runs `f` and returns its wall time in seconds. */
async function timed(f: () => Promise<unknown>): Promise<number> {
    const started = process.hrtime.bigint();
    await f();
    return Number(process.hrtime.bigint() - started) / 1e9;
}

function report(what: string, wall: number, o: BenchOptions): string {
    const d = o.seconds;
    const verdict = wall <= d + 0.3 ? "within" : "over";
    return (
        `${what}: ${o.apps} apps, D = ${d.toFixed(1)} s per deploy: wall ${wall.toFixed(2)} s = ${(wall / d).toFixed(2)}×D ` +
        `(one after the other: ${o.apps}×D = ${(o.apps * d).toFixed(1)} s; goal 2's D + 0.3 s = ${(d + 0.3).toFixed(1)} s: ${verdict})`
    );
}

async function main(): Promise<void> {
    const o = parse(process.argv.slice(2));
    const password = "bench-only-password";
    // mutationMs: CapRover holds its namespace lock during each definition change, so parallel changes meet HTTP 429.
    const emulator = new CapRoverEmulator({ password, deployMs: o.seconds * 1000, mutationMs: 50, serialBuilds: o.serialBuilds });
    await emulator.start();
    try {
        const connection: Connection = { url: emulator.url, password, probeAddress: `127.0.0.1:${emulator.port}`, pollMs: o.pollMs, requestTimeoutMs: 5000 };
        const ctx = (i: number) => ({ connection, urn: `urn:pulumi:bench::bench::caprover:index:App::bench-${i}`, log: () => undefined, warn: () => undefined });
        // The schema's defaults for everything not given, as the provider's check fills them in.
        const inputs = (i: number, digit: string): AppInputs =>
            withDefaults({
                appName: `bench-${i}`,
                image: `ghcr.io/example/bench-${i}@sha256:${digit.repeat(64)}`,
                exposeAsWebApp: true,
                forceSsl: true,
                envVars: { APP: `bench-${i}` },
                enableDeployToken: true,
                description: "benchmark app",
                healthPath: "/health/",
                deployTimeoutMs: (o.apps * o.seconds + 30) * 1000,
            });
        const ids = Array.from({ length: o.apps }, (_, i) => i + 1);
        const outs = new Map<number, AppOutputs>();
        console.log(`emulator on ${emulator.url}; build queue: ${o.serialBuilds ? "one deploy at a time (CapRover's queue)" : "parallel"}; polls every ${o.pollMs} ms`);
        const create = await timed(() => Promise.all(ids.map(async (i) => outs.set(i, (await appHandler.create(ctx(i), inputs(i, "a"))).outs))));
        console.log(report("create (register, configure, deploy, health)", create, o));
        const redeploy = await timed(() => Promise.all(ids.map((i) => appHandler.update(ctx(i), `bench-${i}`, outs.get(i)!, inputs(i, "b")))));
        console.log(report("redeploy (new image, health)", redeploy, o));
        const busy = emulator.requests.filter((r) => r.outcome === "http 429").length;
        console.log(`namespace-lock waits (HTTP 429) absorbed by the client: ${busy}`);
    } finally {
        await emulator.close();
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
