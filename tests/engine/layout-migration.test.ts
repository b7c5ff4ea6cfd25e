/**
 * The source layout moved (configuration to config/, components grouped by what they manage, the
 * stack in stack/) and two components were renamed: CapRoverApps is SiteApps and ScheduledWorkflow
 * is WorkflowFile. A stack deployed by the program before the move must see no replacement and no
 * deletion afterwards: the renamed types carry aliases, and their children follow them.
 *
 * The state is made by the real program as it stood before the move (its commit, from this
 * repository's history) with its own stack file, then the program of this checkout previews and
 * updates the same stack. The one change it makes is one the old program could not: every app's
 * serviceUpdateOverride (limits and update order), written in place without a redeploy.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CapRoverEmulator } from "../../emulator/caprover";
import { PreviewJson, REPO, Workspace, ensureTools, run } from "../../scripts/engine/driver";
import { changedSteps, differingKeys, errorsOf, shortName, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, openLocalStack } from "../../scripts/engine/localStack";

/** The last commit of the old layout. */
const BEFORE_MOVE = "df04686e60532ec055e759638afbde241e4f70eb";
const stack = ["--stack", STACK];
const APPS = ["celery", "celerybeat", "flower", "web"];

describe("engine: a stack deployed before the layout move", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    let old: string;

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        // The old program, as committed, beside this checkout's node_modules (same packages).
        old = fs.mkdtempSync(path.join(os.tmpdir(), "site-before-move-"));
        const archive = await run("git", ["archive", "--format=tar", "-o", path.join(old, "src.tar"), BEFORE_MOVE], { cwd: REPO });
        expect(archive.code).to.equal(0);
        await run("tar", ["-xf", "src.tar"], { cwd: old });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(old, "node_modules"));
        ({ emulator, ws } = await openLocalStack({ main: old }));
    });

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
    });

    it("previews with the moved program: no replacement, no deletion, only the apps' new serviceUpdateOverride", async () => {
        ws.useProgram(REPO);
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        const changed = preview.steps.filter((s) => s.op !== "same");
        expect(changed.map((s) => `${s.op} ${shortName(s.urn)}`).sort()).to.deep.equal(APPS.map((s) => `update CapRoverApp::${s}`));
        for (const step of changed) expect(differingKeys(step.oldState?.inputs, step.newState?.inputs), step.urn).to.deep.equal(["serviceUpdateOverride"]);
        // The apps are found under the renamed component through its alias: the same resources.
        const { events } = await ws.events(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        const apps = events.map((e) => e.resOutputsEvent?.metadata).filter((m) => m?.type === "pulumi-nodejs:dynamic/caprover:CapRoverApp");
        expect(apps.map((m) => `${m!.op} ${m!.urn.split("::")[2]}::${m!.urn.split("::")[3]}`).sort()).to.deep.equal(
            APPS.map((s) => `update site:caprover:SiteApps$pulumi-nodejs:dynamic/caprover:CapRoverApp::${s}`),
        );
    });

    it("updates with the moved program without redeploying an app, and the state then holds the new names", async () => {
        const deploys = () => [...emulator.apps.values()].map((a) => `${a.def.appName}:${a.def.versions.length}`).sort();
        const before = deploys();
        const { events } = await ws.events(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        expect(errorsOf(events)).to.deep.equal([]);
        expect(changedSteps(events)).to.deep.equal(APPS.map((s) => `update CapRoverApp::${s}`));
        expect(deploys()).to.deep.equal(before);
        expect(emulator.app("local-celerybeat")?.serviceUpdateOverride).to.equal('{"UpdateConfig":{"Order":"stop-first"}}');
        const exported = (await ws.pulumi(["stack", "export", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout;
        expect(exported).not.to.include("site:caprover:CapRoverApps");
        expect(exported).to.include("site:caprover:SiteApps");
    });
});
