/** The stand-in app's Celery contract writer (the build step recording task names): its Python tests (a stub Celery app), run with python3. */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { HANG_GUARD_MS } from "../support/hangGuard";

describe("app/: the Celery contract the build records (config/celery_contract.py)", () => {
    it("writes the sorted task names and beat's schedule, and fails the build when the committed file is stale", function () {
        const run = spawnSync("python3", ["-B", path.join(__dirname, "celery_contract_test.py")], { encoding: "utf8", timeout: HANG_GUARD_MS });
        if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") this.skip();
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.match(/Ran 4 tests/);
    });
});
