import { expect } from "chai";
import { POLICIES } from "../src/pack";
import { drainFitsWorkers } from "../src/policies/drainFitsWorkers";
import { app, unknown } from "./support";

/** A serviceUpdateOverride declaring a task time limit (the label) and a stop grace period, either left out when undefined. */
const drain = (limit: unknown, graceNs: unknown, order = "start-first") =>
    JSON.stringify({
        ...(limit !== undefined ? { Labels: { "site.celery.task-time-limit": limit } } : {}),
        ...(graceNs !== undefined ? { TaskTemplate: { ContainerSpec: { StopGracePeriod: graceNs } } } : {}),
        UpdateConfig: { Order: order },
    });
const worker = (limit: unknown, graceNs: unknown) => drainFitsWorkers.check(app("worker", { serviceUpdateOverride: drain(limit, graceNs) }));

describe("policy drain-fits-workers (mandatory)", () => {
    it("is in the pack, mandatory: a deploy would kill running tasks", () => {
        expect(POLICIES).to.include(drainFitsWorkers);
        expect(drainFitsWorkers.enforcementLevel).to.equal("mandatory");
    });

    it("passes a worker stopped no sooner than its time limit (the program's limit plus margin, an override raising it, exactly the limit); ignores apps that run no worker", () => {
        for (const role of ["web", "worker", "beat", "unified", "flower", "allInOne"] as const) expect(drainFitsWorkers.check(app(role)), role).to.deep.equal([]);
        expect(worker("300", 900_000_000_000)).to.deep.equal([]);
        expect(worker("300", 300_000_000_000)).to.deep.equal([]);
        // Docker's default of 10 s fits a limit of 10 s.
        expect(worker("10", undefined)).to.deep.equal([]);
        // Beat alone and web keep what they have: no worker, no task to finish.
        expect(drainFitsWorkers.check(app("beat", { serviceUpdateOverride: drain(undefined, 1_000_000_000, "stop-first") }))).to.deep.equal([]);
        expect(drainFitsWorkers.check(app("web", { serviceUpdateOverride: drain(undefined, undefined) }))).to.deep.equal([]);
        // Not known before `up`: judged then.
        expect(drainFitsWorkers.check(app("worker", { serviceUpdateOverride: unknown }))).to.deep.equal([]);
    });

    it("refuses a stop grace period shorter than the time limit, naming the service, both durations and the key to change", () => {
        expect(worker("300", 60_000_000_000)).to.deep.equal([
            "app dev-celery (service celery) runs a Celery worker whose tasks may run 300 s (its task time limit, site:celeryTaskTimeLimit) with a stop grace period of 60 s (TaskTemplate.ContainerSpec.StopGracePeriod 60000000000): " +
                "a deploy would kill the tasks still running after 60 s; raise site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod to at least 300000000000 (300 s), " +
                "or remove it (the program's is the time limit plus a margin), or lower site:celeryTaskTimeLimit",
        ]);
        expect(worker("300", 299_999_999_999)).to.have.length(1);
        // None set: Docker's default, 10 s.
        expect(worker("300", undefined)[0]).to.include("with a stop grace period of 10 s (Docker's default: no TaskTemplate.ContainerSpec.StopGracePeriod)");
        // Worker and beat (and web) in one container: the same rule, under the service's own name.
        const allInOne = drainFitsWorkers.check(app("allInOne", { serviceUpdateOverride: drain("600", 330_000_000_000, "stop-first") }));
        expect(allInOne).to.have.length(1);
        expect(allInOne[0]).to.match(/^app dev-web \(service web\) runs a Celery worker whose tasks may run 600 s .* of 330 s .*raise site:services\.web\.serviceUpdateOverride\.TaskTemplate\.ContainerSpec\.StopGracePeriod to at least 600000000000 \(600 s\)/);
    });

    it("refuses a worker that declares no time limit, or one that is not whole seconds, and a grace period that is not whole nanoseconds", () => {
        expect(worker(undefined, 330_000_000_000)).to.deep.equal([
            "app dev-celery (service celery) runs a Celery worker but its serviceUpdateOverride declares no task time limit (service label site.celery.task-time-limit), so its stop grace period cannot be judged; the program's override builder sets both from site:celeryTaskTimeLimit, so a hand-made override went wrong",
        ]);
        expect(worker("5m", 330_000_000_000)[0]).to.include('declares a task time limit that is not a whole number of seconds ("5m")');
        expect(worker(300, 330_000_000_000)[0]).to.include("declares a task time limit that is not a whole number of seconds (300)");
        expect(worker("300", "330s")).to.deep.equal([
            'app dev-celery (service celery) runs a Celery worker with a stop grace period that is not a whole number of nanoseconds (TaskTemplate.ContainerSpec.StopGracePeriod "330s"); set site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod to at least 300000000000 (300 s, its task time limit), or remove it',
        ]);
    });
});
