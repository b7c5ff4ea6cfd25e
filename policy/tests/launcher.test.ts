/**
 * The pack as shipped: the launcher the engine starts (policy/pulumi-analyzer-site) runs the
 * compiled pack, which prints its port and answers the engine's GetAnalyzerInfo with every policy
 * and its level, having loaded only the asset classes of @pulumi/pulumi's main module (lean.ts).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { POLICY_PACK, ensurePolicyPack } from "../../scripts/engine/driver";
import { POLICIES } from "../src/pack";

// Internal protocol modules of the SDK (no typings).
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const LEVELS = ["advisory", "mandatory"];

/** Starts the launcher as the engine does (its address as the only argument) and reads the port it prints. */
function start(): Promise<{ child: ChildProcess; port: number }> {
    return new Promise((resolve, reject) => {
        const child = spawn(POLICY_PACK, ["127.0.0.1:1"], { cwd: path.dirname(path.dirname(POLICY_PACK)), stdio: ["ignore", "pipe", "pipe"] });
        let err = "";
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => reject(new Error(`the pack exited with ${code} before printing a port: ${err}`)));
        child.stdout!.once("data", (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
    });
}

describe("the shipped pack (launcher, compiled)", () => {
    // A stale build is compiled first (seconds); starting the pack itself takes a fraction of one.
    // The suite's time limit (.mocharc.json), which only a hang reaches, bounds both.
    let child: ChildProcess | undefined;
    let orphan: number | undefined;

    before(() => ensurePolicyPack());
    after(() => {
        child?.kill("SIGKILL");
        // A pack that never exited (the test failed on the time limit) is not left running.
        if (orphan !== undefined && fs.existsSync(`/proc/${orphan}`)) process.kill(orphan, "SIGKILL");
    });

    it("starts from its launcher and serves every policy under its name and level", async () => {
        const started = await start();
        child = started.child;
        child.removeAllListeners("exit");
        const client = new services.AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
        const info = await new Promise<any>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
        client.close();
        expect(info.getName()).to.equal("site");
        const served = info.getPoliciesList().map((p: any) => [p.getName(), LEVELS[p.getEnforcementlevel()]]);
        expect(served).to.deep.equal(POLICIES.map((p) => [p.name, p.enforcementLevel]));
    });

    it("exits when the engine that started it is killed, instead of serving forever", async () => {
        // A stand-in engine: starts the launcher, says the pack's pid once it listens, then is SIGKILLed.
        const engine = `const c = require("child_process").spawn(${JSON.stringify(POLICY_PACK)}, ["127.0.0.1:1"], { stdio: ["ignore", "pipe", "inherit"], detached: true }); c.stdout.once("data", () => console.log(c.pid)); setInterval(() => {}, 1000);`;
        const parent = spawn(process.execPath, ["-e", engine], { stdio: ["ignore", "pipe", "inherit"] });
        const pack = await new Promise<number>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
        const alive = () => fs.existsSync(`/proc/${pack}`) && !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pack}/stat`, "utf8"));
        expect(alive(), "the pack runs while its engine does").to.equal(true);
        parent.kill("SIGKILL");
        // Waits for the exit itself (the pack checks for its engine every 500 ms), however busy the
        // machine: a pack that serves on fails on the suite's time limit, and is killed after.
        orphan = pack;
        while (alive()) await new Promise((r) => setTimeout(r, 100));
        orphan = undefined;
        expect(alive(), "the pack exited after its engine").to.equal(false);
    });

    it("keeps @pulumi/pulumi's main module to its asset classes, and loads the SDK's runtime and YAML only to analyze", async () => {
        // The pack's entry, then what @pulumi/pulumi's main module holds and which of the deferred
        // modules are loaded (exit before the server answers).
        const deferred = /node_modules\/(@pulumi\/pulumi\/runtime\/settings|yaml\/dist\/index)\.js$/;
        const probe = `require("./bin/index.js"); console.log(Object.keys(require("@pulumi/pulumi")).join(",") + Object.keys(require.cache).filter((f) => ${deferred}.test(f)).map((f) => " " + f).join("")); process.exit(0)`;
        const out = await new Promise<string>((resolve, reject) => {
            const c = spawn(process.execPath, ["-e", probe], { cwd: path.dirname(POLICY_PACK) });
            let s = "";
            c.stdout.on("data", (d: Buffer) => (s += d.toString()));
            c.on("exit", (code) => (code === 0 ? resolve(s.trim()) : reject(new Error(`probe exited ${code}`))));
        });
        expect(out).to.equal("asset");
    });
});
