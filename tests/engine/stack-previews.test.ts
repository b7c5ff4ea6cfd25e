/**
 * `npm run preview -- <stack>` (scripts/preview.ts, run compiled by scripts/compiled.js; the main job) on the real dev and prod stacks,
 * through the real engine, with the policy pack. Plugins that cannot be built on this machine
 * (github, command, docker: the Go module proxy refuses their provider modules) are named to the
 * program through SITE_UNAVAILABLE_PLUGINS, and it leaves the parts that need them out of the
 * preview, saying so.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { REPO, RunResult, engineEnv, ensureTools, killAll, run } from "../../scripts/engine/driver";

/** A preview takes seconds once the tools exist (minutes on a machine loaded many times over); the bound only stops a hang. */
const PREVIEW_TIMEOUT = 15 * 60_000;

async function preview(stack: string): Promise<RunResult & { output: string }> {
    const env = engineEnv(await ensureTools(), {});
    const r = await run("npm", ["run", "--silent", "preview", "--", stack], { env, timeoutMs: PREVIEW_TIMEOUT, allowFailure: true });
    return { ...r, output: `${r.stdout}\n${r.stderr}` };
}

/** The plugins npm run preview reported missing ("plugins not available on this machine: a,b"). */
function unavailable(output: string): string[] {
    const m = /plugins not available on this machine: ([a-z0-9,-]+)/.exec(output);
    return m ? m[1].split(",") : [];
}

/** The policy pack's verdict: the pack's line under "Policies:" and the policies it reported as mandatory. */
function policies(output: string): { pack: string | undefined; mandatory: string[] } {
    const pack = /Policies:\n\s+(\S+ site@v[\d.]+) \(local: /.exec(output)?.[1];
    return { pack, mandatory: [...output.matchAll(/\[mandatory\]\s+([a-z0-9-]+)/g)].map((m) => m[1]) };
}

/** The distinct error diagnostics of a preview (the CLI prints each one twice: live and in the summary). */
function errors(output: string): string[] {
    return [...new Set(output.split("\n").map((l) => /\berror: (.*)$/.exec(l)?.[1]?.trim()).filter((e): e is string => !!e))];
}

describe("engine: npm run preview of the real stacks", function () {
    this.timeout(PREVIEW_TIMEOUT + 60_000);

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
    });

    after(() => killAll());

    it("dev: succeeds, leaving out (with a warning) what needs a plugin this machine cannot build", async () => {
        const r = await preview("dev");
        expect(r.code, r.output).to.equal(0);
        expect(errors(r.output)).to.deep.equal([]);
        expect(r.output).to.match(/Resources:\s+\+ \d+ to create/);
        // The policy pack ran and nothing mandatory objects (advisory findings print as warnings).
        expect(policies(r.output).pack, r.output).to.match(/site@v0\.1\.0$/);
        expect(policies(r.output).mandatory).to.deep.equal([]);
        // Dev manages the GitHub side: without the github plugin that part is named as left out.
        if (unavailable(r.output).includes("github")) {
            expect(r.output).to.include("GitHub secrets and workflow files: left out of this preview because the github resource plugin is not installed here");
        }
    });

    it("a repeated preview repeats no set-up; a changed tools script runs again", async () => {
        await preview("dev");
        const again = await preview("dev");
        expect(again.code, again.output).to.equal(0);
        // ensure-tools.sh prints progress lines ([ensure-tools] ...) whenever it runs; the stack exists; the build is current.
        expect(again.output).not.to.include("[ensure-tools]");
        expect(again.output).not.to.include("creating stack");
        const script = path.join(REPO, "scripts", "ensure-tools.sh");
        const mtime = fs.statSync(script).mtime;
        fs.utimesSync(script, new Date(), new Date());
        try {
            const changed = await preview("dev");
            expect(changed.code, changed.output).to.equal(0);
            expect(changed.output).to.include("[ensure-tools] pulumi v");
        } finally {
            fs.utimesSync(script, new Date(), mtime);
        }
    });

    it("a program source newer than its build is compiled before the preview runs it", async () => {
        const source = path.join(REPO, "index.ts");
        const built = path.join(REPO, "build", "index.js");
        fs.utimesSync(source, new Date(), new Date(Math.max(Date.now(), fs.statSync(built).mtimeMs + 1000)));
        const r = await preview("dev");
        expect(r.code, r.output).to.equal(0);
        expect(fs.statSync(built).mtimeMs).to.be.at.least(fs.statSync(source).mtimeMs);
    });

    it("prod: succeeds, leaving out what needs unavailable plugins, with dev's images unknown until dev is deployed", async () => {
        const r = await preview("prod");
        expect(r.code, r.output).to.equal(0);
        expect(errors(r.output)).to.deep.equal([]);
        expect(r.output).to.match(/Resources:\s+\+ \d+ to create/);
        expect(policies(r.output).pack, r.output).to.match(/site@v0\.1\.0$/);
        expect(policies(r.output).mandatory).to.deep.equal([]);
        const missing = unavailable(r.output);
        if (missing.includes("github")) {
            expect(r.output).to.include("GitHub secrets and workflow files: left out of this preview because the github resource plugin is not installed here");
        }
        if (missing.includes("command")) {
            expect(r.output).to.include("re-tagging of promoted images: left out of this preview because the command resource plugin is not installed here");
        }
        // Prod promotes dev's images, and dev's `up` (which builds them) needs Docker and GHCR: no
        // local state has them, so the preview says so per service instead of failing.
        for (const s of ["web", "celery", "celerybeat", "flower"]) {
            expect(r.output).to.include(`site:promoteFrom: stack dev exports no image for ${s} yet (deploy dev first)`);
        }
    });
});
