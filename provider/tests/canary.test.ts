/**
 * The Canary provider against the emulator's canary view: web, worker and beat deployed by the App
 * provider, the view asked through captain-nginx until it passes; once per release; every broken
 * link, an old web or worker answering, a stale or absent beat heartbeat and a site without the view
 * failing at the deadline with the last answer in plain words, never a secret. The view's task
 * goes through real redis (the emulator's brokers): apps without REDIS_URL share the emulator's
 * default one; a link breaks by the apps' REDIS_URL (an external broker this file starts: a wrong
 * password, another database) or a worker that crashes or hangs. The clock stands
 * still in every test (apps come up at once, beat's heartbeat keeps its age) and moves only at the
 * event a test waits for.
 */
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { CANARY_TYPE, CanaryInputs, CanaryOutputs, canaryHandler, canaryRelease } from "../src/resources/canary";
import { releaseOf } from "../src/app/definition";
import { ProviderServer } from "../src/server";
import { useTestClock } from "./clock";
import { AUTH_SECRET, ENV_SECRET, PASSWORD, TestAppOutputs, TestAppProvider, client, connection, expectNoSecrets, failure, image, probeOf, useEmulator, webInputs, whenRequest, workerInputs } from "./support";
import type { Context } from "../src/resources/handler";
import type { CapRoverEmulator } from "../emulator/caprover";
import { RedisServer } from "../emulator/redis/server";

/* eslint-disable @typescript-eslint/no-require-imports */
const provproto = require("@pulumi/pulumi/proto/provider_pb");

const URN = `urn:pulumi:test::site::${CANARY_TYPE}::canary`;
const WEB = image("a");
const WEB_NEXT = image("b");
const WORKER = image("c", "ghcr.io/example/site-celery");
const WORKER_NEXT = image("e", "ghcr.io/example/site-celery");
const BEAT = image("d", "ghcr.io/example/site-beat");
/** The password of the external broker this file starts. */
const BROKER_PW = "broker-pw-that-must-not-leak";
/** Requests of the canary view on web, as the emulator noted them (by Host: through captain-nginx). */
const asked = (e: CapRoverEmulator) => e.requests.filter(probeOf("web", "/canary/")).length;

function inputs(overrides: Partial<CanaryInputs> = {}): CanaryInputs {
    const checked = canaryHandler.check({ appName: "web", webImage: WEB, workerImage: WORKER, beatImage: BEAT, ...overrides }, () => true);
    expect(checked.failures).to.deep.equal([]);
    return checked.inputs;
}

describe("Canary provider", () => {
    const emulator = useEmulator({ canary: { workerApp: "celery", beatApp: "beat" } });
    /** An external broker (site:brokerUrl's kind), one for the file: each test's canaries have their own ids. */
    let broker: RedisServer;
    before(async () => (broker = await RedisServer.start({ password: BROKER_PW })));
    after(() => broker?.stop());
    const brokerUrl = (password = BROKER_PW, db = 0) => `redis://:${password}@127.0.0.1:${broker.port}/${db}`;
    const clock = useTestClock();
    const lines: string[] = [];
    const apps = new TestAppProvider({ log: (l) => lines.push(l) });
    beforeEach(() => {
        lines.length = 0;
        // Every app comes up at the instant it starts, and stays there: ages and deadlines move only when a test moves them.
        clock.freeze();
    });
    const ctx = (): Context => ({ connection: connection(emulator()), urn: URN, log: (l) => lines.push(l), warn: (l) => lines.push(l) });
    const create = async (i: CanaryInputs) => (await canaryHandler.create(ctx(), i)).outs;
    /** A create whose deadline passes once the view has answered with `outcome` (its deploy timeout 1000 ms). */
    const failsAtDeadline = (outcome: string, overrides: Partial<CanaryInputs> = {}) => {
        void whenRequest(emulator(), probeOf("web", "/canary/", outcome)).then(() => clock.advance(1001));
        return failure(() => create(inputs({ deployTimeoutMs: 1000, ...overrides })));
    };
    const subject = `canary of release ${releaseOf(WEB)} (app web) on 127.0.0.1:`;

    /**
     * The site: web, a worker and beat, each deployed by the App provider (the release variable set);
     * `redis`: web's and the worker's REDIS_URL (none: the emulator's default broker).
     */
    async function site(opts: { beat?: boolean; web?: Parameters<typeof webInputs>[1]; redis?: { web: string; worker: string } } = {}): Promise<{ celery: TestAppOutputs }> {
        const env = (url?: string) => (url ? { envVars: { ...webInputs(emulator()).envVars, REDIS_URL: url } } : {});
        await apps.create(webInputs(emulator(), { ...opts.web, ...env(opts.redis?.web) }));
        const celery = (await apps.create(workerInputs(emulator(), { image: WORKER, ...env(opts.redis?.worker) }))).outs;
        if (opts.beat !== false) await apps.create(workerInputs(emulator(), { appName: "beat", image: BEAT }));
        return { celery };
    }

    /**
     * The worker deployed with the next release by the App provider. Its gate tells the new task's
     * ready line from the old one's by Docker's timestamp: the clock moves on first.
     */
    const nextWorker = (celery: TestAppOutputs) => {
        clock.advance(1000);
        return apps.update("celery", celery, workerInputs(emulator(), { image: WORKER_NEXT }));
    };

    /**
     * Starts an update of `appName` to `next` as a start-first deploy does: the new task (named
     * with the new release) takes `startMs` to come up, and meanwhile the old one keeps answering.
     */
    async function updating(appName: string, next: string, startMs = 60_000): Promise<void> {
        const c = client(emulator());
        emulator().options.startMs = startMs;
        const current = (await c.getApp(appName))!;
        await c.updateApp(current, { envVars: current.envVars.map((e) => (e.key === "SITE_RELEASE" ? { key: e.key, value: releaseOf(next) } : e)) });
        await c.deployImage(appName, next);
        await c.waitForBuild(appName, `deploy of ${next}`);
        expect(emulator().servingImage(appName)).to.not.equal(next);
    }

    it("passes when web of the release hands the task to a worker of the release and beat is fresh; the record holds the worker and beat's age", async () => {
        await site();
        clock.advance(4500);
        const outs = await create(inputs());
        const celery = emulator().apps.get("celery")!.containers.at(-1)!;
        expect(outs).to.deep.include({ release: `web=${releaseOf(WEB)} worker=${releaseOf(WORKER)} beat=${releaseOf(BEAT)}`, worker: `celery@${celery.id}`, beatAgeS: 4.5, path: "/canary/", beatHeartbeatMaxAgeS: 120 });
        expect(celery.release).to.equal(releaseOf(WORKER));
        // Asked once, by Host through captain-nginx (the probe address), as the deploy gate asks.
        expect(asked(emulator())).to.equal(1);
        expect(lines.join("\n")).to.include(`canary of web: passed (worker celery@${celery.id}, beat's heartbeat 4.5 s old)`);
    });

    it("does not ask again for the same images (a re-run `up`), whatever else changed; asks again for a new image", async () => {
        const { celery } = await site();
        const outs = await create(inputs());
        const same = await canaryHandler.update(ctx(), "web", outs, inputs({ deployTimeoutMs: 9000, beatHeartbeatMaxAgeS: 60 }));
        expect(asked(emulator())).to.equal(1);
        expect(same).to.deep.include({ release: outs.release, worker: outs.worker, deployTimeoutMs: 9000, beatHeartbeatMaxAgeS: 60 });
        expect(lines.join("\n")).to.include(`canary of web: release ${outs.release} already passed; not asked again`);
        await nextWorker(celery);
        const next = await canaryHandler.update(ctx(), "web", same, inputs({ workerImage: WORKER_NEXT }));
        expect(asked(emulator())).to.equal(2);
        expect(next.release).to.equal(canaryRelease({ webImage: WEB, workerImage: WORKER_NEXT, beatImage: BEAT }));
        expect(next.worker).to.equal(`celery@${emulator().apps.get("celery")!.containers.at(-1)!.id}`);
    });

    it("treats every input change as an update, never a replacement; keeps its record on refresh; refuses an import; deletes nothing on the server", async () => {
        const outs: CanaryOutputs = { ...inputs(), release: canaryRelease(inputs()), worker: "celery@x" };
        expect(canaryHandler.diff(outs, inputs())).to.deep.equal({ changes: false, replaces: [], deleteBeforeReplace: false });
        expect(canaryHandler.diff(outs, inputs({ appName: "web2", workerImage: WORKER_NEXT }))).to.deep.equal({ changes: true, replaces: [], deleteBeforeReplace: false });
        expect(await canaryHandler.read(ctx(), "web", outs)).to.deep.equal({ id: "web", outs });
        expect((await failure(() => canaryHandler.read(ctx(), "web", undefined))).message).to.equal("a canary cannot be imported (web): it is a record of a run, made by `pulumi up`");
        await canaryHandler.delete(ctx(), "web", outs);
        expect(emulator().requests).to.deep.equal([]);
    });

    describe("fails at the deadline with the last answer, naming the link that broke", () => {
        const cases = [
            {
                link: "enqueue",
                redis: () => ({ web: brokerUrl("wrong-pw"), worker: brokerUrl() }),
                words: "web could not enqueue the canary (enqueue): AuthenticationError: invalid username-password pair or user is disabled; that was",
            },
            {
                link: "delivery",
                redis: () => ({ web: brokerUrl(), worker: brokerUrl(BROKER_PW, 1) }),
                words: "the broker did not deliver the canary to any worker (delivery): no worker took the canary within 5 s",
            },
            // A worker that hangs (a silent image) takes it and writes no result.
            {
                link: "result",
                redis: () => ({ web: brokerUrl(), worker: brokerUrl() }),
                words: "a worker took the canary, but its result did not come back to web (result): a worker took the canary (state STARTED) but no result came back within 5 s",
            },
        ] as const;
        for (const { link, redis, words } of cases) {
            it(`${link}: ${words.split(" (")[0]}`, async () => {
                await site({ redis: redis() });
                if (link === "result") emulator().options.silentImages.push(WORKER);
                const e = await failsAtDeadline("http 503");
                expect(e.message).to.include(subject).and.include(words);
                expect(e.message).to.match(/; that was the only answer of GET \/canary\/ within the deploy timeout of 1000 ms$/);
                expectNoSecrets([e.message, ...lines], [BROKER_PW]);
            });
        }

        it("keeps asking while a link fails; the last answer is the one the failure names", async () => {
            await site();
            // The worker crashes on start (nobody takes the task), then hangs (takes it, no result).
            const { unhealthyImages, silentImages } = emulator().options;
            unhealthyImages.push(WORKER);
            void whenRequest(emulator(), probeOf("web", "/canary/", "http 503"))
                .then(() => {
                    unhealthyImages.splice(unhealthyImages.indexOf(WORKER), 1);
                    silentImages.push(WORKER);
                })
                .then(() => whenRequest(emulator(), probeOf("web", "/canary/", "http 503")))
                .then(() => clock.advance(600_001));
            const e = await failure(() => create(inputs()));
            expect(e.message).to.include("(result)").and.not.include("(delivery)");
            expect(e.message).to.match(/; that was the last of 2 answers of GET \/canary\/ within the deploy timeout of 600000 ms, none passing$/);
            expect(lines.join("\n")).to.include("the broker did not deliver the canary to any worker (delivery): no worker took the canary within 5 s; asking again");
        });

        it("delivery: no worker up at all (the worker app scaled to 0)", async () => {
            await site();
            const c = client(emulator());
            await c.updateApp((await c.getApp("celery"))!, { instanceCount: 0 });
            const e = await failsAtDeadline("http 503");
            expect(e.message).to.include("the broker did not deliver the canary to any worker (delivery)");
        });

        it("a failed run leaves the state as it was, so the next `up` asks again and records the pass", async () => {
            const { celery } = await site();
            const outs = await create(inputs());
            await nextWorker(celery);
            emulator().options.silentImages.push(WORKER_NEXT);
            void whenRequest(emulator(), probeOf("web", "/canary/", "http 503")).then(() => clock.advance(1001));
            const e = await failure(() => canaryHandler.update(ctx(), "web", outs, inputs({ workerImage: WORKER_NEXT, deployTimeoutMs: 1000 })));
            expect(e.message).to.include("(result)");
            emulator().options.silentImages.pop();
            // The engine keeps `outs` (the failed update changed nothing): the next run asks again.
            const next = await canaryHandler.update(ctx(), "web", outs, inputs({ workerImage: WORKER_NEXT }));
            expect(next.release).to.include(`worker=${releaseOf(WORKER_NEXT)}`);
            expect(asked(emulator())).to.equal(3);
        });
    });

    it("keeps asking while an old worker still consumes the queue, and passes once a worker of the release answers", async () => {
        await site();
        await updating("celery", WORKER_NEXT);
        // The old worker answers first; then the new one comes up.
        void whenRequest(emulator(), probeOf("web", "/canary/", "http 200")).then(() => clock.advance(60_000));
        const outs = await create(inputs({ workerImage: WORKER_NEXT }));
        expect(outs.worker).to.equal(`celery@${emulator().apps.get("celery")!.containers.at(-1)!.id}`);
        expect(asked(emulator())).to.be.greaterThan(1);
        expect(lines.join("\n")).to.match(new RegExp(`a worker of release ${releaseOf(WORKER)} answered \\(celery@\\w+\\), not one of release ${releaseOf(WORKER_NEXT)} \\(an old worker still consumes the queue\\); asking again`));
    });

    it("fails naming both releases when only an old worker answers until the deadline", async () => {
        await site();
        await updating("celery", WORKER_NEXT);
        const e = await failsAtDeadline("http 200", { workerImage: WORKER_NEXT });
        expect(e.message).to.include(subject).and.match(new RegExp(`a worker of release ${releaseOf(WORKER)} answered \\(celery@\\w+\\), not one of release ${releaseOf(WORKER_NEXT)} \\(an old worker still consumes the queue\\)`));
    });

    it("does not accept web of the previous release (start-first: it serves until the new one is up)", async () => {
        await site();
        await updating("web", WEB_NEXT);
        const e = await failsAtDeadline("http 200", { webImage: WEB_NEXT });
        expect(e.message).to.include(`web of release ${releaseOf(WEB)} answered, not web of release ${releaseOf(WEB_NEXT)} (the previous web release still serves)`);
    });

    describe("beat", () => {
        it("fails on a stale heartbeat, naming its age and the bound; passes on the same answer with beat not checked (0)", async () => {
            emulator().options.canary!.beatStalled = true;
            await site();
            clock.advance(121_000);
            const e = await failsAtDeadline("http 200");
            expect(e.message).to.include(subject).and.include("beat's heartbeat is 121 s old (bound 120 s)");
            const outs = await create(inputs({ beatHeartbeatMaxAgeS: 0 }));
            expect(outs.beatAgeS).to.equal(122.001);
        });

        it("passes a heartbeat within the bound: beat beats every 30 s", async () => {
            await site();
            clock.advance(119_000);
            expect((await create(inputs())).beatAgeS).to.equal(29);
        });

        it("does not take the old beat's heartbeat for the new one's: a heartbeat names the beat that sent it", async () => {
            await site();
            const next = image("f", "ghcr.io/example/site-beat");
            // Beat's update to `next` has not come up yet: the heartbeat is fresh, but the old beat's.
            await updating("beat", next);
            const e = await failsAtDeadline("http 200", { beatImage: next });
            expect(e.message).to.include(`beat's last heartbeat came from beat of release ${releaseOf(BEAT)}, not of release ${releaseOf(next)} (the new beat has not sent one yet)`);
        });

        it("fails when no heartbeat was ever recorded (no beat running); beat not checked, the record has no age", async () => {
            await site({ beat: false });
            const e = await failsAtDeadline("http 200");
            expect(e.message).to.include("beat's heartbeat was never recorded (bound 120 s)");
            const outs = await create(inputs({ beatHeartbeatMaxAgeS: 0 }));
            expect(outs).to.not.have.property("beatAgeS");
        });
    });

    it("says the site serves no canary when web answers 404", async () => {
        await site();
        emulator().options.canary = undefined;
        const e = await failsAtDeadline("http 404");
        expect(e.message).to.include(subject).and.include("web answered HTTP 404 (the site serves no canary at /canary/; set the canary's path to where the site serves it");
    });

    it("asks through web's basic auth; no secret in any error or log line", async () => {
        await site({ web: { httpAuth: { user: "admin", password: AUTH_SECRET } }, redis: { web: brokerUrl(), worker: brokerUrl() } });
        const auth = { user: "admin", password: AUTH_SECRET };
        expect((await create(inputs({ httpAuth: auth }))).worker).to.match(/^celery@/);
        // The worker moved to another database of the broker: nobody takes the task.
        const c = client(emulator());
        const worker = (await c.getApp("celery"))!;
        await c.updateApp(worker, { envVars: worker.envVars.map((e) => (e.key === "REDIS_URL" ? { key: e.key, value: brokerUrl(BROKER_PW, 1) } : e)) });
        const refused = await failsAtDeadline("http 401", { httpAuth: { user: "admin", password: "wrong-pw-that-must-not-leak" } });
        expect(refused.message).to.include("web answered HTTP 401 (its basic auth refused the canary; set the canary's httpAuth to web's user and password)");
        const broken = await failsAtDeadline("http 503", { httpAuth: auth });
        expect(broken.message).to.include("(delivery)");
        expectNoSecrets([refused.message, broken.message, ...lines], [AUTH_SECRET, "wrong-pw-that-must-not-leak", PASSWORD, ENV_SECRET, BROKER_PW]);
    });

    it("refuses bad inputs naming the input and what is accepted", () => {
        const r = canaryHandler.check({ appName: "Web_1", path: "canary/", webImage: "web:latest", workerImage: WORKER.replace("@", ":"), beatImage: "beat", beatHeartbeatMaxAgeS: -1, deployTimeoutMs: 1.5, httpAuth: { user: "admin", password: "" } }, () => true);
        expect(r.failures.map((f) => f.property)).to.deep.equal(["appName", "path", "webImage", "workerImage", "beatImage", "beatHeartbeatMaxAgeS", "deployTimeoutMs", "httpAuth"]);
        expect(r.failures[1].reason).to.include("expected a path starting with /");
        expect(r.failures[4].reason).to.include("nor empty (beat runs inside the worker)");
        expect(r.failures[5].reason).to.include("expected an integer >= 0");
        // Defaults from the schema; values a preview does not know yet are not judged.
        const d = canaryHandler.check({ appName: "web", webImage: WEB, workerImage: "unknown" }, (v) => v !== "unknown");
        expect(d.failures).to.deep.equal([]);
        expect(d.inputs).to.include({ path: "/canary/", beatImage: "", beatHeartbeatMaxAgeS: 120, deployTimeoutMs: 600_000 });
    });

    it("is served by the provider's gRPC server as caprover:index:Canary", async () => {
        const server = new ProviderServer(undefined, "0.1.0");
        const impl = server.service() as Record<string, (call: { request: unknown }, cb: (err: grpc.StatusObject | null, value?: any) => void) => void>;
        const request = new provproto.CheckRequest().setUrn(URN).setNews(Struct.fromJavaScript({ appName: "web", webImage: WEB, workerImage: "nope" } as never));
        const answer = await new Promise<any>((resolve, reject) => impl.check({ request }, (err, value) => (err ? reject(new Error(err.details)) : resolve(value))));
        expect(answer.getFailuresList().map((f: any) => f.getProperty())).to.deep.equal(["workerImage"]);
        expect(answer.getInputs().toJavaScript()).to.include({ path: "/canary/", beatHeartbeatMaxAgeS: 120 });
    });
});
