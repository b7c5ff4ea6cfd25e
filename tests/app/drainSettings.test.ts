/**
 * The stand-in app's side of drain: its settings give Celery the task time limit the worker roles
 * get (CELERY_TASK_TIME_LIMIT, from site:celeryTaskTimeLimit), and acknowledge a task only once it
 * ends, giving it back to the broker when its worker dies, so a task killed mid-deploy runs again.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { TASK_TIME_LIMIT_ENV_VAR } from "../../config/drain";
import { HANG_GUARD_MS } from "../support/hangGuard";

const APP = path.join(__dirname, "..", "..", "app");
// The settings module alone: the config package imports Celery, which is not installed here.
const READ = 'import json, runpy; s = runpy.run_path("config/settings.py"); print(json.dumps([s["CELERY_TASK_TIME_LIMIT"], s["CELERY_TASK_ACKS_LATE"], s["CELERY_TASK_REJECT_ON_WORKER_LOST"]]))';

/** The three settings as config/settings.py computes them under `env` (undefined: python3 is missing). */
function settings(env: Record<string, string>): unknown {
    const { [TASK_TIME_LIMIT_ENV_VAR]: _, ...inherited } = process.env;
    const run = spawnSync("python3", ["-B", "-c", READ], { cwd: APP, env: { ...inherited, ...env }, encoding: "utf8", timeout: HANG_GUARD_MS });
    if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    expect(run.status, run.stderr).to.equal(0);
    return JSON.parse(run.stdout);
}

describe("app/: Celery's task time limit and late acknowledgement (config/settings.py)", () => {
    it("takes task_time_limit from the variable the worker roles get, acks late and rejects on a lost worker; no limit without it (web, beat)", function () {
        const worker = settings({ [TASK_TIME_LIMIT_ENV_VAR]: "300" });
        if (worker === undefined) this.skip();
        expect(worker).to.deep.equal([300, true, true]);
        expect(settings({})).to.deep.equal([null, true, true]);
    });
});
