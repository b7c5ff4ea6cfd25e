/**
 * The suites under load (issue 22): runs the unit suite N times, then the engine tier M times,
 * while `stress-ng` keeps every core twice over busy, and prints each run's result and every failure
 * (the test's full title and its message). Exits 1 on any failure: a test that passes only on an
 * idle machine races the wall clock, and zero failures is the bar.
 *
 *   npm run test:soak -- [--unit N] [--engine M]      (defaults 10 and 3; 0 skips a tier)
 *
 * The engine tier needs the Pulumi CLI (`bash scripts/ensure-tools.sh`; SITE_TOOLS_DIR names
 * another tools folder). stress-ng is started by this script for each tier, with a time bound of
 * its own (it stops by itself should this script die), and stopped by its PID when the tier ends.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, killAll, run } from "../scripts/engine/driver";

/** The longest one run of each tier may take before it is killed (a hang, not a slow run). */
const RUN_LIMIT_MS = { unit: 30 * 60_000, engine: 120 * 60_000 };

interface Failure {
    title: string;
    message: string;
}

interface Outcome {
    passes: number;
    failures: Failure[];
    pending: number;
    ms: number;
    /** Why the run gave no report (killed, crashed before mocha reported). */
    broken?: string;
}

function usage(): never {
    console.error("usage: npm run test:soak -- [--unit N] [--engine M]   (defaults: --unit 10 --engine 3; 0 skips a tier)");
    process.exit(2);
}

function parseArgs(argv: string[]): { unit: number; engine: number } {
    const counts = { unit: 10, engine: 3 };
    for (let i = 0; i < argv.length; i += 2) {
        const key = argv[i].replace(/^--/, "");
        const n = Number(argv[i + 1]);
        if ((key !== "unit" && key !== "engine") || !Number.isInteger(n) || n < 0) usage();
        counts[key] = n;
    }
    return counts;
}

/** stress-ng on PATH, or a message saying how to get it. */
function checkStressNg(): void {
    const probe = spawnSync("stress-ng", ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        console.error("test:soak needs stress-ng to load the CPUs, and it is not installed.");
        console.error("On Debian or Ubuntu: sudo apt-get install stress-ng   (then run npm run test:soak again)");
        process.exit(2);
    }
}

/**
 * stress-ng's workers: two per core. CI runs the unit suite beside a Go build and CapRover's start;
 * one worker per core never found the race a CI run failed on (a request timeout cutting a request
 * a test held on purpose), two per core found it every time.
 */
const STRESSORS = 2 * os.cpus().length;

/** The stress-ng running now, if any. */
let stressing: ChildProcess | undefined;

/** Starts `stress-ng --cpu STRESSORS` for at most `limitMs` (its own --timeout); returns a stop function that ends it by its PID. */
function startLoad(limitMs: number): () => Promise<void> {
    const child: ChildProcess = spawn("stress-ng", ["--cpu", String(STRESSORS), "--timeout", `${Math.ceil(limitMs / 1000)}s`, "--quiet"], { stdio: "ignore" });
    stressing = child;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    console.log(`stress-ng --cpu ${STRESSORS} started (pid ${child.pid}, stops by itself after ${Math.ceil(limitMs / 60_000)} min)`);
    return async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await exited;
        stressing = undefined;
        console.log(`stress-ng (pid ${child.pid}) stopped`);
    };
}

interface MochaJson {
    stats: { passes: number; failures: number; pending: number };
    failures: { fullTitle: string; err: { message?: string; stack?: string } }[];
}

/** One run of a tier with mocha's JSON report written to a file; the report, or why there is none. */
async function runTier(tier: "unit" | "engine"): Promise<Outcome> {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "soak-")), "report.json");
    const script = tier === "unit" ? ["test"] : ["run", "test:engine"];
    const started = Date.now();
    let code: number;
    let output = "";
    try {
        const r = await run("npm", [...script, "--silent", "--", "--reporter", "json", "--reporter-option", `output=${report}`], { cwd: REPO, timeoutMs: RUN_LIMIT_MS[tier], allowFailure: true });
        code = r.code;
        output = `${r.stdout}\n${r.stderr}`;
    } catch (e) {
        return { passes: 0, failures: [], pending: 0, ms: Date.now() - started, broken: (e as Error).message.split("\n")[0] };
    }
    const ms = Date.now() - started;
    if (!fs.existsSync(report)) return { passes: 0, failures: [], pending: 0, ms, broken: `exit ${code} without a report:\n${output.trimEnd().split("\n").slice(-20).join("\n")}` };
    const json = JSON.parse(fs.readFileSync(report, "utf8")) as MochaJson;
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
    const failures = json.failures.map((f) => ({ title: f.fullTitle, message: (f.err.message ?? f.err.stack ?? "").trim() }));
    // A non-zero exit with every test green (an error outside any test) is a failure too.
    if (code !== 0 && failures.length === 0) return { passes: json.stats.passes, failures, pending: json.stats.pending, ms, broken: `exit ${code} with no failing test:\n${output.trimEnd().split("\n").slice(-20).join("\n")}` };
    return { passes: json.stats.passes, failures, pending: json.stats.pending, ms };
}

const indent = (text: string, by = "      ") => text.split("\n").map((l) => by + l).join("\n");
const load = () => os.loadavg()[0].toFixed(2);

async function soak(tier: "unit" | "engine", runs: number): Promise<{ green: number; failures: { run: number; failure: Failure }[] }> {
    const failures: { run: number; failure: Failure }[] = [];
    let green = 0;
    if (runs === 0) return { green, failures };
    console.log(`\n== ${tier === "unit" ? "unit suite (npm test)" : "engine tier (npm run test:engine)"}: ${runs} runs under stress-ng --cpu ${STRESSORS}`);
    const stop = startLoad(runs * RUN_LIMIT_MS[tier]);
    try {
        for (let i = 1; i <= runs; i++) {
            const o = await runTier(tier);
            const ok = !o.broken && o.failures.length === 0;
            if (ok) green++;
            const counts = o.broken ? `no result: ${o.broken.split("\n")[0]}` : `${o.passes} passing, ${o.failures.length} failing${o.pending ? `, ${o.pending} pending` : ""}`;
            console.log(`${tier} run ${i}/${runs}: ${ok ? "green" : "RED"}  ${counts}  (${(o.ms / 1000).toFixed(1)} s, load ${load()})`);
            if (o.broken && o.broken.includes("\n")) console.log(indent(o.broken.split("\n").slice(1).join("\n")));
            for (const f of o.failures) {
                failures.push({ run: i, failure: f });
                console.log(`    ✗ ${f.title}\n${indent(f.message.split("\n").slice(0, 12).join("\n"))}`);
            }
            if (o.broken) failures.push({ run: i, failure: { title: "(the run itself)", message: o.broken } });
        }
    } finally {
        await stop();
    }
    return { green, failures };
}

async function main(): Promise<void> {
    const counts = parseArgs(process.argv.slice(2));
    checkStressNg();
    console.log(`soak: ${os.cpus().length} cores, load ${load()} before starting`);
    const started = Date.now();
    const unit = await soak("unit", counts.unit);
    const engine = await soak("engine", counts.engine);
    const all = [...unit.failures.map((f) => ({ tier: "unit", ...f })), ...engine.failures.map((f) => ({ tier: "engine", ...f }))];
    console.log(`\nsoak summary (${((Date.now() - started) / 60_000).toFixed(1)} min): unit ${unit.green}/${counts.unit} green, engine ${engine.green}/${counts.engine} green, ${all.length} failure${all.length === 1 ? "" : "s"}`);
    for (const f of all) console.log(`  ${f.tier} run ${f.run}: ${f.failure.title}: ${f.failure.message.split("\n")[0]}`);
    process.exit(all.length === 0 ? 0 : 1);
}

// Ctrl-C or a kill ends the runs and the load with it (stress-ng's own time bound backs this up).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        killAll();
        stressing?.kill("SIGTERM");
        process.exit(130);
    });
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
