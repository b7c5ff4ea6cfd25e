/**
 * The runtime of everything the engine starts: Node.js 24 from .tools/ (scripts/tools/node/pin,
 * installed by scripts/ensure-tools.sh), whatever node the system has. A throwaway program reports
 * the Node.js that runs it and the one that runs its dynamic provider, through a real `pulumi up`;
 * the CapRover provider's and the policy pack's launchers run the `node` first on the same PATH.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { POLICY_PACK, REPO, Workspace, engineNode, ensureTools } from "../../scripts/engine/driver";
import { CLI_TIMEOUT } from "../../scripts/engine/localStack";

/** The version ensure-tools installs, unless SITE_TOOLS_NODE names another node. */
function expectedVersion(): string {
    if (process.env.SITE_TOOLS_NODE) return execFileSync(process.env.SITE_TOOLS_NODE, ["--version"], { encoding: "utf8" }).trim();
    const pin = fs.readFileSync(path.join(REPO, "scripts", "tools", "node", "pin"), "utf8");
    return `v${/^version=(\S+)$/m.exec(pin)![1]}`;
}

describe("engine: the program, its providers and the policy pack run on the pinned Node.js", function () {
    this.timeout(5 * CLI_TIMEOUT);
    let dir: string;
    let ws: Workspace;

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-runtime-probe-"));
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "runtime-probe", main: "index.js" }));
        fs.writeFileSync(
            path.join(dir, "index.js"),
            [
                'const pulumi = require("@pulumi/pulumi");',
                "const provider = { async create() { return { id: 'runtime', outs: { node: process.version } }; } };",
                'const probe = new pulumi.dynamic.Resource(provider, "runtime", { node: undefined });',
                "exports.program = process.version;",
                "exports.provider = probe.node;",
            ].join("\n"),
        );
        ws = await Workspace.create({ project: { name: "runtime-probe", runtime: { name: "nodejs", options: { typescript: false } } }, main: dir });
        await ws.pulumi(["stack", "init", "probe", "--secrets-provider", "passphrase"], { timeoutMs: CLI_TIMEOUT });
    });

    after(() => {
        ws?.dispose();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the node first on the engine's PATH is .tools/bin/node, the pinned version, not the system's", async () => {
        const node = engineNode(await ensureTools());
        expect(node.version).to.equal(expectedVersion());
        expect(node.version).to.match(/^v24\./);
        expect(path.basename(path.dirname(node.path))).to.equal("bin");
        // The launchers say `node`: the same lookup, in the environment the engine gives them.
        const launched = execFileSync("sh", ["-c", "command -v node && node --version"], { env: ws.env, encoding: "utf8" }).trim().split("\n");
        expect(launched).to.deep.equal([node.path, node.version]);
        for (const launcher of [POLICY_PACK, path.join(REPO, "provider", "pulumi-resource-caprover")]) expect(fs.readFileSync(launcher, "utf8")).to.match(/^(cd "\$dir" && )?exec node /m);
    });

    it("`pulumi up` (with the policy pack): the program and its dynamic provider report that version", async () => {
        await ws.pulumi(["up", "--stack", "probe", "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        const outputs = await ws.json<{ program: string; provider: string }>(["stack", "output", "--stack", "probe"], { timeoutMs: CLI_TIMEOUT });
        expect(outputs).to.deep.equal({ program: expectedVersion(), provider: expectedVersion() });
    });
});
