/**
 * Benchmark (not a test) of goal 4 (bench/goals.ts): `npm test`, the whole command, timed over a
 * few runs after one untimed run; the median against the 20 s target. The CPU time of every process
 * (user + system) is printed beside it: the suite runs on both cores, so on an otherwise idle
 * machine its wall time is about half of that; a loaded machine's wall time says more about the load.
 *
 *   npm run bench:unit -- [--runs N]
 */
import { REPO } from "../scripts/engine/driver";
import { goalLine, median, seconds, timed } from "./goals";

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const runs = args[0] === "--runs" && Number(args[1]) > 0 ? Math.round(Number(args[1])) : args.length === 0 ? 3 : NaN;
    if (Number.isNaN(runs)) throw new Error(`unknown argument ${args.join(" ")}; usage: bench:unit -- [--runs N]`);
    const once = () => timed("npm", ["test", "--silent", "--", "--reporter", "dot"], { cwd: REPO });
    await once();
    const ms: number[] = [];
    const cpu: number[] = [];
    let passing = "";
    for (let i = 0; i < runs; i++) {
        const r = await once();
        ms.push(r.ms);
        cpu.push(r.cpuMs);
        passing = /(\d+) passing/.exec(r.stdout)?.[1] ?? "?";
    }
    console.log(`npm test (${passing} tests), ${runs} runs after one untimed run: wall ${seconds(median(ms))} s  [${ms.map(seconds).join(", ")}], CPU ${seconds(median(cpu))} s`);
    console.log(goalLine(4, `${seconds(median(ms))} s (CPU ${seconds(median(cpu))} s on 2 cores)`, "< 20 s", median(ms) < 20_000));
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
