/**
 * Benchmark (not a test): how long `pulumi up` takes to fail when CapRover's build-state request
 * hangs (accepted, never answered), through the real engine against the emulator. Target: the
 * failing `up` ends within the deploy timeout + 10 s (before the hard limits it took 161-168 s
 * with a 60 s timeout: 5 attempts × 30 s requests, the deadline checked only between polls).
 *
 *   npm run bench:hang -- [--timeout T]        (T: site:caproverDeployTimeout in seconds, default 60)
 *
 * The local stack (profile unified) is deployed first; then web gets a new image while every
 * `GET /user/apps/appData/local-web` hangs. Two figures: from CapRover receiving the deploy to the
 * CLI's exit (what the deadline bounds), and the whole `up` (CLI start-up, program and policy pack
 * included, which a loaded machine stretches).
 */
import { configure, openLocalStack } from "../scripts/engine/localStack";
import { ensureTools } from "../scripts/engine/driver";

function parse(argv: string[]): { timeout: number } {
    const out = { timeout: 60 };
    for (let i = 0; i < argv.length; i++) {
        const n = Number(argv[i + 1]);
        if (argv[i] === "--timeout" && Number.isInteger(n) && n > 0) {
            out.timeout = n;
            i++;
        } else throw new Error(`unknown or bad argument ${argv[i]}; usage: bench:hang -- [--timeout T]`);
    }
    return out;
}

async function main(): Promise<void> {
    const { timeout } = parse(process.argv.slice(2));
    await ensureTools();
    const { emulator, ws } = await openLocalStack();
    const stack = ["--stack", "local"];
    try {
        await configure(ws, "set", "site:topology", "unified");
        await configure(ws, "set", "site:caproverDeployTimeout", String(timeout));
        await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: 300_000 });
        // What any up costs here before and after its deploys: an up with nothing to change.
        const idle = await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: 300_000 });
        await configure(ws, "set", "--path", "site:imageDigests.web.runtime-full", `ghcr.io/aaronspindler/aaronspindler.com-web@sha256:${"e".repeat(64)}`);
        emulator.inject({ kind: "hang", times: 100_000, match: { method: "GET", path: "/user/apps/appData/local-web" } });
        let deployAt = 0;
        emulator.options.log = (line) => {
            if (!deployAt && line.startsWith("POST /user/apps/appData/local-web ")) deployAt = Date.now();
        };
        const r = await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: 600_000, allowFailure: true });
        const exitAt = Date.now();
        if (r.code === 0) throw new Error("the up with a hanging status request succeeded; expected it to fail");
        const message = /gave up after[^\n]*/.exec(`${r.stdout}\n${r.stderr}`)?.[0] ?? "(no deadline message found)";
        const fromDeploy = (exitAt - deployAt) / 1000;
        console.log(`hanging build-state request, deploy timeout ${timeout} s (bound ${timeout + 10} s):`);
        console.log(`  deploy request to the failed up's exit: ${fromDeploy.toFixed(1)} s -> ${fromDeploy <= timeout + 10 ? "within" : "OVER"} the bound`);
        console.log(`  whole pulumi up (CLI start to exit): ${(r.ms / 1000).toFixed(1)} s; an up with nothing to change: ${(idle.ms / 1000).toFixed(1)} s`);
        console.log(`  the user sees: ...${message.slice(0, 400)}`);
    } finally {
        ws.dispose();
        await emulator.close();
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
