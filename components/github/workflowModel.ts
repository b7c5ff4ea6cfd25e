/**
 * A typed subset of the GitHub Actions workflow syntax, and its serialisation.
 *
 * Workflows are built as objects of these types and written with the `yaml` library, never by
 * string concatenation, so quoting is always right and a generated file parses as it was built.
 */
import { Document, isScalar, visit } from "yaml";
import { pinnedVersion } from "./actions";

/** Token scopes a job may be granted. `write-all` is deliberately not expressible. */
export type PermissionScope =
    | "actions"
    | "attestations"
    | "checks"
    | "contents"
    | "deployments"
    | "id-token"
    | "issues"
    | "packages"
    | "pages"
    | "pull-requests"
    | "security-events"
    | "statuses";

/** Least-privilege grants: every scope not named is `none`. */
export type Permissions = Partial<Record<PermissionScope, "read" | "write">>;

/** One step of a job: an action (`uses`) or a shell script (`run`). */
export interface Step {
    /** Label in the run log. */
    name: string;
    /** Step id, to read its outputs. */
    id?: string;
    /** Condition expression. */
    if?: string;
    /** Action reference, pinned by commit SHA (components/github/actions.ts). */
    uses?: string;
    /** Action inputs. */
    with?: Record<string, string | number | boolean>;
    /** Shell script. */
    run?: string;
    /** Step environment (how untrusted values reach scripts). */
    env?: Record<string, string>;
}

/** A concurrency group: runs in one group never overlap. */
export interface Concurrency {
    /** Group name (may be an expression). */
    group: string;
    /** Cancel the running member when a new one starts. */
    "cancel-in-progress": boolean;
}

/** A job. */
export interface Job {
    /** Display name. */
    name?: string;
    /** Condition expression. */
    if?: string;
    /** Jobs that must finish first. */
    needs?: string[];
    /** Runner label. */
    "runs-on": string;
    /** Token permissions of this job (always given: the workflow grants nothing). */
    permissions: Permissions;
    /** Deployment environment (gates the job on its protection rules). */
    environment?: string | { name: string; url?: string };
    /** Concurrency group of this job. */
    concurrency?: Concurrency;
    /** Matrix strategy. */
    strategy?: { "fail-fast"?: boolean; "max-parallel"?: number; matrix: Record<string, (string | number)[]> };
    /** Time limit. */
    "timeout-minutes"?: number;
    /** Job environment. */
    env?: Record<string, string>;
    /** Values later jobs read as `needs.<job>.outputs.<name>`. */
    outputs?: Record<string, string>;
    /** Steps, in order. */
    steps: Step[];
}

/** Branch filters of push and pull_request triggers. */
export interface BranchFilter {
    /** Branches that trigger. */
    branches?: string[];
    /** Only when these paths change. */
    paths?: string[];
}

/** A workflow_dispatch input. */
export interface DispatchInput {
    /** Shown in the UI. */
    description: string;
    /** Must be given. */
    required: boolean;
    /** Input type. */
    type: "string" | "boolean" | "choice";
    /** Default value. */
    default?: string | boolean;
    /** Choices of a `choice` input. */
    options?: string[];
}

/** Triggers. */
export interface Triggers {
    /** Cron schedules (UTC). */
    schedule?: { cron: string }[];
    /** Pushes. */
    push?: BranchFilter;
    /** Pull requests. */
    pull_request?: BranchFilter & { types?: string[] };
    /** Manual runs. */
    workflow_dispatch?: { inputs?: Record<string, DispatchInput> };
    /** After other workflows finish. */
    workflow_run?: { workflows: string[]; types: ("completed" | "requested" | "in_progress")[]; branches?: string[] };
    /** Events another repository sends through the API (`POST /repos/{owner}/{repo}/dispatches`). */
    repository_dispatch?: { types: string[] };
}

/** A workflow file. */
export interface Workflow {
    /** Display name (also what `workflow_run` triggers refer to). */
    name: string;
    /** Triggers. */
    on: Triggers;
    /** Workflow-wide grant: always empty, each job asks for its own. */
    permissions: Record<string, never>;
    /** Workflow-wide concurrency group. */
    concurrency?: Concurrency;
    /** Workflow environment. */
    env?: Record<string, string>;
    /** Jobs by id. */
    jobs: Record<string, Job>;
}

/**
 * Serialises a workflow, with a comment heading the file and, beside each `uses:` pinned by commit
 * SHA, the release that commit is (`uses: actions/checkout@<sha> # v7.0.1`).
 */
export function renderWorkflow(workflow: Workflow, header: string): string {
    // No anchors for shared objects: GitHub's parser rejects aliases where it expects a mapping.
    const doc = new Document(workflow, { aliasDuplicateObjects: false });
    doc.commentBefore = ` ${header.split("\n").join("\n ")}`;
    visit(doc, {
        Pair(_, pair) {
            if (!isScalar(pair.key) || pair.key.value !== "uses" || !isScalar(pair.value)) return;
            const version = pinnedVersion(String(pair.value.value));
            if (version) pair.value.comment = ` ${version}`;
        },
    });
    // No line folding: long expressions stay on one line, as people write them.
    return doc.toString({ lineWidth: 0 });
}

/** Every `uses:` reference of a workflow (for pinning checks). */
export function actionRefs(workflow: Workflow): string[] {
    return Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.uses).filter((u): u is string => !!u));
}
