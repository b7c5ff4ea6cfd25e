import { expect } from "chai";
import { stringify } from "yaml";
import { workflowsLeastPrivilege } from "../src/policies/workflowsLeastPrivilege";
import { TYPES } from "../src/resources";
import { resource, unknown } from "./support";

/** A workflow file as WorkflowFile commits it; `change` edits the workflow object. */
function committed(change: (w: Record<string, any>) => void = () => {}, file = ".github/workflows/codeql.yml") {
    const workflow: Record<string, any> = {
        name: "CodeQL",
        on: { push: { branches: ["main"] } },
        permissions: {},
        jobs: {
            analyze: {
                "runs-on": "ubuntu-latest",
                permissions: { contents: "read", "security-events": "write" },
                steps: [{ uses: `actions/checkout@${"a".repeat(40)}` }, { uses: `github/codeql-action/init@${"b".repeat(40)}` }, { uses: `astral-sh/setup-uv@${"c".repeat(40)}` }, { uses: "./.github/actions/local" }, { uses: "docker://alpine:3.20" }],
            },
            reuse: { uses: `octo/workflows/.github/workflows/build.yml@${"d".repeat(40)}` },
        },
    };
    change(workflow);
    return resource(TYPES.repositoryFile, "codeql", { repository: "aaronspindler.com", branch: "main", file, content: `# Generated\n${stringify(workflow)}` }, "prod", "site:github:WorkflowFile");
}

describe("policy workflows-least-privilege", () => {
    it("passes `permissions: {}` or read-only at the top and actions pinned by commit SHA, a local path or a docker tag", () => {
        expect(workflowsLeastPrivilege.check(committed())).to.deep.equal([]);
        expect(workflowsLeastPrivilege.check(committed((w) => (w.permissions = { contents: "read", actions: "none" })))).to.deep.equal([]);
        expect(workflowsLeastPrivilege.check(committed((w) => (w.permissions = "read-all")))).to.deep.equal([]);
        // Not a workflow, or not known yet.
        expect(workflowsLeastPrivilege.check(committed((w) => delete w.permissions, "README.md"))).to.deep.equal([]);
        expect(workflowsLeastPrivilege.check(resource(TYPES.repositoryFile, "x", { file: ".github/workflows/x.yml", content: unknown }))).to.deep.equal([]);
    });

    it("refuses missing top-level permissions, and write grants at the top", () => {
        expect(workflowsLeastPrivilege.check(committed((w) => delete w.permissions))).to.deep.equal([
            ".github/workflows/codeql.yml declares no top-level permissions (the token then gets the repository's default, often write-all); add `permissions: {}` and grant each job what it needs",
        ]);
        expect(workflowsLeastPrivilege.check(committed((w) => (w.permissions = { contents: "read", packages: "write" })))).to.deep.equal([
            ".github/workflows/codeql.yml grants packages: write at the top level, to every job; grant it in the jobs that need it",
        ]);
        expect(workflowsLeastPrivilege.check(committed((w) => (w.permissions = "write-all")))[0]).to.include('declares top-level permissions "write-all"; expected {} or read-only scopes');
    });

    it("refuses actions on a version tag, a branch, a short SHA, without a ref, or a docker image on latest, listing them", () => {
        const found = workflowsLeastPrivilege.check(
            committed((w) => {
                w.jobs.analyze.steps.push(
                    { uses: "actions/checkout@v4" },
                    { uses: "github/codeql-action/init@v3.28.1" },
                    { uses: "actions/checkout@main" },
                    { uses: "actions/setup-node@8207627" },
                    { uses: "someone/action" },
                    { uses: "docker://alpine:latest" },
                );
                w.jobs.reuse.uses = "octo/workflows/.github/workflows/build.yml@trunk";
            }),
        );
        expect(found).to.deep.equal([
            ".github/workflows/codeql.yml uses actions not pinned by commit SHA: actions/checkout@v4, github/codeql-action/init@v3.28.1, actions/checkout@main, actions/setup-node@8207627, someone/action, docker://alpine:latest, octo/workflows/.github/workflows/build.yml@trunk",
        ]);
    });

    it("refuses a workflow file that is not YAML", () => {
        const broken = resource(TYPES.repositoryFile, "x", { file: ".github/workflows/x.yml", content: "jobs: [unclosed" });
        expect(workflowsLeastPrivilege.check(broken)[0]).to.match(/^\.github\/workflows\/x\.yml is not valid YAML/);
    });
});
