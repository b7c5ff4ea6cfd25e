/**
 * No secret in any error text or log line: drives the client and providers through successes and
 * every failure class with secrets in play, collecting every message the code produces (errors,
 * client and provider log lines, the emulator's request log), and scans them for each secret.
 */
import { expect } from "chai";
import { CapRoverClient } from "../src/api/client";
import { CapRoverEmulator } from "../emulator/caprover";
import { TestAppInputs as AppInputs, TestAppProvider as CapRoverAppProvider, TestRegistryProvider as RegistryCredentialsProvider, AUTH_SECRET, ENV_SECRET, FAST, HANG_TIMEOUT_MS, PASSWORD, client, connection, expectNoSecrets, failure, image, probeOf, webInputs, whenRequest } from "./support";
import { useTestClock } from "./clock";
import { clearTokenCache } from "../src/api/transport";

const WRONG_PASSWORD = "a-wrong-password-typed";
const REGISTRY_TOKEN = "ghcr-pull-token-secret";

describe("no secret in any error text or log line", () => {
    const texts: string[] = [];
    const secrets: string[] = [PASSWORD, ENV_SECRET, AUTH_SECRET, WRONG_PASSWORD, REGISTRY_TOKEN];
    let emulator: CapRoverEmulator;
    before(async () => {
        emulator = new CapRoverEmulator({ password: PASSWORD, log: (l) => texts.push(l), failingImages: [image("f")], unhealthyImages: [image("9")] });
        await emulator.start();
    });
    after(async () => {
        await emulator.close();
        clearTokenCache();
    });

    const clock = useTestClock();
    const provider = new CapRoverAppProvider({ log: (l) => texts.push(l) });
    const flower = (overrides: Partial<AppInputs> = {}) =>
        webInputs(emulator, { appName: "flower", healthPath: "/healthcheck", httpAuth: { user: "admin", password: AUTH_SECRET }, ...overrides });
    const collect = async (f: () => Promise<unknown>) => texts.push((await failure(f)).message);

    it("collects messages from successes and every failure class", async () => {
        const c: CapRoverClient = client(emulator, texts);
        secrets.push(await c.token());
        const web = (await provider.create(webInputs(emulator))).outs!;
        const fl = (await provider.create(flower())).outs!;
        secrets.push(web.deployToken, fl.deployToken);

        // Transient faults with retries (log lines), then token expiry and re-login.
        emulator.inject({ kind: "http", status: 502 });
        emulator.inject({ kind: "reset" });
        emulator.inject({ kind: "hang" });
        await provider.update("flower", fl, flower({ instanceCount: 2, connection: { ...connection(emulator), requestTimeoutMs: HANG_TIMEOUT_MS } }));
        emulator.expireTokens();
        await provider.read("web", web);

        // Failures: failed deploy, unhealthy image, deploy timeout, permanent errors, exhausted retries.
        await collect(() => provider.update("web", web, webInputs(emulator, { image: image("f") })));
        // The deploy timeout passes once the unhealthy image has answered a probe (the clock stands
        // still until then): however slow the machine, the gate fails on the health check.
        clock.freeze();
        void whenRequest(emulator, probeOf("flower", "/healthcheck", "http 503")).then(() => clock.advance(60_000));
        await collect(() => provider.update("flower", fl, flower({ image: image("9"), deployTimeoutMs: 60_000 })));
        clock.resume();
        await c.registerApp("handmade", false);
        await c.updateApp((await c.getApp("handmade"))!, { description: "made by hand" });
        await collect(() => provider.create(webInputs(emulator, { appName: "handmade" })));
        await collect(() => provider.create(webInputs(emulator, { appName: "Bad_Name" })));
        await collect(() => provider.read("web", { ...web, connection: connection(emulator, WRONG_PASSWORD) }));
        emulator.inject({ kind: "http", status: 500, times: FAST.retry.attempts });
        await collect(() => provider.delete("web", web));
        const checked = await provider.check({} as AppInputs, webInputs(emulator, { envVars: { "bad name": ENV_SECRET }, httpAuth: { user: "", password: AUTH_SECRET } }));
        texts.push(...checked.failures!.map((f) => f.reason));

        // Registry credentials: updating an entry that vanished.
        const registries = new RegistryCredentialsProvider({ log: (l) => texts.push(l) });
        const reg = { connection: connection(emulator), registryDomain: "ghcr.io", registryUser: "u", registryPassword: REGISTRY_TOKEN, registryImagePrefix: "u" };
        const created = await registries.create(reg);
        await registries.delete(created.id, created.outs!);
        await collect(() => registries.update(created.id, created.outs!, reg));

        // Each failure class really produced its message.
        const all = texts.join("\n");
        for (const pattern of [/the deploy failed/, /did not answer 2xx/, /CapRover 1103:/, /status 1104/, /status 1105/, /HTTP 500 after/, /session token rejected \(1106\)/, /retry 1\//, /Registry not found/]) {
            expect(all).to.match(pattern);
        }
        expectNoSecrets(texts, secrets);
    });

    it("scrubs secrets from anything the server says", () => {
        const c = new CapRoverClient({ url: emulator.url, password: PASSWORD, secrets: [ENV_SECRET] });
        expect(c.redact(`echo ${PASSWORD} and ${ENV_SECRET}`)).to.equal("echo [secret] and [secret]");
    });

    it("scrubs a short value (any env value counts) as a whole token only, so digests and ports stay whole; a long one wherever it is", () => {
        const c = new CapRoverClient({ url: emulator.url, password: PASSWORD, secrets: ["300", "a+b.c"] });
        c.addSecrets("abcdefghijkl");
        expect(c.redact("on 127.0.0.1:13000, image x@sha256:5c300d6e, CELERY_TASK_TIME_LIMIT=300, (300)")).to.equal("on 127.0.0.1:13000, image x@sha256:5c300d6e, CELERY_TASK_TIME_LIMIT=[secret], ([secret])");
        expect(c.redact("p=a+b.c; q=xa+b.cx; a+bxc")).to.equal("p=[secret]; q=xa+b.cx; a+bxc");
        expect(c.redact("tokenabcdefghijklend")).to.equal("token[secret]end");
    });
});
