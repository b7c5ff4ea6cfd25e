/**
 * The stack: every component of the site, built from validated configuration. Read top to bottom it
 * is the table of contents: registry, images (built or released), CapRover apps, the GitHub side,
 * then what the stack exports.
 */
import * as pulumi from "@pulumi/pulumi";
import { releasing } from "../config/images";
import { SiteConfig, pushedServices } from "../config/site";
import { SiteApps } from "../components/caprover/siteApps";
import { GithubSide } from "../components/github/githubSide";
import { GhcrRegistry } from "../components/images/ghcrRegistry";
import { ImageRelease, ReleaseManifest } from "../components/images/imageRelease";
import { ServiceImage } from "../components/images/serviceImage";
import { Monitoring } from "../components/monitoring/monitoring";
import { sourceRelease } from "./source";
import { Summary, summarize } from "./summary";

/** What a stack exports. */
export interface SiteOutputs {
    /** Active profile. */
    profile: string;
    /** Image by digest per active service. */
    images: Record<string, pulumi.Output<string>>;
    /** The seed documents' comparison for the active profile. */
    summary: Summary;
    /** Images with their targets and commit: what a promoting stack (`site:promoteFrom`) reads. */
    release: pulumi.Output<ReleaseManifest>;
    /** Services on demand within their time, and when they expire: what CI carries over to the stack's next run. */
    onDemand: { services: string[]; until?: string };
    /** The CapRover apps per service (when `site:caprover` is on): name, URL, running image. */
    apps?: { appNames: Record<string, string>; appUrls: Record<string, pulumi.Output<string>>; deployedImages: Record<string, pulumi.Output<string>> };
    /** Accessories switched on (`site:accessories`) and their CapRover apps, apart from the site's. */
    accessories: { enabled: string[]; appNames: Record<string, string>; grafanaUrl?: pulumi.Output<string> };
}

/**
 * The program of one stack: a promoting stack reads and checks its source stack's release first,
 * so a release the source never ran is refused before anything else is registered.
 */
export async function siteProgram(config: SiteConfig): Promise<SiteOutputs> {
    return deploySite(config, await sourceRelease(config));
}

/**
 * Builds one stack from validated configuration. Every resource is derived from
 * `config.services`; resource names are service names, so URNs survive profile changes. `source` is
 * the source stack's release, when the stack promotes.
 */
export function deploySite(config: SiteConfig, source?: unknown): SiteOutputs {
    const without = (plugin: string, part: string): boolean => {
        if (!config.previewWithout.includes(plugin)) return false;
        pulumi.log.warn(`${part}: left out of this preview because the ${plugin} resource plugin is not installed here (it cannot be built from Go modules on this machine); CI previews include it`);
        return true;
    };
    const registry = new GhcrRegistry("ghcr", { settings: config.registry, services: pushedServices(config) });
    const release = !config.build.enabled && releasing(config.build.release)
        ? new ImageRelease("release", {
              settings: { ...config.build.release, retag: config.build.release.retag && !without("command", "re-tagging of promoted images") },
              source,
              services: config.services,
              pinned: config.build.digests,
              registry,
              stack: config.stack,
              skipTagLookups: config.previewWithout.includes("docker") && (config.build.release.releaseTag === undefined || without("docker", "resolving site:releaseTag to digests (images shown unknown)")),
          })
        : undefined;
    const images = Object.fromEntries(
        config.services.map((service) => [
            service.name,
            new ServiceImage(service.name, { service, build: config.build, registry, deployed: release?.refs[service.name] }),
        ]),
    );
    const refs = Object.fromEntries(Object.entries(images).map(([name, image]) => [name, image.ref]));
    // `release-<role>`: role names are unique, and the prefix keeps them apart from service names
    // (role `web` is also service `web`, played by `all-in-one` under `single`).
    const alternates = config.build.releaseOnly.map((service) => ({
        service: service.name,
        target: service.target,
        ref: new ServiceImage(`release-${service.role}`, { service, build: config.build, registry, releaseOnly: true }).ref,
    }));
    // One app per service, deploying the image above by digest; off for offline stacks and previews.
    const apps = config.caprover.enabled
        ? new SiteApps("caprover", {
              services: config.services,
              settings: config.caprover,
              images: refs,
              release: config.release,
              registry: config.caprover.pullToken
                  ? { server: config.registry.server, username: config.registry.username, password: config.caprover.pullToken, imagePrefix: config.github.owner.toLowerCase() }
                  : undefined,
          })
        : undefined;
    // Accessories need the CapRover apps (config refuses them without site:caprover).
    const monitoring = apps && config.accessories.enabled.includes("monitoring")
        ? new Monitoring("monitoring", {
              accessories: config.accessories,
              topology: { stack: config.stack, profile: config.profile, services: config.services },
              settings: config.caprover,
              provider: apps.provider,
          })
        : undefined;
    if (config.githubSide.manage && !without("github", "GitHub secrets and workflow files")) {
        new GithubSide("github", {
            settings: config.githubSide,
            repository: config.github,
            services: config.services,
            retention: registry.retention,
            stack: config.stack,
            // The deploy secrets come from the apps: nobody types a token.
            caprover: apps && { server: config.caprover.url ?? (pulumi.output(pulumi.unknown) as pulumi.Output<string>), deployTokens: apps.deployTokens },
        });
    }
    return {
        profile: config.profile,
        images: refs,
        summary: summarize(config),
        release: pulumi.output({
            commitSha: release ? release.commitSha : config.build.commitSha,
            profile: config.profile,
            // What a promoting stack checks: these images ran here, each app health-gated.
            deployed: apps ? pulumi.all([apps.deployedImages, refs]).apply(([running, wanted]) => Object.keys(wanted).every((s) => running[s] === wanted[s])) : false,
            images: Object.fromEntries(config.services.map((s) => [s.name, { target: s.target, ref: refs[s.name] }])),
            alternates,
            releaseProfiles: config.build.releaseProfiles,
        }) as pulumi.Output<ReleaseManifest>,
        apps: apps && { appNames: apps.appNames, appUrls: apps.appUrls, deployedImages: apps.deployedImages },
        accessories: { enabled: config.accessories.enabled, appNames: monitoring?.appNames ?? {}, grafanaUrl: monitoring?.grafanaUrl },
        onDemand: { services: config.onDemand.live, until: config.onDemand.live.length > 0 ? config.onDemand.until : undefined },
    };
}
