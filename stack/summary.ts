/**
 * The stack's `summary` output: what the active profile runs beside today's four-service production
 * (`split`), as the seed documents compare them. Derived from the configuration alone.
 */
import { SiteConfig, pushedServices } from "../config/site";
import { ActiveService, ProfileName, resolveServices } from "../config/topology";
import { workflowFigures } from "../components/github/appWorkflows";
import { imageRepository, retentionPolicy } from "../components/images/ghcrRegistry";

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
 * Figures of `services`; the housekeeping (workflow files, cleanup jobs) is what the stack would
 * generate for the packages in `pushed`, and nothing when it does not manage GitHub.
 */
function figures(config: SiteConfig, services: ActiveService[], pushed: ActiveService[]): ProfileFigures {
    const housekeeping = config.githubSide.manage
        ? workflowFigures(config.githubSide, retentionPolicy(config.registry, pushed))
        : { workflows: [], cleanupJobs: 0 };
    return {
        services: services.map((s) => s.name),
        images: services.map((s) => imageRepository(config.registry.imagePrefix, s.name)),
        dockerfileTargets: services.map((s) => s.target),
        caproverApps: services.map((s) => s.appName),
        ...housekeeping,
    };
}

/**
 * The summary of the active services against the `split` baseline. The active cleanup counts every
 * package the stack pushes (it may build images for a promoting stack that its profile does not run).
 */
export function summarize(config: SiteConfig): Summary {
    const active = figures(config, config.services, pushedServices(config));
    const split = resolveServices({ profile: "split", appNamePrefix: "", buildArgs: {}, overrides: {} });
    const baseline = figures(config, split, split);
    const rows = Object.keys(active) as (keyof ProfileFigures)[];
    const count = (v: string[] | number) => (typeof v === "number" ? v : v.length);
    return {
        profile: config.profile,
        active,
        baseline,
        comparison: rows.map((row) => `${row}: ${count(active[row])} (split: ${count(baseline[row])})`),
    };
}
