/**
 * Rehearsal of Flower on demand through the real engine, on the `local` stack against the CapRover
 * emulator: under a profile without Flower, `site:onDemand: [flower]` (with its expiry) plans
 * exactly one app added (local leaves GitHub alone: no secrets), `pulumi up` creates it; past its
 * expiry the same setting plans its removal (the sweep); removing the setting plans exactly the
 * inverse of adding it, and `pulumi up` leaves the server as it was before.
 *
 * One scenario, in order; after a failure the remaining steps are skipped.
 */
import { expect } from "chai";
import type { AppDefinition } from "../../provider/src/api/types";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { EngineEvent, PreviewJson, Workspace, ensureTools } from "../../scripts/engine/driver";
import { utcIn } from "../support/onDemand";
import { changedSteps, isChange, shortName } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, configure, openLocalStack } from "../../scripts/engine/localStack";
import { inOrder, operation } from "./scenario";

const stack = ["--stack", STACK];

describe("engine: Flower on demand on the local stack (rehearsal)", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    /** The server's apps before Flower was opened. */
    let closedApps: Record<string, AppDefinition>;
    /** What opening planned: `op App::flower`, ... */
    let opening: string[];

    const config = (...args: string[]) => configure(ws, ...args);
    const apps = (): Record<string, AppDefinition> => Object.fromEntries([...emulator.apps.keys()].sort().map((name) => [name, emulator.app(name)!]));
    const plan = async (): Promise<{ changes: string[]; preview: PreviewJson }> => {
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        return { changes: preview.steps.filter((s) => isChange(s.op)).map((s) => `${s.op} ${shortName(s.urn)}`).sort(), preview };
    };
    const up = (): Promise<EngineEvent[]> => operation(ws, ["up"]);

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        // Phase 1 of the seed documents: Flower out of the profile (its digest stays in the stack file, for on demand).
        ({ emulator, ws } = await openLocalStack({ config: [{ key: "site:topology", value: "essential" }] }));
    });

    inOrder(async () => {
        ws?.dispose();
        await emulator?.close();
    });

    it("pulumi up under essential: three apps, no Flower", async () => {
        await up();
        closedApps = apps();
        expect(Object.keys(closedApps)).to.deep.equal(["local-celery", "local-celerybeat", "local-web"]);
    });

    it("site:onDemand: [flower] with an expiry plans exactly one app added (and its image component); no secrets on local", async () => {
        await config("set", "--path", "site:onDemand[0]", "flower");
        await config("set", "site:onDemandUntil", utcIn(60));
        const { changes, preview } = await plan();
        opening = changes;
        expect(changes).to.deep.equal(["create App::flower", "create ServiceImage::flower"]);
        expect(preview.changeSummary).to.include({ create: 2 });
        expect(preview.steps.filter((s) => isChange(s.op) && s.urn.includes("github"))).to.deep.equal([]);
    });

    it("pulumi up opens Flower: the app exists, behind HTTP auth; the other apps are untouched", async () => {
        const events = await up();
        expect(changedSteps(events)).to.deep.equal(opening);
        expect(Object.keys(apps())).to.deep.equal(["local-celery", "local-celerybeat", "local-flower", "local-web"]);
        expect(emulator.app("local-flower")!.httpAuth?.user).to.equal("admin");
        for (const [name, def] of Object.entries(closedApps)) expect(emulator.app(name), name).to.deep.equal(def);
    });

    it("past its expiry the same setting plans Flower's removal (what the sweep's `pulumi up` does), with a warning", async () => {
        await config("set", "site:onDemandUntil", utcIn(-1));
        const { changes, preview } = await plan();
        expect(changes).to.deep.equal(opening.map((c) => c.replace(/^create /, "delete ")));
        expect(JSON.stringify(preview.diagnostics ?? [])).to.include("site:onDemand: flower expired at");
    });

    it("removing the setting plans exactly the inverse of adding it, and pulumi up leaves the server as it was", async () => {
        await config("rm", "site:onDemand");
        await config("rm", "site:onDemandUntil");
        const { changes } = await plan();
        expect(changes).to.deep.equal(opening.map((c) => c.replace(/^create /, "delete ")));
        const events = await up();
        expect(changedSteps(events)).to.deep.equal(changes);
        expect(apps()).to.deep.equal(closedApps);
        expect((await plan()).changes, "nothing left to do").to.deep.equal([]);
    });

    it("pulumi destroy leaves the emulator empty", async () => {
        await operation(ws, ["destroy"]);
        expect(Object.keys(apps())).to.deep.equal([]);
    });
});
