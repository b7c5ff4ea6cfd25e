/**
 * GitHub Actions minutes per push to the app repository, as the seed documents estimate them
 * ("Cost Optimization Analysis"): a fixed test workflow, then a build, a deploy and the container
 * cleanups whose length grows with the images built, the apps deployed and the packages cleaned.
 * The coefficients are fitted to the seeds' three profiles (4, 2 and 1 services); docs/consolidating.md states the
 * model and compares it with the seeds.
 */

/** A range of minutes, low to high. */
export interface Minutes {
    low: number;
    high: number;
}

/** The model's coefficients: minutes per step, and per image, app or cleanup job. */
export const MINUTES_MODEL = {
    /** Test workflow: the same for every profile. */
    test: { low: 20, high: 25 },
    /** Build job: runner, checkout, cache restore and registry login. */
    buildBase: { low: 2, high: 2 },
    /** Each image built (BuildKit with a warm cache). */
    perImage: { low: 1, high: 1.5 },
    /** Deploy job: runner and checkout. */
    deployBase: { low: 1, high: 1 },
    /** Each CapRover app deployed (pull and health check). */
    perApp: { low: 1, high: 1 },
    /** Each container cleanup job (one per image package; GitHub bills every job at least a minute). */
    perCleanupJob: { low: 2, high: 3 },
} as const;

/** What a push does for a profile. */
export interface PushSteps {
    /** Images built. */
    imageBuilds: number;
    /** CapRover apps deployed. */
    apps: number;
    /** Container cleanup jobs run after the pipeline. */
    cleanupJobs: number;
}

/** Minutes per push, per step and in total. */
export interface MinutesEstimate {
    test: Minutes;
    build: Minutes;
    deploy: Minutes;
    cleanup: Minutes;
    total: Minutes;
}

/** The estimate for one profile's push. */
export function actionsMinutes(steps: PushSteps): MinutesEstimate {
    const m = MINUTES_MODEL;
    const at = (end: "low" | "high") => ({
        test: m.test[end],
        build: steps.imageBuilds > 0 ? m.buildBase[end] + steps.imageBuilds * m.perImage[end] : 0,
        deploy: steps.apps > 0 ? m.deployBase[end] + steps.apps * m.perApp[end] : 0,
        cleanup: steps.cleanupJobs * m.perCleanupJob[end],
    });
    const [low, high] = [at("low"), at("high")];
    const range = (step: keyof typeof low): Minutes => ({ low: low[step], high: high[step] });
    const sum = (e: typeof low) => e.test + e.build + e.deploy + e.cleanup;
    return { test: range("test"), build: range("build"), deploy: range("deploy"), cleanup: range("cleanup"), total: { low: sum(low), high: sum(high) } };
}

/** `29-39`, or `5` when both ends agree. */
export function showMinutes(m: Minutes): string {
    return m.low === m.high ? `${m.low}` : `${m.low}-${m.high}`;
}
