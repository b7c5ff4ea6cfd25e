/**
 * Dev's `release` output says which profile it ran and deployed; a promoting prod trusts it only
 * because a failed `pulumi up` does not rewrite it. Through the engine: the local stack deploys
 * split, then a flip to unified whose celery image fails to deploy; the release still names split,
 * deployed, with split's images.
 */
import { expect } from "chai";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { Workspace, ensureTools } from "../../scripts/engine/driver";
import { CLI_TIMEOUT, STACK, openLocalStack } from "../../scripts/engine/localStack";
import type { ReleaseManifest } from "../../components/images/imageRelease";

const stack = ["--stack", STACK];
const FAILING = `ghcr.io/aaronspindler/aaronspindler.com-celery@sha256:${"9".repeat(64)}`;

describe("engine: a failed up leaves the last deployed release", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    const release = async () => JSON.parse((await ws.pulumi(["stack", "output", "release", "--json", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout) as ReleaseManifest;

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        ({ emulator, ws } = await openLocalStack({ emulator: { failingImages: [FAILING] }, policyPack: false })); // no step checks a policy
    });

    after(async () => {
        ws?.dispose();
        await emulator?.close();
    });

    it("exports split, deployed, after a successful up; still the same after a flip whose deploy failed", async () => {
        await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        const deployed = await release();
        expect(deployed).to.deep.include({ profile: "split", deployed: true });
        await ws.pulumi(["config", "set", "site:topology", "unified", ...stack], { timeoutMs: CLI_TIMEOUT });
        await ws.pulumi(["config", "set", "--path", "site:imageDigests.celery.celery-unified", FAILING, ...stack], { timeoutMs: CLI_TIMEOUT });
        const failed = await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(failed.code).to.not.equal(0);
        expect(`${failed.stdout}${failed.stderr}`).to.include("the deploy failed");
        expect(await release()).to.deep.equal(deployed);
    });
});
