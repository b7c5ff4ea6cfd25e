/** The stand-in app's Celery health endpoint: its Python tests (stubs for Django and Celery), run with python3. */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { HANG_GUARD_MS } from "../support/hangGuard";

describe("app/: the Celery health endpoint (/health/celery/)", () => {
    it("answers 200 with the workers that answered, 503 when none or the broker is down, and Prometheus metrics on ?format=prometheus", function () {
        const run = spawnSync("python3", ["-B", path.join(__dirname, "celery_health_test.py")], { encoding: "utf8", timeout: HANG_GUARD_MS });
        if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") this.skip();
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.match(/Ran 4 tests/);
    });
});
