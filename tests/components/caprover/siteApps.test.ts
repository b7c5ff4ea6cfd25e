/**
 * The SiteApps component under Pulumi mocks: one app per active service with the role's
 * exposure, and the split-to-unified flip: celerybeat and flower apps go, celery keeps its URN
 * and gets the new image, web does not change.
 */
import { expect } from "chai";
import { runSite } from "../../support/site";
import { appSpec } from "../../../components/caprover/siteApps";
import { appHandler } from "../../../provider/src/resources/app";
import { CapRoverSettings } from "../../../config/caprover";
import { profileServices } from "../../../config/topology";
import { parseSiteConfig } from "../../../config/site";
import { deploySite } from "../../../stack/site";
import { Registered, diffResources, runProgram } from "../../support/mocks";
import { CI_ENV, stackConfig, stackRaw } from "../../support/stacks";

const APP_TYPE = "caprover:index:App";
const CAPROVER = { caprover: true, caproverUrl: "https://captain.example.test", caproverPassword: "test-only-dashboard", flowerPassword: "test-only-flower" };

/** Images by digest for a profile; celery's differs between profiles (a different target was built). */
function digests(topology: "split" | "unified"): Record<string, string> {
    const hex = (s: string) => Buffer.from(s).toString("hex").padEnd(64, "0").slice(0, 64);
    return Object.fromEntries(
        profileServices(topology).map((s) => [s, `ghcr.io/aaronspindler/aaronspindler.com-${s}@sha256:${hex(s === "celery" ? `celery-${topology}` : s)}`]),
    );
}

async function prodUnder(topology: "split" | "unified", extra: Record<string, unknown> = {}): Promise<Registered[]> {
    return (await runSite("prod", { topology, build: false, promoteFrom: "", retagPromoted: false, imageDigests: digests(topology), ...CAPROVER, ...extra })).resources;
}

const apps = (resources: Registered[]) => resources.filter((r) => r.type === APP_TYPE);
const urnOf = (service: string) => `urn:pulumi:prod::site::site:caprover:SiteApps$${APP_TYPE}::${service}`;
const secret = (value: unknown) => (value as { secret: unknown }).secret;
const override = (app: Registered) => JSON.parse(String(app.inputs.serviceUpdateOverride)) as unknown;
/** A worker's drain under the default site:celeryTaskTimeLimit (300 s): its label, and the limit plus the 30 s margin. */
const WORKER_DRAIN = { Labels: { "site.celery.task-time-limit": "300" }, StopGracePeriod: 330_000_000_000 };

describe("SiteApps component", () => {
    let split: Registered[];
    let unified: Registered[];
    before(async () => {
        split = await prodUnder("split");
        unified = await prodUnder("unified");
    });

    it("registers one app per active service, named after the service, under the component", () => {
        expect(apps(split).map((r) => r.urn)).to.deep.equal(["celery", "celerybeat", "flower", "web"].map(urnOf));
        expect(apps(unified).map((r) => r.urn)).to.deep.equal(["celery", "web"].map(urnOf));
        expect(split.filter((r) => r.type === "site:caprover:SiteApps")).to.have.length(1);
    });

    it("gates web, the worker and beat on their release; Flower, whose health answer cannot name one, on 2xx only", () => {
        const release = Object.fromEntries(apps(split).map((r) => [r.name, r.inputs.releaseEnvVar]));
        expect(release).to.deep.equal({ web: "SITE_RELEASE", celery: "SITE_RELEASE", celerybeat: "SITE_RELEASE", flower: "" });
    });

    it("declares each health answer's contract (web's names the release, Flower's does not), and the gate the preview shows is what the provider's check derives from it", async () => {
        const contract = Object.fromEntries(apps(split).filter((r) => r.inputs.healthPath).map((r) => [r.name, r.inputs.healthReportsRelease]));
        expect(contract).to.deep.equal({ web: true, flower: false });
        // What `pulumi preview --diff` shows as the new apps' gate: the provider's check of these inputs.
        const gates = Object.fromEntries(apps(split).map((r) => [r.name, appHandler.check(r.inputs as never, () => true).inputs.gate]));
        expect(gates).to.deep.equal({
            celery: 'logs "SITE_RELEASE=<release> ready" from a task started by the deploy',
            celerybeat: 'logs "SITE_RELEASE=<release> ready" from a task started by the deploy',
            flower: "GET /healthcheck answers 2xx 3 times in a row, 1 s apart, after CapRover reports the new image deployed (the answer names no release)",
            web: 'GET /health/ answers 2xx naming the release (JSON field "release" = SITE_RELEASE)',
        });
        // A stack whose web health view names no release (the live site's, until it does) declares so.
        const plain = apps(await prodUnder("split", { services: { web: { healthReportsRelease: false } } })).find((r) => r.name === "web")!;
        expect(plain.inputs).to.include({ healthReportsRelease: false, releaseEnvVar: "" });
        expect(appHandler.check(plain.inputs as never, () => true).inputs.gate).to.match(/^GET \/health\/ answers 2xx 3 times in a row/);
    });

    it("exposes web with its health path and forced SSL, keeps workers internal, puts flower behind basic auth", () => {
        const byName = Object.fromEntries(apps(split).map((r) => [r.name, r.inputs]));
        expect(byName.web).to.include({ appName: "web", exposeAsWebApp: true, forceSsl: true, healthPath: "/health/", containerHttpPort: 80, enableDeployToken: true });
        expect(byName.celery).to.include({ exposeAsWebApp: false, forceSsl: false });
        expect(byName.celery.healthPath).to.equal(undefined);
        expect(byName.celerybeat).to.include({ exposeAsWebApp: false });
        expect(byName.flower).to.include({ exposeAsWebApp: true, forceSsl: true, healthPath: "/healthcheck" });
        expect(secret(byName.flower.httpAuth)).to.deep.equal({ user: "admin", password: "test-only-flower" });
        for (const app of apps(split)) {
            expect(app.inputs.image).to.equal(digests("split")[app.name]);
            // The server's URL and password belong to the provider, never to an app's inputs.
            expect(JSON.stringify(app.inputs)).not.to.include("test-only-dashboard");
            expect(app.inputs).to.include({ deployTimeoutMs: 600_000, adopt: false, allowReplace: false });
        }
        // One explicit provider for the server, its password a secret.
        const providers = split.filter((r) => r.type === "pulumi:providers:caprover");
        expect(providers.map((p) => p.name)).to.deep.equal(["caprover"]);
        expect(providers[0].inputs.url).to.equal("https://captain.example.test");
        expect(secret(providers[0].inputs.password)).to.equal("test-only-dashboard");
    });

    it("forces SSL on no app when site:forceSsl is false (a server whose root domain has no certificate); the default is true", async () => {
        expect(stackConfig("prod").caprover.forceSsl).to.equal(true);
        const plain = apps(await prodUnder("split", { forceSsl: false }));
        expect(Object.fromEntries(plain.map((r) => [r.name, r.inputs.forceSsl]))).to.deep.equal({ celery: false, celerybeat: false, flower: false, web: false });
        // Everything else about the exposed apps stays.
        expect(plain.find((r) => r.name === "web")!.inputs).to.include({ exposeAsWebApp: true, healthPath: "/health/" });
    });

    it("under the flip deletes the celerybeat and flower apps and updates celery in place with the new image", () => {
        const diff = diffResources(apps(split), apps(unified));
        expect(diff.removed).to.deep.equal([urnOf("celerybeat"), urnOf("flower")]);
        expect(diff.added).to.deep.equal([]);
        // Same URN for celery: an update (new image, new role in the description, beat's override), never a replacement.
        expect(diff.changed).to.deep.equal({ [urnOf("celery")]: ["description", "image", "serviceUpdateOverride"] });
        const celery = unified.find((r) => r.urn === urnOf("celery"))!;
        expect(celery.inputs.image).to.equal(digests("unified").celery);
        expect(celery.inputs.appName).to.equal(split.find((r) => r.urn === urnOf("celery"))!.inputs.appName);
    });

    it("gives the unified celery app the raised open-file limit, a stop-first update and its worker's drain in its override", () => {
        const celery = unified.find((r) => r.urn === urnOf("celery"))!;
        expect(override(celery)).to.deep.equal({
            Labels: WORKER_DRAIN.Labels,
            TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 65536, Hard: 65536 }], StopGracePeriod: WORKER_DRAIN.StopGracePeriod } },
            UpdateConfig: { Order: "stop-first" },
        });
        expect(override(unified.find((r) => r.urn === urnOf("web"))!)).to.deep.equal({ UpdateConfig: { Order: "start-first" } });
    });

    it("gives split's apps theirs: beat stop-first, the others start-first, no limit unless configured, the worker's and beat's drain", () => {
        expect(Object.fromEntries(apps(split).map((r) => [r.name, override(r)]))).to.deep.equal({
            celery: { Labels: WORKER_DRAIN.Labels, TaskTemplate: { ContainerSpec: { StopGracePeriod: WORKER_DRAIN.StopGracePeriod } }, UpdateConfig: { Order: "start-first" } },
            celerybeat: { TaskTemplate: { ContainerSpec: { StopGracePeriod: 15_000_000_000 } }, UpdateConfig: { Order: "stop-first" } },
            flower: { UpdateConfig: { Order: "start-first" } },
            web: { UpdateConfig: { Order: "start-first" } },
        });
    });

    it("carries a service's configured limits into its override", async () => {
        const resources = await prodUnder("split", { services: { celery: { limits: { nofile: { soft: 8192, hard: 16384 }, memoryMiB: 2048, cpus: 2 } } } });
        expect(override(apps(resources).find((r) => r.name === "celery")!)).to.deep.equal({
            Labels: WORKER_DRAIN.Labels,
            TaskTemplate: {
                ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 8192, Hard: 16384 }], StopGracePeriod: WORKER_DRAIN.StopGracePeriod },
                Resources: { Limits: { NanoCPUs: 2_000_000_000, MemoryBytes: 2048 * 1024 * 1024 } },
            },
            UpdateConfig: { Order: "start-first" },
        });
    });

    it("a stack's serviceUpdateOverride: the preview's diff of adding one is exactly that app's serviceUpdateOverride, merged over the program's", async () => {
        const dnsrr = { EndpointSpec: { Mode: "dnsrr" } };
        const before = await runSite("prod", { topology: "split", build: false, promoteFrom: "", retagPromoted: false, imageDigests: digests("split"), ...CAPROVER });
        const after = await runSite("prod", { topology: "split", build: false, promoteFrom: "", retagPromoted: false, imageDigests: digests("split"), ...CAPROVER, services: { web: { serviceUpdateOverride: dnsrr } } });
        expect(diffResources(before.resources, after.resources)).to.deep.equal({ removed: [], added: [], changed: { [urnOf("web")]: ["serviceUpdateOverride"] } });
        const web = after.resources.find((r) => r.urn === urnOf("web"))!;
        expect(web.inputs.serviceUpdateOverride).to.equal('{"UpdateConfig":{"Order":"start-first"},"EndpointSpec":{"Mode":"dnsrr"}}');
    });

    it("registers GHCR pull credentials when a pull token is configured", async () => {
        const resources = await prodUnder("unified", { caproverPullToken: "test-only-pull-token" });
        const registry = resources.find((r) => r.type === "caprover:index:Registry")!;
        expect(registry.inputs).to.include({ registryDomain: "ghcr.io", registryUser: "aaronspindler", registryImagePrefix: "aaronspindler" });
        expect(secret(registry.inputs.registryPassword)).to.equal("test-only-pull-token");
    });

    it("previews Flower's HTTP auth as not known yet, never as absent, when no Flower password is set (`up` refuses that)", async () => {
        const raw = stackRaw("prod", { topology: "split", build: false, promoteFrom: "", retagPromoted: false, imageDigests: digests("split"), caprover: true });
        const config = parseSiteConfig("prod", raw, { ...CI_ENV, FLOWER_PASSWORD: undefined });
        const { resources } = await runProgram("prod", () => deploySite(config), true);
        const flower = apps(resources).find((r) => r.name === "flower")!;
        // The engine's sentinel for a value computed later, kept secret.
        expect(secret(flower.inputs.httpAuth)).to.equal("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
        expect(apps(resources).find((r) => r.name === "web")!.inputs.httpAuth).to.equal(undefined);
    });

    it("registers nothing on CapRover when site:caprover is off (the default)", async () => {
        const resources = await prodUnder("split", { caprover: false });
        expect(resources.filter((r) => r.urn.includes("caprover"))).to.deep.equal([]);
    });

    it("turns volumes into a persistent-data app", () => {
        const settings: CapRoverSettings = { enabled: true, deployTimeoutSeconds: 60, volumes: { celerybeat: [{ volumeName: "beat", containerPath: "/data" }] }, deleteVolumes: false, rollbackOnFailure: true, adoptExistingApps: false, allowReplace: false, forceSsl: true };
        const beat = stackConfig("prod", { topology: "split", build: false, promoteFrom: "", imageDigests: digests("split") }).services.find((s) => s.name === "celerybeat")!;
        expect(appSpec(beat, settings, { migrations: "compatible", maintenance: false }, { taskTimeLimitSeconds: 300 })).to.include({
            hasPersistentData: true,
            deployTimeoutMs: 60_000,
            serviceUpdateOverride: '{"TaskTemplate":{"ContainerSpec":{"StopGracePeriod":15000000000}},"UpdateConfig":{"Order":"stop-first"}}',
        });
    });
});
