/**
 * Pulumi runs dynamic providers from their serialised closure in a separate Node process. These
 * tests serialise both providers as the engine does and drive the result from a plain `node`
 * process (no ts-node, no project modules) against the emulator.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { appProvider } from "../../../components/caprover/provider";
import { registryProvider } from "../../../components/caprover/registryCredentials";
import { CapRoverEmulator } from "../../../emulator/caprover";
import { ENV_SECRET, PASSWORD, client, image, useEmulator, webInputs } from "../../support/caprover";

/** Serialises `provider` as `pulumi.dynamic.Resource` does and writes the module to a temp file. */
async function serialise(provider: object, dir: string, name: string): Promise<{ file: string; text: string; containsSecrets: boolean }> {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const file = path.join(dir, `${name}.js`);
    fs.writeFileSync(file, sf.text);
    return { file, text: sf.text, containsSecrets: sf.containsSecrets };
}

/** Runs `script` in a fresh node process with `PROVIDER` = the deserialised provider; resolves to its stdout. */
function runInNode(providerFile: string, script: string, input: unknown): Promise<string> {
    const program = `
        const PROVIDER = require(${JSON.stringify(providerFile)}).handler();
        const INPUT = JSON.parse(process.env.TEST_INPUT);
        (async () => { ${script} })().catch((e) => { console.error(e.stack || e); process.exit(1); });`;
    return new Promise((resolve, reject) => {
        execFile(process.execPath, ["-e", program], { env: { PATH: process.env.PATH, TEST_INPUT: JSON.stringify(input) }, timeout: 15000 }, (err, stdout, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        );
    });
}

describe("dynamic providers survive Pulumi's closure serialisation", () => {
    const emulator = useEmulator();
    let dir: string;
    let file: string;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "caprover-serialised-"));
        file = (await serialise(appProvider, dir, "app")).file;
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("serialises the app provider without secrets, even after this process logged in", async () => {
        const token = await client(emulator()).token();
        const { text, containsSecrets } = await serialise(appProvider, dir, "app-after-login");
        expect(containsSecrets).to.equal(false);
        expect(text).to.not.include(token);
        expect(text).to.not.include(PASSWORD);
        // Only node built-ins are required at run time: the project's modules are captured by value.
        const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
        expect([...new Set(required)].sort()).to.deep.equal(["crypto", "http", "https"]);
    });

    it("runs check, create, read, diff, update and delete in a plain node process", async () => {
        const inputs = webInputs(emulator());
        const out = await runInNode(
            file,
            `
            const checked = await PROVIDER.check({}, INPUT);
            const created = await PROVIDER.create(checked.inputs);
            const read = await PROVIDER.read(created.id, created.outs);
            const diff = await PROVIDER.diff(created.id, created.outs, { ...checked.inputs, image: INPUT.next });
            const updated = await PROVIDER.update(created.id, created.outs, { ...checked.inputs, image: INPUT.next });
            await PROVIDER.delete(created.id, updated.outs);
            console.log(JSON.stringify({ failures: checked.failures, id: created.id, same: JSON.stringify(read.props) === JSON.stringify(created.outs), diff, image: updated.outs.deployedImage }));
            `,
            { ...inputs, next: image("b") },
        );
        expect(JSON.parse(out)).to.deep.equal({ failures: [], id: "web", same: true, diff: { changes: true, replaces: [], deleteBeforeReplace: false }, image: image("b") });
        expect(emulator().apps.has("web")).to.equal(false);
        expect(emulator().requests.some((r) => r.path === "app web/health/" && r.outcome === "http 200")).to.equal(true);
    });

    it("keeps secrets out of errors in the serialised provider too", async () => {
        emulator().failDeploysOf(image("f"));
        const out = await runInNode(file, `try { await PROVIDER.create(INPUT); } catch (e) { console.log(e.message); }`, webInputs(emulator(), { image: image("f") }));
        expect(out).to.include("the deploy failed");
        expect(out).to.not.include(ENV_SECRET).and.not.include(PASSWORD);
    });

    it("runs the registry credentials provider the same way", async () => {
        const registryFile = (await serialise(registryProvider, dir, "registry")).file;
        const em: CapRoverEmulator = emulator();
        const input = { connection: webInputs(em).connection, registryDomain: "ghcr.io", registryUser: "u", registryPassword: "registry-token-test", registryImagePrefix: "u" };
        const out = await runInNode(registryFile, `const c = await PROVIDER.create(INPUT); await PROVIDER.delete(c.id, c.outs); console.log(c.id);`, input);
        expect(out.trim()).to.match(/^[0-9a-f-]{36}$/);
        expect(em.registries.size).to.equal(0);
    });
});
