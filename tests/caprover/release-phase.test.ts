/**
 * The release phase on the real CapRover 1.15.3, the stand-in app built for real: what is checked
 * is what Docker says (container events, service specs), not the program's outputs. In order:
 *
 *   up (the migration task's container starts, and ends, before any container of the site's images
 *   starts; its service is gone after) -> a re-run up (no task container at all) -> a release whose
 *   migration fails (up fails with the migration's own words, the secret scrubbed; every service
 *   keeps the previous release; no task service left) -> the same release fixed (the task runs
 *   again, then the apps deploy) -> an `up` killed (SIGKILL) while the task runs (its app is left;
 *   the next `up` removes it, runs the task again and deploys; nothing is left) -> site:maintenance on (captain-nginx itself answers visitors the
 *   static 503 page, web's health path still reaches the app) and off again -> destroy.
 *
 * App names start with `rp-` (the prefix this machine's shared server allows tests).
 */
import { expect } from "chai";
import { MAINTENANCE_PAGE } from "../../components/caprover/maintenance";
import { Workspace, killAll } from "../../scripts/engine/driver";
import { errorsOf, removeTornSidecars, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, configure } from "../../scripts/engine/localStack";
import type { RegistryClient } from "../../scripts/engine/builder";
import { ContainerEvent, RealCaprover, RealDocker, Visit, eventLine, readUntil, visitApp } from "../../scripts/engine/realCaprover";
import { RealStack, closeRealStack, newRelease, openRealStack, realRun, upOnRealServer } from "../../scripts/engine/realStack";
import { inOrder } from "../engine/scenario";

const COMMITS = ["5eed0000000000000000000000000000000000d1", "5eed0000000000000000000000000000000000d2", "5eed0000000000000000000000000000000000d3"];
const REFUSAL = "refusal-value-that-must-not-leak";

describe("real CapRover: the release phase runs the migrations once, before the apps, and a failing one stops the release", function () {
    this.timeout(30 * 60_000);
    let docker: RealDocker;
    let ws: Workspace;
    let registry: RegistryClient;
    let context: string;
    let real: RealCaprover;
    const { prefix, namespace, app } = realRun("rp-");
    const TASK = app("release-migrate");
    const SITE = ["web", "celery"].map(app);

    const up = () => upOnRealServer(ws, { docker, prefix });
    /**
     * Containers of the task's app started from the release's image: the runs of the task. Register
     * deploys CapRover's placeholder into the app first, and Swarm may start its container before the
     * task's definition scales the app to 0 (more often on a busy machine); that one runs no task.
     */
    const taskRuns = async (seen: ContainerEvent[], commit: string) => {
        const image = await tagged("web", "runtime-full", commit);
        return seen.filter((e) => e.service === TASK && e.action === "start" && e.image.endsWith(`@${image}`));
    };
    /** The task app's container events, for a failure's message. */
    const taskEvents = (seen: ContainerEvent[]) => seen.filter((e) => e.service === TASK).map(eventLine).join("\n");
    /** The digest each site service's running container was created from. */
    const running = async () => Object.fromEntries(await Promise.all(SITE.map(async (s) => [s, await docker.runningDigest(s)])));
    /** A GET of web through captain-nginx, as a visitor of `<app>.<root domain>` makes it. */
    const visit = (pathname: string) => visitApp(real, app("web"), pathname);
    /**
     * The first answer to `pathname` that `ok` takes, read once a second, at most 60 times. CapRover
     * answers a definition update once it has signalled captain-nginx to reload, and nginx loads the
     * new configuration after that (seconds on a busy machine): the up may end first.
     */
    const visitUntil = (pathname: string, ok: (v: Visit) => boolean): Promise<Visit> => readUntil(() => visit(pathname), ok, 60);
    const tagged = (service: string, target: string, commit: string) => registry.digest(`${namespace}/site-${service}`, `${target}-${commit}`);

    let stack: Partial<RealStack> = {};
    before(async function () {
        this.timeout(60 * 60_000);
        stack = await openRealStack({ namespace, prefix, commit: COMMITS[0] });
        ({ docker, registry, ws, context, real } = stack as RealStack);
        await configure(ws, "set", "site:topology", "unified");
        await newRelease({ ws, context }, COMMITS[0]);
    });

    inOrder();

    after(() => closeRealStack(stack));

    it("runs the migration task to its end before any container of the site starts, then removes its app", async () => {
        const { events, containers: seen, onDocker } = await up();
        expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
        expect(summaryOf(events)?.result).to.equal("succeeded");
        const runs = await taskRuns(seen, COMMITS[0]);
        expect(runs, `the task's runs; its app's containers:\n${taskEvents(seen)}`).to.have.length(1);
        // The run's end: its command ends, it logs its exit and holds (provider/src/task/run.ts) until
        // the provider, having read that line, removes the app (kill), or it dies on its own. The
        // die after a kill comes whenever Docker gets to it, maybe after a site container started.
        const ended = seen.filter((e) => e.id === runs[0].id && (e.action === "kill" || e.action === "die"));
        expect(ended.length, `the run's end; the task app's containers:\n${taskEvents(seen)}`).to.be.greaterThan(0);
        const taskDied = Math.min(...ended.map((e) => e.timeNano));
        // The site's own images: CapRover's placeholder, which register starts in a new app, runs none
        // of its code (and Swarm may start it before the task's kill, which it sends asynchronously).
        const siteStarts = seen.filter((e) => SITE.includes(e.service) && e.action === "start" && !e.image.includes("caprover-placeholder")).sort((a, b) => a.timeNano - b.timeNano);
        expect(siteStarts.length, "site containers started").to.be.greaterThan(0);
        expect(siteStarts[0].timeNano, `the first site container (${eventLine(siteStarts[0])}) starts after the task's run ended; the task app's containers:\n${taskEvents(seen)}`).to.be.greaterThan(taskDied);
        expect(await docker.service(TASK), "the task's service").to.equal(undefined);
        expect(await running()).to.deep.equal({ [app("web")]: await tagged("web", "runtime-full", COMMITS[0]), [app("celery")]: await tagged("celery", "celery-unified", COMMITS[0]) });
    });

    it("does not run it again on a re-run `up` of the same release", async () => {
        const { events, containers: seen, onDocker } = await up();
        expect(summaryOf(events)?.result, `the re-run${onDocker}`).to.equal("succeeded");
        expect(seen.filter((e) => e.service === TASK)).to.deep.equal([]);
    });

    it("fails `up` with the failing migration's own words, the secret scrubbed, and leaves every service on the previous release", async () => {
        const before = await running();
        await configure(ws, "set", "--secret", "--path", "site:services.web.env.STANDIN_MIGRATION_FAIL", REFUSAL);
        await newRelease({ ws, context }, COMMITS[1]);
        const { r, events, containers: seen } = await up();
        expect(r.code).to.not.equal(0);
        const errors = errorsOf(events).join("\n");
        expect(errors).to.include("exited with code 1");
        expect(errors).to.include("stand-in migration refused on purpose (STANDIN_MIGRATION_FAIL=[secret])");
        expect(`${r.stdout}${r.stderr}${errors}`).to.not.include(REFUSAL);
        expect(await taskRuns(seen, COMMITS[1]), `the task's runs; its app's containers:\n${taskEvents(seen)}`).to.have.length(1);
        expect(seen.filter((e) => SITE.includes(e.service) && e.action === "start"), "no site container started").to.deep.equal([]);
        expect(await running()).to.deep.equal(before);
        expect(await docker.service(TASK), "the task's service").to.equal(undefined);
    });

    it("runs it again on the next `up`, once fixed, and then deploys the release", async () => {
        await configure(ws, "rm", "--path", "site:services.web.env.STANDIN_MIGRATION_FAIL");
        const { events, containers: seen, onDocker } = await up();
        expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
        expect(await taskRuns(seen, COMMITS[1]), `the task's runs; its app's containers:\n${taskEvents(seen)}`).to.have.length(1);
        expect(await running()).to.deep.equal({ [app("web")]: await tagged("web", "runtime-full", COMMITS[1]), [app("celery")]: await tagged("celery", "celery-unified", COMMITS[1]) });
    });

    it("an `up` killed (SIGKILL) while the task runs leaves its app; the next `up` removes it, runs the task again and deploys, leaving nothing", async () => {
        await newRelease({ ws, context }, COMMITS[2]);
        const watch = docker.watch(new RegExp(`^${prefix}`));
        try {
            const killed = up();
            // The image is built by this up: known by its repository until then.
            await watch.when((e) => e.service === TASK && e.action === "start" && e.image.includes(`/${namespace}/site-web`));
            killAll();
            expect((await killed).r.code, "the killed up").to.not.equal(0);
        } finally {
            await watch.stop();
        }
        expect(await docker.service(TASK), "the killed run's task app").to.not.equal(undefined);
        removeTornSidecars(ws.state);
        await ws.pulumi(["cancel", "--stack", STACK, "--yes"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        const { events, containers: seen, onDocker } = await up();
        expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
        const warnings = events.map((e) => e.diagnosticEvent).filter((d) => d?.severity === "warning").map((d) => d!.message);
        expect(warnings.join("\n")).to.include(`removing ${TASK}, a release task app left by an interrupted run`);
        expect(await taskRuns(seen, COMMITS[2]), `the task ran again; its app's containers:\n${taskEvents(seen)}`).to.have.length(1);
        expect(await docker.service(TASK), "the task's service").to.equal(undefined);
        expect(await running()).to.deep.equal({ [app("web")]: await tagged("web", "runtime-full", COMMITS[2]), [app("celery")]: await tagged("celery", "celery-unified", COMMITS[2]) });
    });

    it("site:maintenance: captain-nginx answers visitors the static 503 page while web's health path reaches the app; off, the site is back", async () => {
        const web = await docker.runningDigest(app("web"));
        await configure(ws, "set", "site:maintenance", "true");
        const on = await up();
        expect(errorsOf(on.events), `error diagnostics${on.onDocker}`).to.deep.equal([]);
        const page = await visitUntil("/", (v) => v.status === 503);
        expect(page.status, "after 60 reads, 1 s apart").to.equal(503);
        expect(page.retryAfter).to.equal("300");
        expect(page.body).to.include(MAINTENANCE_PAGE);
        const health = await visit("/health/");
        expect(health.status, "web's health path").to.equal(200);
        expect(JSON.parse(health.body).release, "the release web's health answer names").to.include(String(web).replace(/^.*@/, ""));
        expect(await docker.runningDigest(app("web")), "web not redeployed").to.equal(web);
        await configure(ws, "set", "site:maintenance", "false");
        const off = await up();
        expect(errorsOf(off.events), `error diagnostics${off.onDocker}`).to.deep.equal([]);
        const back = await visitUntil("/", (v) => v.status !== 503);
        expect(back.status, "web's own answer, after 60 reads, 1 s apart").to.not.equal(503);
        expect(back.body).to.not.include("Down for maintenance");
    });
});
