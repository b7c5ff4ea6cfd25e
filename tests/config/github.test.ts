/**
 * The GitHub section of the configuration: the real site's defaults, and each bad input rejected
 * with a message naming the key, the value and what is accepted.
 */
import { expect } from "chai";
import { cronProblem } from "../../config/github";
import { parseSiteConfig } from "../../config/site";
import { CI_ENV, problems, stackConfig, stackRaw } from "../support/stacks";

describe("GitHub configuration", () => {
    it("defaults to the real site's schedules, retention and languages", () => {
        expect(stackConfig("dev").githubSide).to.deep.equal({
            manage: true,
            workflowBranch: "pulumi/dev-workflows",
            environment: undefined,
            requiredReviewers: [],
            workflows: {
                containerCleanupCron: "0 3 * * 1",
                runCleanupCron: "0 3 * * 0",
                codeqlCron: "0 9 * * *",
                runRetentionDays: 30,
                runMinimumKept: 10,
                codeqlLanguages: ["python", "javascript"],
                mergeCleanups: false,
                mainPipeline: "CI/CD Pipeline",
            },
            // Dev commits to a side branch, where the trigger never runs: no token.
            dispatch: { testWorkflow: "CI/CD Pipeline", infraRepository: "aaronspindler/site-deploy", token: undefined, ownsToken: false },
        });
    });


    it("accepts lists as the engine passes them (JSON strings)", () => {
        expect(stackConfig("prod", { codeqlLanguages: '["go","ruby"]' }).githubSide.workflows.codeqlLanguages).to.deep.equal(["go", "ruby"]);
    });

    describe("rejects, naming the key, the value and what is accepted", () => {
        it("a cron without 5 fields, with a value out of range, or more often than every 5 minutes", () => {
            expect(problems({ containerCleanupCron: "0 3 * *" })).to.include('site:containerCleanupCron: "0 3 * *" is not accepted; expected a POSIX cron expression of 5 fields').and.include("it has 4 fields");
            expect(problems({ runCleanupCron: "60 3 * * 0" })).to.include('site:runCleanupCron: "60 3 * * 0"').and.include("minute \"60\": values run from 0 to 59");
            expect(problems({ codeqlCron: "* * * * *" })).to.include("site:codeqlCron").and.include("at most every 5 minutes");
            expect(problems({ codeqlCron: "0 9 * * 7" })).to.include("day of week \"7\"");
            expect(problems({ codeqlCron: "0 9-3 * * *" })).to.include("a range must run from low to high");
            expect(cronProblem("*/15 0-6,22 1 JAN-MAR mon-fri")).to.equal(undefined);
        });

        it("a language CodeQL does not know, a repeated one, or none", () => {
            expect(problems({ codeqlLanguages: ["python", "cobol"] })).to.include('site:codeqlLanguages[1]: "cobol" is not accepted; expected a non-empty list of CodeQL languages: actions, c-cpp');
            expect(problems({ codeqlLanguages: ["javascript", "typescript"] })).to.include('site:codeqlLanguages[1]: "typescript" repeats "javascript"');
            expect(problems({ codeqlLanguages: [] })).to.include("site:codeqlLanguages: [] is not accepted");
            expect(problems({ codeqlLanguages: "python" })).to.include('site:codeqlLanguages: "python" is not accepted');
        });

        it("reviewers that are not logins, too many, or without an environment", () => {
            expect(problems({ requiredReviewers: ["aaron spindler"] })).to.include('site:requiredReviewers[0]: "aaron spindler" is not accepted; expected GitHub logins');
            expect(problems({ requiredReviewers: ["a", "b", "c", "d", "e", "f", "g"] })).to.include("site:requiredReviewers").and.include("at most 6 logins");
            expect(problems({ requiredReviewers: ["a", "A"] })).to.include("logins without repeats");
            expect(problems({ requiredReviewers: ["aaronspindler"] }, "dev")).to.include("site:requiredReviewers: needs site:githubEnvironment");
        });

        it("a bad branch, environment or pipeline name", () => {
            expect(problems({ workflowBranch: "feature..x" })).to.include('site:workflowBranch: "feature..x" is not accepted; expected a git branch name');
            expect(problems({ workflowBranch: "main/" })).to.include("site:workflowBranch");
            expect(problems({ githubEnvironment: "prod env!" })).to.include('site:githubEnvironment: "prod env!" is not accepted; expected a GitHub environment name');
            expect(problems({ mainPipeline: "CI\nCD" })).to.include("site:mainPipeline").and.include("one line");
        });

        it("a deploy trigger without this repository or the test workflow's name, or with a token on the wrong stack or none on the right one", () => {
            for (const bad of ["site-deploy", "aaronspindler/site-deploy/extra", "aaron spindler/site-deploy"]) {
                expect(problems({ infraRepository: bad }), bad).to.include(`site:infraRepository: ${JSON.stringify(bad)} is not accepted; expected this repository as owner/name`);
            }
            expect(problems({ appTestWorkflow: "Tests\nmore" })).to.include("site:appTestWorkflow").and.include("the app's test workflow name (one line");
            // Dev commits to a side branch, where the trigger never runs; the message never shows the value.
            const devToken = problems({ dispatchToken: "ghp_test-only-not-a-token" }, "dev");
            expect(devToken).to.include("site:dispatchToken: applies to the stack that commits to the app's main branch").and.not.include("ghp_test-only");
            // Prod's `pulumi up` needs it (a preview does not).
            const pushing = () => parseSiteConfig("prod", stackRaw("prod"), { ...CI_ENV, INFRA_DISPATCH_TOKEN: undefined, pushing: true });
            expect(pushing).to.throw("site:dispatchToken: is required by the stack that commits the app's trigger to its default branch");
            expect(parseSiteConfig("prod", stackRaw("prod"), { ...CI_ENV, INFRA_DISPATCH_TOKEN: undefined }).githubSide.dispatch.token).to.equal(undefined);
            // Dev ignores a token in the environment: CI hands every job the same one.
            expect(stackConfig("dev").githubSide.dispatch.token).to.equal(undefined);
        });

        it("retention that is not a count, and switches that are not booleans", () => {
            expect(problems({ runRetentionDays: 0 })).to.include("site:runRetentionDays: 0 is not accepted; expected a positive integer");
            expect(problems({ runMinimumKept: -1 })).to.include("site:runMinimumKept: -1 is not accepted; expected an integer >= 0");
            expect(problems({ manageGithub: "yes" })).to.include('site:manageGithub: "yes" is not accepted; expected true or false');
            expect(problems({ mergeCleanups: 1 })).to.include("site:mergeCleanups: 1 is not accepted; expected true or false");
        });



    });
});
