/**
 * Steps this repository's workflows share: setting up the program, reading what a stack's last
 * update recorded (its outputs), carrying that over into the next run's configuration, recording
 * GitHub deployments in the app repository, and writing the job summary. Values from events, inputs
 * and stack outputs reach scripts through the environment only, never inline.
 */
import { ACTIONS } from "../../components/github/actions";
import { Step } from "../../components/github/workflowModel";
import { POLICY_PACK_LAUNCHER } from "../engine/driver";

/** Actions these workflows use, pinned by commit SHA (components/github/actions.ts). */
export const INFRA_ACTIONS = {
    checkout: ACTIONS.checkout,
    setupNode: ACTIONS.setupNode,
    setupBuildx: ACTIONS.setupBuildx,
    githubRuntime: ACTIONS.githubRuntime,
    pulumi: ACTIONS.pulumi,
} as const;

/** The Node.js major the workflows set up: the one .tools/ provides on this machine (scripts/tools/node/pin). */
export const NODE_MAJOR = 24;

/** The stacks, in promotion order. */
export const STACKS = ["dev", "prod"] as const;
export type StackName = (typeof STACKS)[number];

/** One update of a stack at a time, in every workflow: never cancelled; a newer run waits (GitHub keeps the newest waiting one). */
export function deployGroup(stack: string): { group: string; "cancel-in-progress": false } {
    return { group: `pulumi-${stack}`, "cancel-in-progress": false };
}

/** Where CI checks out the app repository: dev builds the real app there, not the stand-in in app/. */
export const APP_CHECKOUT = "app-checkout";

/** Reading a stack's state (outputs) needs the backend's token only. */
export const STATE_ENV: Record<string, string> = { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" };

/** Credentials the Pulumi program needs, from repository secrets (never inline). */
export const PULUMI_ENV: Record<string, string> = {
    ...STATE_ENV,
    // The GitHub provider and GHCR use a token scoped to the app repository and its packages:
    // this repository's own token cannot reach them.
    GITHUB_TOKEN: "${{ secrets.APP_REPOSITORY_TOKEN }}",
    // The CapRover apps: the same secrets the app repository's pipeline used.
    CAPROVER_SERVER: "${{ secrets.CAPROVER_SERVER }}",
    CAPROVER_PASSWORD: "${{ secrets.CAPROVER_PASSWORD }}",
    FLOWER_PASSWORD: "${{ secrets.FLOWER_PASSWORD }}",
    // Prod commits the app's deploy trigger and keeps its token as the app repository's secret.
    INFRA_DISPATCH_TOKEN: "${{ secrets.INFRA_DISPATCH_TOKEN }}",
};

/** The app repository's API (deployments and their statuses), with the token scoped to it. */
const APP_API_ENV: Record<string, string> = { GH_TOKEN: "${{ secrets.APP_REPOSITORY_TOKEN }}" };

/** This run's page: where a deployment's log lives. */
const RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";

/** A shell script from lines, failing on the first error. */
export function script(...lines: string[]): string {
    return ["set -euo pipefail", ...lines].join("\n");
}

/** Checks out this repository, sets up Node.js, installs the program's dependencies and the Pulumi CLI. */
export function setup(): Step[] {
    return [
        { name: "Check out", uses: INFRA_ACTIONS.checkout, with: { "persist-credentials": false } },
        { name: "Set up Node.js", uses: INFRA_ACTIONS.setupNode, with: { "node-version": NODE_MAJOR, cache: "npm" } },
        { name: "Install dependencies", run: "npm ci --no-audit --no-fund" },
        // Without a command the action only installs the CLI: the scripts below read state with it.
        { name: "Install the Pulumi CLI", uses: INFRA_ACTIONS.pulumi },
    ];
}

/** The Pulumi action running `inputs.command`, with the program's credentials. */
/** A pulumi/actions step; every preview and update runs the policy pack (`npm ci` compiles it). */
export function pulumi(name: string, inputs: Record<string, string | boolean>, id?: string): Step {
    return { name, ...(id ? { id } : {}), uses: INFRA_ACTIONS.pulumi, with: { ...inputs, policyPacks: POLICY_PACK_LAUNCHER }, env: PULUMI_ENV };
}

/**
 * Step `commit`: the app commit dev deploys. A repository_dispatch names it (the app's tests passed
 * on it); anything else takes the commit dev's last update recorded (`site:commitSha`, exported in
 * its `release` output), so nothing ever deploys or previews the app's untested HEAD.
 */
export function resolveTestedCommit(): Step {
    return {
        name: "Resolve the tested app commit",
        id: "commit",
        env: {
            ...STATE_ENV,
            EVENT: "${{ github.event_name }}",
            DISPATCHED_SHA: "${{ github.event.client_payload.sha }}",
            DISPATCHED_TEST_RUN: "${{ github.event.client_payload.test_run }}",
        },
        run: script(
            'if [ "$EVENT" = repository_dispatch ]; then',
            '  sha="$DISPATCHED_SHA"',
            '  test_run="$DISPATCHED_TEST_RUN"',
            '  source="dispatched by the app\'s test run"',
            "else",
            '  sha="$(pulumi stack output --json --stack dev | jq -r \'.release.commitSha // empty\')"',
            '  test_run=""',
            '  source="dev\'s last tested commit"',
            "fi",
            'if ! [[ "$sha" =~ ^[0-9a-f]{40}$ ]]; then',
            '  echo "::error title=No tested commit::expected a full commit SHA ($source); dev deploys only commits the app\'s tests passed"',
            "  exit 1",
            "fi",
            // Only a link to a run page is kept: the value ends up in outputs and summaries.
            'if ! [[ "$test_run" =~ ^https://github\\.com/[A-Za-z0-9._/-]+$ ]]; then test_run=""; fi',
            'echo "sha=$sha" >> "$GITHUB_OUTPUT"',
            'echo "test_run=$test_run" >> "$GITHUB_OUTPUT"',
            'echo "App commit \\`$sha\\`: $source${test_run:+ ($test_run)}" >> "$GITHUB_STEP_SUMMARY"',
        ),
    };
}

/** The app repository at the tested commit (`steps.commit`), read-only, beside this one. */
export function checkoutTestedApp(app: string): Step[] {
    return [
        {
            name: "Check out the app repository at the tested commit",
            uses: INFRA_ACTIONS.checkout,
            with: { repository: app, ref: "${{ steps.commit.outputs.sha }}", path: APP_CHECKOUT, token: "${{ secrets.APP_REPOSITORY_TOKEN }}", "persist-credentials": false },
        },
        {
            name: "Verify the checkout is that commit",
            env: { SHA: "${{ steps.commit.outputs.sha }}" },
            run: script(`test "$(git -C ${APP_CHECKOUT} rev-parse HEAD)" = "$SHA" || { echo "::error::${APP_CHECKOUT} is not at the tested commit"; exit 1; }`),
        },
    ];
}

/**
 * For this run only: build the app checkout (stack files keep the offline stand-in) and tag the
 * images with the tested commit; dev's `release` output then remembers it.
 */
export const APP_CONTEXT = `{site:buildContext: {value: ${APP_CHECKOUT}, secret: false}, site:commitSha: {value: "\${{ steps.commit.outputs.sha }}", secret: false}}`;

/**
 * Carries the stack's services on demand (its `onDemand` output) over into this run's
 * configuration, so an update or a preview keeps an opened Flower until its time is up; the program
 * leaves it out once that has passed.
 */
export function carryOverOnDemand(stack: string): Step {
    return {
        name: `Carry over ${stack}'s services on demand`,
        env: { ...STATE_ENV, STACK: stack },
        run: script(
            'on_demand="$(pulumi stack output --json --stack "$STACK" | jq -c \'.onDemand // {}\')"',
            "i=0",
            "for service in $(jq -r '.services // [] | .[]' <<<\"$on_demand\"); do",
            '  pulumi config set --path "site:onDemand[$i]" "$service" --stack "$STACK"',
            "  i=$((i + 1))",
            "done",
            'if [ "$i" -gt 0 ]; then',
            '  until="$(jq -r \'.until\' <<<"$on_demand")"',
            '  pulumi config set site:onDemandUntil "$until" --stack "$STACK"',
            '  echo "On demand: $(jq -r \'.services | join(", ")\' <<<"$on_demand") until $until" >> "$GITHUB_STEP_SUMMARY"',
            "fi",
        ),
    };
}

/**
 * Holds the images the stack runs now: its recorded commit as `site:releaseTag` (which names the
 * image of a service opened on demand) and every deployed image pinned by digest. An update that
 * is not a promotion (Flower, its sweep) or the drift check then never takes dev's newer images.
 */
export function holdDeployedImages(stack: string): Step {
    return {
        name: `Hold the images ${stack} runs`,
        env: { ...STATE_ENV, STACK: stack },
        run: script(
            'outputs="$(pulumi stack output --json --stack "$STACK")"',
            'sha="$(jq -r \'.release.commitSha // empty\' <<<"$outputs")"',
            'if ! [[ "$sha" =~ ^[0-9a-f]{7,40}$ ]]; then',
            '  echo "::error title=Nothing to hold::$STACK records no release commit; promote to it first"',
            "  exit 1",
            "fi",
            'pulumi config set site:releaseTag "$sha" --stack "$STACK"',
            "jq -r '.images // {} | to_entries[] | \"\\(.key) \\(.value)\"' <<<\"$outputs\" | while read -r service image; do",
            '  pulumi config set --path "site:imageDigests.$service" "$image" --stack "$STACK"',
            "done",
            'echo "Holding the images $STACK runs (commit \\`$sha\\`)" >> "$GITHUB_STEP_SUMMARY"',
        ),
    };
}

/**
 * Step `deployment`: a GitHub deployment of the app commit `steps.commit` to `environment`, in the
 * app repository, so it shows what is live; in progress until `finishDeployment`.
 */
export function startDeployment(app: string, environment: string): Step {
    return {
        name: `Record a ${environment} deployment in the app repository`,
        id: "deployment",
        env: { ...APP_API_ENV, APP: app, ENVIRONMENT: environment, SHA: "${{ steps.commit.outputs.sha }}", TEST_RUN: "${{ steps.commit.outputs.test_run }}", RUN_URL },
        run: script(
            'id="$(jq -n --arg ref "$SHA" --arg environment "$ENVIRONMENT" --arg test_run "$TEST_RUN" --arg run "$RUN_URL" \\',
            "  '{ref: $ref, environment: $environment, auto_merge: false, required_contexts: [], production_environment: ($environment == \"prod\"), description: \"pulumi up \\($environment)\", payload: {test_run: $test_run, infra_run: $run}}' |",
            '  gh api --method POST "repos/$APP/deployments" --input - --jq .id)"',
            'echo "id=$id" >> "$GITHUB_OUTPUT"',
            'gh api --method POST "repos/$APP/deployments/$id/statuses" -f state=in_progress -f log_url="$RUN_URL" >/dev/null',
        ),
    };
}

/** Sets the deployment's final status from the `up` step's outcome, with the web app's URL from the stack's outputs. */
export function finishDeployment(app: string, stack: string, upStep: string): Step {
    return {
        name: "Record the deployment's result",
        if: "always() && steps.deployment.outputs.id != ''",
        env: {
            ...STATE_ENV,
            ...APP_API_ENV,
            APP: app,
            STACK: stack,
            ID: "${{ steps.deployment.outputs.id }}",
            OUTCOME: `\${{ steps.${upStep}.outcome }}`,
            RUN_URL,
        },
        run: script(
            'if [ "$OUTCOME" = success ]; then state=success; else state=failure; fi',
            'url="$(pulumi stack output --json --stack "$STACK" | jq -r \'.apps.appUrls.web // empty\')" || url=""',
            'jq -n --arg state "$state" --arg url "$url" --arg log "$RUN_URL" \'{state: $state, log_url: $log, auto_inactive: true} + (if $url == "" then {} else {environment_url: $url} end)\' |',
            '  gh api --method POST "repos/$APP/deployments/$ID/statuses" --input - >/dev/null',
            'echo "Deployment $ID: $state${url:+ ($url)}" >> "$GITHUB_STEP_SUMMARY"',
        ),
    };
}

/** `pulumi preview --diff` of a stack, its output in the job summary (a diff block); `flags` add to the command. */
export function previewToSummary(stack: string, title: string, flags: string[] = []): Step {
    return {
        name: `pulumi preview ${[...flags, stack].join(" ")}`,
        env: { ...PULUMI_ENV, STACK: stack, TITLE: title },
        run: script(
            "status=0",
            `pulumi preview --diff --non-interactive --policy-pack ${POLICY_PACK_LAUNCHER} ${flags.join(" ")} --stack "$STACK" > preview.txt 2>&1 || status=$?`,
            "cat preview.txt",
            "{",
            '  echo "### $TITLE"',
            '  echo ""',
            "  echo '```diff'",
            "  cat preview.txt",
            "  echo '```'",
            '} >> "$GITHUB_STEP_SUMMARY"',
            'exit "$status"',
        ),
    };
}
