/**
 * `.github/workflows/flower.yml`: Flower on demand. A manual run opens Flower on prod for N minutes
 * (N one of a few choices, at most `ON_DEMAND_MAX_MINUTES`) by `pulumi up` with
 * `site:onDemand: [flower]` and its expiry; a follow-up job waits until then and runs `pulumi up`
 * again, which leaves Flower out. An hourly sweep does the same for anything expired that a
 * cancelled run left behind. Each update holds the images prod runs, so none of them promotes.
 */
import { ON_DEMAND_MAX_MINUTES } from "../../config/onDemand";
import { OnDemandService } from "../../config/topology";
import { Job, Step, Workflow } from "../../components/github/workflowModel";
import { INFRA_ACTIONS, STATE_ENV, carryOverOnDemand, deployGroup, holdDeployedImages, pulumi, script, setup } from "./steps";

export { FLOWER_WORKFLOW_PATH } from "../../stack/workflowsHere";
const FLOWER: OnDemandService = "flower";
const STACK = "prod";
/** The choices of N, in minutes. */
export const FLOWER_MINUTES = [15, 30, 60, 120, 240].filter((m) => m <= ON_DEMAND_MAX_MINUTES).map(String);
/** The sweep: hourly, off the top of the hour. */
export const SWEEP_CRON = "17 * * * *";
/** Extra seconds the close job waits past the expiry, so the program sees it passed. */
const MARGIN_SECONDS = 30;

export function flowerWorkflow(): Workflow {
    return {
        name: "Open Flower for N minutes",
        on: {
            workflow_dispatch: {
                inputs: {
                    minutes: { description: `Minutes Flower stays open on ${STACK}; then \`pulumi up\` removes it`, required: true, type: "choice", options: FLOWER_MINUTES, default: "60" },
                },
            },
            schedule: [{ cron: SWEEP_CRON }],
        },
        permissions: {},
        jobs: {
            open: {
                name: `Open Flower on ${STACK}`,
                if: "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'",
                "runs-on": "ubuntu-latest",
                permissions: { contents: "read" },
                concurrency: deployGroup(STACK),
                "timeout-minutes": 30,
                outputs: { until: "${{ steps.open.outputs.until }}" },
                steps: [
                    ...update([openStep()]),
                    {
                        name: "Show where Flower is",
                        env: { ...STATE_ENV, STACK, UNTIL: "${{ steps.open.outputs.until }}" },
                        run: script(
                            `url="$(pulumi stack output --json --stack "$STACK" | jq -r '.apps.appUrls.${FLOWER} // empty')"`,
                            'echo "## Flower is open until $UNTIL${url:+: $url}" >> "$GITHUB_STEP_SUMMARY"',
                        ),
                    },
                ],
            },
            wait: {
                name: "Wait until Flower's time is up",
                needs: ["open"],
                if: "github.event_name == 'workflow_dispatch'",
                "runs-on": "ubuntu-latest",
                permissions: {},
                "timeout-minutes": ON_DEMAND_MAX_MINUTES + 15,
                steps: [
                    {
                        name: "Sleep until the expiry",
                        env: { UNTIL: "${{ needs.open.outputs.until }}" },
                        run: script(`seconds=$(( $(date -u -d "$UNTIL" +%s) - $(date -u +%s) + ${MARGIN_SECONDS} ))`, 'if [ "$seconds" -gt 0 ]; then sleep "$seconds"; fi'),
                    },
                ],
            },
            check: {
                name: "Sweep: is anything on demand past its time?",
                if: "github.event_name == 'schedule'",
                "runs-on": "ubuntu-latest",
                permissions: { contents: "read" },
                "timeout-minutes": 10,
                outputs: { due: "${{ steps.due.outputs.due }}" },
                steps: [
                    { name: "Check out", uses: INFRA_ACTIONS.checkout, with: { "persist-credentials": false } },
                    { name: "Install the Pulumi CLI", uses: INFRA_ACTIONS.pulumi },
                    {
                        name: `Read ${STACK}'s services on demand`,
                        id: "due",
                        env: { ...STATE_ENV, STACK },
                        run: script(
                            'until="$(pulumi stack output --json --stack "$STACK" | jq -r \'.onDemand.until // empty\')"',
                            "due=false",
                            'if [ -n "$until" ] && [ "$(date -u -d "$until" +%s)" -le "$(date -u +%s)" ]; then due=true; fi',
                            'echo "due=$due" >> "$GITHUB_OUTPUT"',
                        ),
                    },
                ],
            },
            close: {
                name: `Close Flower on ${STACK}: pulumi up without it`,
                needs: ["open", "wait", "check"],
                // Also after a failed open: whatever it created goes again.
                if: "!cancelled() && (needs.wait.result == 'success' || needs.open.result == 'failure' || needs.check.outputs.due == 'true')",
                "runs-on": "ubuntu-latest",
                permissions: { contents: "read" },
                concurrency: deployGroup(STACK),
                "timeout-minutes": 30,
                // The carried-over setting has expired: the program leaves Flower out.
                steps: update([]),
            },
        },
    };
}

/** `pulumi up` of prod holding its images and services on demand, after `extra` steps. */
function update(extra: Step[]): Job["steps"] {
    return [
        ...setup(),
        // `imagetools create` re-tags what prod runs; a held image's tags stay as they are.
        { name: "Set up Docker Buildx", uses: INFRA_ACTIONS.setupBuildx },
        holdDeployedImages(STACK),
        carryOverOnDemand(STACK),
        ...extra,
        // The action's `up` skips the preview, where stack policies judge the plan before anything changes.
        pulumi(`Policy check of ${STACK}'s plan`, { command: "preview", "stack-name": STACK }),
        pulumi(`pulumi up ${STACK}`, { command: "up", "stack-name": STACK, message: "${{ github.workflow }} run ${{ github.run_id }}" }),
    ];
}

/** Step `open`: adds Flower to what is on demand, with an expiry N minutes from now for all of it. */
function openStep(): Step {
    return {
        name: "Add Flower on demand for N minutes",
        id: "open",
        env: { ...STATE_ENV, STACK, SERVICE: FLOWER, MINUTES: "${{ inputs.minutes }}" },
        run: script(
            `if ! [[ "$MINUTES" =~ ^[0-9]+$ ]] || [ "$MINUTES" -lt 1 ] || [ "$MINUTES" -gt ${ON_DEMAND_MAX_MINUTES} ]; then`,
            `  echo "::error title=Bad minutes::expected 1 to ${ON_DEMAND_MAX_MINUTES} minutes"`,
            "  exit 1",
            "fi",
            'until="$(date -u -d "+$MINUTES minutes" +%Y-%m-%dT%H:%M:%SZ)"',
            'current="$(pulumi config get site:onDemand --stack "$STACK" 2>/dev/null || echo \'[]\')"',
            'if ! jq -e --arg s "$SERVICE" \'any(.[]; . == $s)\' <<<"$current" >/dev/null; then',
            '  pulumi config set --path "site:onDemand[$(jq length <<<"$current")]" "$SERVICE" --stack "$STACK"',
            "fi",
            'pulumi config set site:onDemandUntil "$until" --stack "$STACK"',
            'echo "until=$until" >> "$GITHUB_OUTPUT"',
        ),
    };
}
