#!/usr/bin/env node
/**
 * Runs a TypeScript script of this repository from its compiled build (build/), without loading
 * TypeScript: `node scripts/compiled.js scripts/preview.ts [args...]` (package.json's scripts).
 * The build is brought up to date first by the engine driver's ensureProgram, the one staleness
 * check of every build: through the build's own driver when there is a build, else through ts-node.
 * When it had to compile, the script runs in a new process, on the new build; a build that does not
 * compile stops here with tsc's messages, and the old one is not run.
 */
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const repo = path.resolve(__dirname, "..");
const [script, ...args] = process.argv.slice(2);
if (!script || !script.endsWith(".ts") || !fs.existsSync(path.join(repo, script))) {
    process.stderr.write(`usage: node scripts/compiled.js <script.ts of this repository> [args...]; got ${script}\n`);
    process.exit(2);
}
const built = path.join(repo, "build", script.replace(/\.ts$/, ".js"));
const compiledDriver = path.join(repo, "build", "scripts", "engine", "driver.js");
/** The build's ensureProgram; the sources' (through ts-node) when there is no build or its driver fails to start. */
function ensureProgram() {
    if (fs.existsSync(compiledDriver)) {
        try {
            return require(compiledDriver).ensureProgram();
        } catch {
            // A build from older sources: the sources' driver decides.
        }
    }
    require("ts-node").register({ transpileOnly: true });
    return require("./engine/driver").ensureProgram();
}

ensureProgram().then(
    (compiled) => {
        if (compiled) process.exit(spawnSync(process.execPath, [built, ...args], { stdio: "inherit" }).status ?? 1);
        process.argv = [process.execPath, built, ...args];
        require(built);
    },
    (e) => {
        process.stderr.write(`${script}: ${e.message}\n`);
        process.exit(1);
    },
);
