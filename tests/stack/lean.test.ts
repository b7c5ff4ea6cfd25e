/**
 * stack/lean.ts: the program starts without @pulumi/pulumi's closure serializer (TypeScript's
 * compiler, npm's arborist), and a caller that does serialize a function still gets the real one.
 * Each case runs in a fresh Node process: this one has loaded @pulumi/pulumi long ago.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "../..");

/** What the deferred modules load (the stand-ins themselves sit in require.cache under their names). */
const DEFERRED = /node_modules\/(@pulumi\/pulumi\/runtime\/closure\/(createClosure|parseFunction)\.js|@npmcli\/arborist\/)/;

/** Runs `body` after requiring @pulumi/pulumi (after stack/lean when `lean`); returns what it prints as JSON. */
function inFreshProcess(lean: boolean, body: string, env: NodeJS.ProcessEnv = {}): unknown {
    const script = `
        ${lean ? 'require("./stack/lean");' : ""}
        const pulumi = require("@pulumi/pulumi");
        const loaded = () => Object.keys(require.cache).filter((f) => ${DEFERRED}.test(f)).length;
        (async () => { ${body} })().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    return JSON.parse(execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "", ...env } }));
}

describe("stack/lean: the program loads only what it uses of @pulumi/pulumi", () => {
    /** What each process saw: deferred modules loaded at start, after a serialization, and the stack trace formatter. */
    type Seen = { atStart: number; afterSerializing: number; text: string; codePaths: string; formatter: string };
    const seen = `const atStart = loaded(); const formatter = typeof Error.prepareStackTrace;
        const f = await pulumi.runtime.serializeFunction(() => 6 * 7);
        return { atStart, afterSerializing: loaded(), text: f.text, codePaths: typeof pulumi.runtime.computeCodePaths, formatter };`;
    let plain: Seen;
    let lean: Seen;
    let underTsNode: Seen;
    before(() => {
        plain = inFreshProcess(false, seen) as Seen;
        lean = inFreshProcess(true, seen) as Seen;
        underTsNode = inFreshProcess(true, seen, { PULUMI_NODEJS_TYPESCRIPT: "true" }) as Seen;
    });

    it("leaves the closure serializer unloaded, where @pulumi/pulumi alone loads it", () => {
        expect(plain.atStart).to.be.above(0);
        expect(lean.atStart).to.equal(0);
    });

    it("still serializes a function on demand, with the real serializer", () => {
        expect(lean.afterSerializing).to.be.above(0);
        expect(lean.text).to.contain("6 * 7");
        expect(lean.codePaths).to.equal("function");
    });

    it("formats stack traces as V8 does (no source map to read), except under ts-node, where they point at TypeScript lines", () => {
        expect(plain.formatter).to.equal("function");
        expect(lean.formatter).to.equal("undefined");
        expect(underTsNode.formatter).to.equal("function");
    });
});
