/**
 * Writes `.github/workflows/infra.yml` from its typed definition (`definition.ts` beside this file).
 * Run after changing the definition: `npm run write:infra-workflow`; a test fails while the
 * committed file differs.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { renderWorkflow } from "../../components/github/workflowModel";
import { INFRA_WORKFLOW_PATH, infraWorkflow } from "./definition";

const ROOT = path.resolve(__dirname, "..", "..");

/** The app repository as the dev stack file names it (`site:githubOwner`/`site:appRepository`). */
export function appRepository(): string {
    const dev = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).config;
    return `${dev["site:githubOwner"]}/${dev["site:appRepository"]}`;
}

/** The file's text, header included. */
export function infraWorkflowText(): string {
    return renderWorkflow(infraWorkflow(appRepository()), "Generated from scripts/infra-workflow/definition.ts by `npm run write:infra-workflow`.\nEdit the definition, not this file.");
}

if (require.main === module) {
    const target = path.join(ROOT, INFRA_WORKFLOW_PATH);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, infraWorkflowText());
    console.log(`wrote ${INFRA_WORKFLOW_PATH}`);
}
