/**
 * Workflow files the stack commits (`github:index/repositoryFile:RepositoryFile` under
 * `.github/workflows/`), parsed from the content the program sends: what they permit, which actions
 * they use, and what the container cleanup keeps.
 */
import { SiteResource, TYPES } from "./resources";
import { UNKNOWN, reveal } from "./wire";
import { parseYaml } from "./yaml";

interface Step {
    uses?: unknown;
    with?: Record<string, unknown>;
}
interface Job {
    uses?: unknown;
    steps?: Step[];
    strategy?: { matrix?: Record<string, unknown> };
}
export interface WorkflowDoc {
    permissions?: unknown;
    jobs?: Record<string, Job>;
}

/** A committed workflow: its path, and its parsed content (or why it could not be parsed). */
export interface WorkflowFile {
    urn: string;
    path: string;
    doc?: WorkflowDoc;
    problem?: string;
}

const WORKFLOW_PATH = /^\.github\/workflows\/[^/]+\.ya?ml$/;

/** The workflow file a resource commits, if it commits one with known content. */
export function workflowFile(resource: SiteResource): WorkflowFile | undefined {
    if (resource.type !== TYPES.repositoryFile) return undefined;
    const inputs = (reveal(resource.inputs) ?? {}) as Record<string, unknown>;
    if (typeof inputs.file !== "string" || !WORKFLOW_PATH.test(inputs.file)) return undefined;
    if (inputs.content === UNKNOWN) return undefined;
    if (typeof inputs.content !== "string") return { urn: resource.urn, path: inputs.file, problem: "has no content" };
    try {
        const doc = parseYaml(inputs.content) as unknown;
        if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { urn: resource.urn, path: inputs.file, problem: "is not a YAML mapping" };
        return { urn: resource.urn, path: inputs.file, doc: doc as WorkflowDoc };
    } catch (e) {
        return { urn: resource.urn, path: inputs.file, problem: `is not valid YAML (${(e as Error).message.split("\n")[0]})` };
    }
}

/** Every `uses:` of a workflow: steps' actions and jobs' reusable workflows. */
export function actionRefs(doc: WorkflowDoc): string[] {
    return Object.values(doc.jobs ?? {}).flatMap((job) => [job.uses, ...(job.steps ?? []).map((s) => s.uses)].filter((u): u is string => typeof u === "string"));
}

/** One container-cleanup step: what it deletes from and how many versions it keeps. */
export interface Cleanup {
    file: WorkflowFile;
    /** Package names; `undefined` when an expression names them (then every package counts). */
    packages: string[] | undefined;
    /** `min-versions-to-keep`; absent, the action deletes the oldest version on every run, whatever is left. */
    keep: number | undefined;
}

const DELETE_PACKAGE_VERSIONS = /^actions\/delete-package-versions@/;
const MATRIX_REF = /^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$/;

/** The steps of a workflow that delete tagged package versions (steps limited to untagged ones keep every tagged image). */
export function cleanups(file: WorkflowFile): Cleanup[] {
    const out: Cleanup[] = [];
    for (const job of Object.values(file.doc?.jobs ?? {})) {
        for (const step of job.steps ?? []) {
            if (typeof step.uses !== "string" || !DELETE_PACKAGE_VERSIONS.test(step.uses)) continue;
            const w = step.with ?? {};
            if (String(w["delete-only-untagged-versions"]) === "true") continue;
            const name = String(w["package-name"] ?? "");
            const matrix = MATRIX_REF.exec(name);
            const fromMatrix = matrix ? job.strategy?.matrix?.[matrix[1]] : undefined;
            const packages = matrix ? (Array.isArray(fromMatrix) ? fromMatrix.map(String) : undefined) : name.includes("${{") ? undefined : name.split(",").map((p) => p.trim()).filter((p) => p !== "");
            const keep = w["min-versions-to-keep"] === undefined ? undefined : Number(w["min-versions-to-keep"]);
            out.push({ file, packages, keep: keep !== undefined && Number.isFinite(keep) ? keep : undefined });
        }
    }
    return out;
}
