/**
 * Steps of prod's promotion and rollback: the release input, the evidence the reviewers see (the
 * commit and its images, the dev deployment and the test run that vouched for them) and, after the
 * update, the digests prod runs.
 */
import { Step } from "../../components/github/workflowModel";
import { STATE_ENV, script } from "./steps";

/** The workflow_dispatch input naming a rollback; empty promotes dev's release. */
export const RELEASE_INPUT = "release";

/** Validates the rollback input and, when given, sets it as `site:releaseTag` for this run. */
export function selectRelease(stack: string): Step {
    return {
        name: `Select the release (\`inputs.${RELEASE_INPUT}\`: a rollback)`,
        env: { RELEASE: `\${{ inputs.${RELEASE_INPUT} }}`, STACK: stack },
        run: script(
            'if [ -z "$RELEASE" ]; then exit 0; fi',
            'if ! [[ "$RELEASE" =~ ^[0-9a-f]{40}$ ]]; then',
            `  echo "::error title=Bad ${RELEASE_INPUT} input::expected the full 40-digit SHA of an earlier app commit (its images are tagged <target>-<sha>)"`,
            "  exit 1",
            "fi",
            'pulumi config set site:releaseTag "$RELEASE" --stack "$STACK"',
        ),
    };
}

/**
 * Step `commit`: what is promoted and who vouched for it, in the job summary. A promotion takes
 * dev's release (the commit and digests dev runs); a rollback the given commit, whose tags the
 * preview resolves. The dev deployment and the test run come from the app repository's deployments
 * of that commit, which dev's deploy job recorded.
 */
export function evidence(app: string): Step {
    return {
        name: "Show the evidence: commit, images, dev deployment, test run",
        id: "commit",
        env: { ...STATE_ENV, GH_TOKEN: "${{ secrets.APP_REPOSITORY_TOKEN }}", APP: app, RELEASE: `\${{ inputs.${RELEASE_INPUT} }}` },
        run: script(
            'if [ -n "$RELEASE" ]; then',
            '  sha="$RELEASE"',
            '  what="Rollback of prod to app commit"',
            "  release='{}'",
            "else",
            '  release="$(pulumi stack output --json --stack dev | jq -c \'.release // {}\')"',
            '  sha="$(jq -r \'.commitSha // empty\' <<<"$release")"',
            '  what="Promotion to prod of app commit"',
            "fi",
            'if ! [[ "$sha" =~ ^[0-9a-f]{40}$ ]]; then',
            '  echo "::error title=Nothing to promote::dev records no tested commit (deploy dev first), or the release input is not a full SHA"',
            "  exit 1",
            "fi",
            'deployments="$(gh api "repos/$APP/deployments?sha=$sha&environment=dev&per_page=100")"',
            'test_run="$(jq -r \'[.[] | .payload.test_run? // empty | select(. != "")] | first // empty\' <<<"$deployments")"',
            'deployment_id="$(jq -r \'first | .id // empty\' <<<"$deployments")"',
            'dev="none: this commit was never deployed to dev"',
            'if [ -n "$deployment_id" ]; then',
            '  dev="$(gh api "repos/$APP/deployments/$deployment_id/statuses?per_page=1" --jq \'first // {} | "\\(.state // "no status") \\(.environment_url // "")"\')"',
            '  dev="deployment $deployment_id: $dev"',
            "else",
            '  echo "::warning title=No dev deployment::app commit $sha has no dev deployment on record"',
            "fi",
            "{",
            '  echo "## $what \\`$sha\\`"',
            '  echo ""',
            '  echo "| evidence | |"',
            '  echo "|---|---|"',
            '  echo "| commit | https://github.com/$APP/commit/$sha |"',
            '  echo "| test run | ${test_run:-none on record} |"',
            '  echo "| dev deployment | $dev |"',
            '  echo ""',
            '  if [ -n "$RELEASE" ]; then',
            '    echo "Images: each service\'s \\`<target>-$sha\\` tag, resolved to its digest in the preview below."',
            "  else",
            '    echo "| service | target | image (dev\'s release) |"',
            '    echo "|---|---|---|"',
            "    jq -r '(.images // {} | to_entries[] | \"| \\(.key) | \\(.value.target) | `\\(.value.ref)` |\"), (.alternates // [] | .[] | \"| \\(.service) | \\(.target) | `\\(.ref)` |\")' <<<\"$release\"",
            "  fi",
            '} >> "$GITHUB_STEP_SUMMARY"',
            'echo "sha=$sha" >> "$GITHUB_OUTPUT"',
            'echo "test_run=$test_run" >> "$GITHUB_OUTPUT"',
        ),
    };
}

/** After the update: the digests prod runs, from its outputs. */
export function deployedImages(stack: string): Step {
    return {
        name: `Show the images ${stack} runs`,
        env: { ...STATE_ENV, STACK: stack },
        run: script(
            "{",
            '  echo "### Images $STACK runs now"',
            '  echo ""',
            '  echo "| service | image |"',
            '  echo "|---|---|"',
            "  pulumi stack output --json --stack \"$STACK\" | jq -r '.images // {} | to_entries[] | \"| \\(.key) | `\\(.value)` |\"'",
            '} >> "$GITHUB_STEP_SUMMARY"',
        ),
    };
}
