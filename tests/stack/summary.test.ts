/**
 * The stack's summary reproduces the seed documents' comparison of a profile against today's four
 * services: services, Dockerfile targets, apps, image builds per push, cleanup jobs, workflows, and
 * the GitHub Actions minutes a push costs, by the seeds' own model.
 */
import { expect } from "chai";
import { actionsMinutes } from "../../stack/actionsMinutes";
import { runSite } from "../support/site";
import { summarize } from "../../stack/summary";
import { PROD_BUILDS, stackConfig } from "../support/stacks";

describe("summary", () => {
    it("counts the accessories apart: monitoring adds its three apps there and leaves the seeds' comparison exact", async () => {
        const summary = async (overrides: Record<string, unknown>) => (await runSite("prod", { ...PROD_BUILDS, topology: "unified", ...overrides })).outputs.summary;
        const off = await summary({});
        const on = await summary({ accessories: ["monitoring"], grafanaPassword: "test-only-grafana" });
        expect(on.comparison).to.deep.equal(off.comparison);
        expect(on.active).to.deep.equal(off.active);
        expect(off.accessories).to.deep.equal({ enabled: [], caproverApps: [], images: [], line: "accessories: 0 CapRover apps, 0 image builds per push" });
        expect(on.accessories).to.deep.include({ enabled: ["monitoring"], caproverApps: ["prometheus", "grafana", "node-exporter"] });
        expect(on.accessories.line).to.equal("accessories: 3 CapRover apps (monitoring: prometheus, grafana, node-exporter), 0 image builds per push");
    });

    it("compares prod under each profile with split, row by row", async () => {
        // Prod building its own images: the same figures as promoting, without reading dev.
        const rows = async (overrides: Record<string, unknown>) => (await runSite("prod", { ...PROD_BUILDS, ...overrides })).outputs.summary.comparison;
        expect(await rows({ topology: "unified" })).to.deep.equal([
            "services: 2 (split: 4)",
            "images: 2 (split: 4)",
            "dockerfileTargets: 2 (split: 4)",
            "caproverApps: 2 (split: 4)",
            "imageBuildsPerPush: 2 (split: 4)",
            "cleanupJobs: 2 (split: 4)",
            "workflows: 5 (split: 5)",
            "workflowsHere: 3 (split: 3)",
            "actionsMinutesPerPush: 31-39 (split: 39-50)",
        ]);
        expect(await rows({ topology: "essential" })).to.include("imageBuildsPerPush: 3 (split: 4)").and.include("actionsMinutesPerPush: 35-44.5 (split: 39-50)");
        expect(await rows({ topology: "single", singleTarget: "all-in-one", mergeCleanups: true })).to.include.members([
            "services: 1 (split: 4)",
            "cleanupJobs: 1 (split: 4)",
            "workflows: 4 (split: 4)",
            "actionsMinutesPerPush: 27-33.5 (split: 39-50)",
        ]);
        const { outputs } = await runSite("prod", { ...PROD_BUILDS, topology: "unified" });
        expect(outputs.summary.active).to.deep.include({
            dockerfileTargets: ["runtime-full", "celery-unified"],
            caproverApps: ["web", "celery"],
            workflows: ["cleanup-containers.yml", "cleanup-old-runs.yml", "codeql.yml", "dependabot-lockfile-regen.yml", "dispatch-tested-commit.yml"],
            workflowsHere: ["infra.yml", "flower.yml", "drift.yml"],
        });
    });

    it("counts the builds and cleanup jobs of the images the stack really pushes and keeps", async () => {
        // The opt-out: dev runs unified and also builds split's three targets for prod: 5 builds, 4 packages (celery's is shared).
        const optOut = (await runSite("dev", { topology: "unified", releaseProfiles: ["split"] })).outputs.summary;
        expect(optOut.comparison).to.include.members(["imageBuildsPerPush: 5 (split: 4)", "cleanupJobs: 4 (split: 4)", "actionsMinutesPerPush: 38-49.5 (split: 39-50)"]);
        // An offline stack generates no workflow, so it cleans nothing.
        const offline = (await runSite("dev", { manageGithub: false })).outputs.summary;
        expect(offline.active).to.include({ cleanupJobs: 0 }).and.deep.include({ workflows: [] });
        expect(offline.active.actionsMinutesPerPush.cleanup).to.deep.equal({ low: 0, high: 0 });
    });

    it("estimates minutes per push with the seeds' figures for the build and deploy steps of 4, 2 and 1 services", () => {
        // Seeds ("Cost Optimization Analysis"): build 6-8 / 4-5 / 3-4 min, deploy 5 / 3 / 2 min, cleanup 12 / 4 / 1 min, test 20-25 min.
        const split = actionsMinutes({ imageBuilds: 4, apps: 4, cleanupJobs: 4 });
        expect(split).to.deep.equal({
            test: { low: 20, high: 25 },
            build: { low: 6, high: 8 },
            deploy: { low: 5, high: 5 },
            cleanup: { low: 8, high: 12 },
            total: { low: 39, high: 50 },
        });
        const unified = actionsMinutes({ imageBuilds: 2, apps: 2, cleanupJobs: 2 });
        expect([unified.build, unified.deploy, unified.cleanup, unified.total]).to.deep.equal([{ low: 4, high: 5 }, { low: 3, high: 3 }, { low: 4, high: 6 }, { low: 31, high: 39 }]);
        const single = actionsMinutes({ imageBuilds: 1, apps: 1, cleanupJobs: 1 });
        expect([single.build, single.deploy, single.cleanup, single.total]).to.deep.equal([{ low: 3, high: 3.5 }, { low: 2, high: 2 }, { low: 2, high: 3 }, { low: 27, high: 33.5 }]);
        // A stack that builds and deploys nothing costs only the test workflow.
        expect(actionsMinutes({ imageBuilds: 0, apps: 0, cleanupJobs: 0 }).total).to.deep.equal({ low: 20, high: 25 });
    });
});

describe("summary: Celery across releases", () => {
    it("says where the release's task names come from and which broker the apps get", () => {
        expect(summarize(stackConfig("dev")).celery.line).to.equal("celery: task names from deployment/celery-contract.json, compared with the running release's; broker: as the apps' own REDIS_URL says; canary: GET /canary/ on web once the release's apps run, a worker of the new release must answer, beat's heartbeat at most 120 s old");
        expect(summarize(stackConfig("prod")).celery.line).to.equal("celery: task names from stack dev's release, compared with the running release's; broker: as the apps' own REDIS_URL says; canary: GET /canary/ on web once the release's apps run, a worker of the new release must answer, beat's heartbeat at most 120 s old");
        expect(summarize(stackConfig("prod", { canary: { enabled: false } })).celery.line).to.match(/; canary: off$/);
        const broker = { accessories: ["broker"], accessoryImages: { redis: `ghcr.io/aaronspindler/redis@sha256:${"b".repeat(64)}` }, brokerPassword: "test-only-broker-pw-0123" };
        expect(summarize(stackConfig("dev", broker)).celery.line).to.match(/; broker: managed redis app dev-redis; canary: GET \/canary\/ on web/);
        expect(summarize(stackConfig("prod", { releaseTag: "abc1234" })).celery.line).to.include("not known before the release runs (rollback by tag)");
    });
});
