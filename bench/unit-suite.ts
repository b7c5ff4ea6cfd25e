/**
 * Benchmark (not a test) of goal 4 (bench/goals.ts): `npm test`, the whole command, timed over a
 * few runs after one untimed run; the median against the 20 s target.
 *
 *   npm run bench:unit -- [--runs N]
 */
import { REPO, run } from "../scripts/engine/driver";
import { goalLine, median, seconds } from "./goals";

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const runs = args[0] === "--runs" && Number(args[1]) > 0 ? Math.round(Number(args[1])) : args.length === 0 ? 3 : NaN;
    if (Number.isNaN(runs)) throw new Error(`unknown argument ${args.join(" ")}; usage: bench:unit -- [--runs N]`);
    const once = async () => {
        const r = await run("npm", ["test", "--silent", "--", "--reporter", "dot"], { cwd: REPO, timeoutMs: 600_000, allowFailure: true });
        if (r.code !== 0) throw new Error(`npm test failed (exit ${r.code}):\n${r.stdout.slice(-3000)}`);
        return r;
    };
    await once();
    const ms: number[] = [];
    let passing = "";
    for (let i = 0; i < runs; i++) {
        const r = await once();
        ms.push(r.ms);
        passing = /(\d+) passing/.exec(r.stdout)?.[1] ?? "?";
    }
    console.log(`npm test (${passing} tests), ${runs} runs after one untimed run: ${seconds(median(ms))} s  [${ms.map(seconds).join(", ")}]`);
    console.log(goalLine(4, `${seconds(median(ms))} s`, "< 20 s", median(ms) < 20_000));
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
