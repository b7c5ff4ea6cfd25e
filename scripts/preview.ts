/**
 * The main job: `npm run preview [-- <stack> [pulumi preview flags...]]` runs `pulumi preview` of a
 * stack (default: dev) on a file state backend inside the repository, with no cloud account and no
 * credentials.
 *
 * - Tools: scripts/ensure-tools.sh provides the Pulumi CLI and plugins (building them from Go
 *   modules the first time: minutes on 2 cores; about a second afterwards).
 * - State: .pulumi-state/ (git-ignored). The stack is created there on first use, with the
 *   passphrase secrets provider and the dev-only passphrase below unless PULUMI_CONFIG_PASSPHRASE
 *   is set. It protects nothing: local previews hold no real secret.
 * - The tracked Pulumi.<stack>.yaml is never modified: the engine runs on a project copy in
 *   .pulumi-state/project/ whose `main` points back at this repository (scripts/engine/driver.ts).
 * - Resource plugins that cannot be built on this machine are named to the program
 *   (SITE_UNAVAILABLE_PLUGINS): it leaves the parts that need them out of the preview, saying so.
 * - The policy pack (policy/, compiled when stale) runs on the plan: a mandatory violation fails it.
 */
import * as fs from "fs";
import * as path from "path";
import { POLICY_PACK, REPO, Workspace, engineNode, ensureTools, run, unavailablePlugins } from "./engine/driver";

/** Dev-only passphrase, documented in docs/running-here.md: local previews hold no real secret. */
const LOCAL_PREVIEW_PASSPHRASE = "site-local-preview-only";

function fail(message: string): never {
    process.stderr.write(`npm run preview: ${message}\n`);
    process.exit(1);
}

async function main(argv: string[]): Promise<number> {
    const [stack = "dev", ...flags] = argv;
    const stackFile = path.join(REPO, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        const stacks = fs.readdirSync(REPO).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s) => s !== undefined);
        process.stderr.write(`npm run preview: no stack file Pulumi.${stack}.yaml; stacks here: ${stacks.join(" ")}\n`);
        return 2;
    }
    const tools = await ensureTools({ progress: true }).catch((e: Error) =>
        fail(
            "the Pulumi CLI is missing and could not be built.\n" +
                "  What is needed: a `pulumi` CLI (>= 3.277), the Node.js language host `pulumi-language-nodejs`,\n" +
                "  and the launcher `pulumi-resource-pulumi-nodejs`. scripts/ensure-tools.sh builds them from the\n" +
                "  Go module proxy into .tools/ (needs `go` >= 1.25 and the proxy); its messages say what failed:\n" +
                e.message,
        ),
    );
    const node = engineNode(tools);
    process.stderr.write(`npm run preview: Node.js ${node.version} (${path.relative(REPO, node.path) || node.path}) runs the program, the CapRover provider and the policy pack; this script runs on ${process.version}\n`);
    const missing = unavailablePlugins(tools);
    if (missing.length > 0) process.stderr.write(`npm run preview: plugins not available on this machine: ${missing.join(",")} (the parts needing them are left out, with a warning)\n`);

    const state = path.join(REPO, ".pulumi-state");
    const ws = await Workspace.create({
        root: state,
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? LOCAL_PREVIEW_PASSPHRASE,
        env: { SITE_UNAVAILABLE_PLUGINS: missing.join(",") },
        inheritCallerEnv: true,
    });
    const announce = (s: string) => () => process.stderr.write(`npm run preview: creating stack ${s} in ${state} (passphrase secrets provider)\n`);
    // A stack that promotes from another reads it through a StackReference: it must exist (a preview
    // of a never-deployed source shows the promoted images unknown).
    const text = fs.readFileSync(stackFile, "utf8");
    // Parsed only when it can promote: YAML's loading is a good part of this script's own time.
    const source = text.includes("site:promoteFrom") ? ((require("yaml") as typeof import("yaml")).parse(text) as { config?: Record<string, unknown> }).config?.["site:promoteFrom"] : undefined;
    if (typeof source === "string" && fs.existsSync(path.join(REPO, `Pulumi.${source}.yaml`))) await ws.ensureStack(source, announce(source));
    await ws.ensureStack(stack, announce(stack));
    // The policy pack (policy/) judges the plan; its results print under "Policies:".
    const r = await run("pulumi", ["preview", "--stack", stack, "--policy-pack", POLICY_PACK, "--non-interactive", ...flags], { cwd: ws.project, env: ws.env, inherit: true, allowFailure: true, timeoutMs: 30 * 60_000 });
    return r.code;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => fail(e.message),
);
