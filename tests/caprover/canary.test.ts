/**
 * The real CapRover: the canary through the broker (issue 24). The `local` stack (split: web, the
 * worker, beat, Flower) with the managed broker, the stand-in broker image (Debian's redis-server).
 *
 * In order: a good release passes, its record naming the new worker's release, the worker's node and
 * a fresh beat heartbeat -> a release whose worker listens on another database of the redis
 * (STANDIN_BROKER_DB) fails the `up`, naming the broken link (delivery), though every app passed its
 * own gate -> an old worker (the previous release's image, on the right database, started by hand)
 * answers the canary instead: the `up` fails naming both releases -> both undone, the next `up`
 * passes -> the drain (issue 23): a task running when a worker deploy starts ends on the old worker,
 * within its stop grace period.
 */
import { expect } from "chai";
import { Workspace } from "../../scripts/engine/driver";
import { errorsOf, summaryOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, STACK, configure } from "../../scripts/engine/localStack";
import type { RegistryClient } from "../../scripts/engine/builder";
import { RealCaprover, RealDocker, readUntil, visitApp } from "../../scripts/engine/realCaprover";
import { RealStack, closeRealStack, newRelease, openRealStack, realRun, upOnRealServer } from "../../scripts/engine/realStack";
import { inOrder } from "../engine/scenario";

const COMMITS = ["5eed0000000000000000000000000000000000c1", "5eed0000000000000000000000000000000000c2"];
/** The deploy timeout of the failing steps: the canary waits it out (the apps' own deploys take well under it here). */
const FAILING_TIMEOUT_S = 90;

describe("real CapRover: the canary through the broker", function () {
    this.timeout(30 * 60_000);
    let docker: RealDocker;
    let ws: Workspace;
    let registry: RegistryClient;
    let context: string;
    let real: RealCaprover;
    const { prefix, namespace, app } = realRun("cn-");
    /** The old worker this scenario starts by hand (a Swarm service of its own, not a CapRover app). */
    const OLD_WORKER = app("oldworker");

    const up = () => upOnRealServer(ws, { docker, prefix });
    const workerImage = async (commit: string) => `${registry.address}/${namespace}/site-celery@${await registry.digest(`${namespace}/site-celery`, `celery-worker-${commit}`)}`;
    /** The Canary resource's outputs in the state. */
    const canaryRecord = async (): Promise<Record<string, unknown> | undefined> => {
        const exported = JSON.parse((await ws.pulumi(["stack", "export", "--stack", STACK, "--show-secrets"], { timeoutMs: CLI_TIMEOUT })).stdout) as {
            deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] };
        };
        return exported.deployment.resources.find((r) => r.type === "caprover:index:Canary")?.outputs;
    };
    const release = (ref: string) => ref.slice(ref.indexOf("@") + 1);
    /** A key of the broker's redis, read inside its container (its password stays there). */
    const redisGet = async (key: string): Promise<string> => {
        const [container] = await docker.containers(app("redis"));
        return (await docker.exec(container, ["sh", "-c", `redis-cli -a "$REDIS_PASSWORD" --no-auth-warning get ${key}`])).trim();
    };
    /** Waits for a key to be set (a bounded poll of the broker: the event is the task's own write). */
    const whenSet = async (key: string, tries = 120): Promise<string> => {
        const value = await readUntil(() => redisGet(key), (v) => v !== "", tries);
        if (!value) throw new Error(`${key} was not set after ${tries} reads, 1 s apart`);
        return value;
    };

    let stack: Partial<RealStack> = {};
    before(async function () {
        this.timeout(60 * 60_000);
        stack = await openRealStack({ namespace, prefix, commit: COMMITS[0] });
        ({ docker, registry, ws, context, real } = stack as RealStack);
        await configure(ws, "set", "site:topology", "split");
        await newRelease({ ws, context }, COMMITS[0]);
    });

    inOrder();

    after(async () => {
        await docker?.docker(["service", "rm", OLD_WORKER], 60_000).catch(() => undefined);
        await closeRealStack(stack);
    });

    it("a good release passes: a worker of the new release answered web of the new release, and beat's heartbeat is fresh", async () => {
        const { r, events, onDocker } = await up();
        expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
        expect(r.code, `pulumi up${onDocker}`).to.equal(0);
        const record = await canaryRecord();
        expect(record?.release, "the canary's record").to.include(`worker=${release(await workerImage(COMMITS[0]))}`);
        expect(String(record?.worker)).to.match(/^celery@/);
        expect(record?.beatAgeS as number, "beat's heartbeat age (s)").to.be.at.most(120);
        // What the site answers now, as the canary read it.
        const answer = JSON.parse((await visitApp(real, app("web"), "/canary/")).body) as { link: string; release: string };
        expect(answer).to.include({ link: "ok", release: release(await workerImage(COMMITS[0])) });
    });

    it("a worker that does not get web's messages (another redis database) fails the up, naming the delivery link", async () => {
        await newRelease({ ws, context }, COMMITS[1]);
        await configure(ws, "set", "site:caproverDeployTimeout", String(FAILING_TIMEOUT_S));
        await configure(ws, "set", "--path", "--type", "string", "site:services.celery.env.STANDIN_BROKER_DB", "1");
        const { r, events, onDocker } = await up();
        expect(r.code, "the up's exit code").to.not.equal(0);
        const errors = errorsOf(events).join("\n");
        expect(errors, `${errors}${onDocker}`).to.include("the broker did not deliver the canary to any worker (delivery)");
        expect(errors).to.include(`${FAILING_TIMEOUT_S * 1000} ms`);
        // Every app passed its own gate: the new worker runs and announced its release.
        expect(await docker.runningDigest(app("celery"))).to.equal(release(await workerImage(COMMITS[1])));
        expect((await canaryRecord())?.release, "the record keeps the release that passed").to.include(`worker=${release(await workerImage(COMMITS[0]))}`);
    });

    it("an old worker answering the canary does not pass it: the up fails naming its release and the new one", async () => {
        const url = `redis://:${(await ws.pulumi(["config", "get", "site:brokerPassword", "--stack", STACK], { timeoutMs: CLI_TIMEOUT })).stdout.trim()}@srv-captain--${app("redis")}:6379/0`;
        const old = await workerImage(COMMITS[0]);
        await docker.docker(["service", "create", "--detach", "--name", OLD_WORKER, "--network", "captain-overlay-network", "--env", `REDIS_URL=${url}`, "--env", `SITE_RELEASE=${release(old)}`, old], 120_000);
        const { r, events, onDocker } = await up();
        expect(r.code, "the up's exit code").to.not.equal(0);
        const errors = errorsOf(events).join("\n");
        expect(errors, `${errors}${onDocker}`).to.include(`a worker of release ${release(old)} answered`).and.include(`not one of release ${release(await workerImage(COMMITS[1]))}`);
    });

    it("fixed (the old worker gone, the worker back on web's database), the next up passes", async () => {
        await docker.docker(["service", "rm", OLD_WORKER], 60_000);
        await configure(ws, "rm", "--path", "site:services.celery.env.STANDIN_BROKER_DB");
        await configure(ws, "set", "site:caproverDeployTimeout", "300");
        const { r, events, onDocker } = await up();
        expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
        expect(r.code, `pulumi up${onDocker}`).to.equal(0);
        expect((await canaryRecord())?.release).to.include(`worker=${release(await workerImage(COMMITS[1]))}`);
        expect(summaryOf(events)?.result).to.equal("succeeded");
    });

    it("drain: a task running when a worker deploy starts ends on the old worker, within its stop grace period", async () => {
        const token = `t${Date.now().toString(36)}`;
        const [web] = await docker.containers(app("web"));
        const [old] = await docker.containers(app("celery"));
        const oldNode = `celery@${(await docker.exec(old, ["hostname"])).trim()}`;
        // Sent as the site sends a task: from web, through the broker.
        await docker.exec(web, ["python", "-c", `from config.celery import app; app.send_task("standin.tasks.hold", args=[40, "${token}"])`]);
        expect(await whenSet(`standin:hold:${token}:started`), "the worker that took it").to.equal(oldNode);
        // A worker deploy while it runs (start-first: the old worker gets SIGTERM once the new one runs).
        const watch = docker.watch(new RegExp(`^${app("celery")}$`));
        try {
            await configure(ws, "set", "--path", "site:services.celery.env.DRAIN_PROBE", token);
            const { r, events, onDocker } = await up();
            expect(errorsOf(events), `error diagnostics${onDocker}`).to.deep.equal([]);
            expect(r.code, `pulumi up${onDocker}`).to.equal(0);
            // Its warm shutdown finished the task: not killed (and run again elsewhere), not lost.
            const [node, at] = (await whenSet(`standin:hold:${token}:done`)).split(" ");
            expect(node, "the worker that finished it").to.equal(oldNode);
            await watch.when((e) => e.id === old && e.action === "die");
            const stopped = watch.events.find((e) => e.id === old && e.action === "kill");
            expect(stopped, "Docker's SIGTERM to the old worker").to.not.equal(undefined);
            expect(stopped!.timeNano / 1e9, "SIGTERM came while the task ran").to.be.below(Number(at));
        } finally {
            await watch.stop();
        }
    });
});
