/**
 * The gRPC layer the engine talks to: configuration from the engine (secrets and unknowns), every
 * failure as status UNKNOWN with the error's own words (never a numeric `code` taken for a gRPC
 * status), partial state sent with a failed create, and an import answered without a state.
 */
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ProviderServer, UNKNOWN, checkConnection, unwrap } from "../src/server";
import { CapRoverEmulator } from "../emulator/caprover";
import { clearTokenCache } from "../src/api/transport";
import { PASSWORD, image, registered, useEmulator } from "./support";
import type { CapRoverClient } from "../src/api/client";
import { releaseFunction } from "../src/app/release";
import { useTestClock } from "./clock";

/* eslint-disable @typescript-eslint/no-require-imports */
const provproto = require("@pulumi/pulumi/proto/provider_pb");

const SECRET = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const URN = "urn:pulumi:test::site::caprover:index:App::web";

/** Calls one method of the service as grpc-js would; resolves to its answer or its error. */
function call(server: ProviderServer, method: string, request: unknown): Promise<{ err?: grpc.StatusObject; value?: any }> {
    const impl = server.service() as Record<string, (call: { request: unknown }, cb: (err: any, value?: any) => void) => void>;
    return new Promise((resolve) => impl[method]({ request }, (err, value) => resolve(err ? { err } : { value })));
}

async function configure(server: ProviderServer, args: Record<string, unknown>): Promise<void> {
    const r = await call(server, "configure", new provproto.ConfigureRequest().setArgs(Struct.fromJavaScript(args as never)));
    expect(r.err).to.equal(undefined);
}

describe("provider gRPC server", () => {
    const emulator = useEmulator();
    const clock = useTestClock();

    it("unwraps secrets and output values; an output without a value is unknown", () => {
        expect(unwrap({ a: SECRET("x"), b: [SECRET({ c: 1 })] })).to.deep.equal({ a: "x", b: [{ c: 1 }] });
        expect(unwrap({ "4dabf18193072939515e22adb298388d": "d0e6a833031e9bbcd3f4e8bde6ca49a4" })).to.equal(UNKNOWN);
    });

    it("checks the connection: URL and password, never showing the password, unknown values let through", () => {
        expect(checkConnection({ url: "captain.example.com", password: "" }).map((f) => f.property)).to.deep.equal(["url", "password"]);
        const long = "x".repeat(30);
        const failures = checkConnection({ url: "https://captain.example.com", password: long });
        expect(failures.map((f) => f.reason).join()).to.include("at most 29").and.not.include(long);
        expect(checkConnection({ url: UNKNOWN, password: UNKNOWN })).to.deep.equal([]);
    });

    it("answers every failure with status UNKNOWN and the error's words: the operation, the app, the server, the cause", async () => {
        const server = new ProviderServer(undefined, "0.1.0");
        await configure(server, { url: "http://127.0.0.1:1", password: SECRET(PASSWORD), retryAttempts: 1 });
        const r = await call(server, "read", new provproto.ReadRequest().setId("web").setUrn(URN).setProperties(Struct.fromJavaScript({ appName: "web", image: "" } as never)));
        expect(r.err!.code).to.equal(grpc.status.UNKNOWN);
        expect(r.err!.details, r.err!.details).to.match(/^refresh of CapRover app web on 127\.0\.0\.1:1 failed: CapRover POST \/login failed: ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:1 \(server 127\.0\.0\.1:1\)/);
        expect(r.err!.details).not.to.include(PASSWORD);
    });

    it("says what is missing when the provider has no server configured", async () => {
        const server = new ProviderServer(undefined, "0.1.0");
        const r = await call(server, "delete", new provproto.DeleteRequest().setId("web").setUrn(URN).setProperties(Struct.fromJavaScript({ appName: "web" } as never)));
        expect(r.err!.details).to.include("the caprover provider is not configured for web").and.include("caprover:url");
    });

    it("sends a failed create's state with the error, so the engine records the app", async () => {
        const server = new ProviderServer(undefined, "0.1.0");
        // The deploy timeout does not pass (the clock stands still): the build's failure ends the create, however slow the machine.
        clock.freeze();
        await configure(server, { url: emulator().url, password: SECRET(PASSWORD), probeAddress: `127.0.0.1:${emulator().port}`, pollMs: 5 });
        emulator().failDeploysOf(image("f"));
        const props = { appName: "web", image: image("f"), envVars: SECRET({ KEY: "v" }), deployTimeoutMs: 2000 };
        const checked = await call(server, "check", new provproto.CheckRequest().setUrn(URN).setNews(Struct.fromJavaScript(props as never)));
        const r = await call(server, "create", new provproto.CreateRequest().setUrn(URN).setProperties(checked.value.getInputs()));
        expect(r.err!.code).to.equal(grpc.status.UNKNOWN);
        expect(r.err!.details).to.include("create of CapRover app web").and.include("the deploy failed");
        expect((r.err!.metadata as grpc.Metadata).get("grpc-status-details-bin")).to.have.length(1);
    });

    it("imports: a read without state answers the app's state and the inputs it would be declared with", async () => {
        const server = new ProviderServer(undefined, "0.1.0");
        await configure(server, { url: emulator().url, password: SECRET(PASSWORD) });
        const c = new (require("../src/api/client").CapRoverClient)({ url: emulator().url, password: PASSWORD });
        await c.registerApp("handmade", false);
        const r = await call(server, "read", new provproto.ReadRequest().setId("handmade").setUrn(URN));
        expect(r.err).to.equal(undefined);
        expect(r.value.getId()).to.equal("handmade");
        const inputs = r.value.getInputs().toJavaScript();
        expect(inputs).to.include({ appName: "handmade", instanceCount: 1 });
        // Secret properties go back wrapped, so the engine stores them encrypted.
        expect(r.value.getProperties().toJavaScript().deployToken).to.deep.equal(SECRET(""));
    });

    it("check of an app whose definition holds someone else's pre-deploy function fails on releaseEnvVar, before anything changes; the provider's own function passes", async () => {
        const server = new ProviderServer(undefined, "0.1.0");
        await configure(server, { url: emulator().url, password: SECRET(PASSWORD) });
        const c = new (require("../src/api/client").CapRoverClient)({ url: emulator().url, password: PASSWORD }) as CapRoverClient;
        await registered(c, "handmade");
        await registered(c, "ours");
        await c.updateApp((await c.getApp("handmade"))!, { preDeployFunction: "var preDeployFunction = function (a, s) { return Promise.resolve(s); };" });
        await c.updateApp((await c.getApp("ours"))!, { preDeployFunction: releaseFunction("SITE_RELEASE") });
        const check = async (appName: string, releaseEnvVar: string) => {
            const news = { appName, image: image("a"), exposeAsWebApp: false, forceSsl: false, releaseEnvVar };
            const r = await call(server, "check", new provproto.CheckRequest().setUrn(URN).setNews(Struct.fromJavaScript(news as never)));
            expect(r.err).to.equal(undefined);
            return (r.value.getFailuresList() as { getProperty(): string; getReason(): string }[]).map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
        };
        const writes = emulator().requests.filter((q) => q.method === "POST").length;
        const failures = await check("handmade", "SITE_RELEASE");
        expect(failures.map((f) => f.property)).to.deep.equal(["releaseEnvVar"]);
        expect(failures[0].reason).to.include("app handmade has a pre-deploy function of its own").and.include('releaseEnvVar ""');
        expect(await check("ours", "SITE_RELEASE")).to.deep.equal([]);
        expect(await check("handmade", "")).to.deep.equal([]);
        expect(await check("new-app", "SITE_RELEASE")).to.deep.equal([]);
        expect(emulator().requests.filter((q) => q.method === "POST").length, "requests that change something").to.equal(writes);
    });

    describe("check of an app forcing SSL asks the server whether its root domain has a certificate", () => {
        let bare: CapRoverEmulator;
        beforeEach(async () => {
            bare = new CapRoverEmulator({ password: PASSWORD, hasRootSsl: false });
            await bare.start();
        });
        afterEach(async () => {
            await bare.close();
            clearTokenCache();
        });
        const exposed = (appName: string, extra: Record<string, unknown> = {}) => ({ appName, image: image("a"), exposeAsWebApp: true, forceSsl: true, ...extra });
        const check = async (server: ProviderServer, news: Record<string, unknown>, olds?: Record<string, unknown>) => {
            const req = new provproto.CheckRequest().setUrn(URN).setNews(Struct.fromJavaScript(news as never));
            if (olds) req.setOlds(Struct.fromJavaScript(olds as never));
            const r = await call(server, "check", req);
            expect(r.err).to.equal(undefined);
            return (r.value.getFailuresList() as { getProperty(): string; getReason(): string }[]).map((f) => ({ property: f.getProperty(), reason: f.getReason() }));
        };
        const configured = async (url: string) => {
            const server = new ProviderServer(undefined, "0.1.0");
            await configure(server, { url, password: SECRET(PASSWORD), retryAttempts: 1 });
            return server;
        };

        it("refuses forceSsl where the root domain has none, naming site:forceSsl and what would be accepted; one request for every app, nothing changed", async () => {
            const server = await configured(bare.url);
            const [web, flower] = await Promise.all([check(server, exposed("web")), check(server, exposed("flower"))]);
            expect(web).to.have.length(1);
            expect(web[0].property).to.equal("forceSsl");
            expect(web[0].reason).to.equal(
                `CapRover at 127.0.0.1:${bare.port} has no SSL certificate for its root domain (system info: hasRootSsl false), so it cannot give app web one ` +
                    '(enablebasedomainssl answers "You have to first enable SSL for your root domain") and the app cannot force SSL; ' +
                    "set site:forceSsl false (resource input forceSsl false) to serve plain HTTP, or enable SSL on the root domain first (CapRover dashboard: HTTP Settings, Enable HTTPS)",
            );
            expect(flower[0].reason).to.include("cannot give app flower one");
            expect(bare.requests.map((q) => `${q.method} ${q.path}`)).to.deep.equal(["POST /login", "GET /user/system/info"]);
            expect(bare.apps.size).to.equal(0);
        });

        it("asks nothing for an app that does not force SSL, or already forced it (state), or without a server configured (an offline preview)", async () => {
            const server = await configured(bare.url);
            expect(await check(server, exposed("web", { forceSsl: false }))).to.deep.equal([]);
            expect(await check(server, exposed("web"), exposed("web"))).to.deep.equal([]);
            expect(await check(new ProviderServer(undefined, "0.1.0"), exposed("web"))).to.deep.equal([]);
            const unknown = new ProviderServer(undefined, "0.1.0");
            await configure(unknown, { url: bare.url, password: UNKNOWN });
            expect(await check(unknown, exposed("web"))).to.deep.equal([]);
            expect(bare.requests).to.deep.equal([]);
        });

        it("lets it through where the root domain has SSL, and where the server cannot be asked (the update says what went wrong)", async () => {
            expect(await check(await configured(emulator().url), exposed("web"))).to.deep.equal([]);
            expect(await check(await configured("http://127.0.0.1:1"), exposed("web"))).to.deep.equal([]);
        });
    });
});
