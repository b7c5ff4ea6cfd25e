/**
 * The `local` stack through the real engine against the real CapRover 1.15.3, deploying the
 * stand-in app's images built by BuildKit and pushed to the registry on 127.0.0.1. What is checked
 * is what Docker itself says (service specs, running containers, container events), not the
 * program's outputs. One scenario, in order:
 *
 *   up under split (four apps, each running its digest) -> an empty preview -> a release of every
 *   image (beat never two containers, web's old and new together) -> unified (the open-file limit
 *   inside the container) -> split again -> a worker release that crashes on start (rolled back) ->
 *   a second stack adopts four apps made with the official `caprover` CLI -> destroy.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, REPO, Workspace } from "../../scripts/engine/driver";
import { changedSteps, errorsOf, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, configure, openStack } from "../../scripts/engine/localStack";
import { RegistryClient, builderEnv } from "../../scripts/engine/builder";
import { NOFILE, RealDocker, adminPort, configureForRealServer, mostAtOnce } from "../../scripts/engine/realCaprover";
import { RealStack, closeRealStack, newRelease, openRealStack, realRun, upOnRealServer } from "../../scripts/engine/realStack";
import { PROFILES, ProfileName, ROLES, Role, RoleName } from "../../config/topology";
import { stackFileConfig } from "../../config/stackFile";
import { AppList } from "../../provider/src/api/types";
import { CaproverCli } from "../../provider/tests/caproverCli";
import { inOrder } from "../engine/scenario";

const COMMITS = ["5eed0000000000000000000000000000000000c1", "5eed0000000000000000000000000000000000c2", "5eed0000000000000000000000000000000000c3", "5eed0000000000000000000000000000000000c4"];

describe("real CapRover: the local stack, built for real, deployed and checked through Docker", function () {
    this.timeout(30 * 60_000);
    let docker: RealDocker;
    let ws: Workspace;
    let registry: RegistryClient;
    let context: string;
    const { id, prefix, namespace, app } = realRun("r");

    /** `pulumi up`, as a user runs it; the result and the engine's events. */
    const up = () => upOnRealServer(ws, { docker, prefix });
    const upOk = async (): Promise<EngineEvent[]> => {
        const { events, onDocker } = await up();
        expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
        expect(summaryOf(events)?.result, `pulumi up${onDocker}`).to.equal("succeeded");
        return events;
    };
    /** A new release of every image; `crash`: what config/crash.py holds (the stand-in imports it at start). */
    const release = (commit: string, crash = "") => newRelease({ ws, context }, commit, { [path.join("config", "crash.py")]: crash });
    /** Every service of the profile runs, as Docker says, the digest its `<target>-<sha>` tag names. */
    const runsItsRelease = async (profile: ProfileName, commit: string): Promise<Record<string, string>> => {
        const out: Record<string, string> = {};
        for (const [service, role] of Object.entries(PROFILES[profile]) as [string, RoleName][]) {
            const target = ROLES[role].target!;
            const tagged = await registry.digest(`${namespace}/site-${service}`, `${target}-${commit}`);
            const spec = await docker.service(app(service));
            expect(spec, `Docker has a service ${app(service)}`).to.not.equal(undefined);
            expect(spec!.TaskTemplate.ContainerSpec.Image, `${service}'s service image`).to.match(new RegExp(`@${tagged}$`));
            expect(await docker.runningDigest(app(service)), `${service}'s running container`).to.equal(tagged);
            if ((ROLES[role] as Role).health?.reportsRelease !== false) expect(spec!.TaskTemplate.ContainerSpec.Env, `${service}'s env`).to.include(`SITE_RELEASE=${tagged}`);
            out[service] = tagged;
        }
        return out;
    };

    let stack: Partial<RealStack> = {};
    before(async function () {
        this.timeout(60 * 60_000);
        stack = await openRealStack({ namespace, prefix, commit: COMMITS[0] });
        ({ docker, registry, ws, context } = stack as RealStack);
        await release(COMMITS[0]);
    });

    inOrder();

    after(() => closeRealStack(stack));

    it("pulumi up under split creates the four apps in one run, each running its digest with its update order", async () => {
        const events = await upOk();
        // The four site apps, and the managed broker's redis app beside them.
        expect(changedSteps(events).filter((s) => s.startsWith("create App::")).sort()).to.deep.equal(["celery", "celerybeat", "flower", "redis", "web"].map((s) => `create App::${s}`));
        expect(changedSteps(events), "the canary after them").to.include("create Canary::canary");
        await runsItsRelease("split", COMMITS[0]);
        expect((await docker.service(app("web")))!.UpdateConfig?.Order, "web").to.equal("start-first");
        expect((await docker.service(app("celerybeat")))!.UpdateConfig?.Order, "celerybeat").to.equal("stop-first");
        expect((await docker.service(app("web")))!.EndpointSpec?.Mode, "web's endpoint").to.equal("dnsrr");
    });

    it("the next preview is empty", async () => {
        const { events } = await ws.events(["preview", "--stack", STACK], { timeoutMs: CLI_TIMEOUT });
        expect(changedSteps(events)).to.deep.equal([]);
    });

    it("a new release of every image: beat never runs two containers, web's old and new run together", async () => {
        await release(COMMITS[1]);
        const running = { beat: await docker.containers(app("celerybeat")), web: await docker.containers(app("web")) };
        const watch = docker.watch(new RegExp(`^${prefix}`));
        try {
            await upOk();
        } finally {
            await watch.stop();
        }
        await runsItsRelease("split", COMMITS[1]);
        expect(mostAtOnce(watch.events, app("celerybeat"), running.beat), "beat containers at once").to.equal(1);
        expect(mostAtOnce(watch.events, app("web"), running.web), "web containers at once (start-first)").to.be.at.least(2);
    });

    it("the flip to unified removes beat and Flower, raises the open-file limit inside the running worker and gives it its drain", async () => {
        await configure(ws, "set", "site:topology", "unified");
        await upOk();
        expect(await docker.service(app("celerybeat")), "beat's service").to.equal(undefined);
        expect(await docker.service(app("flower")), "Flower's service").to.equal(undefined);
        await runsItsRelease("unified", COMMITS[1]);
        const spec = (await docker.service(app("celery")))!;
        expect(spec.TaskTemplate.ContainerSpec.Ulimits).to.deep.equal([{ Name: "nofile", Soft: NOFILE, Hard: NOFILE }]);
        expect(spec.UpdateConfig?.Order, "celery carries beat").to.equal("stop-first");
        // Drain: Docker waits the task time limit (site:celeryTaskTimeLimit, 300 s) plus the margin before it kills the worker.
        expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod, "celery's stop grace period").to.equal(330_000_000_000);
        expect(spec.Labels?.["site.celery.task-time-limit"], "celery's declared time limit").to.equal("300");
        const [container] = await docker.containers(app("celery"));
        expect((await docker.exec(container, ["sh", "-c", "ulimit -n"])).trim(), "open files inside the container").to.equal(String(NOFILE));
    });

    it("and back to split", async () => {
        await configure(ws, "set", "site:topology", "split");
        await upOk();
        await runsItsRelease("split", COMMITS[1]);
    });

    it("a worker release that crashes on start fails the up with its own words and leaves the previous release running", async () => {
        const before = await runsItsRelease("split", COMMITS[1]);
        await release(COMMITS[2], 'import sys\nif "worker" in sys.argv:\n    raise ImportError("stand-in: this release\'s worker cannot start")\n');
        const celery = path.join(context, "config", "celery.py");
        fs.appendFileSync(celery, "\nfrom config import crash  # noqa: E402,F401\n");
        // The worker never logs its ready line, so its gate takes the whole deploy timeout: the
        // shortest that still lets web's release (two health-checked updates, nginx's resolver:
        // configureForRealServer) through on 2 busy cores.
        await configure(ws, "set", "site:caproverDeployTimeout", "90");
        try {
            const { r, events, onDocker } = await up();
            expect(r.code, "pulumi up").to.not.equal(0);
            const errors = errorsOf(events).join("\n");
            expect(errors, `${errors}${onDocker}`).to.include(app("celery")).and.include("ImportError");
            // Only the worker failed: a timeout too short for the others' gates would fail them too.
            const others = Object.keys(PROFILES.split).filter((s) => s !== "celery").map(app).filter((other) => errors.includes(`app ${other} `));
            expect(others, `apps whose deploy failed too: ${errors}`).to.deep.equal([]);
            expect(errors, `what runs now: ${errors}`).to.include("Rolled back").and.include(before.celery);
        } finally {
            fs.writeFileSync(celery, fs.readFileSync(path.join(REPO, "app", "config", "celery.py")));
        }
        expect(await docker.runningDigest(app("celery")), "celery runs the previous release").to.equal(before.celery);
    });
    it("apps made with the official caprover CLI are adopted by another stack's pulumi up, none redeployed, and its next preview is empty", async () => {
        const { builder, real } = stack as RealStack;
        const adopter = `a${id}-`;
        const cli = new CaproverCli(() => adminPort(real), `http://captain.${real.rootDomain}`, real.password);
        const images: Record<string, string> = {};
        let other: Workspace | undefined;
        try {
            // As the live site's apps were made: registered and deployed by hand, one after another.
            for (const [service, role] of Object.entries(PROFILES.split) as [string, RoleName][]) {
                const repository = `${namespace}/site-${service}`;
                images[service] = `${builder.registry}/${repository}@${await registry.digest(repository, `${ROLES[role].target}-${COMMITS[1]}`)}`;
                await cli.api("POST", "/user/apps/appDefinitions/register", { appName: `${adopter}${service}`, hasPersistentData: false });
                await cli.deploy(`${adopter}${service}`, images[service]);
            }
            // Swarm keeps each app's placeholder until the new container's health check passes; the
            // hand-made worker's never does here (its check pings a broker this machine does not run),
            // so the apps are taken over mid-update, and settle once the stack's settings are in.
            const settled = () => Promise.all(Object.keys(images).map((service) => docker.settledOn(`${adopter}${service}`, images[service].split("@")[1])));
            const versions = async () => {
                const { appDefinitions } = (await cli.api("GET", "/user/apps/appDefinitions", {})) as AppList;
                return Object.fromEntries(appDefinitions.filter((a) => a.appName.startsWith(adopter)).map((a) => [a.appName, a.deployedVersion]));
            };
            const deployed = await versions();
            expect(Object.keys(deployed), "the CLI's apps").to.have.length(4);

            // Another stack whose app names are those apps', deploying the images they run.
            other = await openStack({ url: real.url, probeAddress: real.nginx, password: real.password }, { env: builderEnv(builder) });
            const set = (...args: string[]) => configure(other!, "set", ...args);
            const pinned = stackFileConfig(REPO, STACK).imageDigests as Record<string, unknown>;
            for (const [service, role] of Object.entries(PROFILES.split) as [string, RoleName][]) {
                await set("--path", `site:imageDigests.${service}${typeof pinned[service] === "object" ? `.${ROLES[role].target}` : ""}`, images[service]);
            }
            await set("site:appNamePrefix", adopter);
            await configureForRealServer(other);
            await set("site:adoptExistingApps", "true");
            const { events } = await other.events(["up", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT });
            expect(errorsOf(events), "error diagnostics").to.deep.equal([]);
            expect(changedSteps(events).filter((s) => s.includes("App::")).sort()).to.deep.equal(["celery", "celerybeat", "flower", "web"].map((s) => `create App::${s}`));
            expect(await versions(), "CapRover's deployed version of each app (no deploy)").to.deep.equal(deployed);
            await settled();

            await set("site:adoptExistingApps", "false");
            const preview = await other.events(["preview", "--stack", STACK], { timeoutMs: CLI_TIMEOUT });
            expect(changedSteps(preview.events), "the next preview").to.deep.equal([]);
        } finally {
            if (other) await other.pulumi(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { timeoutMs: 4 * CLI_TIMEOUT, allowFailure: true });
            other?.dispose();
            // What the stack did not take over (a failed run): removed, as the CLI would.
            for (const service of Object.keys(PROFILES.split)) await cli.api("POST", "/user/apps/appDefinitions/delete", { appName: `${adopter}${service}` }).catch(() => undefined);
            cli.dispose();
        }
    });
});
