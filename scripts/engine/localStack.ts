/**
 * The `local` stack (Pulumi.local.yaml) in a temporary workspace, pointed at an emulator on
 * 127.0.0.1 started for the run: what the engine tests and `npm run rehearse` start from.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { CapRoverEmulator, EmulatorOptions } from "../../provider/emulator/caprover";
import { declarations } from "../../config/declarations";
import { REPO, RunResult, Workspace } from "./driver";

// LOCAL-ONLY values: they exist only for this run's emulator and temporary state.
export const EMULATOR_PASSWORD = "emu-test-only-pw-1f3a";
export const FLOWER_PASSWORD = "flower-test-only-pw-7c2e";

export const STACK = "local";
export const STACK_FILE = `Pulumi.${STACK}.yaml`;
/** Per-call bound of the CLI (each takes seconds here, a minute or two on a machine loaded many times over; the bound only stops a hang). */
export const CLI_TIMEOUT = 600_000;

export interface LocalStackOptions {
    /** Program directory (default: this repository). */
    main?: string;
    /** Project settings of that program (default: this repository's Pulumi.yaml). */
    project?: Record<string, unknown>;
    /** Directory whose Pulumi.local.yaml the stack uses (default: `main`'s, else this repository's). */
    stackFileFrom?: string;
    /** Emulator settings (deploy and start times, ...); the password is the one above. */
    emulator?: Partial<EmulatorOptions>;
    /** Further environment of every command (e.g. DOCKER_CONFIG of a builder). */
    env?: Record<string, string>;
    /**
     * Run the policy pack on every `preview` and `up` (default: yes, as CI and `npm run preview` do).
     * A scenario that checks no policy may leave it out: the pack costs about 0.8 s of every
     * operation (its start, then the analysis of each resource, which the engine waits for).
     */
    policyPack?: boolean;
    /**
     * Further values the stack starts with, set with the server's in the same `config set-all` per
     * kind (configureAll): each `pulumi config set` of its own costs a CLI start.
     */
    config?: ConfigValue[];
}

/** The CapRover server a stack deploys to: the emulator, or the real one (scripts/engine/realCaprover.ts). */
export interface StackServer {
    url: string;
    /** `host:port` health probes connect to (the emulator itself, or captain-nginx). */
    probeAddress: string;
    password: string;
}

/** A workspace whose `local` stack deploys to `server`. */
export async function openStack(server: StackServer, opts: Omit<LocalStackOptions, "emulator"> = {}): Promise<Workspace> {
    const ws = await Workspace.create({ main: opts.main, project: opts.project, env: opts.env, policyPack: opts.policyPack });
    fs.copyFileSync(path.join(opts.stackFileFrom ?? opts.main ?? REPO, STACK_FILE), path.join(ws.project, STACK_FILE));
    await ws.pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { timeoutMs: CLI_TIMEOUT });
    // Point the copy at this run's server; the tracked stack file keeps its defaults.
    await configureAll(ws, [
        { key: "site:caproverUrl", value: server.url },
        { key: "site:caproverProbeAddress", value: server.probeAddress },
        { key: "site:caproverPassword", value: server.password, secret: true },
        { key: "site:flowerPassword", value: FLOWER_PASSWORD, secret: true },
        ...(opts.config ?? []),
    ]);
    return ws;
}

/** A started emulator and a workspace whose `local` stack deploys to it. */
/** The local stack's worker and beat apps (its site:appNamePrefix, local-): beat alone (split), else in the worker (unified). */
export const LOCAL_CANARY = { workerApp: "local-celery", beatApp: ["local-celerybeat", "local-celery"] };

export async function openLocalStack(opts: LocalStackOptions = {}): Promise<{ emulator: CapRoverEmulator; ws: Workspace }> {
    // The emulator answers the stand-in's canary (site:canary is on by default) from the local stack's apps.
    const emulator = new CapRoverEmulator({ canary: LOCAL_CANARY, ...opts.emulator, password: EMULATOR_PASSWORD });
    await emulator.start();
    // SSL as this run's server allows: forced where its root domain has a certificate (the emulator's
    // default), off where it has none (the stack file's false is for a real server on this machine).
    // An older program (opts.project) may not know the key.
    const declared = (opts.project?.config as Record<string, unknown> | undefined) ?? Object.fromEntries(Object.keys(declarations()).map((k) => [`site:${k}`, true]));
    const ssl: ConfigValue[] = "site:forceSsl" in declared ? [{ key: "site:forceSsl", value: String(emulator.options.hasRootSsl) }] : [];
    const ws = await openStack({ url: emulator.url, probeAddress: `127.0.0.1:${emulator.port}`, password: EMULATOR_PASSWORD }, { ...opts, config: [...ssl, ...(opts.config ?? [])] });
    return { emulator, ws };
}

/** `pulumi config <args>` on the local stack. */
export function configure(ws: Workspace, ...args: string[]): Promise<RunResult> {
    return ws.pulumi(["config", ...args, "--stack", STACK], { timeoutMs: CLI_TIMEOUT });
}

/** One value `pulumi config set` would set: `path` as its `--path`, `secret` as its `--secret`. */
export interface ConfigValue {
    key: string;
    value: string;
    secret?: boolean;
    path?: boolean;
    /** A path value kept a string: `set-all --path` stores `5` or `true` as a number or a boolean, and has no `--type`. */
    text?: boolean;
}

/**
 * Sets every value as `pulumi config set` would, in one `pulumi config set-all` per kind (plain
 * keys, then paths): each CLI run costs a start and, on a passphrase stack, a key derivation
 * (PBKDF2, a million rounds), which the engine tier paid once per value before.
 */
export async function configureAll(ws: Workspace, values: ConfigValue[]): Promise<void> {
    for (const path of [false, true]) {
        const group = values.filter((v) => (v.path ?? false) === path && !v.text);
        if (group.length === 0) continue;
        const pairs = group.flatMap((v) => [v.secret ? "--secret" : "--plaintext", `${v.key}=${v.value}`]);
        await configure(ws, "set-all", ...(path ? ["--path"] : []), ...pairs);
    }
    for (const v of values.filter((x) => x.text)) {
        // `--type` excludes `--plaintext` (and `--secret`: a secret is a string anyway).
        await configure(ws, "set", ...(v.path ? ["--path"] : []), ...(v.secret ? ["--secret"] : ["--type", "string"]), v.key, v.value);
    }
}

/**
 * Writes a structured value (an object, an empty list) into the local stack's file, which
 * `pulumi config set` cannot: it sets strings, numbers and booleans, and lists only item by item.
 */
export function setStackValue(ws: Workspace, key: string, value: unknown): void {
    const file = path.join(ws.project, STACK_FILE);
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    doc.config[key] = value;
    fs.writeFileSync(file, stringifyYaml(doc));
}
