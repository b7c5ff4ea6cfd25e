/**
 * The `local` stack set up for the real-server tier: the builder and the real CapRover (started if
 * needed), the stand-in app copied into a build context of its own, and a workspace whose stack
 * builds into the builder's registry under `namespace` and deploys apps named `<prefix><service>`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, REPO, RunResult, Workspace, ensureTools } from "./driver";
import { Builder, RegistryClient, builderEnv, configureRealBuilds, ensureBuilder, stopBuilder } from "./builder";
import { CLI_TIMEOUT, STACK, configure, openStack } from "./localStack";
import { ContainerEvent, RealCaprover, RealDocker, configureForRealServer, eventLine, ensureRealCaprover, stopRealCaprover } from "./realCaprover";

export interface RealStack {
    builder: Builder;
    real: RealCaprover;
    docker: RealDocker;
    registry: RegistryClient;
    ws: Workspace;
    /** The build context: a copy of app/ a scenario may change release by release. */
    context: string;
}

/** A scenario's run on the shared server: its apps' names and its images' registry namespace, apart from every other run's. */
export interface RealRun {
    /** The run's own part of every name (this process and the time). */
    id: string;
    /** App names start with it: `<head><id>-`. */
    prefix: string;
    /** The registry namespace of its images: `real-<id>`. */
    namespace: string;
    /** The app of a service: `<prefix><service>`. */
    app(service: string): string;
}

/** A new run's names; `head` starts its app names (each scenario file has its own). */
export function realRun(head: string): RealRun {
    const id = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const prefix = `${head}${id}-`;
    return { id, prefix, namespace: `real-${id}`, app: (service) => `${prefix}${service}` };
}

/**
 * A new release of every image: the build context's release note changes (and each file of
 * `files`, by path in the context), so every target's digest does; the stack builds it as `commit`.
 */
export async function newRelease(s: Pick<RealStack, "ws" | "context">, commit: string, files: Record<string, string> = {}): Promise<void> {
    fs.writeFileSync(path.join(s.context, "release-note.txt"), `${commit}\n`);
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(s.context, file), text);
    await configure(s.ws, "set", "site:commitSha", commit);
}

/** Everything a real-server scenario needs, its stack configured for `commit`'s builds. */
export async function openRealStack(opts: { namespace: string; prefix: string; commit: string }): Promise<RealStack> {
    await ensureTools();
    const builder = await ensureBuilder();
    const real = await ensureRealCaprover();
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "real-context-"));
    fs.cpSync(path.join(REPO, "app"), context, { recursive: true });
    const ws = await openStack({ url: real.url, probeAddress: real.nginx, password: real.password }, { env: builderEnv(builder) });
    await configureRealBuilds(ws, builder, opts.namespace, opts.commit);
    await configure(ws, "set", "site:buildContext", context);
    await configure(ws, "set", "site:appNamePrefix", opts.prefix);
    await configureForRealServer(ws, { broker: await new RegistryClient(builder.registry).pinned(builder.brokerImage) });
    return { builder, real, docker: new RealDocker(real.dockerHost), registry: new RegistryClient(builder.registry), ws, context };
}

/** An up on the real server: the CLI's result, the engine's events, and what Docker did meanwhile. */
export interface RealUp {
    r: RunResult;
    events: EngineEvent[];
    /** The container events of the run's services during the up (with `seen` only). */
    containers: ContainerEvent[];
    /**
     * When the up failed (with `seen`): those events and the tasks of the run's services after it, in
     * Docker's words, for a failure's message; "" otherwise. A release task's app is gone by then (the
     * provider removes it), so its container events are all that is left of it.
     */
    onDocker: string;
}

/** `pulumi up` of the stack, failing or not (a real server's deploys take minutes); `seen`: the run whose containers Docker's events are recorded for. */
export async function upOnRealServer(ws: Workspace, seen?: { docker: RealDocker; prefix: string }): Promise<RealUp> {
    const watch = seen?.docker.watch(new RegExp(`^${seen.prefix}`));
    try {
        const { result, events } = await ws.events(["up", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT, allowFailure: true });
        const containers = watch?.events ?? [];
        if (!seen || result.code === 0) return { r: result, events, containers, onDocker: "" };
        const start = containers[0]?.timeNano ?? 0;
        const lines = containers.map((e) => `+${((e.timeNano - start) / 1e9).toFixed(1)}s ${eventLine(e)}`);
        const tasks = await seen.docker.tasks(seen.prefix).catch((e: Error) => `(docker service ps failed: ${e.message})`);
        return { r: result, events, containers, onDocker: `\nDocker's container events during the up:\n  ${lines.join("\n  ") || "(none)"}\nthe tasks after it:\n${tasks}` };
    } finally {
        await watch?.stop();
    }
}

/** Destroys the stack's apps and leaves the machine as found (servers stopped only if this run started them). */
export async function closeRealStack(s: Partial<RealStack>): Promise<void> {
    if (s.ws) await s.ws.pulumi(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT, allowFailure: true });
    s.ws?.dispose();
    if (s.context) fs.rmSync(s.context, { recursive: true, force: true });
    await stopRealCaprover(s.real);
    await stopBuilder(s.builder);
}
