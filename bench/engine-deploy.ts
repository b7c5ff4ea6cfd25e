/**
 * Benchmark (not a test): `pulumi up` of the local stack (4 apps, profile split) through the real
 * engine against the CapRover emulator, where every deploy takes D seconds. Prints the wall time
 * against D. Target: at most 1.5×D, since the engine runs the four independent creates in parallel
 * (one after the other would take 4×D).
 *
 *   npm run bench:engine-deploy -- [--seconds D]
 *
 * A first `pulumi up` with instant deploys measures what does not depend on D (CLI, program,
 * dynamic-provider host, API calls); it is destroyed, then the timed run deploys with D seconds.
 * Both are `pulumi up --yes --skip-preview` (`pulumi up --yes` adds one preview, ~3 s here).
 */
import { CapRoverEmulator } from "../provider/emulator/caprover";
import { Workspace, ensureTools } from "../scripts/engine/driver";

// Bench-only values for the emulator and the temporary stack.
const PASSWORD = "bench-only-password";
const FLOWER_PASSWORD = "bench-only-flower";

function parse(argv: string[]): { seconds: number } {
    const out = { seconds: 10 };
    for (let i = 0; i < argv.length; i++) {
        const n = Number(argv[i + 1]);
        if (argv[i] === "--seconds" && Number.isFinite(n) && n > 0) {
            out.seconds = n;
            i++;
        } else throw new Error(`unknown or bad argument ${argv[i]}; usage: bench:engine-deploy -- [--seconds D]`);
    }
    return out;
}

async function main(): Promise<void> {
    const { seconds: d } = parse(process.argv.slice(2));
    await ensureTools();
    // mutationMs: CapRover holds its namespace lock during each change, so parallel changes meet HTTP 429.
    const emulator = new CapRoverEmulator({ password: PASSWORD, mutationMs: 50 });
    await emulator.start();
    const ws = await Workspace.create({ stackFiles: ["Pulumi.local.yaml"] });
    try {
        const stack = ["--stack", "local"];
        const timeoutMs = (4 * d + 300) * 1000;
        await ws.pulumi(["stack", "init", "local", "--secrets-provider", "passphrase"]);
        for (const [key, value, secret] of [
            ["site:caproverUrl", emulator.url, false],
            ["site:caproverProbeAddress", `127.0.0.1:${emulator.port}`, false],
            ["site:caproverDeployTimeout", String(Math.ceil(4 * d + 120)), false],
            ["site:caproverPassword", PASSWORD, true],
            ["site:flowerPassword", FLOWER_PASSWORD, true],
        ] as const) {
            await ws.pulumi(["config", "set", ...(secret ? ["--secret"] : []), key, value, ...stack]);
        }
        const up = async (deployMs: number) => {
            emulator.options.deployMs = deployMs;
            const r = await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs });
            if (emulator.apps.size !== 4) throw new Error(`expected 4 apps after up, found ${emulator.apps.size}`);
            return r.ms / 1000;
        };
        const fixed = await up(0);
        await ws.pulumi(["destroy", ...stack, "--yes", "--skip-preview"], { timeoutMs });
        const wall = await up(d * 1000);
        await ws.pulumi(["destroy", ...stack, "--yes", "--skip-preview"], { timeoutMs });
        const verdict = wall <= 1.5 * d ? "met" : "missed";
        console.log(`pulumi up --skip-preview of 4 CapRover apps (local stack, split) against the emulator:`);
        console.log(`  D = ${d} s per deploy: wall ${wall.toFixed(2)} s = ${(wall / d).toFixed(2)}×D (one after the other: 4×D = ${4 * d} s; target ≤ 1.5×D = ${(1.5 * d).toFixed(1)} s: ${verdict})`);
        console.log(`  same up with instant deploys: ${fixed.toFixed(2)} s (CLI, program, dynamic-provider host, API calls); so the deploys added ${(wall - fixed).toFixed(2)} s for D = ${d} s`);
        console.log(`  (the provider polls the build state every 2 s, so a deploy is seen done up to 2 s late)`);
    } finally {
        ws.dispose();
        await emulator.close();
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
