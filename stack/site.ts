/**
 * The stack: every component of the site, built from validated configuration. Read top to bottom it
 * is the table of contents: registry, images (built or released), CapRover apps, the GitHub side,
 * then what the stack exports.
 */
import * as pulumi from "@pulumi/pulumi";
import { releasing } from "../config/images";
import { SiteConfig, pushedServices } from "../config/site";
import type { AccessoryApp } from "../config/accessories";
import type { CeleryContract } from "../config/celeryContract";
import { SiteApps } from "../components/caprover/siteApps";
import { TaskContract } from "../components/celery/taskContract";
import { Broker, brokerUrl } from "../components/broker/broker";
import { GithubSide } from "../components/github/githubSide";
import { GhcrRegistry } from "../components/images/ghcrRegistry";
import { ImageRelease, ReleaseManifest } from "../components/images/imageRelease";
import { ServiceImage } from "../components/images/serviceImage";
import { Monitoring } from "../components/monitoring/monitoring";
import { releaseContract, runningContract } from "./contract";
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
    /** What the release does to the running Celery task names, and the order the apps deploy in (with `site:caprover`). */
    celery?: { removed: string[]; added: string[]; acknowledged: string[]; deployOrder: string[][] };
}

/**
 * The program of one stack: a promoting stack reads and checks its source stack's release first,
 * so a release the source never ran is refused before anything else is registered.
 */
export async function siteProgram(config: SiteConfig): Promise<SiteOutputs> {
    return deploySite(config, await sourceRelease(config), await runningContract(config));
}

/**
 * Builds one stack from validated configuration. Every resource is derived from
 * `config.services`; resource names are service names, so URNs survive profile changes. `source` is
 * the source stack's release, when the stack promotes; `running` the Celery contract of the release
 * the stack runs (its last release output).
 */
export function deploySite(config: SiteConfig, source?: unknown, running?: CeleryContract): SiteOutputs {
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
    // The new release's task names against the running one's: judged by the policy pack's
    // celery-task-names, and the deploy order follows (workers first when names are added).
    const celery = releaseContract(config, source);
    const contract = config.caprover.enabled ? new TaskContract("celery-contract", { running, release: celery, acknowledged: config.release.removedTasks }) : undefined;
    if (config.caprover.enabled && !celery && running) {
        pulumi.log.warn(
            "the Celery task names of this release are not known before it runs (a rollback by site:releaseTag, or images pinned in site:imageDigests under site:promoteFrom): " +
                "no comparison with the running release's, no deploy order from it, and the running release's record is kept",
        );
    }
    // The broker's URL is derived from its app and password, so the site's apps get it whatever
    // order the engine registers them in; the redis app itself needs their provider (below).
    const broker = config.caprover.enabled ? brokerSetting(config) : undefined;
    // One app per service, deploying the image above by digest; off for offline stacks and previews.
    const apps = config.caprover.enabled
        ? new SiteApps("caprover", {
              services: config.services,
              settings: config.caprover,
              images: refs,
              release: config.release,
              drain: config.drain,
              registry: config.caprover.pullToken
                  ? { server: config.registry.server, username: config.registry.username, password: config.caprover.pullToken, imagePrefix: config.github.owner.toLowerCase() }
                  : undefined,
              workersFirst: contract?.change.workersFirst,
              brokerUrl: broker?.url,
              canary: config.canary,
          })
        : undefined;
    const managedBroker = apps && broker?.app
        ? new Broker("broker", { app: broker.app, password: broker.password!, settings: config.caprover, provider: apps.provider })
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
            // Unknown: the record stays the running one's (right for a run holding the deployed images, CI's Flower and drift jobs).
            celery: celery ?? running,
        }) as pulumi.Output<ReleaseManifest>,
        apps: apps && { appNames: apps.appNames, appUrls: apps.appUrls, deployedImages: apps.deployedImages },
        accessories: {
            enabled: config.accessories.enabled,
            appNames: { ...(monitoring?.appNames ?? {}), ...(managedBroker ? { redis: managedBroker.appName } : {}) },
            grafanaUrl: monitoring?.grafanaUrl,
        },
        onDemand: { services: config.onDemand.live, until: config.onDemand.live.length > 0 ? config.onDemand.until : undefined },
        celery: apps && {
            removed: contract?.change.removed.map((r) => r.task) ?? [],
            added: contract?.change.added ?? [],
            acknowledged: config.release.removedTasks,
            deployOrder: apps.deployOrder,
        },
    };
}

/** The broker the apps get as REDIS_URL (a secret): the managed redis app's, an external one, or none. */
function brokerSetting(config: SiteConfig): { url: pulumi.Output<string>; app?: AccessoryApp; password?: pulumi.Output<string> } | undefined {
    const broker = config.accessories.broker;
    if (broker.kind === "external") return { url: pulumi.secret(broker.url) };
    const app = config.accessories.apps.find((a) => a.accessory === "broker");
    if (broker.kind !== "managed" || !app) return undefined;
    // `up` refuses to start without the password; a preview shows it unknown, never absent.
    const password = broker.password !== undefined ? pulumi.secret(broker.password) : (pulumi.output(pulumi.unknown) as pulumi.Output<string>);
    return { url: pulumi.secret(password.apply((p) => brokerUrl(app, p))), app, password };
}
