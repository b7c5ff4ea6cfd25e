/**
 * The performance goals of issue 15, as the benches print them: each figure beside its target and
 * whether it is met. Figures are medians of runs made side by side (alternating) in one bench run.
 */

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/** The four goals, by number. */
export const GOALS = {
    1: "npm run preview (whole command, warm) <= 1.2x pulumi preview of an empty TypeScript program with the same plugins",
    2: "pulumi up --skip-preview of the local stack's 4 apps at D s per deploy: <= D + 2 s, and the deploys add <= D + 0.3 s over instant deploys",
    3: "preview cost per additional service < 10 ms",
    4: "npm test < 20 s",
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
