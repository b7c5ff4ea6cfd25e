/**
 * Benchmark (not a test) of goal 2 (bench/goals.ts): `pulumi up --skip-preview` of the local stack
 * (4 apps, profile split) through the real engine against the CapRover emulator, where every deploy
 * takes D seconds, against the same up with instant deploys. Target: the deploys add at most
 * D + 0.3 s (the engine runs the four independent creates in parallel, and the provider sees a
 * deploy done soon after it is); with the stack's release task, whose deploy every app waits for,
 * 2×D + 0.3 s. Both are measured, alternating; the wall times are printed beside them.
 *
 *   npm run bench:engine-deploy -- [--seconds D] [--runs N]
 *
 * Each run is an up with instant deploys and one with D-second deploys, each followed by a destroy;
 * the figures are medians over the runs (alternating, so they hold on a loaded machine).
 */
import { ensureTools } from "../scripts/engine/driver";
import * as fs from "fs";
import * as path from "path";
import { STACK_FILE, configure, openLocalStack, setStackValue } from "../scripts/engine/localStack";
import { goalLine, median } from "./goals";

function parse(argv: string[]): { seconds: number; runs: number } {
    const out = { seconds: 5, runs: 3 };
    for (let i = 0; i < argv.length; i++) {
        const n = Number(argv[i + 1]);
        if (argv[i] === "--seconds" && Number.isFinite(n) && n > 0) out.seconds = n;
        else if (argv[i] === "--runs" && Number.isInteger(n) && n > 0) out.runs = n;
        else throw new Error(`unknown or bad argument ${argv[i]}; usage: bench:engine-deploy -- [--seconds D] [--runs N]`);
        i++;
    }
    return out;
}

async function main(): Promise<void> {
    const { seconds: d, runs } = parse(process.argv.slice(2));
    await ensureTools();
    // mutationMs: CapRover holds its namespace lock during each change, so parallel changes meet HTTP 429.
    const { emulator, ws } = await openLocalStack({ emulator: { mutationMs: 50 } });
    try {
        const stack = ["--stack", "local"];
        const timeoutMs = (4 * d + 300) * 1000;
        await configure(ws, "set", "site:caproverDeployTimeout", String(Math.ceil(4 * d + 120)));
        const up = async (deployMs: number) => {
            emulator.options.deployMs = deployMs;
            const r = await ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs });
            if (emulator.apps.size !== 4) throw new Error(`expected 4 apps after up, found ${emulator.apps.size}`);
            return r.ms / 1000;
        };
        // The stack as committed runs its release task (migrate) before any app deploys: one deploy
        // of D, then the four apps' in parallel. Without it (site:release.tasks: []), the apps' alone.
        const committed = fs.readFileSync(path.join(ws.project, STACK_FILE), "utf8");
        const variants = [
            { name: "with the release task", tasks: undefined, serial: 2 },
            { name: "without a release task", tasks: [] as unknown[], serial: 1 },
        ];
        const times = variants.map(() => ({ fixed: [] as number[], walls: [] as number[] }));
        for (let i = 0; i < runs; i++) {
            for (const [v, variant] of variants.entries()) {
                fs.writeFileSync(path.join(ws.project, STACK_FILE), committed);
                if (variant.tasks) setStackValue(ws, "site:release", { tasks: variant.tasks });
                for (const [deployMs, into] of [[0, times[v].fixed], [d * 1000, times[v].walls]] as const) {
                    into.push(await up(deployMs));
                    await ws.pulumi(["destroy", ...stack, "--yes", "--skip-preview"], { timeoutMs });
                }
            }
        }
        const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
        console.log(`pulumi up --skip-preview of 4 CapRover apps (local stack, split) against the emulator, ${runs} alternating runs each (medians):`);
        for (const [v, variant] of variants.entries()) {
            const { fixed, walls } = times[v];
            const wall = median(walls);
            const added = wall - median(fixed);
            const bound = variant.serial * d + 0.3;
            console.log(`  ${variant.name}: D = ${d} s per deploy: ${wall.toFixed(2)} s  [${list(walls)}]; instant deploys: ${median(fixed).toFixed(2)} s  [${list(fixed)}] (CLI, program, provider, API calls)`);
            console.log(goalLine(2, `${variant.name}: the deploys added ${added.toFixed(2)} s`, `<= ${variant.serial === 1 ? "" : `${variant.serial}×`}D + 0.3 = ${bound.toFixed(1)} s`, added <= bound));
        }
    } finally {
        ws.dispose();
        await emulator.close();
    }
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
