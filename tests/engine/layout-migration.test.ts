/**
 * A stack deployed by the program as it stood before the provider package: its four apps were
 * dynamic-provider resources under `CapRoverApps`. Today they are `caprover:index:App` resources of
 * this repository's provider under `SiteApps` (an alias of the old component). The engine cannot
 * move a resource from one provider to another without replacing it, and replacing deletes the app,
 * so the move is: forget the old app resources (the apps keep running), then one `up` that adopts
 * them (`site:adoptExistingApps`). The test proves that path: no app deleted, no image deployed, and
 * an empty preview once adoption is off again. It is also how a live site moves under Pulumi.
 *
 * The old state is made by the real old program (its commit, from this repository's history).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { PreviewJson, REPO, Workspace, ensureTools, run } from "../../scripts/engine/driver";
import { changedSteps, errorsOf, plannedSteps, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, openLocalStack } from "../../scripts/engine/localStack";
import { inOrder } from "./scenario";

/** The last commit with the dynamic provider (and the old layout). */
const BEFORE_MOVE = "df04686e60532ec055e759638afbde241e4f70eb";
const stack = ["--stack", STACK];

describe("engine: moving a stack deployed with the old dynamic provider, by adoption", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    let old: string;
    /** Deploys per app so far (versions CapRover holds). */
    const deploys = () => Object.fromEntries([...emulator.apps.values()].map((a) => [a.def.appName, a.def.versions.length]));
    let deployedBefore: Record<string, number>;

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        // The old program, as committed, beside this checkout's node_modules (same packages).
        old = fs.mkdtempSync(path.join(os.tmpdir(), "site-before-move-"));
        await run("git", ["archive", "--format=tar", "-o", path.join(old, "src.tar"), BEFORE_MOVE], { cwd: REPO });
        await run("tar", ["-xf", "src.tar"], { cwd: old });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(old, "node_modules"));
        // The old program predates the wait for the placeholder deploy CapRover schedules at register
        // (it would meet 1108): this emulator finishes that deploy before the next request arrives.
        ({ emulator, ws } = await openLocalStack({ main: old, project: YAML.parse(fs.readFileSync(path.join(old, "Pulumi.yaml"), "utf8")), emulator: { placeholderMs: 0 }, policyPack: false })); // no step checks a policy
    });

    inOrder();

    after(async () => {
        ws?.dispose();
        await emulator?.close();
        if (old) fs.rmSync(old, { recursive: true, force: true });
    });

    it("is deployed by the old program: four apps", async () => {
        const { events } = await ws.events(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        expect(errorsOf(events)).to.deep.equal([]);
        expect(summaryOf(events)?.result).to.equal("succeeded");
        expect([...emulator.apps.keys()].sort()).to.deep.equal(["local-celery", "local-celerybeat", "local-flower", "local-web"]);
        deployedBefore = deploys();
    });

    it("forgets the old app resources without touching the apps", async () => {
        const exported = JSON.parse((await ws.pulumi(["stack", "export", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout) as { deployment: { resources: { urn: string; type: string }[] } };
        const dynamic = exported.deployment.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
        expect(dynamic).to.have.length(4);
        for (const r of dynamic) await ws.pulumi(["state", "delete", r.urn, ...stack, "--yes", "--force"], { timeoutMs: CLI_TIMEOUT });
        expect(deploys()).to.deep.equal(deployedBefore);
    });

    it("adopts the four running apps with today's program: nothing deleted, no image deployed", async () => {
        ws.useProgram(REPO);
        await ws.pulumi(["config", "set", "site:adoptExistingApps", "true", ...stack], { timeoutMs: CLI_TIMEOUT });
        const { events } = await ws.events(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        expect(errorsOf(events)).to.deep.equal([]);
        const apps = changedSteps(events).filter((s) => / App::/.test(s));
        expect(apps).to.deep.equal(["create App::celery", "create App::celerybeat", "create App::flower", "create App::web"]);
        expect(changedSteps(events).filter((s) => s.startsWith("delete"))).to.deep.equal([]);
        // Same apps, same images: CapRover deployed nothing new.
        expect(deploys()).to.deep.equal(deployedBefore);
        // The old component is found through its alias: the same resource, not a new one.
        expect(changedSteps(events).some((s) => s.includes("SiteApps::"))).to.equal(false);
    });

    it("previews nothing to change once adoption is off again", async () => {
        await ws.pulumi(["config", "set", "site:adoptExistingApps", "false", ...stack], { timeoutMs: CLI_TIMEOUT });
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        // Reads (the stack's own last release) change nothing.
        expect(plannedSteps(preview)).to.deep.equal([]);
    });
});
