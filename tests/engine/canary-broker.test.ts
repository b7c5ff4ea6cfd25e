/**
 * The canary through a real broker, through the engine: the local stack against the emulator, whose
 * canary view goes through redis-servers on 127.0.0.1 named by the apps' REDIS_URL (the emulator's
 * brokers.ts). With the managed broker (`site:accessories: [broker]`), the task crosses the broker
 * app's redis: web pushed it there and the worker of the release wrote its result there. With an
 * external `site:brokerUrl` whose redis has stopped, the `up` fails naming the link, enqueue, and
 * what refused, never the password.
 */
import { randomBytes } from "crypto";
import { expect } from "chai";
import { RespClient } from "../../provider/emulator/redis/resp";
import { RedisServer } from "../../provider/emulator/redis/server";
import { probeOf, whenRequest } from "../../provider/tests/support";
import { CLI_TIMEOUT, STACK, configureAll } from "../../scripts/engine/localStack";
import { ProviderClock } from "./providerClock";
import { errorLines, operation, useLocalStack } from "./scenario";

const stack = ["--stack", STACK];
/** The local stack's deploy timeout (Pulumi.local.yaml's site:caproverDeployTimeout, 60 s), past which the canary fails. */
const DEPLOY_TIMEOUT_MS = 61_000;
/** Any digest: the emulator pulls nothing; its broker is the process the app's command names. */
const REDIS_IMAGE = `docker.io/library/redis@sha256:${"7".repeat(64)}`;
/** Web's image of a second release (the canary asks once per release). */
const NEXT_WEB = `ghcr.io/aaronspindler/aaronspindler.com-web@sha256:${"8".repeat(64)}`;

describe("engine: the canary through a real broker", function () {
    this.timeout(5 * CLI_TIMEOUT);

    describe("the managed broker (site:accessories: [broker])", () => {
        const password = `pw-${randomBytes(12).toString("hex")}`;
        const s = useLocalStack(() => ({
            policyPack: false, // no step checks a policy
            config: [
                { key: "site:accessories[0]", value: "broker", path: true },
                { key: "site:accessoryImages.redis", value: REDIS_IMAGE, path: true },
                { key: "site:brokerPassword", value: password, secret: true },
            ],
        }));

        it("pulumi up passes the canary through the broker app's redis: web's task is there, with the result the worker of the release wrote", async () => {
            const events = await operation(s.ws, ["up"]);
            const passed = events.map((e) => e.diagnosticEvent?.message ?? "").find((m) => m.includes("canary of local-web: passed"));
            expect(passed, "the canary's pass in the engine's output").to.match(/canary of local-web: passed \(worker celery@\w+/);
            const worker = /worker (celery@\w+)/.exec(passed!)![1];
            const celery = s.emulator.apps.get("local-celery")!.containers.at(-1)!;
            expect(worker).to.equal(`celery@${celery.id}`);
            // The broker app's redis (srv-captain--local-redis:6379), by its password: the result is there.
            const port = await s.emulator.brokerPort("local-redis");
            expect(port, "the emulator ran a redis-server for local-redis").to.be.a("number");
            const redis = await RespClient.connect({ host: "127.0.0.1", port: port!, named: "local-redis" });
            try {
                await redis.command("AUTH", password);
                const keys = (await redis.command("KEYS", "celery-task-meta-*")) as string[];
                const results = await Promise.all(keys.map(async (k) => JSON.parse(String(await redis.command("GET", k))) as { status: string; result?: { worker: string; release: string } }));
                expect(results).to.deep.include({ status: "SUCCESS", result: { worker, release: celery.release! } });
            } finally {
                redis.close();
            }
            expect(events.map((e) => JSON.stringify(e)).join("\n"), "the broker password in the engine's output").to.not.include(password);
        });
    });

    describe("an external broker (site:brokerUrl) that stops", () => {
        const password = `pw-${randomBytes(12).toString("hex")}`;
        let broker: RedisServer | undefined;
        before(async () => (broker = await RedisServer.start({ password })));
        after(() => broker?.stop());
        // The providers' clock of this stack: it stands still, and passes the deploy timeout once the
        // canary has answered 503 (the failing canary asks until then).
        const clock = new ProviderClock();
        clock.freeze();
        after(() => clock.dispose());
        const s = useLocalStack(() => ({ env: clock.env, policyPack: false, config: [{ key: "site:brokerUrl", value: `redis://:${password}@127.0.0.1:${broker!.port}/0`, secret: true }] }));

        it("pulumi up passes the canary through it while it runs", async () => {
            const events = await operation(s.ws, ["up"]);
            expect(events.some((e) => e.diagnosticEvent?.message.includes("canary of local-web: passed"))).to.equal(true);
        });

        it("once it has stopped, the next release's up fails naming the link, enqueue, and the refused address; no password", async () => {
            const port = broker!.port;
            await broker!.stop();
            broker = undefined;
            await configureAll(s.ws, [{ key: "site:imageDigests.web.runtime-full", value: NEXT_WEB, path: true }]);
            void whenRequest(s.emulator, probeOf("local-web", "/canary/", "http 503")).then(() => clock.advance(DEPLOY_TIMEOUT_MS));
            const r = await s.ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
            expect(r.code).to.not.equal(0);
            const errors = errorLines(r).join("\n");
            expect(errors).to.include(`web could not enqueue the canary (enqueue): ConnectionError: Error 111 connecting to 127.0.0.1:${port}. Connection refused`);
            expect(`${r.stdout}${r.stderr}`).to.not.include(password);
        });
    });
});
