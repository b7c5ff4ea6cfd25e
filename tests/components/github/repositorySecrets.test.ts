/**
 * RepositorySecrets and the split-to-unified flip of the GitHub side: which secrets each profile
 * gets, where (repository or reviewer-gated environment), and that consolidating removes exactly
 * the dropped services' secrets and cleanup matrix entries and changes nothing else.
 */
import { expect } from "chai";
import { Registered, diffResources } from "../../support/mocks";
import { CI_ENV, stackConfig } from "../../support/stacks";
import { FAKE_SERVER, fakeToken, parseWorkflow, profileOverrides, runGithubSide } from "../../support/github";

const REPO_SECRET = "github:index/actionsSecret:ActionsSecret";
const ENV_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";
const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
const FILE = "github:index/repositoryFile:RepositoryFile";

/** Secret name to value as registered (values arrive as `{secret: ...}` when marked secret). */
function secrets(resources: Registered[], type: string): Record<string, unknown> {
    return Object.fromEntries(resources.filter((r) => r.type === type).map((r) => [String(r.inputs.secretName), r.inputs.value]));
}

describe("RepositorySecrets", () => {
    it("gives each profile CAPROVER_SERVER and one APP_NAME and APP_TOKEN per active service", async () => {
        const expected: Record<string, string[]> = {
            split: ["WEB", "CELERY", "CELERYBEAT", "FLOWER"],
            essential: ["WEB", "CELERY", "CELERYBEAT"],
            unified: ["WEB", "CELERY"],
            single: ["WEB"],
        };
        for (const [profile, stems] of Object.entries(expected)) {
            const { resources, side } = await runGithubSide(stackConfig("dev", profileOverrides(profile)));
            const names = stems.flatMap((s) => [`CAPROVER_${s}_APP_NAME`, `CAPROVER_${s}_APP_TOKEN`]);
            expect(side.secrets!.secretNames, profile).to.deep.equal(["CAPROVER_SERVER", ...names]);
            expect(Object.keys(secrets(resources, REPO_SECRET)), profile).to.have.members(["CAPROVER_SERVER", ...names]);
        }
    });

    it("stores app names, the server and the apps' deploy tokens, all as Pulumi secrets", async () => {
        const { resources } = await runGithubSide(stackConfig("dev"));
        expect(secrets(resources, REPO_SECRET)).to.deep.equal({
            CAPROVER_SERVER: { secret: FAKE_SERVER },
            CAPROVER_WEB_APP_NAME: { secret: "dev-web" },
            CAPROVER_WEB_APP_TOKEN: { secret: fakeToken("web") },
            CAPROVER_CELERY_APP_NAME: { secret: "dev-celery" },
            CAPROVER_CELERY_APP_TOKEN: { secret: fakeToken("celery") },
            CAPROVER_CELERYBEAT_APP_NAME: { secret: "dev-celerybeat" },
            CAPROVER_CELERYBEAT_APP_TOKEN: { secret: fakeToken("celerybeat") },
            CAPROVER_FLOWER_APP_NAME: { secret: "dev-flower" },
            CAPROVER_FLOWER_APP_TOKEN: { secret: fakeToken("flower") },
        });
        expect(resources.filter((r) => r.type === ENVIRONMENT || r.type === ENV_SECRET)).to.deep.equal([]);
    });

    it("puts prod's secrets in the production environment, gated on the configured reviewers", async () => {
        const { resources } = await runGithubSide(stackConfig("prod"));
        // The one repository secret is the deploy trigger's token (its job runs in no environment).
        expect(secrets(resources, REPO_SECRET)).to.deep.equal({ INFRA_DISPATCH_TOKEN: { secret: CI_ENV.INFRA_DISPATCH_TOKEN } });
        const env = resources.filter((r) => r.type === ENVIRONMENT);
        expect(env.map((r) => r.name)).to.deep.equal(["production"]);
        expect(env[0].inputs.environment).to.equal("production");
        expect(env[0].inputs.deploymentBranchPolicy).to.deep.equal({ protectedBranches: true, customBranchPolicies: false });
        // The login was resolved to the numeric id the API wants.
        const reviewers = env[0].inputs.reviewers as { users: number[] }[];
        expect(reviewers).to.have.length(1);
        expect(reviewers[0].users).to.have.length(1);
        expect(reviewers[0].users[0]).to.be.a("number").and.not.NaN;
        const inEnv = resources.filter((r) => r.type === ENV_SECRET);
        expect(inEnv.map((r) => r.inputs.environment)).to.satisfy((e: unknown[]) => e.every((x) => x === "production"));
        expect(Object.keys(secrets(resources, ENV_SECRET))).to.have.length(1 + 2 * 4);
        expect(secrets(resources, ENV_SECRET).CAPROVER_FLOWER_APP_NAME).to.deep.equal({ secret: "flower" });
    });

    it("names resources after services, so each service's secrets keep their URNs across profiles", async () => {
        const split = (await runGithubSide(stackConfig("dev", { topology: "split" }))).resources;
        const single = (await runGithubSide(stackConfig("dev", { topology: "single", singleTarget: "all-in-one" }))).resources;
        const webSecrets = (rs: Registered[]) => rs.filter((r) => r.type === REPO_SECRET && /^(web-|caprover-)/.test(r.name)).map((r) => r.urn);
        expect(webSecrets(split)).to.have.length(3);
        expect(webSecrets(single)).to.deep.equal(webSecrets(split));
        expect(split.filter((r) => r.type === REPO_SECRET).map((r) => r.name)).to.have.members([
            "caprover-server",
            ...["web", "celery", "celerybeat", "flower"].flatMap((s) => [`${s}-app-name`, `${s}-app-token`]),
        ]);
    });
});

describe("split to unified on the GitHub side (prod)", () => {
    let split: Registered[];
    let unified: Registered[];
    before(async () => {
        split = (await runGithubSide(stackConfig("prod", { topology: "split" }))).resources;
        unified = (await runGithubSide(stackConfig("prod", { topology: "unified" }))).resources;
    });

    it("removes exactly the celerybeat and flower secrets, and adds nothing", () => {
        const diff = diffResources(split, unified);
        expect(diff.added).to.deep.equal([]);
        const removed = diff.removed.map((urn) => split.find((r) => r.urn === urn)!);
        expect(removed.map((r) => r.inputs.secretName)).to.have.members([
            "CAPROVER_CELERYBEAT_APP_NAME",
            "CAPROVER_CELERYBEAT_APP_TOKEN",
            "CAPROVER_FLOWER_APP_NAME",
            "CAPROVER_FLOWER_APP_TOKEN",
        ]);
        expect(new Set(removed.map((r) => r.type))).to.deep.equal(new Set([ENV_SECRET]));
    });

    it("changes only the container cleanup file, and in it only the matrix loses the two packages", () => {
        const diff = diffResources(split, unified);
        const changed = Object.entries(diff.changed).map(([urn, fields]) => [split.find((r) => r.urn === urn)!.name, fields]);
        expect(changed).to.deep.equal([["cleanup-containers", ["content"]]]);
        const file = (rs: Registered[]) => parseWorkflow(String(rs.find((r) => r.type === FILE && r.name === "cleanup-containers")!.inputs.content));
        const before = file(split);
        const after = file(unified);
        const matrix = (w: typeof before) => w.jobs["cleanup-containers"].strategy!.matrix.package;
        expect(matrix(before).filter((p) => !matrix(after).includes(p))).to.deep.equal(["aaronspindler.com-celerybeat", "aaronspindler.com-flower"]);
        expect(matrix(after)).to.deep.equal(["aaronspindler.com-web", "aaronspindler.com-celery"]);
        // Everything but the matrix is identical.
        after.jobs["cleanup-containers"].strategy!.matrix.package = matrix(before);
        expect(after).to.deep.equal(before);
    });

    it("does the same with the cleanups merged into housekeeping.yml", async () => {
        const a = (await runGithubSide(stackConfig("prod", { topology: "split", mergeCleanups: true }))).resources;
        const b = (await runGithubSide(stackConfig("prod", { topology: "unified", mergeCleanups: true }))).resources;
        const diff = diffResources(a, b);
        expect(diff.added).to.deep.equal([]);
        expect(diff.removed).to.have.length(4);
        expect(Object.entries(diff.changed).map(([urn, fields]) => [a.find((r) => r.urn === urn)!.name, fields])).to.deep.equal([["housekeeping", ["content"]]]);
    });

    it("restores the same resources going back to split", async () => {
        const back = (await runGithubSide(stackConfig("prod", { topology: "split" }))).resources;
        expect(diffResources(split, back)).to.deep.equal({ removed: [], added: [], changed: {} });
    });
});
