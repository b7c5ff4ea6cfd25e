/**
 * Writes this repository's workflows (`.github/workflows/infra.yml`, `flower.yml`, `drift.yml`) from
 * their typed definitions beside this file. Run after changing one: `npm run write:infra-workflow`;
 * a test fails while a committed file differs.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Workflow, renderWorkflow } from "../../components/github/workflowModel";
import { INFRA_WORKFLOW_PATH, infraWorkflow } from "./definition";
import { DRIFT_WORKFLOW_PATH, driftWorkflow } from "./drift";
import { FLOWER_WORKFLOW_PATH, flowerWorkflow } from "./flower";

const ROOT = path.resolve(__dirname, "..", "..");

/** The app repository as the dev stack file names it (`site:githubOwner`/`site:appRepository`). */
export function appRepository(): string {
    const dev = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).config;
    return `${dev["site:githubOwner"]}/${dev["site:appRepository"]}`;
}

/** Every workflow of this repository, by path. */
export function infraWorkflows(): Record<string, Workflow> {
    return {
        [INFRA_WORKFLOW_PATH]: infraWorkflow(appRepository()),
        [FLOWER_WORKFLOW_PATH]: flowerWorkflow(),
        [DRIFT_WORKFLOW_PATH]: driftWorkflow(),
    };
}

/** Each file's text, header included. */
export function infraWorkflowTexts(): Record<string, string> {
    const source = (file: string) => (file === INFRA_WORKFLOW_PATH ? "definition.ts" : path.basename(file).replace(/\.yml$/, ".ts"));
    return Object.fromEntries(
        Object.entries(infraWorkflows()).map(([file, workflow]) => [
            file,
            renderWorkflow(workflow, `Generated from scripts/infra-workflow/${source(file)} by \`npm run write:infra-workflow\`.\nEdit the definition, not this file.`),
        ]),
    );
}

if (require.main === module) {
    for (const [file, text] of Object.entries(infraWorkflowTexts())) {
        const target = path.join(ROOT, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
        console.log(`wrote ${file}`);
    }
}
