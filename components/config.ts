/**
 * The `site:` configuration: read, validated and turned into the settings the components take.
 *
 * Pulumi.yaml declares every key with its type, description and default; this module checks values
 * and derives the active service list. Nothing here registers a resource, so a bad stack file fails
 * before anything changes.
 */
import { ConfigReader, RawConfig, isInteger, isPlainObject, integerAccepted, show } from "./configReader";
import { APP_NAME, APP_NAME_ACCEPTED, COMMIT, DIGEST_REF, ENV_NAME, GITHUB_LOGIN } from "./names";
import {
    ActiveService,
    PROFILE_NAMES,
    ProfileName,
    SERVICE_NAMES,
    ServiceName,
    ServiceOverride,
    profileServices,
    releaseOnlyServices,
    resolveServices,
} from "./topology";
import { GithubSettings, readGithubSettings } from "./github/settings";
import { ReleaseSettings, readRelease } from "./release";
import { CAPROVER_SECRET_KEYS, CapRoverSettings, readCapRoverSettings } from "./caprover/settings";

/** GHCR repositories are lowercase: ghcr.io/<owner>/<name>. */
const IMAGE_PREFIX = /^ghcr\.io\/[a-z0-9]([a-z0-9-]*[a-z0-9])?\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
const IMAGE_PREFIX_ACCEPTED = "ghcr.io/<owner>/<name> in lowercase, e.g. ghcr.io/aaronspindler/aaronspindler.com";
const REPO_NAME = /^[A-Za-z0-9._-]+$/;
const OVERRIDE_FIELDS = ["appName", "instanceCount", "env", "off"] as const;

/** Where images live and how long they are kept. */
export interface RegistrySettings {
    /** Registry host. */
    server: "ghcr.io";
    /** Image name prefix; each service's image is `<prefix>-<service>`. */
    imagePrefix: string;
    /** User the registry token belongs to. */
    username: string;
    /** Registry token (secret config, else the CI's token); plaintext only inside this process. */
    token?: string;
    /** Image versions kept per package by the cleanup. */
    keepVersions: number;
    /** Untagged versions kept per package by the cleanup. */
    keepUntagged: number;
}

/** How images are built, or which digests are taken instead. */
export interface BuildSettings {
    /** Build images (false: deploy the digests given in `digests`). */
    enabled: boolean;
    /** Dockerfile path, relative to the build context. */
    dockerfile: string;
    /** Build context directory. */
    context: string;
    /** Target platform. */
    platform: string;
    /** Cache scope; each service caches under `<scope>-<service>`. */
    cacheScope: string;
    /** Commit SHA the images are tagged with, when known. */
    commitSha?: string;
    /** Given image references by digest, when not building. */
    digests: Partial<Record<ServiceName, string>>;
    /** When not building: promotion from another stack, a rollback tag, re-tagging. */
    release: ReleaseSettings;
    /** Images built only for stacks that promote from this one and run other profiles (`site:releaseProfiles`). */
    releaseOnly: ActiveService[];
}

/** The validated configuration of one stack. */
export interface SiteConfig {
    /** Stack name. */
    stack: string;
    /** Active topology profile. */
    profile: ProfileName;
    /** The active services: the seam everything else derives from. */
    services: ActiveService[];
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
}

/** Environment the program reads (the CI's token and commit). */
export interface ProgramEnv {
    /** CI token, the registry token's fallback. */
    GITHUB_TOKEN?: string;
    /** CI commit, the image tag's fallback. */
    GITHUB_SHA?: string;
    /** CapRover dashboard URL, `site:caproverUrl`'s fallback (the pipeline's secret of that name). */
    CAPROVER_SERVER?: string;
    /** CapRover dashboard password, `site:caproverPassword`'s fallback. */
    CAPROVER_PASSWORD?: string;
    /** Flower's basic-auth password, `site:flowerPassword`'s fallback. */
    FLOWER_PASSWORD?: string;
    /** True when the run will push (`pulumi up`): then building needs registry credentials. */
    pushing?: boolean;
    /** `site:` keys the engine holds encrypted; when given, secret keys stored in plaintext are rejected. */
    encryptedKeys?: string[];
    /** Resource plugins this machine lacks (`SITE_UNAVAILABLE_PLUGINS`, set by scripts/preview.sh). */
    unavailablePlugins?: string[];
}

/** Validates raw `site:` configuration; throws a ConfigError naming every bad key. */
export function parseSiteConfig(stack: string, raw: RawConfig, env: ProgramEnv = {}): SiteConfig {
    const r = new ConfigReader("site", raw, new Set(["registryToken", ...CAPROVER_SECRET_KEYS]), env.encryptedKeys && new Set(env.encryptedKeys));
    const config = readSiteConfig(r, stack, env);
    r.finish();
    return config;
}

/** Every `site:` key the program reads (Pulumi.yaml must declare exactly these). */
export function siteConfigKeys(): string[] {
    const r = new ConfigReader("site", {});
    readSiteConfig(r, "keys", {});
    return r.keys();
}

function readSiteConfig(r: ConfigReader, stack: string, env: ProgramEnv): SiteConfig {
    const profile = r.oneOf("topology", PROFILE_NAMES, "unified");
    const owner = r.string("githubOwner", { required: true, pattern: GITHUB_LOGIN, accepted: "a GitHub user or organisation name, e.g. aaronspindler" }) ?? "";
    const repository = r.string("appRepository", { required: true, pattern: REPO_NAME, accepted: "the app repository's name, e.g. aaronspindler.com" }) ?? "";
    const imagePrefix = r.string("imagePrefix", { pattern: IMAGE_PREFIX, accepted: IMAGE_PREFIX_ACCEPTED }) ?? `ghcr.io/${owner}/${repository}`.toLowerCase();
    const singleTarget = r.string("singleTarget", { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, accepted: "a Dockerfile stage name" });
    if (profile === "single" && !singleTarget) {
        r.complain("singleTarget", "is required by profile \"single\": the Dockerfile target that runs web, worker and beat in one container (the real Dockerfile has no such stage)");
    }
    const appNamePrefix = r.string("appNamePrefix", { pattern: /^[a-z0-9][a-z0-9-]*$/, accepted: "lowercase letters, digits and '-', e.g. dev-" }) ?? "";
    const buildArgs = r.stringMap("buildArgs", ENV_NAME, "a build arg name");
    const services = resolveServices({ profile, singleTarget, appNamePrefix, buildArgs, overrides: readOverrides(r, profile) });
    checkServices(r, services);

    const enabled = r.boolean("build", true);
    const build: BuildSettings = {
        enabled,
        dockerfile: r.string("dockerfile") ?? "deployment/Dockerfile.multistage",
        context: r.string("buildContext") ?? "app",
        platform: r.string("platform", { pattern: /^[a-z0-9]+\/[a-z0-9]+(\/v[0-9])?$/, accepted: "an OS/architecture pair, e.g. linux/amd64" }) ?? "linux/amd64",
        cacheScope: r.string("cacheScope", { pattern: /^[a-z0-9][a-z0-9._-]*$/, accepted: "lowercase letters, digits, '.', '_' and '-'" }) ?? "main",
        commitSha: r.string("commitSha", { pattern: COMMIT, accepted: "a commit SHA (7 to 40 lowercase hex digits)" }) ?? env.GITHUB_SHA,
        digests: readDigests(r, services),
        release: readRelease(r, stack, enabled),
        releaseOnly: [],
    };
    const releaseProfiles = r.stringList("releaseProfiles", [], { accepted: `a list of profiles: ${PROFILE_NAMES.join(", ")}` });
    for (const [i, p] of releaseProfiles.entries()) {
        if (!PROFILE_NAMES.includes(p as ProfileName)) r.fail(`releaseProfiles[${i}]`, p, `one of ${PROFILE_NAMES.join(", ")}`);
        else if (p === "single" && !singleTarget) r.complain(`releaseProfiles[${i}]`, "\"single\" needs site:singleTarget, the Dockerfile target that runs web, worker and beat in one container");
        else if (!enabled) r.complain(`releaseProfiles[${i}]`, "applies to a stack that builds images (site:build is false here)");
        else build.releaseOnly.push(...resolveServices({ profile: p as ProfileName, singleTarget, appNamePrefix, buildArgs, overrides: {} }));
    }
    build.releaseOnly = releaseOnlyServices(services, build.releaseOnly);
    const token = r.secret("registryToken") ?? env.GITHUB_TOKEN;
    if (build.enabled && env.pushing && token === undefined) {
        r.complain("registryToken", "is required to push images: set it with `pulumi config set --secret site:registryToken <token>`, export GITHUB_TOKEN, or set site:build to false");
    }
    if (!build.enabled && !build.release.promoteFrom && !build.release.releaseTag) {
        for (const s of services) {
            if (!build.digests[s.name]) r.complain(`imageDigests.${s.name}`, `is required when site:build is false: the image to deploy for ${s.name}, as <image>@sha256:<64 hex digits> (or set site:promoteFrom or site:releaseTag)`);
        }
    }
    return {
        stack,
        profile,
        services,
        github: { owner, repository },
        registry: {
            server: "ghcr.io",
            imagePrefix,
            username: r.string("registryUser", { pattern: GITHUB_LOGIN, accepted: "a GitHub user name" }) ?? owner,
            token,
            keepVersions: r.integer("keepVersions", 5),
            keepUntagged: r.integer("keepUntagged", 1, 0),
        },
        build,
        githubSide: readGithubSettings(r),
        caprover: readCapRoverSettings(r, services, env),
        // Only a preview may leave parts out: `pulumi up` must never silently drop resources.
        previewWithout: env.pushing ? [] : env.unavailablePlugins ?? [],
    };
}

/** Reads `site:services`: per-service overrides, each for a service the profile runs. */
function readOverrides(r: ConfigReader, profile: ProfileName): Partial<Record<ServiceName, ServiceOverride>> {
    const raw = r.object("services") ?? {};
    const running = profileServices(profile);
    const out: Partial<Record<ServiceName, ServiceOverride>> = {};
    for (const [service, value] of Object.entries(raw)) {
        const key = `services.${service}`;
        if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
            r.fail(key, service, `a service name: ${SERVICE_NAMES.join(", ")}`);
            continue;
        }
        if (!running.includes(service as ServiceName)) {
            r.complain(key, `profile "${profile}" does not run ${service}; it runs ${running.join(", ")} (remove the override or change site:topology)`);
            continue;
        }
        if (!isPlainObject(value)) {
            r.fail(key, value, `an object with ${OVERRIDE_FIELDS.join(", ")}`);
            continue;
        }
        out[service as ServiceName] = readOverride(r, key, value);
    }
    if (out.web?.off) r.complain("services.web.off", "web cannot be turned off; pick a profile instead (every profile runs web)");
    return out;
}

function readOverride(r: ConfigReader, key: string, value: Record<string, unknown>): ServiceOverride {
    const o: ServiceOverride = {};
    for (const [field, v] of Object.entries(value)) {
        const at = `${key}.${field}`;
        switch (field) {
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
        else if (typeof v !== "string") r.complain(`${at}.${name}`, "is not accepted; expected a string (quote numbers and booleans)");
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

/** Reads `site:imageDigests`: given images by digest, for active services only. */
function readDigests(r: ConfigReader, services: ActiveService[]): Partial<Record<ServiceName, string>> {
    const raw = r.stringMap("imageDigests");
    const out: Partial<Record<ServiceName, string>> = {};
    for (const [service, ref] of Object.entries(raw)) {
        const key = `imageDigests.${service}`;
        if (!services.some((s) => s.name === service)) {
            r.complain(key, `no active service is called ${show(service)}; active services are ${services.map((s) => s.name).join(", ")}`);
        } else if (!DIGEST_REF.test(ref)) {
            r.fail(key, ref, "an image by digest, <image>@sha256:<64 hex digits>");
        } else {
            out[service as ServiceName] = ref;
        }
    }
    return out;
}
