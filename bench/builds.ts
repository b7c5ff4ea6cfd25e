/**
 * Benchmark (not a test) of goal 6 (bench/goals.ts, issue 25 item 2): `pulumi up` building the four
 * targets of split (@pulumi/docker-build, BuildKit on loopback and the registry of
 * scripts/ensure-builder.sh, the registry cache of components/images/serviceImage.ts) against
 * `buildctl build` of the same four targets with the same BuildKit, cache and registry: the same
 * Dockerfile (app/deployment/Dockerfile.multistage, the stand-in's), targets and build args (those
 * the program resolves: config/topology.ts), the same three tags pushed, --import-cache and
 * --export-cache type=registry to the same kind of ref with the program's cacheFrom/cacheTo
 * settings (mode=max, image manifest, OCI media types, errors ignored). The engine builds the four
 * images in parallel, so the four `buildctl build` run in parallel too. Target: <= 1.1x, in both:
 *
 *   cold: BuildKit's own cache emptied (pruneBuildCache) and a fresh registry namespace, so no cache
 *         export to import either; the base image and the Dockerfile frontend come from the registry;
 *   warm: right after that side's cold build (both caches filled), one source file of the build
 *         context changed (a comment line in config/urls.py), under a new commit.
 *
 *   npm run bench:builds -- [--runs N]
 *
 * The pulumi side is a build-only stack (bench/buildStack.ts: site:caprover false, nothing
 * deployed), a fresh one per round: its cold up creates the four Image resources, its warm up
 * updates them. `pulumi up --skip-preview` with the policy pack, as the other benches run it; its
 * engine events, read while it runs (bench/timeline.ts), split its wall time into the engine's start,
 * the Image steps and what follows. Each round runs cold pulumi and cold buildctl, then warm pulumi
 * and warm buildctl, the order of the two sides swapped every round; medians over the rounds. Both
 * sides build one copy of app/, each warm build with its own change (neither finds the other's
 * layers). The pushed images stay in the registry, as the other real-build tiers leave theirs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { REPO, RunResult, Workspace, ensureTools, run } from "../scripts/engine/driver";
import { Builder, RegistryClient, ensureBuilder, pruneBuildCache, stopBuilder } from "../scripts/engine/builder";
import { CLI_TIMEOUT, STACK, configureAll } from "../scripts/engine/localStack";
import { declaredDefaults } from "../config/declarations";
import { ActiveService, resolveServices } from "../config/topology";
import { imageTags } from "../components/images/serviceImage";
import { openBuildStack } from "./buildStack";
import { goalLine, median, seconds } from "./goals";
import { stampedOperation, stepsOf } from "./timeline";

/** The source file a warm build changes, in the build context. */
const CHANGED_FILE = path.join("config", "urls.py");

function parse(argv: string[]): { runs: number } {
    const out = { runs: 3 };
    for (let i = 0; i < argv.length; i++) {
        const n = Number(argv[i + 1]);
        if (argv[i] === "--runs" && Number.isInteger(n) && n > 0) out.runs = n;
        else throw new Error(`unknown or bad argument ${argv[i]}; usage: bench:builds -- [--runs N]`);
        i++;
    }
    return out;
}

/** One timed build of the four targets: its wall time, and each target's (a buildctl run, or an Image step). */
interface BuildTimes {
    wallMs: number;
    perTarget: Record<string, number>;
    /** pulumi only: the engine's start (until the first Image step) and what follows the last one. */
    beforeMs?: number;
    afterMs?: number;
}

/** The four builds the program makes, as `buildctl build` arguments (components/images/serviceImage.ts's imageArgs). */
function buildctlArgs(builder: Builder, services: ActiveService[], o: { namespace: string; commit: string; context: string }): Record<string, string[]> {
    const defaults = declaredDefaults();
    const dockerfile = path.join(o.context, String(defaults.dockerfile));
    // configureRealBuilds: site:imagePrefix <registry>/<namespace>/site, site:cacheScope <namespace>.
    const prefix = `${builder.registry}/${o.namespace}/site`;
    return Object.fromEntries(
        services.map((s) => {
            const repository = `${prefix}-${s.name}`;
            // GhcrRegistry.cacheRef of the scope `<cacheScope>-<resource name>`.
            const cacheRef = `${prefix}/cache:${o.namespace}-${s.name}`;
            const names = imageTags(s.target, o.commit).map((t) => `${repository}:${t}`);
            return [
                s.name,
                [
                    "--addr", builder.buildkitHost, "build", "--progress", "plain",
                    "--frontend", "dockerfile.v0",
                    "--local", `context=${o.context}`,
                    "--local", `dockerfile=${path.dirname(dockerfile)}`,
                    "--opt", `filename=${path.basename(dockerfile)}`,
                    "--opt", `target=${s.target}`,
                    "--opt", `platform=${String(defaults.platform)}`,
                    ...Object.entries(s.buildArgs).flatMap(([k, v]) => ["--opt", `build-arg:${k}=${v}`]),
                    "--output", `type=image,"name=${names.join(",")}",push=true,oci-mediatypes=true,registry.insecure=true`,
                    "--import-cache", `type=registry,ref=${cacheRef}`,
                    "--export-cache", `type=registry,ref=${cacheRef},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
                ],
            ];
        }),
    );
}

/** The four `buildctl build` at once; checks each pushed its `<target>-<commit>` tag. */
async function buildctlBuilds(builder: Builder, registry: RegistryClient, services: ActiveService[], o: { namespace: string; commit: string; context: string }): Promise<BuildTimes> {
    const started = Date.now();
    const perTarget: Record<string, number> = {};
    const results = await Promise.all(
        Object.entries(buildctlArgs(builder, services, o)).map(async ([service, args]): Promise<[string, RunResult]> => {
            const r = await run(path.join(builder.bin, "buildctl"), args, { timeoutMs: 2 * CLI_TIMEOUT, allowFailure: true });
            perTarget[service] = r.ms;
            return [service, r];
        }),
    );
    const wallMs = Date.now() - started;
    for (const [service, r] of results) if (r.code !== 0) throw new Error(`buildctl build of ${service} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    for (const s of services) await registry.digest(`${o.namespace}/site-${s.name}`, `${s.target}-${o.commit}`);
    return { wallMs, perTarget };
}

/** A `pulumi up` of the build-only stack; checks that it built the four images (`create`: created them, else updated or replaced them). */
async function pulumiBuilds(ws: Workspace, services: ActiveService[], op: "create" | "update"): Promise<BuildTimes> {
    const built = (stepOp: string | undefined) => (op === "create" ? stepOp === "create" : ["update", "replace", "create-replacement"].includes(stepOp ?? ""));
    const { result, events } = await stampedOperation(ws, ["up", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT });
    const steps = stepsOf(events, "docker-build:index:Image");
    const perTarget: Record<string, number> = {};
    for (const s of services) {
        const step = steps[s.name];
        if (!built(step?.op) || step.start === undefined || step.end === undefined) throw new Error(`the up did not ${op} Image::${s.name} (its step: ${JSON.stringify(step ?? null)})`);
        perTarget[s.name] = step.end - step.start;
    }
    const all = services.map((s) => steps[s.name]);
    return {
        wallMs: result.ms,
        perTarget,
        beforeMs: Math.min(...all.map((s) => s.start!)),
        afterMs: result.ms - Math.max(...all.map((s) => s.end!)),
    };
}

async function main(): Promise<void> {
    const { runs } = parse(process.argv.slice(2));
    await ensureTools();
    const builder = await ensureBuilder();
    const registry = new RegistryClient(builder.registry);
    const services = resolveServices({ profile: "split", appNamePrefix: "", buildArgs: { BASE_IMAGE: builder.baseImage, REQUIREMENTS_FROM: "base" }, overrides: {} });
    const id = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "bench-builds-context-"));
    fs.cpSync(path.join(REPO, "app"), context, { recursive: true });
    const original = fs.readFileSync(path.join(context, CHANGED_FILE), "utf8");
    const change = (token: string) => fs.writeFileSync(path.join(context, CHANGED_FILE), `${original}${token ? `\n# bench: warm build ${token}\n` : ""}`);
    const commit = () => randomBytes(20).toString("hex");
    const times = { pulumi: { cold: [] as BuildTimes[], warm: [] as BuildTimes[] }, buildctl: { cold: [] as BuildTimes[], warm: [] as BuildTimes[] } };
    let ws: Workspace | undefined;
    try {
        for (let i = 0; i < runs; i++) {
            const ns = { pulumi: `bench-builds-${id}-p${i}`, buildctl: `bench-builds-${id}-b${i}` };
            ws = await openBuildStack(builder, { namespace: ns.pulumi, commit: commit(), context });
            const sides = {
                pulumi: {
                    cold: () => pulumiBuilds(ws!, services, "create"),
                    warm: async () => {
                        await configureAll(ws!, [{ key: "site:commitSha", value: commit() }]);
                        return pulumiBuilds(ws!, services, "update");
                    },
                },
                buildctl: {
                    cold: () => buildctlBuilds(builder, registry, services, { namespace: ns.buildctl, commit: commit(), context }),
                    warm: () => buildctlBuilds(builder, registry, services, { namespace: ns.buildctl, commit: commit(), context }),
                },
            };
            const order = (i % 2 === 0 ? ["pulumi", "buildctl"] : ["buildctl", "pulumi"]) as (keyof typeof sides)[];
            for (const side of order) {
                change("");
                await pruneBuildCache(builder);
                times[side].cold.push(await sides[side].cold());
            }
            for (const side of order) {
                change(`${side} ${id} ${i}`);
                times[side].warm.push(await sides[side].warm());
            }
            console.log(
                `round ${i + 1}: cold pulumi ${seconds(times.pulumi.cold[i].wallMs)} s, buildctl ${seconds(times.buildctl.cold[i].wallMs)} s; ` +
                    `warm pulumi ${seconds(times.pulumi.warm[i].wallMs)} s, buildctl ${seconds(times.buildctl.warm[i].wallMs)} s (${order.join(" first, then ")})`,
            );
            ws.dispose();
            ws = undefined;
        }
        const list = (xs: number[]) => xs.map(seconds).join(", ");
        const targets = services.map((s) => s.name);
        console.log(`\nthe 4 targets of split, built in parallel and pushed to the loopback registry with the registry cache, ${runs} rounds (medians):`);
        for (const kind of ["cold", "warm"] as const) {
            const p = times.pulumi[kind];
            const b = times.buildctl[kind];
            const wall = (xs: BuildTimes[]) => xs.map((x) => x.wallMs);
            const per = (xs: BuildTimes[]) => targets.map((t) => `${t} ${seconds(median(xs.map((x) => x.perTarget[t])))}`).join(", ");
            console.log(`  ${kind}: pulumi up --skip-preview ${seconds(median(wall(p)))} s  [${list(wall(p))}]; buildctl build x4 ${seconds(median(wall(b)))} s  [${list(wall(b))}]`);
            console.log(
                `    pulumi: the engine until the first Image step ${seconds(median(p.map((x) => x.beforeMs!)))} s, Image steps ${per(p)} s, after the last ${seconds(median(p.map((x) => x.afterMs!)))} s; ` +
                    `buildctl: ${per(b)} s`,
            );
            const ratio = median(wall(p)) / median(wall(b));
            console.log(goalLine(6, `${kind}: ${ratio.toFixed(2)}x`, "<= 1.1x", ratio <= 1.1));
        }
    } finally {
        ws?.dispose();
        fs.rmSync(context, { recursive: true, force: true });
        await stopBuilder(builder);
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
