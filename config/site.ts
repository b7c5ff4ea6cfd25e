/**
 * The `site:` configuration: read, validated and turned into the settings the components take.
 *
 * Pulumi.yaml declares every key with its type, description and default; this module reads the
 * site section (profile, app repository, per-service overrides) and calls each section's reader
 * (images, CapRover, GitHub). Nothing here registers a resource, so a bad stack file fails before
 * anything changes.
 */
import { ACCESSORY_SECRET_KEYS, AccessorySettings, readAccessories } from "./accessories";
import { CanarySettings, readCanary } from "./canary";
import { CAPROVER_SECRET_KEYS, CapRoverSettings, readCapRoverSettings } from "./caprover";
import { CeleryContractSettings, readCeleryContract } from "./celeryContract";
import { declarations } from "./declarations";
import { DrainSettings, readDrain } from "./drain";
import type { ProgramEnv } from "./env";
import { GITHUB_SECRET_KEYS, GithubSettings, readGithubSettings } from "./github";
import { BuildSettings, RegistrySettings, isLoopbackRegistry, readBuild, readRegistry } from "./images";
import { APP_NAME, APP_NAME_ACCEPTED, ENV_NAME, GITHUB_LOGIN, REPO_NAME } from "./names";
import { readLimits } from "./limits";
import { checkOrder, readServiceUpdateOverride } from "./serviceUpdateOverride";
import { OnDemandSettings, readOnDemand } from "./onDemand";
import { ReleaseSettings, readRelease } from "./release";
import { ConfigReader, RawConfig, isInteger, isPlainObject, integerAccepted, show } from "./reader";
import { ActiveService, PROFILE_NAMES, ProfileName, SERVICE_NAMES, ServiceName, ServiceOverride, profileServices, resolveServices, servesHealth } from "./topology";

/** The fields of `site:services.<service>` (each documented on `ServiceOverride`, config/topology.ts). */
export const OVERRIDE_FIELDS = ["appName", "instanceCount", "env", "off", "limits", "healthReportsRelease", "serviceUpdateOverride"] as const;

/** The validated configuration of one stack. */
export interface SiteConfig {
    /** Stack name. */
    stack: string;
    /** Active topology profile. */
    profile: ProfileName;
    /** The active services: the seam everything else derives from. */
    services: ActiveService[];
    /** Services added to the profile for a while (`site:onDemand`), and until when. */
    onDemand: OnDemandSettings;
    /** The app repository on GitHub. */
    github: { owner: string; repository: string };
    /** Image registry settings. */
    registry: RegistrySettings;
    /** Image build settings. */
    build: BuildSettings;
    /** What this stack manages on the app repository's GitHub side. */
    githubSide: GithubSettings;
    /** Plugins a preview does without (parts needing them are left out, with a warning); empty for `up`. */
    previewWithout: string[];
    /** The CapRover apps: whether managed, the server, deploy timeout, Flower's auth, volumes. */
    caprover: CapRoverSettings;
    /** Accessories (`site:accessories`, e.g. monitoring): apps run from pinned public images beside the site's. */
    accessories: AccessorySettings;
    /** The release's Celery contract (task names, beat's schedule) from the committed file (`site:celeryContract`). */
    celery: CeleryContractSettings;
    /** `site:celeryTaskTimeLimit`: how long a Celery task may run, so how long a worker's container may take to stop (config/drain.ts). */
    drain: DrainSettings;
    /** `site:release`, the one release being deployed: its tasks (run once before any app is deployed), whether its migrations are compatible, the Celery task names it removes; and `site:maintenance`. */
    release: ReleaseSettings;
    /** `site:canary`: the canary through the broker the deploy asks once the release's apps run (config/canary.ts). */
    canary: CanarySettings;
    /** Settings kept but ignored because the profile does not run their service, e.g. `site:services.flower`. */
    inactive: string[];
}

/** Validates raw `site:` configuration; throws a ConfigError naming every bad key. */
export function parseSiteConfig(stack: string, raw: RawConfig, env: ProgramEnv = {}): SiteConfig {
    const r = new ConfigReader("site", raw, declarations(), new Set(["registryToken", ...CAPROVER_SECRET_KEYS, ...GITHUB_SECRET_KEYS, ...ACCESSORY_SECRET_KEYS]), env.encryptedKeys && new Set(env.encryptedKeys));
    const config = readSiteConfig(r, stack, env);
    r.finish();
    return { ...config, inactive: r.inactiveKeys() };
}

/** The one warning a run gives about inactive settings, or undefined when there are none. */
export function inactiveWarning(config: Pick<SiteConfig, "profile" | "services" | "inactive">): string | undefined {
    if (config.inactive.length === 0) return undefined;
    const running = config.services.map((s) => `${s.name} (${s.target})`).join(", ");
    return `profile "${config.profile}" runs ${running}; these settings are for services or targets it does not run, kept and ignored until a profile runs them: ${config.inactive.join(", ")}`;
}

/**
 * The warning of a stack that builds without registry credentials, or undefined: a preview builds
 * nothing, so it needs none, and `pulumi up` refuses to start without them. A registry on loopback
 * (this machine's) takes pushes without any, so it gets no warning.
 */
export function credentialsWarning(config: Pick<SiteConfig, "build" | "registry">): string | undefined {
    if (!config.build.enabled || config.registry.token !== undefined || isLoopbackRegistry(config.registry.server)) return undefined;
    return `no credentials for ${config.registry.server} (site:registryToken or GITHUB_TOKEN): \`pulumi up\` will refuse to build until one is set`;
}

/** Every `site:` key the program reads (Pulumi.yaml must declare exactly these). */
export function siteConfigKeys(): string[] {
    const r = new ConfigReader("site", {}, declarations());
    readSiteConfig(r, "keys", {});
    return r.keys();
}

/** Every service whose image this stack pushes (release-only ones included): the registry names and cleans their packages. */
export function pushedServices(config: Pick<SiteConfig, "services" | "build">): ActiveService[] {
    return [...config.services, ...config.build.releaseOnly];
}

function readSiteConfig(r: ConfigReader, stack: string, env: ProgramEnv): Omit<SiteConfig, "inactive"> {
    const profile = r.oneOf("topology", PROFILE_NAMES);
    const owner = r.string("githubOwner", { required: true, pattern: GITHUB_LOGIN, accepted: "a GitHub user or organisation name, e.g. aaronspindler" }) ?? "";
    const repository = r.string("appRepository", { required: true, pattern: REPO_NAME, accepted: "the app repository's name, e.g. aaronspindler.com" }) ?? "";
    const registry = readRegistry(r, { owner, repository }, env);
    const singleTarget = r.string("singleTarget", { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, accepted: "a Dockerfile stage name" });
    if (profile === "single" && !singleTarget) {
        r.complain("singleTarget", "is required by profile \"single\": the Dockerfile target that runs web, worker and beat in one container (the real Dockerfile has no such stage)");
    }
    const appNamePrefix = r.string("appNamePrefix", { pattern: /^[a-z0-9][a-z0-9-]*$/, accepted: "lowercase letters, digits and '-', e.g. dev-" }) ?? "";
    const buildArgs = r.stringMap("buildArgs", ENV_NAME, "a build arg name");
    const shared = { singleTarget, appNamePrefix, buildArgs };
    const onDemand = readOnDemand(r, { building: r.boolean("build"), now: env.now ?? new Date() });
    const services = resolveServices({ ...shared, profile, overrides: readOverrides(r, profile), onDemand: onDemand.live });
    checkServices(r, services);
    const caprover = readCapRoverSettings(r, services, env);
    for (const s of services) checkOrder(r, s, (caprover.volumes[s.name] ?? []).length > 0);
    const build = readBuild(r, { stack, services, resolve: shared }, registry, env);
    // A promoted release brings its source's recorded contract, a rollback tag none known here.
    const fromCheckout = caprover.enabled && (build.enabled || (build.release.promoteFrom === undefined && build.release.releaseTag === undefined));
    return {
        stack,
        profile,
        services,
        onDemand,
        github: { owner, repository },
        registry,
        build,
        githubSide: { ...readGithubSettings(r, env), ...(env.GITHUB_TOKEN ? { token: env.GITHUB_TOKEN } : {}) },
        caprover,
        release: readRelease(r, appNamePrefix, services.map((s) => s.appName)),
        drain: readDrain(r, services),
        canary: readCanary(r, services, caprover.enabled),
        accessories: readAccessories(r, { appNamePrefix, services, caprover: caprover.enabled }, env),
        celery: readCeleryContract(r, { context: build.context, fromCheckout }),
        // Only a preview may leave parts out: `pulumi up` must never silently drop resources.
        previewWithout: env.pushing ? [] : env.unavailablePlugins ?? [],
    };
}

/**
 * Reads `site:services`: per-service overrides. Those for catalogue services the profile does not
 * run are checked all the same, then kept aside (inactive), so a profile flip needs no other edit.
 */
function readOverrides(r: ConfigReader, profile: ProfileName): Partial<Record<ServiceName, ServiceOverride>> {
    const raw = r.object("services")!;
    const running = profileServices(profile);
    const out: Partial<Record<ServiceName, ServiceOverride>> = {};
    for (const [service, value] of Object.entries(raw)) {
        const key = `services.${service}`;
        if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
            r.fail(key, service, `a service name: ${SERVICE_NAMES.join(", ")}`);
            continue;
        }
        if (!isPlainObject(value)) {
            r.fail(key, value, `an object with ${OVERRIDE_FIELDS.join(", ")}`);
            continue;
        }
        const override = readOverride(r, key, service, value);
        if (running.includes(service as ServiceName)) out[service as ServiceName] = override;
        else r.inactive(key);
    }
    if (out.web?.off) r.complain("services.web.off", "web cannot be turned off; pick a profile instead (every profile runs web)");
    return out;
}

function readOverride(r: ConfigReader, key: string, service: string, value: Record<string, unknown>): ServiceOverride {
    const o: ServiceOverride = {};
    for (const [field, v] of Object.entries(value)) {
        const at = `${key}.${field}`;
        switch (field) {
            case "healthReportsRelease": {
                // The health answer's contract: it names the release (the gate waits for it), or not
                // (the gate counts 2xx answers after the deploy). Only a service with an HTTP health check has one.
                const service = key.slice("services.".length) as ServiceName;
                if (typeof v !== "boolean") r.fail(at, v, "true or false");
                else if (!servesHealth(service)) r.complain(at, `is not accepted; ${service} has no HTTP health check (its gate reads its ready line in CapRover's logs), so there is no health answer to declare`);
                else o.healthReportsRelease = v;
                break;
            }
            case "appName":
                if (typeof v === "string" && APP_NAME.test(v)) o.appName = v;
                else r.fail(at, v, `a CapRover app name: ${APP_NAME_ACCEPTED}`);
                break;
            case "instanceCount":
                if (isInteger(v, 1)) o.instanceCount = v;
                else r.fail(at, v, integerAccepted(1));
                break;
            case "env":
                // Values may be secrets (`pulumi config set --secret --path ...`): never shown.
                if (isPlainObject(v)) o.env = readEnv(r, at, v);
                else r.complain(at, "is not accepted; expected an object of environment variables (NAME: value)");
                break;
            case "off":
                if (typeof v === "boolean") o.off = v;
                else r.fail(at, v, "true or false");
                break;
            case "limits":
                o.limits = readLimits(r, at, v);
                break;
            case "serviceUpdateOverride": {
                const override = readServiceUpdateOverride(r, at, service, v);
                if (override) o.serviceUpdateOverride = override;
                break;
            }
            default:
                r.complain(at, `unknown field; accepted fields are ${OVERRIDE_FIELDS.join(", ")}`);
        }
    }
    return o;
}

/** Environment variables: names checked and shown, values checked and never shown. */
function readEnv(r: ConfigReader, at: string, value: Record<string, unknown>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, v] of Object.entries(value)) {
        if (!ENV_NAME.test(name)) r.complain(at, `key ${show(name)} is not accepted; expected an environment variable name (letters, digits, '_', not starting with a digit)`);
        else if (typeof v !== "string") r.complain(`${at}.${name}`, "is not accepted; expected a string (quote numbers and booleans; `pulumi config set --path` stores 1 or true as a number or a boolean unless given `--type string`)");
        else env[name] = v;
    }
    return env;
}

/** One scheduler container per scheduler role; derived app names (prefix + service) valid and unique. */
function checkServices(r: ConfigReader, services: ActiveService[]): void {
    for (const s of services.filter((s) => s.scheduler && s.instanceCount !== 1)) {
        r.complain(`services.${s.name}.instanceCount`, `${s.instanceCount} is not accepted; ${s.name} runs the beat scheduler (role ${s.role}), and a second container would run every periodic task twice; expected 1`);
    }
    const owners = new Map<string, ServiceName>();
    for (const s of services) {
        if (!APP_NAME.test(s.appName)) {
            r.complain(`services.${s.name}.appName`, `${show(s.appName)} (from site:appNamePrefix + service name) is not a valid CapRover app name; expected ${APP_NAME_ACCEPTED}`);
        }
        const other = owners.get(s.appName);
        if (other) r.complain(`services.${s.name}.appName`, `${show(s.appName)} is already the app name of service ${other}; app names must be unique`);
        owners.set(s.appName, s.name);
    }
}
