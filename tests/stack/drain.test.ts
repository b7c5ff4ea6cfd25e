/**
 * Drain through the whole program (local stack, mocks): from the one setting site:celeryTaskTimeLimit,
 * each worker app's environment (CELERY_TASK_TIME_LIMIT) and its serviceUpdateOverride (the stop
 * grace period, the time limit plus the margin, and the label the policy pack reads); beat's short
 * fixed grace period; web and Flower with Docker's default. What `pulumi preview --diff` shows.
 */
import { expect } from "chai";
import { RawConfig } from "../../config/reader";
import { Registered, diffResources, shortUrn as short } from "../support/mocks";
import { runSite } from "../support/site";

const NS = 1_000_000_000;

/** Per app: its stop grace period in seconds, the time limit its label declares, and CELERY_TASK_TIME_LIMIT in its environment (each absent when unset). */
function drainOf(app: Registered): { grace?: number; label?: string; env?: string } {
    const override = JSON.parse(String(app.inputs.serviceUpdateOverride)) as { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { StopGracePeriod?: number } } };
    const grace = override.TaskTemplate?.ContainerSpec?.StopGracePeriod;
    const env = (app.inputs.envVars as { secret: Record<string, string> }).secret;
    return {
        ...(grace !== undefined ? { grace: grace / NS } : {}),
        ...(override.Labels?.["site.celery.task-time-limit"] !== undefined ? { label: override.Labels["site.celery.task-time-limit"] } : {}),
        ...(env.CELERY_TASK_TIME_LIMIT !== undefined ? { env: env.CELERY_TASK_TIME_LIMIT } : {}),
    };
}

const apps = (resources: Registered[]) => resources.filter((r) => r.type === "caprover:index:App");
const under = async (settings: RawConfig): Promise<Registered[]> => apps((await runSite("local", settings)).resources);
const drains = (resources: Registered[]) => Object.fromEntries(resources.map((r) => [r.name, drainOf(r)]));

describe("drain: stop grace periods that fit the workers (local stack, mocks)", () => {
    const WORKER = { grace: 330, label: "300", env: "300" };

    it("gives every worker role the time limit plus the margin, with the limit in its environment and label; beat 15 s; web and Flower Docker's default", async () => {
        expect(drains(await under({ topology: "split" })), "split").to.deep.equal({ web: {}, celery: WORKER, celerybeat: { grace: 15 }, flower: {} });
        expect(drains(await under({ topology: "unified" })), "unified").to.deep.equal({ web: {}, celery: WORKER });
        // Web, worker and beat in one container: the worker's drain.
        expect(drains(await under({ topology: "single" })), "single").to.deep.equal({ web: WORKER });
    });

    it("follows site:celeryTaskTimeLimit: a new limit changes exactly the workers' environment and serviceUpdateOverride", async () => {
        const before = await under({ topology: "split" });
        const after = await under({ topology: "split", celeryTaskTimeLimit: 600 });
        expect(drains(after)).to.deep.equal({ web: {}, celery: { grace: 630, label: "600", env: "600" }, celerybeat: { grace: 15 }, flower: {} });
        const diff = diffResources(before, after);
        expect(Object.fromEntries(Object.entries(diff.changed).map(([urn, keys]) => [short(urn), keys]))).to.deep.equal({ "caprover:index:App::celery": ["envVars", "serviceUpdateOverride"] });
        expect(drains(await under({ topology: "unified", celeryTaskTimeLimit: 3600 })).celery).to.deep.equal({ grace: 3630, label: "3600", env: "3600" });
    });

    it("lets a service's serviceUpdateOverride raise its stop grace period (the time limit and its label unchanged): the diff is that app's serviceUpdateOverride", async () => {
        const grace = (seconds: number) => ({ serviceUpdateOverride: { TaskTemplate: { ContainerSpec: { StopGracePeriod: seconds * NS } } } });
        const before = await under({ topology: "split" });
        const after = await under({ topology: "split", services: { celery: grace(900) } });
        expect(drainOf(after.find((r) => r.name === "celery")!)).to.deep.equal({ grace: 900, label: "300", env: "300" });
        expect(Object.fromEntries(Object.entries(diffResources(before, after).changed).map(([urn, keys]) => [short(urn), keys]))).to.deep.equal({ "caprover:index:App::celery": ["serviceUpdateOverride"] });
        // Beat's and web's too (web then has one where Docker's default stood).
        expect(drains(await under({ topology: "split", services: { celerybeat: grace(60), web: grace(30) } }))).to.deep.include({ celerybeat: { grace: 60 }, web: { grace: 30 } });
    });
});
