/**
 * The engine driver's builds (scripts/engine/driver.ts, ensureCompiled): the program, the provider
 * and the policy pack run as JavaScript compiled from this repository's TypeScript, and a build
 * older than its sources is never run silently. Shown on a small project of its own.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, ensureCompiled } from "../../scripts/engine/driver";

describe("compiled builds: compiled when a source is newer, never run stale", function () {
    this.timeout(120_000);
    let dir: string;
    let tsconfig: string;
    let source: string;
    let built: string;
    /** Moves a file's modification time `seconds` from now. */
    const age = (file: string, seconds: number) => fs.utimesSync(file, new Date(), new Date(Date.now() + seconds * 1000));

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-build-"));
        fs.mkdirSync(path.join(dir, "src"));
        tsconfig = path.join(dir, "tsconfig.json");
        // The repository's compiler options (strict, noEmitOnError), emitting into bin/.
        fs.writeFileSync(tsconfig, JSON.stringify({ extends: path.join(REPO, "tsconfig.json"), compilerOptions: { rootDir: "src", outDir: "bin", types: [] }, include: ["src/**/*.ts"] }));
        source = path.join(dir, "src", "main.ts");
        built = path.join(dir, "bin", "main.js");
        fs.writeFileSync(source, 'export const answer: number = 42;\n');
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("compiles a missing build, then leaves a current one alone", async () => {
        await ensureCompiled(tsconfig, built, [path.join(dir, "src"), tsconfig]);
        expect(fs.readFileSync(built, "utf8")).to.include("exports.answer = 42");
        age(built, 60);
        const before = fs.statSync(built).mtimeMs;
        await ensureCompiled(tsconfig, built, [path.join(dir, "src"), tsconfig]);
        expect(fs.statSync(built).mtimeMs).to.equal(before);
    });

    it("recompiles when a source is newer; a type error fails with tsc's message and leaves the old build stale, so the next run compiles again", async () => {
        fs.writeFileSync(source, 'export const answer: number = "forty-two";\n');
        age(source, 120);
        const failure = await ensureCompiled(tsconfig, built, [path.join(dir, "src"), tsconfig]).then(() => undefined, (e: Error) => e.message);
        expect(failure).to.match(/^tsc -p \S*tsconfig\.json failed \(exit \d+\), so \S*main\.js stays as it was and is not run:/);
        expect(failure).to.include("error TS2322: Type 'string' is not assignable to type 'number'");
        expect(fs.readFileSync(built, "utf8")).to.include("exports.answer = 42");
        expect(fs.statSync(built).mtimeMs).to.be.lessThan(fs.statSync(source).mtimeMs);
    });
});
