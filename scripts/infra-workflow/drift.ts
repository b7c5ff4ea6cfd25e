/**
 * `.github/workflows/drift.yml`: a scheduled drift check of prod. `pulumi preview --refresh
 * --expect-no-changes` reads every resource back (CapRover apps, GitHub files and secrets) and
 * compares it with the program holding the images prod runs; it writes no state. Any difference is
 * a change made behind Pulumi's back: the job fails, with the diff in its summary.
 */
import { Workflow } from "../../components/github/workflowModel";
import { POLICY_PACK_LAUNCHER } from "../engine/driver";
import { PULUMI_ENV, carryOverOnDemand, holdDeployedImages, script, setup } from "./steps";

export { DRIFT_WORKFLOW_PATH } from "../../stack/workflowsHere";
const STACK = "prod";
/** Daily, before the working day (UTC). */
export const DRIFT_CRON = "40 5 * * *";
/** What `--expect-no-changes` prints when there are changes (any other failure means the check could not run). */
const CHANGES_PROPOSED = "no changes were expected but changes were proposed";

export function driftWorkflow(): Workflow {
    return {
        name: `Drift check (${STACK})`,
        on: { schedule: [{ cron: DRIFT_CRON }], workflow_dispatch: {} },
        permissions: {},
        jobs: {
            drift: {
                name: `pulumi preview --refresh --expect-no-changes (${STACK})`,
                "runs-on": "ubuntu-latest",
                permissions: { contents: "read" },
                // Read-only: a newer check replaces a running one; updates have their own group.
                concurrency: { group: `drift-${STACK}`, "cancel-in-progress": true },
                "timeout-minutes": 20,
                steps: [
                    ...setup(),
                    holdDeployedImages(STACK),
                    carryOverOnDemand(STACK),
                    {
                        name: "Compare prod with its Pulumi state",
                        env: { ...PULUMI_ENV, STACK },
                        run: script(
                            "status=0",
                            `pulumi preview --refresh --expect-no-changes --diff --non-interactive --policy-pack ${POLICY_PACK_LAUNCHER} --stack "$STACK" > preview.txt 2>&1 || status=$?`,
                            "cat preview.txt",
                            'if [ "$status" -eq 0 ]; then',
                            '  echo "## No drift: $STACK matches its Pulumi state" >> "$GITHUB_STEP_SUMMARY"',
                            "  exit 0",
                            "fi",
                            `if grep -q "${CHANGES_PROPOSED}" preview.txt; then`,
                            '  title="Drift in $STACK"',
                            '  why="Something changed $STACK outside Pulumi, e.g. an app edited in CapRover\'s dashboard. \\`pulumi up --stack $STACK\\` puts it back; \\`pulumi refresh --stack $STACK\\` accepts it into the state."',
                            "else",
                            '  title="Drift check of $STACK could not run"',
                            '  why="The preview failed before comparing; its output is below."',
                            "fi",
                            "{",
                            '  echo "## $title"',
                            '  echo ""',
                            '  echo "$why"',
                            '  echo ""',
                            "  echo '```diff'",
                            "  cat preview.txt",
                            "  echo '```'",
                            '} >> "$GITHUB_STEP_SUMMARY"',
                            'echo "::error title=$title::pulumi preview --refresh found changes or failed; the diff is in the job summary"',
                            "exit 1",
                        ),
                    },
                ],
            },
        },
    };
}
