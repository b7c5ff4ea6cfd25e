/**
 * Celery task names across releases through the real engine (emulator): the local stack's first
 * `up` records the stand-in's task names and beat's schedule in its release output; a release whose
 * committed contract drops a task beat schedules then fails the preview (policy celery-task-names),
 * naming the task and the beat entry, the stack having read its own last release; acknowledged for
 * this release (site:release.removedTasks), the same preview passes.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, RunResult } from "../../scripts/engine/driver";
import { CLI_TIMEOUT, STACK, configure } from "../../scripts/engine/localStack";
import { operation, useLocalStack } from "./scenario";

const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;
const mandatoryPolicies = (r: RunResult) => [...new Set([...output(r).matchAll(/\[mandatory\]\s+([a-z0-9-]+)/g)].map((m) => m[1]))];
const REMOVED = "pages.tasks.rebuild_sitemap";

describe("engine: Celery task names across releases (emulator)", function () {
    this.timeout(5 * CLI_TIMEOUT);

    const local = useLocalStack();
    const stack = ["--stack", STACK];
    let context: string;

    after(() => {
        if (context) fs.rmSync(context, { recursive: true, force: true });
    });

    it("the first up records the release's task names and beat's schedule in the release output", async () => {
        await operation(local.ws, ["up"]);
        const outputs = JSON.parse((await local.ws.pulumi(["stack", "output", "--json", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout) as { release: { celery: { tasks: string[]; schedule: Record<string, string> } } };
        const committed = JSON.parse(fs.readFileSync(path.join(REPO, "app", "deployment", "celery-contract.json"), "utf8"));
        expect(outputs.release.celery).to.deep.equal(committed);
        expect(outputs.release.celery.schedule["nightly-sitemap"]).to.equal(REMOVED);
    });

    it("a release dropping a task beat schedules fails the preview, naming the task and the entry", async () => {
        // The next release's checkout: its committed contract without the task and its beat entry.
        context = fs.mkdtempSync(path.join(os.tmpdir(), "site-next-release-"));
        fs.mkdirSync(path.join(context, "deployment"));
        const committed = JSON.parse(fs.readFileSync(path.join(REPO, "app", "deployment", "celery-contract.json"), "utf8"));
        const next = { tasks: committed.tasks.filter((t: string) => t !== REMOVED), schedule: { "daily-digest": committed.schedule["daily-digest"] } };
        fs.writeFileSync(path.join(context, "deployment", "celery-contract.json"), JSON.stringify(next));
        await configure(local.ws, "set", "site:buildContext", context);
        const preview = await local.ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(preview.code, output(preview)).to.not.equal(0);
        expect(mandatoryPolicies(preview)).to.deep.equal(["celery-task-names"]);
        expect(preview.stdout).to.include(`this release removes Celery task names the running release registers: ${REMOVED} (beat schedules it: nightly-sitemap)`);
        expect(preview.stdout).to.include(`pulumi config set --path 'site:release.removedTasks[0]' ${REMOVED}`);
    });

    it("acknowledged for this release (site:release.removedTasks), the same preview passes", async () => {
        await configure(local.ws, "set", "--path", "site:release.removedTasks[0]", REMOVED);
        const preview = await local.ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(preview.code, output(preview)).to.equal(0);
        expect(mandatoryPolicies(preview)).to.deep.equal([]);
    });
});
