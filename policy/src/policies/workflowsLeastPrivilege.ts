/**
 * 9. Workflow files the stack commits run with the least privilege: the token gets nothing at the top
 * (jobs ask for what they need), and every action is pinned by full commit SHA, so a moved tag or
 * branch cannot change what runs with that token (a version tag such as `v4` or `v4.2.1` can be moved:
 * GitHub's security hardening guide and OpenSSF Scorecard ask for the SHA).
 */
import { resourcePolicy } from "../define";
import { TYPES } from "../resources";
import { WorkflowDoc, actionRefs, workflowFile } from "../workflows";

/** `owner/repo[/path]@<full 40-hex commit SHA>`. */
const PINNED_ACTION = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/;
/** `docker://image:tag` or `docker://image@sha256:...`, but not `:latest` or no tag. */
const PINNED_DOCKER = /^docker:\/\/[^:@\s]+(:(?!latest$)[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$/;
const READ_ONLY = new Set(["read", "none"]);

/** Why the top-level permissions are not least privilege, if they are not. */
export function permissionProblem(doc: WorkflowDoc): string | undefined {
    const p = doc.permissions;
    if (p === undefined || p === null) return "declares no top-level permissions (the token then gets the repository's default, often write-all); add `permissions: {}` and grant each job what it needs";
    if (p === "read-all") return undefined;
    if (typeof p !== "object" || Array.isArray(p)) return `declares top-level permissions ${JSON.stringify(p)}; expected {} or read-only scopes`;
    const writes = Object.entries(p as Record<string, unknown>).filter(([, level]) => !READ_ONLY.has(String(level)));
    if (writes.length === 0) return undefined;
    return `grants ${writes.map(([scope, level]) => `${scope}: ${String(level)}`).join(", ")} at the top level, to every job; grant it in the jobs that need it`;
}

export function unpinned(doc: WorkflowDoc): string[] {
    return [...new Set(actionRefs(doc))].filter((u) => !u.startsWith("./") && !PINNED_ACTION.test(u) && !PINNED_DOCKER.test(u));
}

export const workflowsLeastPrivilege = resourcePolicy(
    {
        name: "workflows-least-privilege",
        description:
            "Every workflow file the stack commits declares top-level `permissions: {}` (or read-only), granting jobs only what they need, and pins every action by its full commit SHA (a version tag can be moved). " +
            "Fix: change the workflow's typed definition (components/github/) accordingly.",
        enforcementLevel: "mandatory",
    },
    [TYPES.repositoryFile],
    (resource) => {
        const file = workflowFile(resource);
        if (!file) return [];
        if (!file.doc) return [`${file.path} ${file.problem}`];
        const problems: string[] = [];
        const permissions = permissionProblem(file.doc);
        if (permissions) problems.push(`${file.path} ${permissions}`);
        const refs = unpinned(file.doc);
        if (refs.length > 0) problems.push(`${file.path} uses actions not pinned by commit SHA: ${refs.join(", ")}`);
        return problems;
    },
);
