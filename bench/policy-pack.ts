/**
 * Benchmark (not a test): what the policy pack adds to a preview. `pulumi preview` of a stack
 * without a policy pack, with the shipped launcher (policy/pulumi-analyzer-site: plain node, the
 * compiled pack), and with a launcher through @pulumi/pulumi's run-policy-pack (which loads ts-node
 * and TypeScript before the same compiled pack), alternating in one run, as medians.
 *
 *   npm run bench:policy-pack -- [--runs N] [--stack dev]
 *
 * Temporary file backend, test-only passphrase; plugins this machine cannot build are named in
 * SITE_UNAVAILABLE_PLUGINS, as `npm run preview` does.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { POLICY_PACK, REPO, Workspace, ensureTools, unavailablePlugins } from "../scripts/engine/driver";

function parse(argv: string[]): { runs: number; stack: string } {
    const out = { runs: 5, stack: "dev" };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--runs") out.runs = Math.max(1, Math.round(Number(argv[++i])) || 0);
        else if (argv[i] === "--stack") out.stack = String(argv[++i]);
        else throw new Error(`unknown argument ${argv[i]}; usage: bench:policy-pack -- [--runs N] [--stack dev]`);
    }
    return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
    const o = parse(process.argv.slice(2));
    const missing = unavailablePlugins(await ensureTools());
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "site-bench-pack-"));
    // The launcher the issue first tried: run-policy-pack, from the pack's folder, on the compiled pack.
    const viaRunPolicyPack = path.join(scratch, "run-policy-pack-launcher");
    const runPolicyPack = path.join(REPO, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    fs.writeFileSync(viaRunPolicyPack, `#!/bin/sh\ncd ${JSON.stringify(path.dirname(POLICY_PACK))} && exec node ${JSON.stringify(runPolicyPack)} "$@" .\n`, { mode: 0o755 });
    const variants: Record<string, string[]> = {
        "no policy pack": [],
        "pack, shipped launcher (plain node)": ["--policy-pack", POLICY_PACK],
        "pack, run-policy-pack launcher": ["--policy-pack", viaRunPolicyPack],
    };
    const ws = await Workspace.create({ stackFiles: ["Pulumi.dev.yaml", `Pulumi.${o.stack}.yaml`], env: { SITE_UNAVAILABLE_PLUGINS: missing.join(",") }, policyPack: false });
    try {
        for (const s of new Set(["dev", o.stack])) await ws.pulumi(["stack", "init", s, "--secrets-provider", "passphrase"]);
        const preview = (extra: string[]) => ws.pulumi(["preview", "--stack", o.stack, ...extra]);
        // One untimed round: OS file cache, TypeScript's first load.
        for (const extra of Object.values(variants)) await preview(extra);
        const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
        for (let i = 0; i < o.runs; i++) for (const [k, extra] of Object.entries(variants)) times[k].push((await preview(extra)).ms);
        const base = median(times["no policy pack"]);
        console.log(`pulumi preview --stack ${o.stack}, ${o.runs} alternating runs each (medians), CLI and plugins from .tools:`);
        for (const [k, xs] of Object.entries(times)) {
            const delta = median(xs) - base;
            console.log(`  ${k}: ${seconds(median(xs))} s${k === "no policy pack" ? "" : ` (${delta >= 0 ? "+" : ""}${seconds(delta)} s)`}  [${xs.map(seconds).join(", ")}]`);
        }
    } finally {
        ws.dispose();
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
