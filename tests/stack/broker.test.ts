/**
 * The broker through the whole program (dev, mocks): the managed redis app beside the site's, and
 * REDIS_URL derived from its password in every site app's and release task's environment, a secret; or an external
 * broker's URL. No secret in any plain input (serviceUpdateOverride is plain in state).
 */
import { expect } from "chai";
import { Registered, resolve } from "../support/mocks";
import { runSite } from "../support/site";

const PIN = `ghcr.io/aaronspindler/redis@sha256:${"b".repeat(64)}`;
const PASSWORD = "test-only-broker-pw-0123";
const ON = { accessories: ["broker"], accessoryImages: { redis: PIN }, brokerPassword: PASSWORD };
const SITE_APPS = ["web", "celery", "celerybeat", "flower"];
/** What a site app's environment holds beside REDIS_URL: the worker's task time limit (site:celeryTaskTimeLimit's default). */
const OWN: Record<string, Record<string, string>> = { celery: { CELERY_TASK_TIME_LIMIT: "300" } };
const app = (resources: Registered[], name: string) => resources.find((r) => r.type === "caprover:index:App" && r.name === name)!;

/** Every plain (non-secret) string among the inputs. */
function plainStrings(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(plainStrings);
    if (value && typeof value === "object") {
        if (Object.keys(value).length === 1 && "secret" in value) return [];
        return Object.values(value).flatMap(plainStrings);
    }
    return [];
}

describe("the Celery broker through the program (dev, mocks)", () => {
    it("broker adds the Broker component and its redis app: internal, its volume, the pinned image, the password a secret variable", async () => {
        const { resources, outputs } = await runSite("dev", ON);
        const redis = app(resources, "redis");
        expect(redis.urn).to.include("site:broker:Broker$caprover:index:App::redis");
        expect(redis.inputs).to.deep.include({
            appName: "dev-redis",
            image: PIN,
            exposeAsWebApp: false,
            forceSsl: false,
            hasPersistentData: true,
            volumes: [{ volumeName: "dev-redis-data", containerPath: "/data" }],
            containerHttpPort: 6379,
            envVars: { secret: { REDIS_PASSWORD: PASSWORD } },
        });
        expect(redis.inputs.healthPath).to.equal(undefined);
        const override = JSON.parse(redis.inputs.serviceUpdateOverride as string);
        expect(override.TaskTemplate.ContainerSpec.Command).to.deep.equal(["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD" --appendonly yes --dir /data']);
        // A volume: updated stop-first (two redis on one append-only file would corrupt it).
        expect(override.UpdateConfig.Order).to.equal("stop-first");
        // Reached by DNS round robin, not a virtual IP (which needs IPVS in the host's kernel).
        expect(override.EndpointSpec).to.deep.equal({ Mode: "dnsrr" });
        expect(((await resolve(outputs.accessories)) as { appNames: Record<string, string> }).appNames).to.deep.equal({ redis: "dev-redis" });
    });

    it("gives every site app and release task REDIS_URL derived from the password, as a secret; no plain input carries the password", async () => {
        const { resources } = await runSite("dev", ON);
        const url = `redis://:${PASSWORD}@srv-captain--dev-redis:6379/0`;
        for (const name of SITE_APPS) expect(app(resources, name).inputs.envVars, name).to.deep.equal({ secret: { ...OWN[name], REDIS_URL: url } });
        // The release tasks run with web's environment: the broker's URL is part of it.
        const tasks = resources.filter((r) => r.type === "caprover:index:ReleaseTask");
        expect(tasks.map((t) => t.name)).to.deep.equal(["release-migrate"]);
        expect(tasks[0].inputs.envVars).to.deep.equal({ secret: { REDIS_URL: url } });
        for (const r of resources) expect(plainStrings(r.inputs).filter((s) => s.includes(PASSWORD)), r.urn).to.deep.equal([]);
    });

    it("an external broker: its URL in every app's REDIS_URL, a secret, and no redis app", async () => {
        const url = "redis://:test-only-external@redis.internal.example.test:6379/0";
        const { resources } = await runSite("dev", { brokerUrl: url });
        expect(app(resources, "redis")).to.equal(undefined);
        for (const name of SITE_APPS) expect(app(resources, name).inputs.envVars, name).to.deep.equal({ secret: { ...OWN[name], REDIS_URL: url } });
    });

    it("no broker configured: the apps' environment is the stack's own, no REDIS_URL added", async () => {
        const { resources } = await runSite("dev");
        expect(app(resources, "web").inputs.envVars).to.deep.equal({ secret: {} });
    });
});
