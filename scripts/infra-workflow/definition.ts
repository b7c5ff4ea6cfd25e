/**
 * This repository's CI (`.github/workflows/infra.yml`), built from the same typed model as the app
 * repository's workflows:
 *
 * - a `repository_dispatch` from the app's deploy trigger deploys exactly the tested commit it
 *   names to dev, recorded as a GitHub deployment in the app repository;
 * - a push here updates dev at the commit dev last deployed (never the app's untested HEAD);
 * - a pull request previews dev and prod (diff posted as a PR comment);
 * - a manual dispatch promotes dev's release to prod, or with `release` rolls prod back to an
 *   earlier commit, through the `production` environment's reviewers, with the evidence and the
 *   preview in the job summaries.
 *
 * `write.ts` beside this file writes it; a test keeps the committed file equal to this definition.
 */
import { DISPATCH_EVENT } from "../../components/github/deployTrigger";
import { Job, Workflow } from "../../components/github/workflowModel";
import { RELEASE_INPUT, deployedImages, evidence, selectRelease } from "./promotion";
import {
    APP_CONTEXT,
    INFRA_ACTIONS,
    STACKS,
    carryOverOnDemand,
    checkoutTestedApp,
    deployGroup,
    finishDeployment,
    previewToSummary,
    pulumi,
    resolveTestedCommit,
    setup,
    startDeployment,
} from "./steps";

export { INFRA_WORKFLOW_PATH } from "../../stack/workflowsHere";

const onMainDispatch = "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'";

/** The workflow; `app` is the app repository (`owner/name`), as the stack files name it. */
export function infraWorkflow(app: string): Workflow {
    return {
        name: "Infrastructure",
        on: {
            pull_request: { branches: ["main"] },
            push: { branches: ["main"] },
            repository_dispatch: { types: [DISPATCH_EVENT] },
            workflow_dispatch: {
                inputs: {
                    [RELEASE_INPUT]: {
                        description: "Roll prod back to the images of this earlier app commit (full SHA); leave empty to promote dev's release",
                        required: false,
                        type: "string",
                        default: "",
                    },
                },
            },
        },
        permissions: {},
        jobs: {
            preview: {
                name: "Preview ${{ matrix.stack }}",
                if: "github.event_name == 'pull_request'",
                "runs-on": "ubuntu-latest",
                // pull-requests: write lets the action post the diff as a PR comment.
                permissions: { contents: "read", "pull-requests": "write" },
                // A newer push to the same pull request supersedes a running preview.
                concurrency: { group: "preview-${{ matrix.stack }}-${{ github.event.pull_request.number }}", "cancel-in-progress": true },
                strategy: { "fail-fast": false, matrix: { stack: [...STACKS] } },
                "timeout-minutes": 20,
                steps: [
                    ...setup(),
                    resolveTestedCommit(),
                    ...checkoutTestedApp(app),
                    carryOverOnDemand("${{ matrix.stack }}"),
                    pulumi("Preview", { command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true, "edit-pr-comment": true, diff: true, "config-map": APP_CONTEXT }),
                ],
            },
            "up-dev": deployDev(app),
            "plan-prod": {
                name: "Plan prod: evidence and preview, for the reviewers",
                if: onMainDispatch,
                "runs-on": "ubuntu-latest",
                permissions: { contents: "read" },
                "timeout-minutes": 20,
                steps: [...setup(), carryOverOnDemand("prod"), selectRelease("prod"), evidence(app), previewToSummary("prod", "Preview of prod")],
            },
            "promote-prod": {
                name: "Promote to prod (or roll back)",
                needs: ["plan-prod"],
                if: onMainDispatch,
                "runs-on": "ubuntu-latest",
                environment: "production",
                permissions: { contents: "read" },
                concurrency: deployGroup("prod"),
                "timeout-minutes": 60,
                steps: [
                    ...setup(),
                    // `imagetools create` re-tags the promoted digests.
                    { name: "Set up Docker Buildx", uses: INFRA_ACTIONS.setupBuildx },
                    carryOverOnDemand("prod"),
                    selectRelease("prod"),
                    evidence(app),
                    previewToSummary("prod", "Preview of prod, right before the update"),
                    startDeployment(app, "prod"),
                    pulumi("pulumi up prod", { command: "up", "stack-name": "prod", message: "${{ github.workflow }} run ${{ github.run_id }}" }, "up"),
                    deployedImages("prod"),
                    finishDeployment(app, "prod", "up"),
                ],
            },
        },
    };
}

/** Dev's update: the dispatched commit, or on a push the one dev last deployed; a GitHub deployment records it. */
function deployDev(app: string): Job {
    return {
        name: "Deploy the tested commit to dev",
        if: "github.event_name == 'push' || github.event_name == 'repository_dispatch'",
        "runs-on": "ubuntu-latest",
        permissions: { contents: "read" },
        concurrency: deployGroup("dev"),
        "timeout-minutes": 60,
        steps: [
            ...setup(),
            resolveTestedCommit(),
            // BuildKit builds need buildx, and the images' type=gha cache the runtime token that actions see and scripts do not.
            { name: "Set up Docker Buildx", uses: INFRA_ACTIONS.setupBuildx },
            { name: "Expose the Actions cache to BuildKit", uses: INFRA_ACTIONS.githubRuntime },
            ...checkoutTestedApp(app),
            startDeployment(app, "dev"),
            // The action's `up` skips the preview, where stack policies would judge the plan before
            // anything changes: with --skip-preview they judge only after the update.
            pulumi("Policy check of dev's plan", { command: "preview", "stack-name": "dev", "config-map": APP_CONTEXT }),
            pulumi("pulumi up dev", { command: "up", "stack-name": "dev", message: "${{ github.workflow }} run ${{ github.run_id }}", "config-map": APP_CONTEXT }, "up"),
            finishDeployment(app, "dev", "up"),
        ],
    };
}
