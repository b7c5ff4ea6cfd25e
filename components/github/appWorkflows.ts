/**
 * Every workflow file the program commits to the app repository: the housekeeping workflows and the
 * deploy trigger. The GitHub side commits them, the summary counts them, the tests lint them.
 */
import type { GithubSettings } from "../../config/github";
import type { RetentionPolicy } from "../images/ghcrRegistry";
import { TRIGGER_FILE, deployTriggerWorkflow } from "./deployTrigger";
import { ACTIONS, housekeepingWorkflows } from "./housekeeping";
import { Workflow } from "./workflowModel";

/** The app repository's generated workflows, by file name. */
export function appWorkflows(settings: GithubSettings, retention: RetentionPolicy): Record<string, Workflow> {
    return { ...housekeepingWorkflows(settings.workflows, retention), [TRIGGER_FILE]: deployTriggerWorkflow(settings.dispatch) };
}

/** The summary's figures: generated files, and container cleanup jobs counted from the generated matrix. */
export function workflowFigures(settings: GithubSettings, retention: RetentionPolicy): { workflows: string[]; cleanupJobs: number } {
    const workflows = appWorkflows(settings, retention);
    const jobs = Object.values(workflows).flatMap((w) => Object.values(w.jobs));
    const cleanup = jobs.filter((job) => job.steps.some((step) => step.uses === ACTIONS.deletePackageVersions));
    return { workflows: Object.keys(workflows), cleanupJobs: cleanup.reduce((n, job) => n + (job.strategy?.matrix.package.length ?? 1), 0) };
}
