/**
 * The performance goals of issue 15, as the benches print them: each figure beside its target and
 * whether it is met. Figures are medians of runs made side by side (alternating) in one bench run.
 */
import { RunOptions, RunResult, run } from "../scripts/engine/driver";

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/** The goals, by number (1 to 4: issue 15's; 5 and 6: issue 25's real-server comparisons). */
export const GOALS = {
    1: "npm run preview (whole command, warm) <= 1.2x pulumi preview of an empty TypeScript program with the same plugins",
    2: "pulumi up --skip-preview of the local stack's 4 apps at D s per deploy: the deploys add <= D + 0.3 s over instant deploys, <= 2×D + 0.3 s with the release task (its deploy comes first) (issue 25; the absolute D + 2 s is retired)",
    3: "preview CPU per additional service <= 1.3x the engine's floor for as many bare component resources (issue 25)",
    4: "npm test < 20 s",
    5: "pulumi up of the local stack's 4 apps on the real CapRover (image change only) <= 0.5x the official CLI's `caprover deploy --imageName` of the same 4 images one after another, and <= 1.2x its slowest single deploy (issue 25)",
    6: "pulumi up building the 4 targets (docker-build, BuildKit on loopback, registry cache) <= 1.1x buildctl alone building them in parallel with the same BuildKit, cache and registry, cold and warm (issue 25)",
} as const;

/** `goal N (<what>): <figure> (target <target>: met|missed)`. */
export function goalLine(goal: keyof typeof GOALS, figure: string, target: string, met: boolean): string {
    return `goal ${goal} (${GOALS[goal]}): ${figure} (target ${target}: ${met ? "met" : "missed"})`;
}

/** Least-squares slope and intercept of y over x. */
export function fitLine(points: { x: number; y: number }[]): { slope: number; intercept: number } {
    const n = points.length;
    const mx = points.reduce((s, p) => s + p.x, 0) / n;
    const my = points.reduce((s, p) => s + p.y, 0) / n;
    const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
    const slope = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
    return { slope, intercept: my - slope * mx };
}

/** A run with the CPU time of the whole process tree (user + system, from GNU time: every process the command waited for). */
export type Timed = RunResult & { cpuMs: number };

/** Runs a command under /usr/bin/time and adds the CPU time it reports; rejects on a non-zero exit. */
export async function timed(command: string, args: string[], opts: RunOptions = {}): Promise<Timed> {
    const r = await run("/usr/bin/time", ["-f", "cpu %U %S", command, ...args], { timeoutMs: 600_000, ...opts, allowFailure: true });
    const m = /^cpu ([\d.]+) ([\d.]+)$/m.exec(r.stderr);
    if (r.code !== 0 || !m) throw new Error(`${command} ${args.join(" ")}: exit ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return { ...r, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}
