/**
 * The API client against the emulator: envelope handling, the token cache and its one re-login,
 * retries of each transient fault class, no retries of permanent errors, and the merged update.
 */
import { expect } from "chai";
import { CapRoverClient, inTimeOrder, logLines, mergedUpdate } from "../src/api/client";
import { CapRoverError } from "../src/api/transport";
import { STATUS } from "../src/api/types";
import { FAST, HANG_TIMEOUT_MS, PASSWORD, client, failure, registered, image, useEmulator, whenRequest } from "./support";
import { useTestClock } from "./clock";

describe("CapRover client", () => {
    const emulator = useEmulator();
    // Tests about time hold the clock and the pauses they wait out (see clock.ts).
    const clock = useTestClock();

    const logins = () => emulator().requests.filter((r) => r.path === "/login").length;
    const calls = (path: string) => emulator().requests.filter((r) => r.path === path).length;

    it("logs in once and reuses the cached token across clients of the same server", async () => {
        await client(emulator()).listApps();
        await client(emulator()).listApps();
        await Promise.all([client(emulator()).listApps(), client(emulator()).systemInfo()]);
        expect(logins()).to.equal(1);
        const auth = emulator().requests.filter((r) => r.path !== "/login").map((r) => r.auth);
        expect(auth.every((a) => a === "session")).to.equal(true);
    });

    it("turns a status other than 100/101/102 into a CapRoverError with code and description", async () => {
        const e = await failure(() => client(emulator()).updateApp({ ...emptyApp("ghost") }, {}));
        expect(e).to.be.instanceOf(CapRoverError);
        expect((e as CapRoverError).code).to.equal(STATUS.GENERIC);
        expect((e as CapRoverError).description).to.equal("App (ghost) could not be found. Make sure that you have created the app.");
        expect(e.message).to.match(/^CapRover POST \/user\/apps\/appDefinitions\/update failed: status 1000: App \(ghost\) could not be found/);
    });

    describe("transient faults are retried with bounded backoff", () => {
        it("a burst of 5xx, then success", async () => {
            emulator().inject({ kind: "http", status: 502, times: 2, match: { path: "/user/apps/appDefinitions" } });
            emulator().inject({ kind: "http", status: 503, times: 1, match: { path: "/user/apps/appDefinitions" } });
            const lines: string[] = [];
            const list = await client(emulator(), lines).listApps();
            expect(list.appDefinitions).to.deep.equal([]);
            expect(calls("/user/apps/appDefinitions")).to.equal(4);
            expect(lines.filter((l) => l.includes("retry"))).to.have.length(3);
        });

        it("a reset connection", async () => {
            emulator().inject({ kind: "reset", match: { path: "/user/system/info" } });
            expect((await client(emulator()).systemInfo()).rootDomain).to.equal("emulator.test");
            expect(calls("/user/system/info")).to.equal(2);
        });

        it("a request that never gets an answer (client timeout)", async () => {
            emulator().inject({ kind: "hang", match: { path: "/user/system/info" } });
            const lines: string[] = [];
            await client(emulator(), lines, PASSWORD, HANG_TIMEOUT_MS).systemInfo();
            // Given up on after the client's own request timeout, then retried once.
            expect(lines.filter((l) => l.includes("retry"))).to.deep.equal([lines.find((l) => new RegExp(`^GET /user/system/info: no answer within ${HANG_TIMEOUT_MS} ms; retry 1/3 in \\d+ ms$`).test(l))]);
            expect(calls("/user/system/info")).to.equal(2);
        });

        it("HTTP 429 while another client's change holds the namespace lock", async () => {
            emulator().inject({ kind: "http", status: 429, times: 2, match: { path: "/user/apps/appDefinitions/register" } });
            await client(emulator()).registerApp("one", false);
            expect([...emulator().apps.keys()]).to.deep.equal(["one"]);
            expect(calls("/user/apps/appDefinitions/register")).to.equal(3);
        });

        it("parallel changes of one process take turns instead of meeting the lock; reads do not wait", async () => {
            emulator().options.mutationMs = 30;
            const clients = [client(emulator()), client(emulator()), client(emulator())];
            await Promise.all(["one", "two", "three"].map((name, i) => clients[i].registerApp(name, false)));
            expect([...emulator().apps.keys()].sort()).to.deep.equal(["one", "three", "two"]);
            expect(emulator().requests.filter((r) => r.outcome === "http 429")).to.deep.equal([]);
        });

        it("a change waiting to retry does not hold up the run's other changes: the turn lasts one request", async () => {
            emulator().inject({ kind: "http", status: 500, times: 1, match: { path: "/user/apps/appDefinitions/register" } });
            const slow = new CapRoverClient({ url: emulator().url, password: PASSWORD, timeoutMs: FAST.requestTimeoutMs, retry: { attempts: 3, baseMs: 400, maxMs: 400 } });
            // The first change's pause before its retry (400 ms ± 25 %) lasts until the second change is done.
            const pause = clock.hold((ms) => ms >= 300 && ms <= 500);
            let firstDone = false;
            const first = slow.registerApp("one", false).then(() => (firstDone = true));
            await new Promise((r) => setImmediate(r));
            await pause.held();
            await client(emulator()).registerApp("two", false);
            expect(firstDone, "the second change went during the first one's pause").to.equal(false);
            expect([...emulator().apps.keys()]).to.deep.equal(["two"]);
            pause.release();
            await first;
            expect(pause.delays, "the first change paused for its backoff").to.have.length(1);
            expect([...emulator().apps.keys()].sort()).to.deep.equal(["one", "two"]);
        });

        it("gives up after the configured attempts, with the reason and no endless loop", async () => {
            emulator().inject({ kind: "http", status: 500, times: 100, match: { path: "/user/system/info" } });
            const e = await failure(() => client(emulator()).systemInfo());
            expect(e.message).to.match(/HTTP 500 after 4 attempts/);
            expect(calls("/user/system/info")).to.equal(4);
        });

        it("refused connections (server down) are retried, then reported", async () => {
            const url = emulator().url;
            await emulator().close();
            // A request timeout no refusal reaches, however busy the machine: each attempt ends refused.
            const c = new CapRoverClient({ url, password: PASSWORD, timeoutMs: 60_000, retry: { attempts: 3, baseMs: 5, maxMs: 10 } });
            const e = await failure(() => c.systemInfo());
            expect(e.message).to.match(/ECONNREFUSED.*after 3 attempts/);
        });
    });

    describe("a deploy's deadline and the shared login", () => {
        it("a deadline that ends during the shared login fails its own call only; the other clients get the session", async () => {
            // The login's answer waits (the emulator's 600 ms delay, held) until the deadline has cut the hurried call.
            emulator().inject({ kind: "delay", ms: 600, times: 1, match: { path: "/login" } });
            const login = clock.hold((ms) => ms === 600);
            // Request timeouts that a held login does not reach (the test's own time limit comes first).
            const patient = () => new CapRoverClient({ url: emulator().url, password: PASSWORD, timeoutMs: 60_000, retry: { attempts: 4, baseMs: 5, maxMs: 20 } });
            const hurried = patient();
            hurried.deadline = { at: Date.now() + 150, waitingFor: "the test's deploy", limitMs: 150 };
            const cutShort = hurried.listApps();
            const otherCall = patient().listApps();
            await login.held();
            await cutShort.catch(() => undefined);
            login.release();
            const [cut, other] = await Promise.allSettled([cutShort, otherCall]);
            expect(cut.status).to.equal("rejected");
            expect((cut as PromiseRejectedResult).reason.message).to.include("gave up after the deploy timeout of 150 ms waiting for the test's deploy (last: POST /login: no session yet)");
            expect(other.status, `the client without a deadline: ${(other as PromiseRejectedResult).reason?.message}`).to.equal("fulfilled");
            expect(logins()).to.equal(1);
        });
    });

    describe("token expiry", () => {
        it("logs in again once on 1106 mid-run and repeats the call", async () => {
            const c = client(emulator());
            await c.listApps();
            emulator().expireTokens();
            await c.listApps();
            expect(logins()).to.equal(2);
        });

        it("expires tokens by time as well", async () => {
            // The token's life passes when the test moves the clock, not while a busy machine is slow
            // between the login and the first call (20 ms of wall time was once not enough).
            clock.freeze();
            emulator().options.tokenTtlMs = 20;
            const c = client(emulator());
            await c.listApps();
            expect(logins()).to.equal(1);
            clock.advance(40);
            await c.listApps();
            expect(logins()).to.equal(2);
        });

        it("parallel calls that hit an expired token share one new login", async () => {
            const c = client(emulator());
            await c.listApps();
            emulator().expireTokens();
            await Promise.all([c.listApps(), c.listApps(), c.systemInfo()]);
            expect(logins()).to.be.at.most(3);
            expect(logins()).to.be.at.least(2);
        });

        it("short-lived tokens under 24 parallel calls: every call succeeds, one login in flight at a time", async () => {
            // Tokens expire mid-run: the clock stands still and moves past a token's life once a third
            // of each round's calls were answered, so the rest meet an expired token however fast the
            // machine is (60 ms of wall time was once shorter than a login under load).
            clock.freeze();
            emulator().options.tokenTtlMs = 60;
            emulator().options.latencyMs = 15;
            const c = client(emulator());
            for (let round = 0; round < 3; round++) {
                let answered = 0;
                void whenRequest(emulator(), (r) => r.path === "/user/apps/appDefinitions" && r.outcome === "100" && ++answered === 8).then(() => clock.advance(70));
                const results = await Promise.allSettled(Array.from({ length: 24 }, () => c.listApps()));
                expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).to.deep.equal([]);
            }
            // One login per expiry, not one per call that saw it; and the tokens did expire.
            expect(logins()).to.be.below(24).and.at.least(3);
        });
    });

    describe("permanent errors are not retried", () => {
        it("1105 wrong password: one login attempt, however many calls run in parallel", async () => {
            const c = client(emulator(), [], "not-the-password");
            const errors = await Promise.all([1, 2, 3, 4].map(() => failure(() => c.listApps())));
            for (const e of errors) expect((e as CapRoverError).code).to.equal(STATUS.WRONG_PASSWORD);
            // CapRover locks logins out after a few wrong ones (1113): the refusal is remembered instead.
            await failure(() => client(emulator(), [], "not-the-password").listApps());
            expect(logins()).to.equal(1);
        });

        it("1113 after repeated wrong passwords: the back-off is reported, not waited out", async () => {
            for (let i = 0; i < 3; i++) await failure(() => client(emulator(), [], `wrong-${i}`).listApps());
            const e = await failure(() => client(emulator()).listApps());
            expect((e as CapRoverError).code).to.equal(STATUS.PASSWORD_BACK_OFF);
            expect(logins()).to.equal(4);
        });

        it("1104 bad app name: one request", async () => {
            const e = await failure(() => client(emulator()).registerApp("Bad_Name", false));
            expect((e as CapRoverError).code).to.equal(STATUS.BAD_NAME);
            expect(calls("/user/apps/appDefinitions/register")).to.equal(1);
        });

        it("1110 illegal parameter: one request", async () => {
            const c = client(emulator());
            await registered(c, "p");
            const current = (await c.getApp("p"))!;
            const e = await failure(() => c.updateApp(current, { appPushWebhook: { repoInfo: { repo: "github.com/x/y" } } }));
            expect((e as CapRoverError).code).to.equal(STATUS.ILLEGAL_PARAMETER);
            expect(calls("/user/apps/appDefinitions/update")).to.equal(1);
        });

        it("1102 not authorised: a deploy with a wrong app token", async () => {
            const c = client(emulator());
            await c.registerApp("app", false);
            const e = await failure(() => c.deployImage("app", image("d"), "not-the-token"));
            expect((e as CapRoverError).code).to.equal(STATUS.NOT_AUTHORIZED);
            expect(calls("/user/apps/appData/app")).to.equal(1);
        });
    });

    describe("answers lost after the server acted", () => {
        it("register: a 1103 on the retry is our own app, so it counts as created", async () => {
            emulator().inject({ kind: "lost", match: { path: "/user/apps/appDefinitions/register" } });
            await client(emulator()).registerApp("fresh", false);
            expect(emulator().apps.has("fresh")).to.equal(true);
            expect(emulator().requests.filter((r) => r.path === "/user/apps/appDefinitions/register").map((r) => r.outcome)).to.deep.equal([
                "fault lost (processed, answer dropped)",
                "100",
                "1103",
            ]);
        });

        it("register: a 1103 on a clean first attempt is someone else's app and an error", async () => {
            const c = client(emulator());
            await c.registerApp("taken", false);
            const e = await failure(() => c.registerApp("taken", false));
            expect((e as CapRoverError).code).to.equal(STATUS.ALREADY_EXISTS);
        });

        it("delete: not found on the retry counts as deleted", async () => {
            const c = client(emulator());
            await registered(c, "doomed");
            emulator().inject({ kind: "lost", match: { path: "/user/apps/appDefinitions/delete" } });
            expect(await c.deleteApp("doomed")).to.equal("not-found");
            expect(emulator().apps.has("doomed")).to.equal(false);
        });
    });

    it("sends the whole definition on update: fields it does not manage survive", async () => {
        // A pre-deploy function as CapRover evaluates one: it defines preDeployFunction.
        const keep = "var preDeployFunction = function (app, spec) { return Promise.resolve(spec); };";
        const c = client(emulator());
        await c.registerApp("keep", false);
        const first = (await c.getApp("keep"))!;
        await c.updateApp(first, { preDeployFunction: keep, tags: [{ tagName: "site" }], nodeId: "node-1", websocketSupport: true, containerHttpPort: 8000 });
        const second = (await c.getApp("keep"))!;
        await c.updateApp(second, { instanceCount: 3 });
        const third = (await c.getApp("keep"))!;
        expect(third).to.include({ instanceCount: 3, preDeployFunction: keep, nodeId: "node-1", websocketSupport: true, containerHttpPort: 8000 });
        expect(third.tags).to.deep.equal([{ tagName: "site" }]);
    });

    it("the merged update keeps a hashed basic-auth password rather than resetting it", () => {
        const body = mergedUpdate({ ...emptyApp("a"), httpAuth: { user: "admin", passwordHashed: "$apr1$x$y" } }, { instanceCount: 2 });
        expect(body.httpAuth).to.deep.equal({ user: "admin", passwordHashed: "$apr1$x$y" });
        expect(body.instanceCount).to.equal(2);
    });

    describe("app logs (docker service logs as CapRover passes them on)", () => {
        it("splits Docker's 8-byte-header frames of stdout and stderr into lines, and plain TTY text too", () => {
            const frame = (stream: number, text: string) => {
                const payload = Buffer.from(text);
                const header = Buffer.alloc(8);
                header[0] = stream;
                header.writeUInt32BE(payload.length, 4);
                return Buffer.concat([header, payload]);
            };
            const raw = Buffer.concat([frame(1, "2026-01-01T00:00:00Z celery@abc ready.\n"), frame(2, "2026-01-01T00:00:01Z Traceback\n")]);
            expect(logLines(raw)).to.deep.equal(["2026-01-01T00:00:00Z celery@abc ready.", "2026-01-01T00:00:01Z Traceback"]);
            expect(logLines(Buffer.from("a\n\nb\n"))).to.deep.equal(["a", "b"]);
        });

        it("puts the lines of a service's tasks in time order: Docker gives each task's lines in turn", () => {
            // The crashing release's lines first, those of the release it replaced after them (as
            // `docker service logs` gave them on the real server); Docker trims a fraction's trailing zeros.
            const crashing = ["2026-12-07T03:19:05.1Z Traceback (most recent call last):", "2026-12-07T03:19:05.12Z ImportError: stand-in"];
            const replaced = ["2026-12-07T03:16:27.579941954Z  .> heavy", "2026-12-07T03:16:40.804722929Z SITE_RELEASE=sha256:1db ready"];
            expect(inTimeOrder([...crashing, ...replaced])).to.deep.equal([...replaced, ...crashing]);
            // A line without a timestamp stays after the one before it.
            expect(inTimeOrder(["2026-12-07T03:19:06Z b", "  continued", "2026-12-07T03:19:05Z a"])).to.deep.equal(["2026-12-07T03:19:05Z a", "2026-12-07T03:19:06Z b", "  continued"]);
        });

        it("reads an app's runtime logs through the API (base64), the stand-in worker's ready line included", async () => {
            const c = client(emulator());
            await c.registerApp("celery", false);
            await c.updateApp((await c.getApp("celery"))!, { notExposeAsWebApp: true, envVars: [{ key: "SITE_RELEASE", value: "sha256:abc" }] });
            // CapRover's placeholder, restarted with the variable, logs nothing of the site's.
            expect((await c.appLogs("celery")).filter((l) => / ready\.?$/.test(l))).to.deep.equal([]);
            await c.deployImage("celery", image("c", "ghcr.io/example/site-celery"));
            while ((await c.buildStatus("celery")).isAppBuilding) await new Promise((r) => setTimeout(r, 5));
            await emulator().serviceUpdated("celery");
            const lines = await c.appLogs("celery");
            expect(lines.some((l) => l.endsWith("SITE_RELEASE=sha256:abc ready"))).to.equal(true);
            expect(lines.some((l) => /celery@[0-9a-f]+ ready\.$/.test(l))).to.equal(true);
        });
    });
});

function emptyApp(appName: string) {
    return {
        appName,
        hasPersistentData: false,
        instanceCount: 1,
        notExposeAsWebApp: false,
        forceSsl: false,
        envVars: [],
        volumes: [],
        ports: [],
        deployedVersion: 0,
        versions: [],
    };
}
