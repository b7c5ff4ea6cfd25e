/**
 * The language host's launcher (scripts/tools/pulumi-language-nodejs/launcher.sh): the host built
 * here takes the project's runtime options only as flags, so the launcher reads them from the
 * nearest Pulumi.yaml and passes them. Without it `typescript: false` is ignored and every program
 * starts ts-node and TypeScript. Shown with a stand-in host that prints its arguments.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "../../scripts/engine/driver";

describe("language host launcher: the project's runtime options reach the host as flags", () => {
    let dir: string;
    let launcher: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-launcher-"));
        for (const d of ["bin", "libexec", "project/build"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
        launcher = path.join(dir, "bin", "pulumi-language-nodejs");
        fs.copyFileSync(path.join(REPO, "scripts/tools/pulumi-language-nodejs/launcher.sh"), launcher);
        fs.chmodSync(launcher, 0o755);
        fs.writeFileSync(path.join(dir, "libexec", "pulumi-language-nodejs"), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** The host's arguments when started in `cwd` (relative to the temporary folder). */
    const started = (cwd: string): string[] => execFileSync(launcher, ["127.0.0.1:1234"], { cwd: path.join(dir, cwd), encoding: "utf8" }).trimEnd().split("\n");

    it("passes this repository's `typescript: false`", () => {
        expect(execFileSync(launcher, ["127.0.0.1:1"], { cwd: REPO, encoding: "utf8" }).trimEnd().split("\n")).to.deep.equal(["-typescript=false", "127.0.0.1:1"]);
    });

    it("reads runtime.options of the Pulumi.yaml nearest above the program folder, unquoting values and dropping comments", () => {
        fs.writeFileSync(
            path.join(dir, "project", "Pulumi.yaml"),
            [
                "name: x",
                "runtime:",
                "  name: nodejs",
                "  options:",
                "    # a comment",
                "    typescript: false   # trailing comment",
                '    nodeargs: "--require ./a.js --max-old-space-size=200"',
                "    tsconfig: 'tsconfig.build.json'",
                "    packagemanager: npm",
                "  other: 1",
                "options:",
                "  typescript: true",
                "",
            ].join("\n"),
        );
        expect(started("project/build")).to.deep.equal(["-typescript=false", "-nodeargs=--require ./a.js --max-old-space-size=200", "-tsconfig=tsconfig.build.json", "127.0.0.1:1234"]);
    });

    it("passes nothing for a project without runtime options (the host's defaults: TypeScript through ts-node)", () => {
        fs.writeFileSync(path.join(dir, "project", "Pulumi.yaml"), "name: x\nruntime: nodejs\n");
        expect(started("project")).to.deep.equal(["127.0.0.1:1234"]);
    });
});
