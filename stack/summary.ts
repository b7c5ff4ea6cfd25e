/**
 * The stack's `summary` output: what the active profile runs beside today's four-service production
 * (`split`), as the seed documents compare them: services, Dockerfile targets, CapRover apps, image
 * builds per push, container cleanup jobs, workflows, and the GitHub Actions minutes a push costs.
 * Derived from the configuration alone.
 */
import { SiteConfig, pushedServices } from "../config/site";
import { ActiveService, ProfileName, resolveServices } from "../config/topology";
import { workflowFigures } from "../components/github/appWorkflows";
import { imageRepository, retentionPolicy } from "../components/images/ghcrRegistry";
import { WORKFLOWS_HERE } from "./workflowsHere";
import { MinutesEstimate, actionsMinutes, showMinutes } from "./actionsMinutes";

/** Counts and names of what a profile runs, as the seed documents compare them. */
export interface ProfileFigures {
    /** Services (one container role each). */
    services: string[];
    /** Image repositories the services run from. */
    images: string[];
    /** Dockerfile targets the services run. */
    dockerfileTargets: string[];
    /** CapRover apps deployed. */
    caproverApps: string[];
    /** Images built for a push: what a building stack pushes, or (promoting) its services' images, built once by its source stack. */
    imageBuildsPerPush: number;
    /** Container cleanup jobs (one per image package the stack pushes and so keeps). */
    cleanupJobs: number;
    /** Workflow files generated for the app repository. */
    workflows: string[];
    /** Workflow files of this repository (the infrastructure pipeline). */
    workflowsHere: string[];
    /** GitHub Actions minutes per push, by step (stack/actionsMinutes.ts, the seeds' model). */
    actionsMinutesPerPush: MinutesEstimate;
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
    /** Accessories (e.g. monitoring) counted apart, so the comparison of the site's services stays the seeds'. */
    accessories: { enabled: string[]; caproverApps: string[]; images: string[]; line: string };
    /** Celery across releases: where the release's task names come from, and the broker the apps get. */
    celery: { line: string };
}

/**
 * Figures of `services`; `pushed` are the images the stack would push (and its cleanup keeps), the
 * housekeeping is what the stack would generate for their packages, and nothing when it does not
 * manage GitHub.
 */
function figures(config: SiteConfig, services: ActiveService[], pushed: ActiveService[]): ProfileFigures {
    const housekeeping = config.githubSide.manage
        ? workflowFigures(config.githubSide, retentionPolicy(config.registry, pushed))
        : { workflows: [], cleanupJobs: 0 };
    const caproverApps = services.map((s) => s.appName);
    const imageBuildsPerPush = config.build.enabled ? pushed.length : services.length;
    return {
        services: services.map((s) => s.name),
        images: services.map((s) => imageRepository(config.registry.imagePrefix, s.name)),
        dockerfileTargets: services.map((s) => s.target),
        caproverApps,
        imageBuildsPerPush,
        cleanupJobs: housekeeping.cleanupJobs,
        workflows: housekeeping.workflows,
        workflowsHere: WORKFLOWS_HERE.map((file) => file.split("/").pop()!),
        actionsMinutesPerPush: actionsMinutes({ imageBuilds: imageBuildsPerPush, apps: caproverApps.length, cleanupJobs: housekeeping.cleanupJobs }),
    };
}

/** A row's value as the comparison shows it: a count, or a range of minutes. */
function shown(value: ProfileFigures[keyof ProfileFigures]): string {
    if (typeof value === "number") return String(value);
    if (Array.isArray(value)) return String(value.length);
    return showMinutes(value.total);
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
    return {
        profile: config.profile,
        active,
        baseline,
        comparison: rows.map((row) => `${row}: ${shown(active[row])} (split: ${shown(baseline[row])})`),
        accessories: accessoryFigures(config),
        celery: { line: celeryLine(config) },
    };
}

/** E.g. "celery: task names from deployment/celery-contract.json, compared with the running release's; broker: managed redis app dev-redis; canary: GET /canary/ on web ...". */
function celeryLine(config: SiteConfig): string {
    const { release } = config.build;
    const names = !config.caprover.enabled
        ? "task names not compared (no CapRover apps)"
        : config.celery.fromFile
          ? `task names from ${config.celery.file}, compared with the running release's`
          : release.promoteFrom !== undefined && release.releaseTag === undefined
            ? `task names from stack ${release.promoteFrom}'s release, compared with the running release's`
            : "task names not known before the release runs (rollback by tag): not compared";
    const broker = config.accessories.broker;
    const redis = config.accessories.apps.find((a) => a.accessory === "broker");
    const where = broker.kind === "managed" && redis ? `managed redis app ${redis.appName}` : broker.kind === "external" ? "external (site:brokerUrl)" : "as the apps' own REDIS_URL says";
    const { canary } = config;
    const check = !canary.active
        ? "canary: off"
        : `canary: GET ${canary.path} on web once the release's apps run, a worker of the new release must answer${canary.beatMaxAgeSeconds > 0 ? `, beat's heartbeat at most ${canary.beatMaxAgeSeconds} s old` : ""}`;
    return `celery: ${names}; broker: ${where}; ${check}`;
}

/** The accessories' own row: apps and pinned images, built by nobody, deployed by `pulumi up` only. */
function accessoryFigures(config: SiteConfig): Summary["accessories"] {
    const apps = config.accessories.apps;
    const enabled = config.accessories.enabled;
    return {
        enabled,
        caproverApps: apps.map((a) => a.appName),
        images: apps.map((a) => a.image),
        line: `accessories: ${apps.length} CapRover apps${enabled.length > 0 ? ` (${enabled.join(", ")}: ${apps.map((a) => a.name).join(", ")})` : ""}, 0 image builds per push`,
    };
}
