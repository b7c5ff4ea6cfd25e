/**
 * This repository's own CI (`.github/workflows/infra.yml`), built from the same typed model as the
 * app repository's workflows: previews of dev and prod on pull requests (diff posted as a PR
 * comment), `pulumi up` of dev on main, and promotion to prod by manual dispatch, gated on the
 * `production` environment. `write.ts` beside this file writes it; a test keeps the
 * committed file equal to this definition and lint-clean.
 */
import { Job, Step, Workflow } from "../../components/github/workflowModel";
import { POLICY_PACK_LAUNCHER } from "../engine/driver";

/** Where the committed file lives. */
export const INFRA_WORKFLOW_PATH = ".github/workflows/infra.yml";

/** Actions this workflow uses, pinned by version tag. */
export const INFRA_ACTIONS = {
    checkout: "actions/checkout@v4",
    setupNode: "actions/setup-node@v4",
    setupBuildx: "docker/setup-buildx-action@v3",
    githubRuntime: "crazy-max/ghaction-github-runtime@v3",
    pulumi: "pulumi/actions@v6",
} as const;

/** The stacks, in promotion order. */
const STACKS = ["dev", "prod"] as const;

/** Credentials the Pulumi program needs, from repository secrets (never inline). */
const PULUMI_ENV: Record<string, string> = {
    PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
    // The GitHub provider and GHCR use a token scoped to the app repository and its packages:
    // this repository's own token cannot reach them.
    GITHUB_TOKEN: "${{ secrets.APP_REPOSITORY_TOKEN }}",
    // The CapRover apps: the same secrets the app repository's pipeline used.
    CAPROVER_SERVER: "${{ secrets.CAPROVER_SERVER }}",
    CAPROVER_PASSWORD: "${{ secrets.CAPROVER_PASSWORD }}",
    FLOWER_PASSWORD: "${{ secrets.FLOWER_PASSWORD }}",
};

/** Where CI checks out the app repository: dev builds the real app there, not the stand-in in app/. */
const APP_CHECKOUT = "app-checkout";

/** The workflow; `app` is the app repository (`owner/name`) dev builds from, as the stack files name it. */
export function infraWorkflow(app: string): Workflow {
    return {
        name: "Infrastructure",
        on: {
            pull_request: { branches: ["main"] },
            push: { branches: ["main"] },
            workflow_dispatch: {},
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
                    ...checkoutApp(app),
                    pulumi("Preview", { command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true, "edit-pr-comment": true, diff: true, "config-map": APP_CONTEXT }),
                ],
            },
            "up-dev": update("dev", {
                name: "Deploy dev",
                if: "github.event_name == 'push'",
                buildsImages: true,
                app,
            }),
            "promote-prod": update("prod", {
                name: "Promote dev's images to prod",
                if: "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'",
                environment: "production",
                buildsImages: false,
                app,
            }),
        },
    };
}

/** A `pulumi up` job; one concurrency group per stack, never cancelled, so updates queue instead of overlapping. */
function update(stack: (typeof STACKS)[number], opts: { name: string; if: string; environment?: string; buildsImages: boolean; app: string }): Job {
    return {
        name: opts.name,
        if: opts.if,
        "runs-on": "ubuntu-latest",
        environment: opts.environment,
        permissions: { contents: "read" },
        concurrency: { group: `pulumi-${stack}`, "cancel-in-progress": false },
        "timeout-minutes": 60,
        steps: [
            ...setup(),
            // BuildKit builds (dev) and `imagetools create` re-tags (prod) both need buildx.
            { name: "Set up Docker Buildx", uses: INFRA_ACTIONS.setupBuildx },
            // The images' type=gha cache needs the runtime token that actions see and scripts do not.
            ...(opts.buildsImages ? [{ name: "Expose the Actions cache to BuildKit", uses: INFRA_ACTIONS.githubRuntime }, ...checkoutApp(opts.app)] : []),
            // The action's `up` skips the preview, where stack policies would judge the plan before
            // anything changes: with --skip-preview they judge only after the update.
            pulumi(`Policy check of ${stack}'s plan`, { command: "preview", "stack-name": stack, ...(opts.buildsImages ? { "config-map": APP_CONTEXT } : {}) }),
            pulumi(`pulumi up ${stack}`, {
                command: "up",
                "stack-name": stack,
                message: "${{ github.workflow }} run ${{ github.run_id }}",
                ...(opts.buildsImages ? { "config-map": APP_CONTEXT } : {}),
            }),
        ],
    };
}

function setup(): Step[] {
    return [
        { name: "Check out", uses: INFRA_ACTIONS.checkout, with: { "persist-credentials": false } },
        { name: "Set up Node.js", uses: INFRA_ACTIONS.setupNode, with: { "node-version": 20, cache: "npm" } },
        { name: "Install dependencies", run: "npm ci --no-audit --no-fund" },
    ];
}

/**
 * For this run only: build the app checkout (stack files keep the offline stand-in) and tag images
 * with the app's commit, not this repository's `GITHUB_SHA`.
 */
const APP_CONTEXT = `{site:buildContext: {value: ${APP_CHECKOUT}, secret: false}, site:commitSha: {value: "\${{ steps.app.outputs.sha }}", secret: false}}`;

/** The app repository, checked out read-only beside this one for the image builds, and its commit. */
function checkoutApp(app: string): Step[] {
    return [
        {
            name: "Check out the app repository",
            uses: INFRA_ACTIONS.checkout,
            with: { repository: app, path: APP_CHECKOUT, token: "${{ secrets.APP_REPOSITORY_TOKEN }}", "persist-credentials": false },
        },
        { name: "Read the app's commit", id: "app", run: `echo "sha=$(git -C ${APP_CHECKOUT} rev-parse HEAD)" >> "$GITHUB_OUTPUT"` },
    ];
}

/** A pulumi/actions step; every preview and update runs the policy pack (`npm ci` compiles it). */
function pulumi(name: string, inputs: Record<string, string | boolean>): Step {
    return { name, uses: INFRA_ACTIONS.pulumi, with: { ...inputs, policyPacks: POLICY_PACK_LAUNCHER }, env: PULUMI_ENV };
}
