/**
 * This repository's own workflow files (written by scripts/infra-workflow/): named here, below the
 * scripts that write them, so the summary can count them without importing upward.
 */
export const INFRA_WORKFLOW_PATH = ".github/workflows/infra.yml";
export const FLOWER_WORKFLOW_PATH = ".github/workflows/flower.yml";
export const DRIFT_WORKFLOW_PATH = ".github/workflows/drift.yml";

/** Every workflow file of this repository. */
export const WORKFLOWS_HERE = [INFRA_WORKFLOW_PATH, FLOWER_WORKFLOW_PATH, DRIFT_WORKFLOW_PATH];
