/**
 * The app repository's deploy trigger: when the app's test workflow has passed on a push to the
 * default branch, it sends that commit to this (infrastructure) repository as a
 * `repository_dispatch`, with the test run as evidence. Pull requests, runs on other branches and
 * failed or cancelled runs never dispatch. Deploying is this repository's job (infra.yml).
 */
import { APP_DEFAULT_BRANCH, DispatchSettings } from "../../config/github";
import { RUNNER } from "./housekeeping";
import { Workflow } from "./workflowModel";

/** The `repository_dispatch` event type: the trigger sends it and infra.yml listens for it (named here only). */
export const DISPATCH_EVENT = "app-tested";
/** The app repository's secret holding the token the trigger dispatches with. */
export const DISPATCH_TOKEN_SECRET = "INFRA_DISPATCH_TOKEN";
/** The trigger's file name, under `.github/workflows/`. */
export const TRIGGER_FILE = "dispatch-tested-commit.yml";

const run = "github.event.workflow_run";
/**
 * Dispatch only after a successful run of a push to the default branch of this repository: the
 * `branches` filter alone would let a pull request whose head branch is called main through.
 */
export const DISPATCH_CONDITION = [
    `${run}.conclusion == 'success'`,
    `${run}.event == 'push'`,
    `${run}.head_branch == github.event.repository.default_branch`,
    `${run}.head_repository.full_name == github.repository`,
].join(" && ");

/** The trigger workflow. */
export function deployTriggerWorkflow(settings: DispatchSettings): Workflow {
    return {
        name: "Dispatch tested commit",
        on: { workflow_run: { workflows: [settings.testWorkflow], types: ["completed"], branches: [APP_DEFAULT_BRANCH] } },
        permissions: {},
        jobs: {
            dispatch: {
                name: `Send the tested commit to ${settings.infraRepository}`,
                if: DISPATCH_CONDITION,
                "runs-on": RUNNER,
                // The job calls another repository with its own token: GITHUB_TOKEN needs no scope at all.
                permissions: {},
                "timeout-minutes": 5,
                steps: [
                    {
                        name: `Dispatch ${DISPATCH_EVENT} with the commit and its test run`,
                        // Event values reach the script through the environment, never inline.
                        env: {
                            GH_TOKEN: `\${{ secrets.${DISPATCH_TOKEN_SECRET} }}`,
                            INFRA_REPOSITORY: settings.infraRepository,
                            SHA: `\${{ ${run}.head_sha }}`,
                            TEST_RUN: `\${{ ${run}.html_url }}`,
                        },
                        run: [
                            "set -euo pipefail",
                            `gh api --method POST "repos/\${INFRA_REPOSITORY}/dispatches" -f event_type=${DISPATCH_EVENT} -f "client_payload[sha]=\${SHA}" -f "client_payload[test_run]=\${TEST_RUN}"`,
                        ].join("\n"),
                    },
                ],
            },
        },
    };
}
