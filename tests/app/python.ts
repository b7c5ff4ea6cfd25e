/** The stand-in app's Python tests (stubs for Django, Celery and redis, none installed here), run with python3. */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { HANG_GUARD_MS } from "../support/hangGuard";

/** A mocha test body running `file` (beside this one) with unittest; skipped where python3 is missing. */
export function pythonTests(file: string, count: number): (this: Mocha.Context) => void {
    return function () {
        const run = spawnSync("python3", ["-B", path.join(__dirname, file)], { encoding: "utf8", timeout: HANG_GUARD_MS });
        if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") this.skip();
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.match(new RegExp(`Ran ${count} tests`));
    };
}
