/**
 * `site:celeryTaskTimeLimit`: one setting, from which the worker roles' task time limit and every
 * service's stop grace period derive (config/drain.ts); every bad value refused naming the key and
 * what is accepted, before anything is registered.
 */
import { expect } from "chai";
import { BEAT_STOP_GRACE_SECONDS, MAX_TASK_TIME_LIMIT_SECONDS, WORKER_STOP_MARGIN_SECONDS, serviceDrain } from "../../config/drain";
import { declarations } from "../../config/declarations";
import { ROLES, RoleName } from "../../config/topology";
import { problems, stackConfig } from "../support/stacks";

const ACCEPTED = "expected a whole number of seconds from 1 to 3600 (the broker's visibility timeout: a task running longer would be delivered twice), e.g. 300";

describe("site:celeryTaskTimeLimit", () => {
    it("defaults to Pulumi.yaml's 300 s, and takes a stack's value, as a number or as the engine's string", () => {
        expect(declarations().celeryTaskTimeLimit).to.include({ type: "integer", default: 300 });
        expect(stackConfig("prod").drain).to.deep.equal({ taskTimeLimitSeconds: 300 });
        expect(stackConfig("prod", { celeryTaskTimeLimit: 900 }).drain.taskTimeLimitSeconds).to.equal(900);
        expect(stackConfig("prod", { celeryTaskTimeLimit: "1" }).drain.taskTimeLimitSeconds).to.equal(1);
        expect(stackConfig("prod", { celeryTaskTimeLimit: MAX_TASK_TIME_LIMIT_SECONDS }).drain.taskTimeLimitSeconds).to.equal(3600);
    });

    it("refuses every value that is not a whole number of seconds from 1 to 3600, naming the key and what is accepted", () => {
        for (const [value, shown] of [
            [0, "0"],
            [-30, "-30"],
            [3601, "3601"],
            [86400, "86400"],
            [1.5, "1.5"],
            ["5m", '"5m"'],
            ["300s", '"300s"'],
            [true, "true"],
            [{ seconds: 300 }, '{"seconds":300}'],
        ] as const) {
            expect(problems({ celeryTaskTimeLimit: value }), shown).to.include(`site:celeryTaskTimeLimit: ${shown} is not accepted; ${ACCEPTED}`);
        }
    });

    it("refuses a worker's CELERY_TASK_TIME_LIMIT set by hand: it is derived, with the grace period that fits it", () => {
        expect(problems({ topology: "split", services: { celery: { env: { CELERY_TASK_TIME_LIMIT: "60" } } } })).to.include(
            "site:services.celery.env.CELERY_TASK_TIME_LIMIT: is derived from site:celeryTaskTimeLimit for every worker (with its stop grace period); remove it here and set that instead",
        );
    });

    it("derives each role's drain: a worker waits its time limit plus the margin, beat alone a short fixed time, web and Flower Docker's default", () => {
        const drain = { taskTimeLimitSeconds: 300 };
        const byRole = Object.fromEntries(
            (Object.keys(ROLES) as RoleName[]).map((role) => [role, serviceDrain({ worker: "worker" in ROLES[role], scheduler: "scheduler" in ROLES[role] }, drain)]),
        );
        const worker = { stopGraceSeconds: 300 + WORKER_STOP_MARGIN_SECONDS, taskTimeLimitSeconds: 300 };
        expect(byRole).to.deep.equal({
            web: {},
            "celery-worker": worker,
            celerybeat: { stopGraceSeconds: BEAT_STOP_GRACE_SECONDS },
            flower: {},
            "celery-unified": worker,
            "all-in-one": worker,
        });
        expect(WORKER_STOP_MARGIN_SECONDS).to.equal(30);
        expect(BEAT_STOP_GRACE_SECONDS).to.equal(15);
    });
});
