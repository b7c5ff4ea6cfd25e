import * as pulumi from "@pulumi/pulumi";
import * as caprover from "../../provider/sdk";
import { maintenanceNginxConfig } from "./maintenance";
import { serviceUpdateOverride } from "./serviceOverride";
import type { CanarySettings } from "../../config/canary";
import type { CapRoverSettings } from "../../config/caprover";
import { DrainSettings, TASK_TIME_LIMIT_ENV_VAR, serviceDrain } from "../../config/drain";
import type { ReleaseSettings } from "../../config/release";
import type { ActiveService } from "../../config/topology";

/** Credentials CapRover needs to pull private images. */
export interface PullCredentials {
    /** Registry host, e.g. `ghcr.io`. */
    server: string;
    /** Registry user. */
    username: string;
    /** Registry token (a secret). */
    password: pulumi.Input<string>;
    /** Image prefix under the host (the GHCR owner). */
    imagePrefix: string;
}

export interface SiteAppsArgs {
    /** The active services; each becomes one app, named after the service. */
    services: ActiveService[];
    /** Validated CapRover settings: server, timeouts, Flower's auth, volumes. */
    settings: CapRoverSettings;
    /** Image by digest per service name (ServiceImage's `ref`). */
    images: Record<string, pulumi.Input<string>>;
    /** Pull credentials for private images; omitted when the images are public. */
    registry?: PullCredentials;
    /** The release phase: tasks run in web's new image before any app is deployed, the migrations' compatibility, the maintenance switch. */
    release: Pick<ReleaseSettings, "tasks" | "migrations" | "maintenance">;
    /** `site:celeryTaskTimeLimit`: each worker's task time limit and every service's stop grace period derive from it. */
    drain: DrainSettings;
    /** Deploy the worker apps before the others (web, beat, Flower): the release adds task names they may send. */
    workersFirst?: boolean;
    /** The Celery broker's URL every app gets as `REDIS_URL` (a secret): the managed broker's or an external one. */
    brokerUrl?: pulumi.Input<string>;
    /** The canary through the broker (`site:canary`), asked once every app of the release runs. */
    canary?: CanarySettings;
}

/** The environment variable the app reads its Celery broker from (app/config/settings.py). */
export const BROKER_ENV_VAR = "REDIS_URL";

/**
 * The order the apps deploy in, as groups (each group's apps in parallel): the workers first when
 * the release adds task names, so no sender runs before a worker that knows them; else one group
 * (a worker that does not know a name discards its messages, so only adding needs the order).
 */
export function deployOrder(services: ActiveService[], workersFirst: boolean): string[][] {
    const workers = services.filter((s) => s.worker).map((s) => s.name);
    const others = services.filter((s) => !s.worker).map((s) => s.name);
    if (!workersFirst || workers.length === 0 || others.length === 0) return [services.map((s) => s.name)];
    return [workers, others];
}

/** Environment variable every app's containers find their release (image digest) in. */
export const RELEASE_ENV_VAR = "SITE_RELEASE";

/** What one service's app looks like, derived from its role (everything but the image), as plain values. */
export type AppSpec = Omit<caprover.AppArgs, "image">;

/**
 * One service's app, from the topology: workers are not web-exposed; web-exposed apps get their
 * health path and force SSL (Flower's basic-auth credentials must never cross plain HTTP) unless the
 * stack turns it off (`site:forceSsl`: a server whose root domain has no certificate); Flower sits
 * behind HTTP basic auth. Every app gets a deploy token for CI, and the Docker service settings
 * CapRover has no field for (limits, update order, stop grace period) through its `serviceUpdateOverride`.
 */
export function appSpec(service: ActiveService, settings: CapRoverSettings, release: Pick<ReleaseSettings, "migrations" | "maintenance">, drain: DrainSettings, canary?: Pick<CanarySettings, "active" | "path">): AppSpec {
    const exposed = service.exposure !== "internal";
    const volumes = settings.volumes[service.name] ?? [];
    return {
        appName: service.appName,
        instanceCount: service.instanceCount,
        containerHttpPort: service.port ?? 80,
        exposeAsWebApp: exposed,
        forceSsl: exposed && settings.forceSsl,
        websocketSupport: false,
        envVars: service.env,
        httpAuth: service.exposure === "http-auth" ? settings.flowerAuth : undefined,
        hasPersistentData: volumes.length > 0,
        volumes,
        enableDeployToken: true,
        description: `${service.name} (${service.role}): ${service.process}`,
        healthPath: exposed ? service.health?.path : undefined,
        // The gate waits for this release (the image's digest) to answer: the health view reports it,
        // workers and beat log it when ready (the stand-in: app/config/health.py, app/config/release.py).
        // A health answer that names no release (Flower's; web's where the stack declares so) gets
        // none, and its gate counts 2xx answers after the deploy: the contract is explicit per app.
        releaseEnvVar: service.health?.reportsRelease === false ? "" : RELEASE_ENV_VAR,
        healthReportsRelease: service.health?.reportsRelease ?? false,
        deployTimeoutMs: settings.deployTimeoutSeconds * 1000,
        deleteVolumes: settings.deleteVolumes,
        rollbackOnFailure: settings.rollbackOnFailure,
        // Breaking migrations: the service serving the site must not run the old release against the new schema.
        serviceUpdateOverride: serviceUpdateOverride({
            scheduler: service.scheduler,
            hasMounts: volumes.length > 0,
            limits: service.limits,
            custom: service.serviceUpdateOverride,
            // A deploy stops a worker's old container no sooner than its tasks may run (and tells the policy pack so).
            drain: serviceDrain(service, drain),
            breakingRelease: release.migrations === "breaking" && service.name === "web",
        }),
        // The maintenance switch: nginx answers web's visitors a 503 page; the paths its gates ask still reach it.
        customNginxConfig: release.maintenance && service.name === "web" ? maintenanceNginxConfig(gatePaths(service, canary)) : "",
        adopt: settings.adoptExistingApps,
        allowReplace: settings.allowReplace,
    };
}

/** The paths of a service the deploy asks: its health path, and web's canary path where the canary runs. */
function gatePaths(service: ActiveService, canary: Pick<CanarySettings, "active" | "path"> | undefined): string[] {
    return [...(service.health ? [service.health.path] : []), ...(canary?.active && service.name === "web" ? [canary.path] : [])];
}

/**
 * The site's CapRover apps: one per active service, resource name = service name, so a profile
 * change keeps URNs (celery stays `celery` between celery-worker and celery-unified) and removes
 * the apps of services that are no longer active. Private-image pull credentials are registered
 * first.
 */
export class SiteApps extends pulumi.ComponentResource {
    /** The app resource per service. */
    public readonly apps: Record<string, caprover.App>;
    /** CapRover app name per service. */
    public readonly appNames: Record<string, string>;
    /** Public URL per service. */
    public readonly appUrls: Record<string, pulumi.Output<string>>;
    /** Image each app runs. */
    public readonly deployedImages: Record<string, pulumi.Output<string>>;
    /** App deploy token per service (secret), for `CAPROVER_<SERVICE>_APP_TOKEN`. */
    public readonly deployTokens: Record<string, pulumi.Output<string>>;
    /** The server's provider: every app and the registry entry go through it. */
    public readonly provider: caprover.Provider;
    /** The registry entry, when pull credentials were given. */
    public readonly registry?: caprover.Registry;
    /** The order the apps deploy in: groups of service names (see `deployOrder`). */
    public readonly deployOrder: string[][];
    /** The release tasks, in the order they run; every app's deploy waits for all of them. */
    public readonly releaseTasks: caprover.ReleaseTask[];
    /** The canary through the broker, after every app (absent where site:canary is off). */
    public readonly canary?: caprover.Canary;

    constructor(name: string, args: SiteAppsArgs, opts?: pulumi.ComponentResourceOptions) {
        // Formerly CapRoverApps: the alias keeps the running apps (its children) under their URNs.
        super("site:caprover:SiteApps", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "site:caprover:CapRoverApps" }] });
        const { services, settings } = args;
        // Config validation requires both for `pulumi up`; a preview without them shows the plan
        // with the server unknown (no request is made before create/update anyway).
        if (!settings.url || !settings.password) {
            pulumi.log.warn("CapRover server or password not set (site:caproverUrl / CAPROVER_SERVER, site:caproverPassword / CAPROVER_PASSWORD): previewing the apps without them", this);
        }
        const unknown = pulumi.output(pulumi.unknown) as pulumi.Output<string>;
        this.provider = new caprover.Provider(
            name,
            {
                url: settings.url ?? unknown,
                password: settings.password ?? unknown,
                probeAddress: settings.probeAddress,
            },
            { parent: this },
        );
        const children = { parent: this, provider: this.provider };
        this.registry = args.registry
            ? new caprover.Registry(
                  `${name}-registry`,
                  {
                      registryDomain: args.registry.server,
                      registryUser: args.registry.username,
                      registryPassword: pulumi.secret(args.registry.password),
                      registryImagePrefix: args.registry.imagePrefix,
                  },
                  children,
              )
            : undefined;
        this.releaseTasks = releaseTasks(args, children, this.registry);
        announceRelease(args.release, this.releaseTasks.length > 0, this);
        // Nothing of the release is deployed before its tasks succeeded; then the apps group by group.
        this.deployOrder = deployOrder(services, args.workersFirst ?? false);
        this.apps = {};
        for (const [i, group] of this.deployOrder.entries()) {
            const earlier = this.deployOrder.slice(0, i).flat().map((s) => this.apps[s]);
            for (const name of group) this.apps[name] = this.app(services.find((s) => s.name === name)!, args, [...(this.registry ? [this.registry] : []), ...this.releaseTasks, ...earlier]);
        }
        // The release is done once the pieces work together: a canary through the broker, after every app.
        this.canary = args.canary?.active ? canaryOf(args, args.canary, children, Object.values(this.apps)) : undefined;
        this.appNames = Object.fromEntries(services.map((s) => [s.name, s.appName]));
        this.appUrls = mapValues(this.apps, (a) => a.appUrl);
        this.deployedImages = mapValues(this.apps, (a) => a.deployedImage);
        this.deployTokens = mapValues(this.apps, (a) => pulumi.secret(a.deployToken));
        this.registerOutputs({ appNames: this.appNames, appUrls: this.appUrls, deployedImages: this.deployedImages, deployTokens: this.deployTokens, deployOrder: this.deployOrder });
    }

    /** One service's app, deployed after `after`. */
    private app(service: ActiveService, args: SiteAppsArgs, after: pulumi.Resource[]): caprover.App {
        const image = args.images[service.name];
        if (image === undefined) throw new Error(`no image for service ${service.name}`);
        const spec = appSpec(service, args.settings, args.release, args.drain, args.canary);
        // An app behind HTTP auth without a password can only be a preview (`up` refuses to
        // start without one): its auth is not known yet, rather than absent (which the policy
        // pack's flower-protected refuses).
        const httpAuth = spec.httpAuth ?? (service.exposure === "http-auth" ? (pulumi.output(pulumi.unknown) as pulumi.Output<never>) : undefined);
        return new caprover.App(
            service.name,
            { ...spec, image, envVars: appEnv(service, args), httpAuth: httpAuth && pulumi.secret(httpAuth) },
            { parent: this, provider: this.provider, dependsOn: after },
        );
    }
}

/**
 * The canary (config/canary.ts): web's canary path asked once every app of the release runs; the
 * worker's image is the release that must answer, beat's (its own app's, else the worker's it runs
 * in) the one whose heartbeat must be fresh.
 */
function canaryOf(args: SiteAppsArgs, canary: CanarySettings, children: pulumi.CustomResourceOptions, after: pulumi.Resource[]): caprover.Canary {
    const web = args.services.find((s) => s.name === "web")!;
    const worker = args.services.find((s) => s.worker)!;
    const beat = args.services.find((s) => s.scheduler && !s.worker);
    return new caprover.Canary(
        "canary",
        {
            appName: web.appName,
            path: canary.path,
            webImage: args.images.web,
            workerImage: args.images[worker.name],
            beatImage: beat ? args.images[beat.name] : "",
            beatHeartbeatMaxAgeS: canary.beatMaxAgeSeconds,
            deployTimeoutMs: args.settings.deployTimeoutSeconds * 1000,
        },
        { ...children, dependsOn: after },
    );
}

/**
 * A service's environment, as a secret: the stack's own (config refuses a REDIS_URL or a
 * CELERY_TASK_TIME_LIMIT there when derived), a worker's task time limit, then the broker's URL.
 */
function appEnv(service: ActiveService, args: Pick<SiteAppsArgs, "brokerUrl" | "drain">): pulumi.Output<Record<string, string>> {
    const limit = serviceDrain(service, args.drain).taskTimeLimitSeconds;
    const own = limit === undefined ? service.env : { ...service.env, [TASK_TIME_LIMIT_ENV_VAR]: String(limit) };
    const env = args.brokerUrl === undefined ? (pulumi.output(own) as pulumi.Output<Record<string, string>>) : pulumi.output(args.brokerUrl).apply((url): Record<string, string> => ({ ...own, [BROKER_ENV_VAR]: url }));
    return pulumi.secret(env);
}

/**
 * The release tasks: each in web's image of this release, with web's environment (the broker's URL
 * too), after the previous one (and the pull credentials, which its image may need). The resource
 * name is the task's, so a task keeps its record (and a release already done is not run again)
 * across profiles.
 */
function releaseTasks(args: SiteAppsArgs, children: pulumi.CustomResourceOptions, registry: caprover.Registry | undefined): caprover.ReleaseTask[] {
    const web = args.services.find((s) => s.name === "web");
    if (!web) throw new Error("no web service: every profile runs web, whose image the release tasks run in");
    let previous: pulumi.Resource[] = registry ? [registry] : [];
    return args.release.tasks.map((task) => {
        const resource = new caprover.ReleaseTask(
            `release-${task.name}`,
            {
                appName: task.appName,
                image: args.images.web,
                command: task.command,
                envVars: appEnv(web, args),
                deployTimeoutMs: args.settings.deployTimeoutSeconds * 1000,
            },
            { ...children, dependsOn: previous },
        );
        previous = [resource];
        return resource;
    });
}

/**
 * What the release's migrations mean for the overlap, said in every preview: start-first web runs
 * the previous release against the new schema until the new one is up; breaking ones update web
 * stop-first (its serviceUpdateOverride's UpdateConfig.Order shows in the diff).
 */
function announceRelease(release: SiteAppsArgs["release"], hasTasks: boolean, on: pulumi.Resource): void {
    if (release.maintenance) {
        pulumi.log.warn("site:maintenance is on: visitors of web get a static 503 maintenance page (web's customNginxConfig); set it to false to serve the site again", on);
    }
    if (release.migrations === "breaking") {
        pulumi.log.warn(
            "site:release.migrations is breaking: web updates stop-first for this release (a short outage while the new release starts; no old code against the new schema). " +
                "Set it back to compatible for the next release",
            on,
        );
    } else if (hasTasks) {
        pulumi.log.info(
            "site:release.migrations is compatible: while web updates start-first, the previous release serves against the new schema; if these migrations break it, set site:release.migrations to breaking",
            on,
        );
    }
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
