import { ActiveService, PROFILES, ProfileName, resolveServices } from "./topology";

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

/** Figures of a service list; `repositoryOf` names each service's image, `housekeepingOf` derives the workflows. */
export function figures(services: ActiveService[], repositoryOf: (service: string) => string, housekeepingOf?: HousekeepingOf): ProfileFigures {
    const housekeeping = housekeepingOf?.(services);
    return {
        services: services.map((s) => s.name),
        images: services.map((s) => repositoryOf(s.name)),
        dockerfileTargets: services.map((s) => s.target),
        caproverApps: services.map((s) => s.appName),
        workflows: housekeeping?.workflows ?? [],
        cleanupJobs: housekeeping?.cleanupJobs ?? services.length,
    };
}

/** Builds the summary of the active services against the `split` baseline. */
export function summarize(profile: ProfileName, services: ActiveService[], repositoryOf: (service: string) => string, housekeepingOf?: HousekeepingOf): Summary {
    const active = figures(services, repositoryOf, housekeepingOf);
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

/** The profiles table as printable rows, for documentation and tests. */
export function profileTable(): Record<ProfileName, string[]> {
    return Object.fromEntries(Object.entries(PROFILES).map(([p, roles]) => [p, Object.keys(roles)])) as Record<ProfileName, string[]>;
}
