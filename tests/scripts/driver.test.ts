/**
 * The engine driver's builds (scripts/engine/driver.ts, ensureCompiled): the program, the provider
 * and the policy pack run as JavaScript compiled from this repository's TypeScript, and a build
 * older than its sources is never run silently. Shown on a small project of its own.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, ensureCompiled, writeProjectCopy } from "../../scripts/engine/driver";

/** Moves a file's modification time `seconds` from now. */
const age = (file: string, seconds: number) => fs.utimesSync(file, new Date(), new Date(Date.now() + seconds * 1000));

describe("compiled builds: compiled when a source is newer, never run stale", () => {
    let dir: string;
    let tsconfig: string;
    let source: string;
    let built: string;

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

describe("project copies: written again only when what they derive from changed", () => {
    let dir: string;
    let copy: string;
    let program: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-copy-"));
        program = path.join(dir, "program");
        fs.mkdirSync(program);
        fs.mkdirSync(path.join(dir, "project"));
        copy = path.join(dir, "project", "Pulumi.yaml");
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: demo\nruntime: nodejs\ndescription: first\nplugins:\n  providers:\n    - name: caprover\n      path: provider\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("points the copy at the program and its plugin folders, and leaves an unchanged copy alone", () => {
        writeProjectCopy(copy, undefined, program);
        const text = fs.readFileSync(copy, "utf8");
        expect(text).to.include(`main: ${program}`).and.include(`path: ${path.join(program, "provider")}`).and.include("description: first");
        fs.writeFileSync(copy, `${text}# kept: nothing it derives from changed\n`);
        writeProjectCopy(copy, undefined, program);
        expect(fs.readFileSync(copy, "utf8")).to.include("# kept");
    });

    it("follows an edited Pulumi.yaml, other settings and another program folder", () => {
        const source = path.join(program, "Pulumi.yaml");
        fs.writeFileSync(source, fs.readFileSync(source, "utf8").replace("first", "second"));
        age(source, 5);
        writeProjectCopy(copy, undefined, program);
        expect(fs.readFileSync(copy, "utf8")).to.include("description: second").and.not.include("# kept");
        writeProjectCopy(copy, { name: "other", runtime: "nodejs" }, program);
        expect(fs.readFileSync(copy, "utf8")).to.include("name: other");
    });

    it("runs this repository's program from the copy's folder, which links the repository but its hidden folders and project files", () => {
        writeProjectCopy(copy, { name: "other", runtime: "nodejs" }, REPO);
        // No main: the program's folder is the copy's, where the language host's plugin search
        // finds node_modules and never .tools/ (BuildKit's and dockerd's data roots).
        expect(fs.readFileSync(copy, "utf8")).to.not.include("main:");
        const project = path.dirname(copy);
        for (const entry of ["node_modules", "package.json", "build", "app"]) expect(fs.realpathSync(path.join(project, entry)), entry).to.equal(path.join(REPO, entry));
        const linked = fs.readdirSync(project).filter((e) => fs.lstatSync(path.join(project, e)).isSymbolicLink());
        expect(linked.filter((e) => e.startsWith(".") || /^Pulumi/.test(e)), "hidden folders and project files").to.deep.equal([]);
        expect(fs.readFileSync(copy, "utf8")).to.include("name: other");
    });
});
