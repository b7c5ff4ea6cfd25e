/**
 * The mock harness: runs the program under Pulumi mocks, returning every registered resource with
 * its URN and the inputs it was given, and compares two runs the way `pulumi preview` would.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered. */
export interface Registered {
    urn: string;
    type: string;
    name: string;
    /** Inputs as the engine received them (secrets unwrapped into their plaintext, marked in `secretKeys`). */
    inputs: Record<string, unknown>;
    /** URNs of the resources it waits for (its dependsOn and the resources its inputs come from), as the engine is told. */
    dependsOn: string[];
    /** A component's registered outputs (empty for other resources). */
    outputs: Record<string, unknown>;
}

/** Dependencies each registration named, by URN (the mocks' newResource is not told them). */
const dependencies = new Map<string, string[]>();

type MockMonitor = { registerResource(req: any, cb: unknown): unknown; newUrn(parent: string, type: string, name: string): string };

/** Records, for every registration, the URNs the engine is told it depends on. */
function recordDependencies(): void {
    dependencies.clear();
    const monitor = (pulumi.runtime as unknown as { getMonitor(): MockMonitor }).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        dependencies.set(monitor.newUrn(req.getParent(), req.getType(), req.getName()), req.getDependenciesList());
        return register(req, cb);
    };
}

/** Outputs of the stacks a program reads through a StackReference, by stack name (tests set them). */
export const referencedStacks: Record<string, Record<string, unknown>> = {};

/** A deterministic fake digest of a name. */
export function fakeDigest(name: string): string {
    return "sha256:" + crypto.createHash("sha256").update(name).digest("hex");
}

/** Fake provider outputs, so outputs that feed other resources resolve. */
function fakeOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    if (args.type === "docker-build:index:Image") {
        // A new target is a new build: the digest depends on it, as a real build's would.
        const digest = fakeDigest(`${args.name}/${args.inputs.target}`);
        return { digest, ref: `${(args.inputs.tags ?? [""])[0]}@${digest}` };
    }
    if (args.type === "pulumi:pulumi:StackReference") {
        return { outputs: referencedStacks[String(args.inputs.name)] ?? {}, secretOutputNames: [] };
    }
    if (args.type === "caprover:index:App") {
        // What the provider reports after a successful (health-gated) deploy.
        return { deployedImage: args.inputs.image };
    }
    return {};
}

/** Fake invoke results: registry lookups answer a digest, GitHub user lookups a numeric id. */
function fakeCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
        case "docker:index/getRegistryImage:getRegistryImage":
            return { ...args.inputs, sha256Digest: fakeDigest(String(args.inputs.name)) };
        case "github:index/getUser:getUser":
            return { ...args.inputs, id: String(parseInt(fakeDigest(String(args.inputs.username)).slice(7, 13), 16)) };
        default:
            return args.inputs;
    }
}

/**
 * Runs `program` under mocks for `stack` and returns what it registered, in URN order.
 * `preview` selects dry-run semantics.
 */
export async function runProgram<T>(stack: string, program: () => T | Promise<T>, preview = false): Promise<{ resources: Registered[]; outputs: T }> {
    let registrations = 0;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registrations++;
                const state = { ...args.inputs, ...fakeOutputs(args) };
                return { id: args.custom ? `${args.name}-id` : undefined, state: { ...state, __inputs: args.inputs } };
            },
            call: fakeCall,
        },
        "site",
        stack,
        preview,
        // What the file backend calls every stack's organisation: a stack reads its own last release as organization/site/<stack>.
        "organization",
    );
    recordDependencies();
    const outputs = await program();
    // Wait until every registration and output has settled.
    await settle(outputs);
    const resources = registeredResources();
    // The mock monitor keys resources by URN, so a second resource with the same URN would silently
    // replace the first; the real engine rejects it. Fail here as the engine would.
    if (resources.length !== registrations) {
        throw new Error(`${registrations} resources registered under ${resources.length} URNs: two resources share a URN`);
    }
    return { resources, outputs };
}

/** What the current mock run has registered so far, in URN order (also after the program failed). */
export function registeredResources(): Registered[] {
    const monitor = (pulumi.runtime as unknown as { getMonitor(): { getRegisteredResources(): Map<string, { urn: string; state: Record<string, unknown> }> } }).getMonitor();
    const resources = [...monitor.getRegisteredResources().values()].map((r) => {
        const parts = r.urn.split("::");
        // A component's registered outputs arrive as the protobuf Struct of the request.
        const raw = r.state as { toJavaScript?: () => Record<string, unknown> };
        const state = unwrap(typeof raw.toJavaScript === "function" ? raw.toJavaScript() : raw) as Record<string, unknown>;
        const custom = "__inputs" in state;
        return {
            urn: r.urn,
            type: parts[2].split("$").pop()!,
            name: parts[3],
            inputs: (state.__inputs ?? {}) as Record<string, unknown>,
            dependsOn: dependencies.get(r.urn) ?? [],
            outputs: custom ? {} : state,
        };
    });
    resources.sort((a, b) => a.urn.localeCompare(b.urn));
    return resources;
}

/** Resolves every Output inside a value (deeply). */
export async function resolve(value: unknown): Promise<unknown> {
    // The SDK's own resolution (not in its typings), keeping unknowns rather than waiting forever on them.
    const output = pulumi.output(value as pulumi.Input<object>) as unknown as { promise(withUnknowns: boolean): Promise<unknown> };
    return output.promise(true);
}

async function settle(value: unknown): Promise<void> {
    await resolve(value);
    const waitForRPCs = require("@pulumi/pulumi/runtime/settings").waitForRPCs as () => Promise<void>;
    await waitForRPCs();
}

/** Turns serialized secrets (`{4dabf18193072939515e22adb298388d: ..., value}`) into plain values, marked `{secret: value}`. */
function unwrap(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrap);
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return { secret: unwrap(o.value) };
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** Counts resources by type. */
export function countByType(resources: Registered[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

/** What changes between two runs of a program: URNs gone, URNs new, and changed input fields. */
export interface ResourceDiff {
    removed: string[];
    added: string[];
    /** URN to the names of the top-level inputs that differ. */
    changed: Record<string, string[]>;
}

function canonical(value: unknown): string {
    return JSON.stringify(value, (_k, v) =>
        v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
    );
}

/** `command:local:Command::flower-retag`: a URN's own type and name. */
export function shortUrn(urn: string): string {
    return urn.split("::").slice(2).join("::").replace(/^.*\$/, "");
}

/** Compares two resource sets the way `pulumi preview` would: by URN, then input by input. */
export function diffResources(before: Registered[], after: Registered[]): ResourceDiff {
    const a = new Map(before.map((r) => [r.urn, r]));
    const b = new Map(after.map((r) => [r.urn, r]));
    const changed: Record<string, string[]> = {};
    for (const [urn, r] of a) {
        const next = b.get(urn);
        if (!next) continue;
        const keys = [...new Set([...Object.keys(r.inputs), ...Object.keys(next.inputs)])].sort();
        const differing = keys.filter((k) => canonical(r.inputs[k]) !== canonical(next.inputs[k]));
        if (differing.length > 0) changed[urn] = differing;
    }
    return {
        removed: [...a.keys()].filter((u) => !b.has(u)),
        added: [...b.keys()].filter((u) => !a.has(u)),
        changed,
    };
}
