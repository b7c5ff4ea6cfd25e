/**
 * The app repository's housekeeping workflows, derived from the active services' retention policy
 * and the workflow settings: container cleanup, old-run cleanup (or both merged into one
 * `housekeeping.yml`), CodeQL and Dependabot lockfile regeneration.
 */
import { APP_DEFAULT_BRANCH, WorkflowSettings } from "../../config/github";
import type { RetentionPolicy } from "../images/ghcrRegistry";
import { ACTIONS as PINNED } from "./actions";
import { Job, Step, Workflow } from "./workflowModel";

/** Actions the generated workflows use, pinned by commit SHA (components/github/actions.ts). */
export const ACTIONS = {
    checkout: PINNED.checkout,
    deletePackageVersions: PINNED.deletePackageVersions,
    deleteWorkflowRuns: PINNED.deleteWorkflowRuns,
    codeqlInit: PINNED.codeqlInit,
    codeqlAnalyze: PINNED.codeqlAnalyze,
    setupUv: PINNED.setupUv,
} as const;

/** Workflow file names (under `.github/workflows/`). */
export const FILES = {
    containerCleanup: "cleanup-containers.yml",
    runCleanup: "cleanup-old-runs.yml",
    housekeeping: "housekeeping.yml",
    codeql: "codeql.yml",
    lockfiles: "dependabot-lockfile-regen.yml",
} as const;

/** The app repository's trunk: CodeQL watches it and the cleanup follows its pipeline there. */
const MAIN = APP_DEFAULT_BRANCH;
export const RUNNER = "ubuntu-latest";

/** Every housekeeping workflow, by file name. */
export function housekeepingWorkflows(settings: WorkflowSettings, retention: RetentionPolicy): Record<string, Workflow> {
    const cleanups: Record<string, Workflow> = settings.mergeCleanups
        ? {
              [FILES.housekeeping]: {
                  name: "Housekeeping",
                  on: {
                      schedule: unique([settings.containerCleanupCron, settings.runCleanupCron]).map((cron) => ({ cron })),
                      workflow_run: afterMainPipeline(settings),
                      workflow_dispatch: {},
                  },
                  permissions: {},
                  concurrency: { group: "housekeeping", "cancel-in-progress": false },
                  jobs: {
                      // With two crons in one file each job answers only its own schedule.
                      "cleanup-containers": containerCleanupJob(retention, `${dispatched} || ${onSchedule(settings.containerCleanupCron)} || ${pipelineSucceeded}`),
                      "cleanup-workflow-runs": runCleanupJob(settings, `${dispatched} || ${onSchedule(settings.runCleanupCron)}`),
                  },
              },
          }
        : {
              [FILES.containerCleanup]: {
                  name: "Cleanup containers",
                  on: { schedule: [{ cron: settings.containerCleanupCron }], workflow_run: afterMainPipeline(settings), workflow_dispatch: {} },
                  permissions: {},
                  concurrency: { group: "cleanup-containers", "cancel-in-progress": false },
                  jobs: { "cleanup-containers": containerCleanupJob(retention, `github.event_name != 'workflow_run' || ${succeeded}`) },
              },
              [FILES.runCleanup]: {
                  name: "Cleanup old workflow runs",
                  on: { schedule: [{ cron: settings.runCleanupCron }], workflow_dispatch: {} },
                  permissions: {},
                  concurrency: { group: "cleanup-old-runs", "cancel-in-progress": false },
                  jobs: { "cleanup-workflow-runs": runCleanupJob(settings) },
              },
          };
    return { ...cleanups, [FILES.codeql]: codeql(settings), [FILES.lockfiles]: lockfileRegeneration() };
}

const dispatched = "github.event_name == 'workflow_dispatch'";
const succeeded = "github.event.workflow_run.conclusion == 'success'";
const pipelineSucceeded = `(github.event_name == 'workflow_run' && ${succeeded})`;
const onSchedule = (cron: string) => `(github.event_name == 'schedule' && github.event.schedule == '${cron}')`;

function afterMainPipeline(settings: WorkflowSettings) {
    // workflow_run has no "success" type: the job's `if` checks the conclusion.
    return { workflows: [settings.mainPipeline], types: ["completed" as const], branches: [MAIN] };
}

/** One job per image package (the matrix): keep the newest N versions, then untagged ones but K. */
function containerCleanupJob(retention: RetentionPolicy, condition: string): Job {
    const common = { "package-name": "${{ matrix.package }}", "package-type": "container" };
    return {
        name: "Cleanup ${{ matrix.package }}",
        if: condition,
        "runs-on": RUNNER,
        permissions: { packages: "write" },
        strategy: { "fail-fast": false, matrix: { package: retention.packages } },
        "timeout-minutes": 15,
        steps: [
            {
                name: `Keep the ${retention.keepVersions} newest versions`,
                uses: ACTIONS.deletePackageVersions,
                with: { ...common, "min-versions-to-keep": retention.keepVersions },
            },
            {
                name: `Delete untagged versions, keeping ${retention.keepUntagged}`,
                uses: ACTIONS.deletePackageVersions,
                with: { ...common, "min-versions-to-keep": retention.keepUntagged, "delete-only-untagged-versions": "true" },
            },
        ],
    };
}

function runCleanupJob(settings: WorkflowSettings, condition?: string): Job {
    return {
        name: "Cleanup old workflow runs",
        if: condition,
        "runs-on": RUNNER,
        permissions: { actions: "write" },
        "timeout-minutes": 30,
        steps: [
            {
                name: `Delete runs older than ${settings.runRetentionDays} days, keeping ${settings.runMinimumKept} per workflow`,
                uses: ACTIONS.deleteWorkflowRuns,
                with: {
                    token: "${{ github.token }}",
                    repository: "${{ github.repository }}",
                    retain_days: settings.runRetentionDays,
                    keep_minimum_runs: settings.runMinimumKept,
                },
            },
        ],
    };
}

function codeql(settings: WorkflowSettings): Workflow {
    return {
        name: "CodeQL",
        on: {
            push: { branches: [MAIN] },
            pull_request: { branches: [MAIN] },
            schedule: [{ cron: settings.codeqlCron }],
        },
        permissions: {},
        concurrency: { group: "codeql-${{ github.ref }}", "cancel-in-progress": true },
        jobs: {
            analyze: {
                name: "Analyze (${{ matrix.language }})",
                "runs-on": RUNNER,
                // actions: read lets CodeQL see the workflow run in private repositories.
                permissions: { actions: "read", contents: "read", "security-events": "write" },
                strategy: { "fail-fast": false, matrix: { language: settings.codeqlLanguages } },
                "timeout-minutes": 60,
                steps: [
                    checkout(),
                    { name: "Initialise CodeQL", uses: ACTIONS.codeqlInit, with: { languages: "${{ matrix.language }}" } },
                    { name: "Analyse", uses: ACTIONS.codeqlAnalyze, with: { category: "/language:${{ matrix.language }}" } },
                ],
            },
        },
    };
}

/** Dependabot bumps requirements; this regenerates the uv lockfiles with hashes on its branch. */
function lockfileRegeneration(): Workflow {
    return {
        name: "Dependabot lockfile regeneration",
        on: { pull_request: { paths: ["requirements/**", "pyproject.toml"] } },
        permissions: {},
        concurrency: { group: "lockfiles-${{ github.event.pull_request.number }}", "cancel-in-progress": true },
        jobs: {
            regenerate: {
                name: "Regenerate lockfiles",
                if: "github.event.pull_request.user.login == 'dependabot[bot]'",
                "runs-on": RUNNER,
                // Pushes the regenerated files to Dependabot's branch; nothing else.
                permissions: { contents: "write" },
                "timeout-minutes": 15,
                steps: [
                    {
                        name: "Check out the Dependabot branch",
                        uses: ACTIONS.checkout,
                        with: { ref: "${{ github.event.pull_request.head.ref }}" },
                    },
                    { name: "Install uv", uses: ACTIONS.setupUv },
                    {
                        name: "Regenerate requirements with hashes",
                        run: [
                            "set -euo pipefail",
                            "for source in requirements/*.in; do",
                            '  uv pip compile --quiet --generate-hashes --output-file "${source%.in}.txt" "$source"',
                            "done",
                        ].join("\n"),
                    },
                    {
                        name: "Commit and push the lockfiles",
                        // The branch name reaches the script through the environment, never inline.
                        env: { HEAD_REF: "${{ github.event.pull_request.head.ref }}" },
                        run: [
                            "set -euo pipefail",
                            'git config user.name "github-actions[bot]"',
                            'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
                            "git add requirements",
                            'if git diff --cached --quiet; then echo "lockfiles already up to date"; exit 0; fi',
                            'git commit -m "Regenerate lockfiles with hashes"',
                            'git push origin "HEAD:${HEAD_REF}"',
                        ].join("\n"),
                    },
                ],
            },
        },
    };
}

function checkout(): Step {
    // Analysis needs no push access: do not leave the token in .git/config.
    return { name: "Check out", uses: ACTIONS.checkout, with: { "persist-credentials": false } };
}

function unique<T>(values: T[]): T[] {
    return [...new Set(values)];
}
