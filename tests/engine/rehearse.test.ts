/**
 * `npm run rehearse` end to end, as an operator runs it: the engine, the emulator, both flips and
 * the health gates. The local-stack test checks the unified flip in detail; this one rehearses
 * phase 1 (essential) and checks that a bad command line stops before anything starts.
 */
import { expect } from "chai";
import { engineEnv, ensureTools, killAll, run } from "../../scripts/engine/driver";

describe("engine: npm run rehearse", function () {
    // The rehearsal takes a minute or two here; the bounds only stop a hang, even on a loaded machine.
    this.timeout(35 * 60_000);

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
    });

    after(() => killAll());

    it("rehearses split -> essential -> split and passes, printing each diff and the timings", async () => {
        const r = await run("npm", ["run", "--silent", "rehearse", "--", "essential", "--deploy-seconds", "0"], { env: engineEnv(await ensureTools(), {}), timeoutMs: 30 * 60_000, allowFailure: true });
        expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
        expect(r.stdout).to.include("2. flip to essential").and.include("pulumi config set site:topology essential   (the one line)");
        expect(r.stdout).to.match(/delete +App::flower/).and.match(/create +App::flower/);
        expect(r.stdout).to.match(/local-flower +flower .* GET \/healthcheck 200 OK/);
        expect(r.stdout).to.match(/\d+\.\d s +in all/);
        expect(r.stdout).to.include("rehearsal passed: split -> essential -> split is one line each way");
    });

    it("refuses an unknown profile, or the one the stack already runs, with the usage", async () => {
        const env = engineEnv(await ensureTools(), {});
        const unknown = await run("npm", ["run", "--silent", "rehearse", "--", "quad"], { env, allowFailure: true });
        expect([unknown.code, unknown.stderr]).to.satisfy(([code, err]: [number, string]) => code === 2 && err.includes('unknown profile "quad"'));
        const same = await run("npm", ["run", "--silent", "rehearse", "--", "split"], { env, allowFailure: true });
        expect(same.code).to.equal(2);
        expect(same.stderr).to.include("the local stack already runs split");
    });
});
