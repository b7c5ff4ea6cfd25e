/**
 * Benchmark (not a test) of goals 1 and 3 (bench/goals.ts), each measured side by side in one run
 * (alternating, medians), so the figures hold on a loaded machine.
 *
 *   npm run bench:preview -- [--runs N] [--goal 1|3]
 *
 * Goal 1: `npm run preview -- <stack>` of dev and of prod, the whole command, warm (its own state
 * in .pulumi-state/, as a user runs it), against `pulumi preview` of an empty TypeScript program
 * with the same plugins (this repository's package.json dependencies, node_modules and tsconfig,
 * the same CLI, language host and policy pack). Target: ratio <= 1.2.
 *
 * Goal 3: `pulumi preview` of the bench's own copies of the dev stack under each profile (single,
 * unified, essential, split: 1 to 4 services), through the driver as `npm run preview` runs it; the
 * least-squares slope of the medians gives the milliseconds and resources per additional service.
 * Target: under 10 ms per service, judged on the CPU time of every process (user + system, GNU
 * time), which a loaded machine disturbs far less than the wall time. Beside it, in the same run,
 * the engine's floor: what a bare component resource costs in an empty program (floorWorkspace).
 *
 * Temporary file backends with the test-only passphrase; plugins this machine cannot build are
 * named in SITE_UNAVAILABLE_PLUGINS, as `npm run preview` does (the parts needing them, the GitHub
 * side and re-tagging, are left out here and in CI's previews they are not).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { POLICY_PACK, REPO, RunResult, Workspace, ensureTools, unavailablePlugins } from "../scripts/engine/driver";
import { Timed, fitLine, goalLine, median, seconds, timed } from "./goals";

interface Options {
    runs: number;
    goals: number[];
    /** Goal 3 also without the policy pack (site and floor alike): how much of the cost per service is the pack's. */
    withoutPack: boolean;
}

function parse(argv: string[]): Options {
    const out: Options = { runs: 5, goals: [1, 3], withoutPack: false };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--runs") out.runs = Math.max(1, Math.round(Number(argv[++i])) || 0);
        else if (argv[i] === "--goal" && ["1", "3"].includes(argv[i + 1])) out.goals = [Number(argv[++i])];
        else if (argv[i] === "--without-pack") out.withoutPack = true;
        else throw new Error(`unknown argument ${argv[i]}; usage: bench:preview -- [--runs N] [--goal 1|3] [--without-pack]`);
    }
    return out;
}

/** Resources a preview plans to create ("+ N to create"). */
const planned = (r: RunResult): number => Number(/Resources:\s*\n\s*\+ (\d+) to create/.exec(r.stdout)?.[1] ?? NaN);

/** `pulumi preview` in a workspace, with the policy pack, as Workspace.pulumi runs it. */
const preview = (ws: Workspace, stack: string, pack = true) => () =>
    timed("pulumi", ["preview", "--stack", stack, ...(pack ? ["--policy-pack", POLICY_PACK] : []), "--non-interactive"], { cwd: ws.project, env: ws.env });

/** Runs each variant once per round, `runs` rounds after one untimed round; wall and CPU times per variant. */
async function alternate(runs: number, variants: Record<string, () => Promise<Timed>>): Promise<Record<string, { ms: number[]; cpu: number[]; last: Timed }>> {
    const out: Record<string, { ms: number[]; cpu: number[]; last: Timed }> = {};
    for (const [k, f] of Object.entries(variants)) out[k] = { ms: [], cpu: [], last: await f() };
    for (let i = 0; i < runs; i++) {
        for (const [k, f] of Object.entries(variants)) {
            const r = await f();
            out[k].ms.push(r.ms);
            out[k].cpu.push(r.cpuMs);
            out[k].last = r;
        }
    }
    return out;
}

const shown = (v: { ms: number[]; cpu: number[] }) => `wall ${seconds(median(v.ms))} s  [${v.ms.map(seconds).join(", ")}], CPU ${seconds(median(v.cpu))} s`;

/** Goal 1: npm run preview of dev and prod against an empty TypeScript program's preview. */
async function goal1(o: Options, scratch: string): Promise<void> {
    // The empty program: this repository's dependencies (so the same plugins), TypeScript through ts-node.
    const dir = path.join(scratch, "empty");
    fs.mkdirSync(dir);
    for (const f of ["node_modules", "tsconfig.json"]) fs.symlinkSync(path.join(REPO, f), path.join(dir, f));
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, main: "index.ts", scripts: {} }));
    fs.writeFileSync(path.join(dir, "index.ts"), 'import "@pulumi/pulumi";\n');
    const empty = await Workspace.create({ project: { name: "empty", runtime: "nodejs" }, main: dir });
    try {
        await empty.pulumi(["stack", "init", "bench", "--secrets-provider", "passphrase"]);
        const npmPreview = (stack: string) => () => timed("npm", ["run", "--silent", "preview", "--", stack]);
        const t = await alternate(o.runs, {
            "npm run preview -- dev": npmPreview("dev"),
            "npm run preview -- prod": npmPreview("prod"),
            "empty TypeScript program": preview(empty, "bench"),
        });
        const base = t["empty TypeScript program"];
        console.log(`goal 1: ${o.runs} alternating runs each (medians; CPU: every process, user + system), CLI and plugins from .tools, policy pack in every preview:`);
        for (const [k, v] of Object.entries(t)) console.log(`  ${k}: ${shown(v)}${Number.isNaN(planned(v.last)) ? "" : ` (${planned(v.last)} resources to create)`}`);
        for (const stack of ["dev", "prod"]) {
            const v = t[`npm run preview -- ${stack}`];
            const ratio = median(v.ms) / median(base.ms);
            console.log(goalLine(1, `${stack}: wall ratio ${ratio.toFixed(2)} (CPU ratio ${(median(v.cpu) / median(base.cpu)).toFixed(2)})`, "<= 1.2", ratio <= 1.2));
        }
    } finally {
        empty.dispose();
    }
}

/** The services of each profile (config/topology.ts), as the bench's stacks run them. */
const PROFILES: { profile: string; services: number; extra?: string }[] = [
    { profile: "single", services: 1, extra: "  site:singleTarget: all-in-one\n" },
    { profile: "unified", services: 2 },
    { profile: "essential", services: 3 },
    { profile: "split", services: 4 },
];

/** Bare component resources the floor program registers in its second stack. */
const FLOOR_RESOURCES = 30;

/**
 * The engine's floor for goal 3: a JavaScript program registering `floor:count` bare component
 * resources (nothing to check, no provider), with the same plugins and policy pack. Its stacks
 * `none` (0) and `some` (FLOOR_RESOURCES) give what one resource costs at the least.
 */
async function floorWorkspace(scratch: string): Promise<Workspace> {
    const dir = path.join(scratch, "floor");
    fs.mkdirSync(dir);
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "floor", main: "index.js" }));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: floor\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n");
    fs.writeFileSync(
        path.join(dir, "index.js"),
        [
            'const pulumi = require("@pulumi/pulumi");',
            "class Bare extends pulumi.ComponentResource { constructor(name) { super(\"floor:index:Bare\", name, {}, {}); this.registerOutputs({}); } }",
            'for (let i = 0; i < (new pulumi.Config("floor").getNumber("count") ?? 0); i++) new Bare(`r${i}`);',
            "",
        ].join("\n"),
    );
    const ws = await Workspace.create({ main: dir });
    for (const [stack, count] of [["none", 0], ["some", FLOOR_RESOURCES]] as const) {
        await ws.pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        await ws.pulumi(["config", "set", "floor:count", String(count), "--stack", stack]);
    }
    return ws;
}

/** Goal 3: the preview's growth per service, over dev's stack under each profile, beside the engine's floor. */
async function goal3(o: Options, missing: string[], scratch: string): Promise<void> {
    const ws = await Workspace.create({ env: { SITE_UNAVAILABLE_PLUGINS: missing.join(",") } });
    const floor = await floorWorkspace(scratch);
    try {
        const dev = fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8");
        if (!/^ {2}site:topology: split$/m.test(dev)) throw new Error("Pulumi.dev.yaml no longer sets `site:topology: split`: update bench/preview.ts");
        for (const p of PROFILES) {
            fs.writeFileSync(path.join(ws.project, `Pulumi.${p.profile}.yaml`), dev.replace(/^ {2}site:topology: split$/m, `  site:topology: ${p.profile}\n${p.extra ?? ""}`.trimEnd()));
            await ws.pulumi(["stack", "init", p.profile, "--secrets-provider", "passphrase"]);
        }
        const pack = !o.withoutPack;
        const t = await alternate(o.runs, {
            ...Object.fromEntries(PROFILES.map((p) => [p.profile, preview(ws, p.profile, pack)])),
            "floor none": preview(floor, "none", pack),
            "floor some": preview(floor, "some", pack),
        });
        console.log(`goal 3: pulumi preview of dev's stack under each profile, ${pack ? "with" : "WITHOUT"} the policy pack, ${o.runs} alternating runs each (medians; CPU: every process, user + system):`);
        const points = PROFILES.map((p) => ({ ...p, ms: median(t[p.profile].ms), cpu: median(t[p.profile].cpu), resources: planned(t[p.profile].last) }));
        for (const p of points) console.log(`  ${p.profile} (${p.services} service${p.services > 1 ? "s" : ""}, ${p.resources} resources to create): ${shown(t[p.profile])}`);
        const slope = (y: (p: (typeof points)[number]) => number, x: (p: (typeof points)[number]) => number) => fitLine(points.map((p) => ({ x: x(p), y: y(p) }))).slope;
        const perService = slope((p) => p.ms, (p) => p.services);
        const cpuPerService = slope((p) => p.cpu, (p) => p.services);
        const perResource = slope((p) => p.ms, (p) => p.resources);
        const cpuPerResource = slope((p) => p.cpu, (p) => p.resources);
        const rate = (ms: number) => (ms > 0 ? (1000 / ms).toFixed(0) : "∞");
        console.log(
            `  growth (least-squares slopes): ${slope((p) => p.resources, (p) => p.services).toFixed(1)} resources per service; wall ${perResource.toFixed(1)} ms per resource ` +
                `(${rate(perResource)} resources per second), CPU ${cpuPerResource.toFixed(1)} ms per resource (${rate(cpuPerResource)} per CPU second)`,
        );
        const floorCpu = (median(t["floor some"].cpu) - median(t["floor none"].cpu)) / FLOOR_RESOURCES;
        const resourcesPerService = slope((p) => p.resources, (p) => p.services);
        console.log(
            `  the engine's floor: ${FLOOR_RESOURCES} bare component resources cost CPU ${floorCpu.toFixed(1)} ms each (an empty JavaScript program with the same plugins${pack ? " and policy pack" : ""}: ` +
                `${shown(t["floor none"])}; with them: ${shown(t["floor some"])}), so ${resourcesPerService.toFixed(1)} resources per service cost at least ${(floorCpu * resourcesPerService).toFixed(1)} ms`,
        );
        // The verdict takes the CPU slope: on a loaded machine the wall times' noise is larger than the slope itself.
        const floorPerService = floorCpu * resourcesPerService;
        const ratio = cpuPerService / floorPerService;
        console.log(goalLine(3, `CPU ${cpuPerService.toFixed(1)} ms per additional service (wall ${perService.toFixed(1)} ms), ${ratio.toFixed(2)}x the floor's ${floorPerService.toFixed(1)} ms`, "<= 1.3x", ratio <= 1.3));
    } finally {
        ws.dispose();
        floor.dispose();
    }
}

async function main(): Promise<void> {
    const o = parse(process.argv.slice(2));
    const missing = unavailablePlugins(await ensureTools());
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "site-bench-preview-"));
    try {
        if (o.goals.includes(1)) await goal1(o, scratch);
        if (o.goals.includes(3)) await goal3(o, missing, scratch);
        if (missing.length > 0) console.log(`note: plugins not installed here: ${missing.join(", ")}; previews leave out the parts needing them (GitHub side, re-tagging), so they register fewer resources than in CI`);
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
