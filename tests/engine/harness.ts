/**
 * Drives the real Pulumi CLI (built by scripts/ensure-tools.sh) for the engine tests and benchmarks.
 *
 * Each workspace is a temporary folder holding a copy of Pulumi.yaml whose `main` points back at
 * this repository (so the program under test is the repository's own, as scripts/preview.sh does),
 * copies of the stack files (so `stack init` and `config set` never touch a tracked file), a file
 * state backend, and a private PULUMI_HOME that borrows the installed plugins. Every CLI call runs
 * asynchronously (an in-process emulator must keep answering meanwhile), in its own process group,
 * with a timeout that kills the whole group.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

export const REPO = path.resolve(__dirname, "..", "..");

/**
 * Passphrase of the temporary states' passphrase secrets provider. TEST-ONLY: it protects values
 * that exist only for the tests (the emulator's password and the like), never a real secret.
 */
export const TEST_ONLY_PASSPHRASE = "engine-tests-only-not-a-secret";

/** Outcome of one command. */
export interface RunResult {
    /** Exit code (-1 when killed by a signal). */
    code: number;
    stdout: string;
    stderr: string;
    /** Wall time in ms. */
    ms: number;
}

export interface RunOptions {
    /** Kill the process group after this many ms (default 180 s). */
    timeoutMs?: number;
    /** Resolve on a non-zero exit instead of rejecting. */
    allowFailure?: boolean;
    /** Working directory. */
    cwd?: string;
    /** Full environment of the command. */
    env?: NodeJS.ProcessEnv;
}

const running = new Set<ChildProcess>();

/** Kills every command still running (after hooks call it, so a failed test leaves no process behind). */
export function killAll(): void {
    for (const child of running) killGroup(child);
}

function killGroup(child: ChildProcess): void {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
        // Negative pid: the whole group (the CLI, its language host, the program, providers).
        process.kill(-child.pid, "SIGKILL");
    } catch {
        // Already gone.
    }
}

/** Runs a command without a shell; rejects on timeout, or on a non-zero exit unless allowed. */
export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 180_000;
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        running.add(child);
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const timer = setTimeout(() => {
            timedOut = true;
            killGroup(child);
        }, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            running.delete(child);
            reject(new Error(`${command} could not be started: ${e.message}`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            running.delete(child);
            const result: RunResult = { code: code ?? -1, stdout, stderr, ms: Date.now() - started };
            const shown = `${command} ${args.join(" ")}`;
            if (timedOut) return reject(new Error(`${shown}: no result within ${timeoutMs} ms, killed\n${tail(result)}`));
            if (result.code !== 0 && !opts.allowFailure) return reject(new Error(`${shown}: exit ${result.code}\n${tail(result)}`));
            resolve(result);
        });
    });
}

/** The last lines of a command's output, for failure messages. */
export function tail(r: Pick<RunResult, "stdout" | "stderr">, lines = 40): string {
    const pick = (s: string) => s.trimEnd().split("\n").slice(-lines).join("\n");
    return `--- stdout (tail)\n${pick(r.stdout)}\n--- stderr (tail)\n${pick(r.stderr)}`;
}

/** What scripts/ensure-tools.sh puts into the environment. */
export interface Tools {
    /** PATH with the tools folder first. */
    PATH: string;
    /** The tools' PULUMI_HOME (holding the installed plugins). */
    PULUMI_HOME: string;
}

let tools: Promise<Tools> | undefined;

/**
 * Ensures the CLI, language host, launchers and plugins (seconds when built; a cold build takes
 * many minutes, hence the long timeout) and returns their environment. Run once per process.
 */
export function ensureTools(timeoutMs = 40 * 60_000): Promise<Tools> {
    tools ??= run(
        "bash",
        ["-c", 'eval "$(bash scripts/ensure-tools.sh)" && node -e \'console.log(JSON.stringify({PATH: process.env.PATH, PULUMI_HOME: process.env.PULUMI_HOME}))\''],
        { timeoutMs, env: { ...process.env, SITE_TOOLS_QUIET: "1" } },
    ).then((r) => JSON.parse(r.stdout.trim().split("\n").pop()!) as Tools);
    return tools;
}

/**
 * The resource plugins the program's packages ask for that are not installed (as scripts/preview.sh
 * finds them): what SITE_UNAVAILABLE_PLUGINS names for a preview on this machine.
 */
export function unavailablePlugins(t: Tools): string[] {
    return ["github", "command", "docker", "docker-build"].filter((name) => {
        const pkg = require(`@pulumi/${name}/package.json`) as { version: string; pulumi?: { version?: string } };
        const version = (pkg.pulumi?.version ?? pkg.version).replace(/^v/, "");
        return !fs.existsSync(path.join(t.PULUMI_HOME, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`));
    });
}

/** The environment every CLI call gets: no credentials from the caller, no network for plugins. */
export function engineEnv(t: Tools, extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Nothing of the caller's reaches the engine: no cloud login, no token, no other passphrase.
    for (const key of ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "GITHUB_TOKEN", "GITHUB_SHA", "SITE_UNAVAILABLE_PLUGINS"]) {
        delete env[key];
    }
    return {
        ...env,
        PATH: t.PATH,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // Type checking is `tsc --noEmit`'s job; the engine only needs the program to run.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        ...extra,
    };
}

/** Minimal shapes of the engine's events (`--event-log`) and of `pulumi preview --json`. */
export interface StepState {
    urn: string;
    type: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}
export interface StepMetadata {
    op: string;
    urn: string;
    type: string;
    old?: StepState;
    new?: StepState;
}
export interface EngineEvent {
    resourcePreEvent?: { metadata: StepMetadata };
    resOutputsEvent?: { metadata: StepMetadata };
    summaryEvent?: { resourceChanges: Record<string, number>; result?: string };
    diagnosticEvent?: { severity: string; message: string; urn?: string };
}
export interface PreviewStep {
    op: string;
    urn: string;
    oldState?: StepState;
    newState?: StepState;
    replaceReasons?: string[];
}
export interface PreviewJson {
    steps: PreviewStep[];
    changeSummary: Record<string, number>;
    diagnostics?: { severity: string; message: string }[];
}

/** `CapRoverApp::web`: the last part of the type token and the resource name. */
export function shortName(urn: string): string {
    // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>
    const parts = urn.split("::");
    const type = (parts[2] ?? "").split("$").pop() ?? "";
    return `${type.split(":").pop()}::${parts.slice(3).join("::")}`;
}

/**
 * `op CapRoverApp::web` for each step of an operation's events that changed something. Provider
 * resources are left out: the default `pulumi-nodejs` provider takes the whole stack configuration
 * as its inputs, so any `pulumi config set` "updates" it, which changes nothing anywhere.
 */
export function changedSteps(events: EngineEvent[]): string[] {
    return events
        .map((e) => e.resOutputsEvent?.metadata)
        .filter((m): m is StepMetadata => !!m && m.op !== "same" && !m.type.startsWith("pulumi:providers:"))
        .map((m) => `${m.op} ${shortName(m.urn)}`)
        .sort();
}

/** The step of one resource in an operation's events. */
export function stepOf(events: EngineEvent[], short: string): StepMetadata | undefined {
    return events.map((e) => e.resOutputsEvent?.metadata).find((m): m is StepMetadata => !!m && shortName(m.urn) === short);
}

/** Keys whose values differ between two property maps (secrets compare as their placeholders). */
export function differingKeys(a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): string[] {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])]
        .filter((k) => k !== "__provider" && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
        .sort();
}

/** Every file below `dir` (the state backend: checkpoints, history, backups). */
export function filesBelow(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

export interface WorkspaceOptions {
    /** Stack files copied from the repository, e.g. `Pulumi.local.yaml`. */
    stackFiles?: string[];
    /** Program directory (default: this repository). */
    main?: string;
    /** Project settings (default: this repository's Pulumi.yaml); `main` is set from the option above. */
    project?: Record<string, unknown>;
    /** Further environment of every command (e.g. SITE_UNAVAILABLE_PLUGINS). */
    env?: Record<string, string>;
}

/** A temporary project, state backend and PULUMI_HOME, driven through the real CLI. */
export class Workspace {
    /** Every command's output and every engine event, so tests can check that no secret was ever shown. */
    readonly transcript: string[] = [];
    /**
     * Debug-severity diagnostics, kept apart: the Node SDK traces each RPC's raw response at debug
     * level (`RegisterResource RPC finished: ... resp: ...`), secret values included. Pulumi shows
     * them only with `--debug` or `-v`, and in event logs.
     */
    readonly debugTranscript: string[] = [];
    private eventFiles = 0;

    private constructor(
        readonly root: string,
        readonly env: NodeJS.ProcessEnv,
    ) {}

    /** The copied project (where stack files live and commands run). */
    get project(): string {
        return path.join(this.root, "project");
    }

    /** The file state backend. */
    get state(): string {
        return path.join(this.root, "state");
    }

    static async create(opts: WorkspaceOptions = {}): Promise<Workspace> {
        const t = await ensureTools();
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "site-engine-"));
        const home = path.join(root, "home");
        for (const dir of ["project", "state", "home"]) fs.mkdirSync(path.join(root, dir));
        // Plugins are shared read-only; logins, workspaces and logs stay private to this run.
        fs.symlinkSync(path.join(t.PULUMI_HOME, "plugins"), path.join(home, "plugins"));
        const project = { ...(opts.project ?? (YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as Record<string, unknown>)) };
        project.main = opts.main ?? REPO;
        fs.writeFileSync(path.join(root, "project", "Pulumi.yaml"), YAML.stringify(project));
        for (const file of opts.stackFiles ?? []) fs.copyFileSync(path.join(REPO, file), path.join(root, "project", file));
        const env = engineEnv(t, {
            PULUMI_HOME: home,
            PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: TEST_ONLY_PASSPHRASE,
            // Enables `--event-log` (machine-readable engine events, as the Automation API reads them).
            PULUMI_DEBUG_COMMANDS: "true",
            ...opts.env,
        });
        return new Workspace(root, env);
    }

    /** Runs `pulumi <args> --non-interactive` in the project. */
    async pulumi(args: string[], opts: Omit<RunOptions, "cwd" | "env"> = {}): Promise<RunResult> {
        try {
            const r = await run("pulumi", [...args, "--non-interactive"], { ...opts, cwd: this.project, env: this.env });
            this.transcript.push(r.stdout, r.stderr);
            return r;
        } catch (e) {
            this.transcript.push((e as Error).message);
            throw e;
        }
    }

    /** Runs an operation (`up`, `refresh`, `destroy`, `preview`) and returns its engine events. */
    async events(args: string[], opts: Omit<RunOptions, "cwd" | "env"> = {}): Promise<{ events: EngineEvent[]; result: RunResult }> {
        const file = path.join(this.root, `events-${++this.eventFiles}.jsonl`);
        const result = await this.pulumi([...args, "--event-log", file], opts);
        const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
        const events = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as EngineEvent);
        for (const e of events) (e.diagnosticEvent?.severity === "debug" ? this.debugTranscript : this.transcript).push(JSON.stringify(e));
        return { events, result };
    }

    /** Runs a command printing one JSON document (`--json`) and parses it. */
    async json<T>(args: string[], opts: Omit<RunOptions, "cwd" | "env"> = {}): Promise<T> {
        const r = await this.pulumi([...args, "--json"], opts);
        return JSON.parse(r.stdout) as T;
    }

    /** Kills what still runs and removes the folder (kept, for a look, with SITE_ENGINE_KEEP=1). */
    dispose(): void {
        killAll();
        if (process.env.SITE_ENGINE_KEEP === "1") {
            console.log(`    (kept ${this.root})`);
            return;
        }
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

/** The result line of an operation's summary event. */
export function summaryOf(events: EngineEvent[]): { resourceChanges: Record<string, number>; result?: string } | undefined {
    return events.map((e) => e.summaryEvent).find((s) => s !== undefined);
}

/** Error diagnostics of an operation. */
export function errorsOf(events: EngineEvent[]): string[] {
    return events.map((e) => e.diagnosticEvent).filter((d) => d?.severity === "error").map((d) => d!.message.trim());
}
