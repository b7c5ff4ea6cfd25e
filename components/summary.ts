import { ActiveService, ProfileName, resolveServices } from "./topology";

/** Counts and names of what a profile runs, as the seed documents compare them. */
export interface ProfileFigures {
    /** Services (one container role each). */
    services: string[];
    /** Image repositories pushed to GHCR. */
    images: string[];
    /** Dockerfile targets built. */
    dockerfileTargets: string[];
    /** CapRover apps deployed. */
    caproverApps: string[];
    /** Workflow files generated for the app repository. */
    workflows: string[];
    /** Container cleanup jobs (one per image package). */
    cleanupJobs: number;
}

/** The GitHub side's derivation for a service list: workflow files and container cleanup jobs. */
export type HousekeepingOf = (services: ActiveService[]) => { workflows: string[]; cleanupJobs: number };

/** The stack summary output: the active profile beside today's four-service production. */
export interface Summary {
    /** Active profile. */
    profile: ProfileName;
    /** What the active profile runs. */
    active: ProfileFigures;
    /** What `split` (today's production) runs, for comparison. */
    baseline: ProfileFigures;
    /** One line per row, e.g. "services: 2 (split: 4)". */
    comparison: string[];
}

/**
 * Figures of a service list; `repositoryOf` names each service's image, `housekeepingOf` derives the
 * workflows (none when the stack does not manage GitHub), `housekeeping` gives them as generated.
 */
export function figures(
    services: ActiveService[],
    repositoryOf: (service: string) => string,
    housekeepingOf?: HousekeepingOf,
    housekeeping = housekeepingOf?.(services),
): ProfileFigures {
    return {
        services: services.map((s) => s.name),
        images: services.map((s) => repositoryOf(s.name)),
        dockerfileTargets: services.map((s) => s.target),
        caproverApps: services.map((s) => s.appName),
        workflows: housekeeping?.workflows ?? [],
        cleanupJobs: housekeeping?.cleanupJobs ?? 0,
    };
}

/**
 * Builds the summary of the active services against the `split` baseline. `activeHousekeeping` is
 * what the stack actually generates (it may clean packages the profile does not run, e.g. images
 * built for a promoting stack).
 */
export function summarize(
    profile: ProfileName,
    services: ActiveService[],
    repositoryOf: (service: string) => string,
    housekeepingOf?: HousekeepingOf,
    activeHousekeeping = housekeepingOf?.(services),
): Summary {
    const active = figures(services, repositoryOf, housekeepingOf, activeHousekeeping);
    const baseline = figures(
        resolveServices({ profile: "split", appNamePrefix: "", buildArgs: {}, overrides: {} }),
        repositoryOf,
        housekeepingOf,
    );
    const rows = Object.keys(active) as (keyof ProfileFigures)[];
    const count = (v: string[] | number) => (typeof v === "number" ? v : v.length);
    return {
        profile,
        active,
        baseline,
        comparison: rows.map((row) => `${row}: ${count(active[row])} (split: ${count(baseline[row])})`),
    };
}
