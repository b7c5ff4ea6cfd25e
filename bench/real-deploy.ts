/**
 * Benchmark (not a test) of goal 5 (bench/goals.ts, issue 25 item 1): deploying the four apps of
 * split (web, celery, celerybeat, flower) on the real CapRover 1.15.3 of this machine
 * (scripts/ensure-caprover.sh), the same four images from the loopback registry
 * (scripts/ensure-builder.sh), in one run, two ways:
 *
 *   - `pulumi up --skip-preview` of the local stack (through the real engine, with the policy pack);
 *   - the way the seed documents deploy today: the official `caprover deploy --imageName <image>
 *     -a <app>` (npm's caprover CLI, provider/tests/caproverCli.ts), one app after another.
 *
 * Target: the up's wall time <= 0.5x the four CLI deploys' (sequential), and <= 1.2x the slowest
 * single `caprover deploy` of the four. Alongside: where the up's time goes, from its engine events
 * read while it runs (bench/timeline.ts) and the provider's log lines per app (debug diagnostics):
 * the engine's start, each app's deploy as CapRover reports it (what the CLI waits for), and its
 * gate (the new release answering or logging ready); the gate
 * share is the time during which every app's deploy was reported done and some app still waited
 * on its gate, over the up's wall time.
 *
 *   npm run bench:real-deploy -- [--runs N]
 *
 * Like with like: the stack deploys only the four apps (site:release {tasks: []}, site:canary
 * {enabled: false}, no managed broker: the in-process broker of configureForRealServer), given by
 * digest (site:build false). The images are built once, before the timed runs, by a build-only stack
 * (bench/buildStack.ts) for two commits whose build contexts differ in one file, so every target has
 * two digests, set A and set B. The CLI's apps (registered beforehand, REDIS_URL memory:// and the
 * worker's health check off, as the stack sets them) and the stack's apps (created by an untimed
 * first up) run set A; then each round deploys the other set, B, A, B, ...: the CLI's four deploys,
 * then the up, so every app of both deploys a new image each time. Between the two, the side just
 * deployed is let settle (Docker runs the new digest in every container of each service), untimed.
 * At the end the stack is destroyed and the CLI's apps deleted; the servers stay as found.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { REPO, Workspace, ensureTools } from "../scripts/engine/driver";
import { RegistryClient, builderEnv, ensureBuilder, stopBuilder } from "../scripts/engine/builder";
import { CLI_TIMEOUT, STACK, configureAll, openStack, setStackValue } from "../scripts/engine/localStack";
import { RealDocker, adminPort, configureForRealServer, ensureRealCaprover, stopRealCaprover } from "../scripts/engine/realCaprover";
import { connect } from "../provider/src/api/client";
import { CaproverCli } from "../provider/tests/caproverCli";
import { SPLIT_TARGETS, builtImages, openBuildStack } from "./buildStack";
import { goalLine, median, seconds } from "./goals";
import { Stamped, exclusiveSpan, lineAt, stampedOperation, stepsOf } from "./timeline";

const SERVICES = Object.keys(SPLIT_TARGETS);

function parse(argv: string[]): { runs: number } {
    const out = { runs: 3 };
    for (let i = 0; i < argv.length; i++) {
        const n = Number(argv[i + 1]);
        if (argv[i] === "--runs" && Number.isInteger(n) && n > 0) out.runs = n;
        else throw new Error(`unknown or bad argument ${argv[i]}; usage: bench:real-deploy -- [--runs N]`);
        i++;
    }
    return out;
}

/** One app's step in an up, in ms since the up started. */
interface AppTimes {
    app: string;
    /** The engine began the App's step. */
    start: number;
    /** The provider sent the deploy (`deploy <image> to <app>`). */
    sent: number;
    /** CapRover reported the image deployed (`<app> runs <image>`): where `caprover deploy` returns. */
    runs: number;
    /** The step ended: the gate passed. */
    end: number;
}

/** One timed up: its wall time and where it went. */
interface UpTimes {
    wallMs: number;
    apps: AppTimes[];
    /** ms during which every app's deploy was reported done and some app waited on its gate. */
    gateOnlyMs: number;
}

/** Splits an up's App steps into phases from its stamped events; throws when an app did not redeploy. */
function upTimes(wallMs: number, events: Stamped[]): UpTimes {
    const steps = stepsOf(events, "caprover:index:App");
    const apps = SERVICES.map((service): AppTimes => {
        const s = steps[service];
        if (!s || s.start === undefined || s.end === undefined) throw new Error(`the up has no complete step of App::${service}`);
        const sent = lineAt(s, /^deploy \S+ to /);
        const runs = lineAt(s, / runs \S+$/);
        if (s.op === "same" || sent === undefined || runs === undefined) {
            throw new Error(`App::${service} did not redeploy (op ${s.op}); its provider lines:\n${s.lines.map((l) => `  ${l.message}`).join("\n")}`);
        }
        return { app: service, start: s.start, sent, runs, end: s.end };
    });
    const gateOnlyMs = exclusiveSpan(
        apps.map((a) => [a.runs, a.end]),
        apps.map((a) => [a.start, a.runs]),
    );
    return { wallMs, apps, gateOnlyMs };
}

async function main(): Promise<void> {
    const { runs } = parse(process.argv.slice(2));
    await ensureTools();
    const builder = await ensureBuilder();
    const real = await ensureRealCaprover();
    const registry = new RegistryClient(builder.registry);
    const docker = new RealDocker(real.dockerHost);
    const id = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const namespace = `bench-deploy-${id}`;
    const prefix = { pulumi: `bp${id}-`, cli: `bc${id}-` };
    const commits = [randomBytes(20).toString("hex"), randomBytes(20).toString("hex")];
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "bench-deploy-context-"));
    fs.cpSync(path.join(REPO, "app"), context, { recursive: true });
    const client = connect({ url: real.url, password: real.password });
    const cli = new CaproverCli(() => adminPort(real), `http://captain.${real.rootDomain}`, real.password);
    let build: Workspace | undefined;
    let ws: Workspace | undefined;
    let upCount = 0;
    try {
        // The two image sets: one build each, the contexts differing in one file.
        const sets: Record<string, string>[] = [];
        for (const [i, commit] of commits.entries()) {
            fs.writeFileSync(path.join(context, "release-note.txt"), `${commit}\n`);
            if (i === 0) build = await openBuildStack(builder, { namespace, commit, context });
            else await configureAll(build!, [{ key: "site:commitSha", value: commit }]);
            const b = await build!.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT });
            console.log(`built set ${"AB"[i]} (commit ${commit.slice(0, 7)}): ${seconds(b.ms)} s`);
            sets.push(await builtImages(registry, namespace, commit));
        }
        build!.dispose();
        build = undefined;

        // The CLI's apps, as a user makes them: registered, then configured once (the env the stack
        // gives, and no worker health check: it pings a broker this machine does not run).
        for (const service of SERVICES) await client.registerApp(`${prefix.cli}${service}`, false);
        for (const service of SERVICES) {
            const app = `${prefix.cli}${service}`;
            const override = service === "celery" ? { serviceUpdateOverride: JSON.stringify({ TaskTemplate: { ContainerSpec: { HealthCheck: { Test: ["NONE"] } } } }) } : {};
            await client.updateApp((await client.getApp(app))!, { envVars: [{ key: "REDIS_URL", value: "memory://" }], ...override });
        }
        const settle = async (side: keyof typeof prefix, set: Record<string, string>) => {
            const results = await Promise.allSettled(SERVICES.map((s) => docker.settledOn(`${prefix[side]}${s}`, set[s].split("@")[1], 240_000)));
            const unsettled = SERVICES.filter((_, i) => results[i].status === "rejected");
            if (unsettled.length) console.log(`  note: ${side}'s ${unsettled.join(", ")} still ran an older container after 240 s`);
        };
        /** The four CLI deploys, one after the other: each one's ms. */
        const cliDeploys = async (set: Record<string, string>): Promise<number[]> => {
            const out: number[] = [];
            for (const service of SERVICES) {
                const started = Date.now();
                await cli.deploy(`${prefix.cli}${service}`, set[service]);
                out.push(Date.now() - started);
            }
            return out;
        };

        // The stack: the four apps only, images by digest.
        ws = await openStack({ url: real.url, probeAddress: real.nginx, password: real.password }, { env: builderEnv(builder) });
        // The image's health checks, as the CLI's apps run them.
        await configureForRealServer(ws, { pace: false });
        await configureAll(ws, [
            { key: "site:appNamePrefix", value: prefix.pulumi },
            { key: "site:build", value: "false" },
        ]);
        setStackValue(ws, "site:release", { tasks: [] });
        setStackValue(ws, "site:canary", { enabled: false });
        const up = async (set: Record<string, string>) => {
            setStackValue(ws!, "site:imageDigests", set);
            upCount++;
            const { result, events } = await stampedOperation(ws!, ["up", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT });
            return { result, events };
        };

        // Both sides run set A, untimed.
        console.log("first deploys (untimed): the CLI's apps and the stack's, set A");
        await cliDeploys(sets[0]);
        const first = await up(sets[0]);
        console.log(`  first pulumi up (creates the apps): ${seconds(first.result.ms)} s`);
        await settle("cli", sets[0]);
        await settle("pulumi", sets[0]);

        const cliRuns: number[][] = [];
        const ups: UpTimes[] = [];
        for (let i = 0; i < runs; i++) {
            const set = sets[(i + 1) % 2];
            const name = "AB"[(i + 1) % 2];
            const each = await cliDeploys(set);
            cliRuns.push(each);
            await settle("cli", set);
            const { result, events } = await up(set);
            const t = upTimes(result.ms, events);
            ups.push(t);
            await settle("pulumi", set);
            console.log(
                `round ${i + 1} (set ${name}): caprover deploy ${each.map(seconds).join(" + ")} = ${seconds(each.reduce((a, b) => a + b, 0))} s; ` +
                    `pulumi up ${seconds(t.wallMs)} s, of it only gates pending ${seconds(t.gateOnlyMs)} s`,
            );
        }

        const list = (xs: number[]) => xs.map(seconds).join(", ");
        const sequential = cliRuns.map((r) => r.reduce((a, b) => a + b, 0));
        const slowest = cliRuns.map((r) => Math.max(...r));
        const walls = ups.map((u) => u.wallMs);
        const gateOnly = ups.map((u) => u.gateOnlyMs);
        console.log(
            `\n4 apps of split on the real CapRover 1.15.3, images by digest from the loopback registry, ${runs} alternating rounds (medians; every app deploys a new image each round):`,
        );
        console.log(`  caprover deploy --imageName, one app after another: ${seconds(median(sequential))} s  [${list(sequential)}]`);
        for (const [j, service] of SERVICES.entries()) console.log(`    ${service}: ${seconds(median(cliRuns.map((r) => r[j])))} s  [${list(cliRuns.map((r) => r[j]))}]`);
        console.log(`    slowest single deploy: ${seconds(median(slowest))} s  [${list(slowest)}]`);
        console.log(`  pulumi up --skip-preview (image change only, policy pack on): ${seconds(median(walls))} s  [${list(walls)}]`);
        const m = (f: (u: UpTimes) => number) => seconds(median(ups.map(f)));
        console.log(`    the engine until the first App step: ${m((u) => Math.min(...u.apps.map((a) => a.start)))} s; after the last App step: ${m((u) => u.wallMs - Math.max(...u.apps.map((a) => a.end)))} s`);
        for (const [j, service] of SERVICES.entries()) {
            const a = (f: (x: AppTimes) => number) => m((u) => f(u.apps[j]));
            console.log(
                `    App::${service}: before the deploy request ${a((x) => x.sent - x.start)} s (definition, CapRover's lock), ` +
                    `CapRover's deploy ${a((x) => x.runs - x.sent)} s (what caprover deploy waits for), gate ${a((x) => x.end - x.runs)} s`,
            );
        }
        const share = median(ups.map((u) => u.gateOnlyMs / u.wallMs));
        console.log(`  the gates' own share: ${seconds(median(gateOnly))} s  [${list(gateOnly)}] of the up's wall time, ${(share * 100).toFixed(0)} % (every app's deploy reported done, some app still waiting on its gate)`);
        const vsSequential = median(walls) / median(sequential);
        const vsSlowest = median(walls) / median(slowest);
        console.log(goalLine(5, `pulumi up / sequential caprover deploy: ${vsSequential.toFixed(2)}`, "<= 0.5", vsSequential <= 0.5));
        console.log(goalLine(5, `pulumi up / slowest single caprover deploy: ${vsSlowest.toFixed(2)}`, "<= 1.2", vsSlowest <= 1.2));
    } finally {
        build?.dispose();
        if (ws) {
            if (upCount > 0) await ws.pulumi(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT, allowFailure: true });
            ws.dispose();
        }
        for (const service of SERVICES) {
            await client.deleteApp(`${prefix.cli}${service}`).catch((e: Error) => console.error(`could not delete ${prefix.cli}${service}: ${e.message}`));
        }
        cli.dispose();
        fs.rmSync(context, { recursive: true, force: true });
        await stopRealCaprover(real);
        await stopBuilder(builder);
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
