/**
 * Writes `.github/workflows/infra.yml` from its typed definition (components/github/infraWorkflow.ts).
 * Run after changing the definition: `npx ts-node scripts/write-infra-workflow.ts`; a test fails
 * while the committed file differs.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { INFRA_WORKFLOW_PATH, infraWorkflow } from "../components/github/infraWorkflow";
import { renderWorkflow } from "../components/github/workflowModel";

/** The app repository as the dev stack file names it (`site:githubOwner`/`site:appRepository`). */
export function appRepository(): string {
    const dev = parse(fs.readFileSync(path.resolve(__dirname, "..", "Pulumi.dev.yaml"), "utf8")).config;
    return `${dev["site:githubOwner"]}/${dev["site:appRepository"]}`;
}

/** The file's text, header included. */
export function infraWorkflowText(): string {
    return renderWorkflow(infraWorkflow(appRepository()), "Generated from components/github/infraWorkflow.ts by `npx ts-node scripts/write-infra-workflow.ts`.\nEdit the definition, not this file.");
}

if (require.main === module) {
    const target = path.resolve(__dirname, "..", INFRA_WORKFLOW_PATH);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, infraWorkflowText());
    console.log(`wrote ${INFRA_WORKFLOW_PATH}`);
}
