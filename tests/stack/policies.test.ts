/**
 * The program against its policy pack (policy/), under mocks: every stack file and every profile,
 * GitHub side included (its plugin is missing on this machine, so no local engine preview shows
 * it), complies with every mandatory policy; and the configuration changes the pack exists for
 * are caught, each by its policy. The engine run of the pack is tests/engine/policy-pack.test.ts.
 */
import { expect } from "chai";
import { Finding, evaluate } from "../../policy/src/define";
import { POLICIES } from "../../policy/src/pack";
import { SiteResource } from "../../policy/src/resources";
import { Wire, secretWire } from "../../policy/src/wire";
import { RawConfig } from "../../config/reader";
import { parseSiteConfig } from "../../config/site";
import { siteProgram } from "../../stack/site";
import { Registered, referencedStacks, resolve, runProgram } from "../support/mocks";
import { runSite } from "../support/site";
import { CI_ENV, PROD_BUILDS, stackRaw } from "../support/stacks";

/** Back to the engine's wire form: the mock harness marks secrets `{secret: value}`. */
function wire(value: unknown): Wire {
    if (Array.isArray(value)) return value.map(wire);
    if (value && typeof value === "object") {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === "secret") return secretWire(wire((value as { secret: unknown }).secret));
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wire(v)]));
    }
    return value;
}

/** As the engine sends them: the CapRover apps with their provider's inputs (the program has one such provider). */
const site = (resources: Registered[]): SiteResource[] => {
    const caprover = resources.find((r) => r.type === "pulumi:providers:caprover");
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        inputs: wire(r.inputs),
        // A component's registered outputs, as stack policies get them (the TaskContract's).
        outputs: wire(r.outputs),
        ...(r.type.startsWith("caprover:") && caprover ? { provider: wire(caprover.inputs) } : {}),
    }));
};

/** What CI's environment gives the program, its GitHub token included (test-only value). */
const ENV = { ...CI_ENV, GITHUB_TOKEN: "test-only-github-token" };

async function findings(stack: string, overrides: RawConfig = {}): Promise<Finding[]> {
    const config = parseSiteConfig(stack, stackRaw(stack, { caprover: true, ...overrides }), ENV);
    return evaluate(POLICIES, site((await runProgram(stack, () => siteProgram(config))).resources));
}

const mandatory = (fs: Finding[]) => fs.filter((f) => f.level === "mandatory").map((f) => `${f.policy}: ${f.message}`);
const policiesOf = (fs: Finding[]) => [...new Set(fs.map((f) => f.policy))];

describe("the program against its policy pack (mocks)", () => {
    const callerToken = process.env.GITHUB_TOKEN;
    before(async () => {
        // As in CI, where the github SDK would fall back to reading the token itself.
        process.env.GITHUB_TOKEN = ENV.GITHUB_TOKEN;
        // Prod promotes dev's release, read through a StackReference.
        referencedStacks.dev = { release: await resolve((await runSite("dev")).outputs.release) };
    });
    after(() => {
        delete referencedStacks.dev;
        if (callerToken === undefined) delete process.env.GITHUB_TOKEN;
        else process.env.GITHUB_TOKEN = callerToken;
    });

    it("dev, prod and local as committed break no mandatory policy (the GitHub side included, CI's GitHub token a secret)", async () => {
        for (const stack of ["dev", "prod", "local"]) expect(mandatory(await findings(stack)), stack).to.deep.equal([]);
    });

    it("every profile breaks no mandatory policy, promoted (prod) or built", async () => {
        for (const topology of ["split", "essential", "unified", "single"]) {
            const single = topology === "single" ? { singleTarget: "all-in-one" } : {};
            expect(mandatory(await findings("prod", { topology, ...single, ...PROD_BUILDS })), topology).to.deep.equal([]);
            expect(mandatory(await findings("dev", { topology, ...single, releaseProfiles: [] })), `dev ${topology}`).to.deep.equal([]);
        }
    });

    it("monitoring on breaks no policy, mandatory or advisory, on its apps (dev, prod, local)", async () => {
        for (const stack of ["dev", "prod", "local"]) {
            const fs = await findings(stack, { accessories: ["monitoring"], grafanaPassword: "test-only-grafana" });
            expect(mandatory(fs), stack).to.deep.equal([]);
            expect(fs.filter((f) => f.urn?.includes("site:monitoring:Monitoring")).map((f) => `${f.policy}: ${f.message}`), stack).to.deep.equal([]);
        }
    });

    it("the managed broker breaks no policy, mandatory or advisory, on its app; a release dropping a scheduled task is caught by celery-task-names", async () => {
        const broker = { accessories: ["broker"], accessoryImages: { redis: `ghcr.io/aaronspindler/redis@sha256:${"b".repeat(64)}` }, brokerPassword: "test-only-broker-pw-0123" };
        const onRedis = (await findings("dev", broker)).filter((f) => f.urn?.endsWith("::redis"));
        expect(onRedis.map((f) => `${f.policy}: ${f.message}`)).to.deep.equal([]);
        // The running release registered a task this checkout's contract no longer has, and beat schedules it.
        referencedStacks["organization/site/dev"] = { release: { images: {}, celery: { tasks: ["pages.tasks.old_report"], schedule: { weekly: "pages.tasks.old_report" } } } };
        try {
            const dropped = mandatory(await findings("dev"));
            expect(dropped.filter((m) => m.startsWith("celery-task-names"))).to.have.length(1);
            expect(dropped.join("\n")).to.include("pages.tasks.old_report (beat schedules it: weekly)");
            expect(mandatory(await findings("dev", { release: { removedTasks: ["pages.tasks.old_report"] } })).filter((m) => m.startsWith("celery-task-names"))).to.deep.equal([]);
        } finally {
            delete referencedStacks["organization/site/dev"];
        }
    });

    it("catches a worker's stop grace period overridden below its task time limit (drain-fits-workers), and passes one that raises it", async () => {
        const grace = (service: string, ns: number) => ({ services: { [service]: { serviceUpdateOverride: { TaskTemplate: { ContainerSpec: { StopGracePeriod: ns } } } } } });
        expect(mandatory(await findings("prod", { topology: "split", ...grace("celery", 60_000_000_000) }))).to.deep.equal([
            "drain-fits-workers: app celery (service celery) runs a Celery worker whose tasks may run 300 s (its task time limit, site:celeryTaskTimeLimit) with a stop grace period of 60 s (TaskTemplate.ContainerSpec.StopGracePeriod 60000000000): " +
                "a deploy would kill the tasks still running after 60 s; raise site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod to at least 300000000000 (300 s), or remove it (the program's is the time limit plus a margin), or lower site:celeryTaskTimeLimit",
        ]);
        // A longer time limit makes the program's own grace period longer: never caught by this
        // policy; a stop-first worker's deploy timeout must outlast it (prod-safety-settings).
        expect(mandatory(await findings("prod", { topology: "unified", ...PROD_BUILDS, celeryTaskTimeLimit: 3600, caproverDeployTimeout: 3700 }))).to.deep.equal([]);
        expect(mandatory(await findings("prod", { topology: "unified", ...PROD_BUILDS, celeryTaskTimeLimit: 3600 }))).to.deep.equal([
            "prod-safety-settings: stack prod: app celery runs a Celery worker updated stop-first, so a deploy starts its new container only once the old one has stopped, which may take its stop grace period of 3630 s while a task finishes; " +
                "its deploy timeout of 600 s (deployTimeoutMs) would give up meanwhile: raise site:caproverDeployTimeout above 3630 s, or shorten the grace period (lower site:celeryTaskTimeLimit, or site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod where the stack sets it)",
        ]);
        expect(mandatory(await findings("prod", { topology: "unified", ...PROD_BUILDS, caproverDeployTimeout: 1000, ...grace("celery", 900_000_000_000) }))).to.deep.equal([]);
        // Under single the worker is web's container.
        expect(policiesOf(await findings("prod", { topology: "single", singleTarget: "all-in-one", ...PROD_BUILDS, ...grace("web", 299_000_000_000) }))).to.include("drain-fits-workers");
    });

    it("catches what the pack exists for: no beat, a short retention, a replacement allowed on prod, prod building", async () => {
        const { celerybeat: _, ...digests } = stackRaw("local").imageDigests as Record<string, string>;
        expect(policiesOf(await findings("local", { services: { celerybeat: { off: true } }, imageDigests: digests }))).to.deep.equal(["one-celery-beat"]);
        expect(mandatory(await findings("prod", { keepVersions: 1 }))).to.have.length(4).and.satisfy((ms: string[]) => ms.every((m) => m.startsWith("cleanup-keeps-what-runs: .github/workflows/cleanup-containers.yml keeps 1 version of package aaronspindler.com-")));
        expect(mandatory(await findings("prod", { allowReplace: true })).map((m) => m.split(":")[0])).to.deep.equal(Array(4).fill("prod-safety-settings"));
        // Flower over plain HTTP: refused on a server across a network, allowed on loopback (local, as committed).
        expect(mandatory(await findings("prod", { forceSsl: false }))).to.deep.equal(["flower-protected: app flower runs Flower exposed as a web app without forceSsl: its basic-auth password would cross plain HTTP"]);
        // Dev allowing a replacement only hears about it.
        const dev = await findings("dev", { allowReplace: true });
        expect(mandatory(dev)).to.deep.equal([]);
        expect(policiesOf(dev)).to.include("dev-safety-settings");
    });
});
