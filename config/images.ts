/**
 * The images section of the `site:` configuration: where images live and how long they are kept,
 * how they are built (or which digests are taken instead), and where a stack that does not build
 * takes its images from (promotion, rollback, re-tagging).
 */
import type { ProgramEnv } from "./env";
import { COMMIT, DIGEST_REF, GITHUB_LOGIN } from "./names";
import { ConfigReader, isPlainObject, show } from "./reader";
import { ActiveService, PROFILE_NAMES, ProfileName, SERVICE_NAMES, ServiceName, releaseOnlyServices, resolveServices, serviceTargets } from "./topology";

/**
 * GHCR repositories are lowercase: ghcr.io/<owner>/<name>. A registry on 127.0.0.1 is accepted too,
 * for real builds on one machine (scripts/ensure-builder.sh starts one).
 */
const IMAGE_PREFIX = /^(ghcr\.io|127\.0\.0\.1:[0-9]{1,5})\/[a-z0-9]([a-z0-9-]*[a-z0-9])?\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
const IMAGE_PREFIX_ACCEPTED = "ghcr.io/<owner>/<name> in lowercase, e.g. ghcr.io/aaronspindler/aaronspindler.com, or 127.0.0.1:<port>/<owner>/<name> for a registry on this machine";

/** True for a registry on this machine (plain HTTP, no credentials, no GitHub Actions cache). */
export function isLoopbackRegistry(server: string): boolean {
    return server.startsWith("127.0.0.1:");
}

/** Where images live and how long they are kept. */
export interface RegistrySettings {
    /** Registry host: ghcr.io, or 127.0.0.1:<port> (derived from the image prefix). */
    server: string;
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

/** Where a stack that does not build takes its images from. */
export interface ReleaseSettings {
    /** Stack whose exported images are deployed (`site:promoteFrom`). */
    promoteFrom?: string;
    /** Tag whose images are deployed instead, each resolved to its digest: a rollback (`site:releaseTag`). */
    releaseTag?: string;
    /** Re-tag the deployed digests in GHCR with this stack's name and the source commit (`site:retagPromoted`). */
    retag: boolean;
}

/** How images are built, or which digests are taken instead. */
export interface BuildSettings {
    /** Build images (false: deploy the digests given in `digests`). */
    enabled: boolean;
    /** Dockerfile path, relative to the build context. */
    dockerfile: string;
    /** Build context directory. */
    context: string;
    /** buildx builder instance to build with (`site:builder`); default: the current one. */
    builder?: string;
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
    /** Profiles whose images this stack builds without running them (`site:releaseProfiles`): the opt-out promotion checks. */
    releaseProfiles: ProfileName[];
}

/** The app repository on GitHub, which names the images by default. */
export interface AppRepository {
    owner: string;
    repository: string;
}

/** Reads the registry keys; the image prefix and user default to the app repository's. */
export function readRegistry(r: ConfigReader, app: AppRepository, env: ProgramEnv): RegistrySettings {
    const imagePrefix = r.string("imagePrefix", { pattern: IMAGE_PREFIX, accepted: IMAGE_PREFIX_ACCEPTED }) ?? `ghcr.io/${app.owner}/${app.repository}`.toLowerCase();
    const server = imagePrefix.split("/")[0];
    return {
        server,
        imagePrefix,
        username: r.string("registryUser", { pattern: GITHUB_LOGIN, accepted: "a GitHub user name" }) ?? app.owner,
        // CI's GITHUB_TOKEN is GHCR's credential: never sent to whatever listens on a loopback port.
        token: r.secret("registryToken") ?? (isLoopbackRegistry(server) ? undefined : env.GITHUB_TOKEN),
        keepVersions: r.integer("keepVersions"),
        keepUntagged: r.integer("keepUntagged", 0),
    };
}

/** What the build section needs of the site section. */
export interface BuildContext {
    /** This stack's name. */
    stack: string;
    /** The active services. */
    services: ActiveService[];
    /** Inputs of `resolveServices` shared by every profile (release profiles are resolved with them). */
    resolve: { singleTarget?: string; appNamePrefix: string; buildArgs: Record<string, string> };
}

/** Reads the build keys: building or given digests, release settings and release-only images. */
export function readBuild(r: ConfigReader, { stack, services, resolve }: BuildContext, registry: RegistrySettings, env: ProgramEnv): BuildSettings {
    const enabled = r.boolean("build");
    const build: BuildSettings = {
        enabled,
        dockerfile: r.string("dockerfile")!,
        context: r.string("buildContext")!,
        builder: r.string("builder", { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, accepted: "a buildx builder instance name, e.g. site-local" }),
        platform: r.string("platform", { pattern: /^[a-z0-9]+\/[a-z0-9]+(\/v[0-9])?$/, accepted: "an OS/architecture pair, e.g. linux/amd64" })!,
        cacheScope: r.string("cacheScope", { pattern: /^[a-z0-9][a-z0-9._-]*$/, accepted: "lowercase letters, digits, '.', '_' and '-'" })!,
        commitSha: r.string("commitSha", { pattern: COMMIT, accepted: "a commit SHA (7 to 40 lowercase hex digits)" }) ?? env.GITHUB_SHA,
        digests: readDigests(r, services, resolve.singleTarget),
        release: readRelease(r, stack, enabled),
        releaseOnly: [],
        releaseProfiles: [],
    };
    const releaseProfiles = r.stringList("releaseProfiles", { accepted: `a list of profiles: ${PROFILE_NAMES.join(", ")}` });
    const others: ActiveService[] = [];
    for (const [i, p] of releaseProfiles.entries()) {
        if (!PROFILE_NAMES.includes(p as ProfileName)) r.fail(`releaseProfiles[${i}]`, p, `one of ${PROFILE_NAMES.join(", ")}`);
        else if (p === "single" && !resolve.singleTarget) r.complain(`releaseProfiles[${i}]`, "\"single\" needs site:singleTarget, the Dockerfile target that runs web, worker and beat in one container");
        else if (!enabled) r.complain(`releaseProfiles[${i}]`, "applies to a stack that builds images (site:build is false here)");
        else {
            others.push(...resolveServices({ ...resolve, profile: p as ProfileName, overrides: {} }));
            build.releaseProfiles.push(p as ProfileName);
        }
    }
    build.releaseOnly = releaseOnlyServices(services, others);
    if (build.enabled && env.pushing && registry.token === undefined && !isLoopbackRegistry(registry.server)) {
        r.complain("registryToken", "is required to push images: set it with `pulumi config set --secret site:registryToken <token>`, export GITHUB_TOKEN, or set site:build to false");
    }
    if (!build.enabled && !build.release.promoteFrom && !build.release.releaseTag) {
        for (const s of services) {
            if (!build.digests[s.name]) {
                r.complain(
                    `imageDigests.${s.name}`,
                    `is required when site:build is false: the image to deploy for ${s.name} (target ${s.target}), as <image>@sha256:<64 hex digits>, or per target as site:imageDigests.${s.name}.${s.target} (or set site:promoteFrom or site:releaseTag)`,
                );
            }
        }
    }
    return build;
}

/** Reads the release keys; `building` is `site:build`, `stack` this stack's name. */
function readRelease(r: ConfigReader, stack: string, building: boolean): ReleaseSettings {
    const settings: ReleaseSettings = {
        promoteFrom: r.string("promoteFrom", {
            pattern: /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+){0,2}$/,
            accepted: "a stack name: <stack>, <org>/<stack> or <org>/<project>/<stack>, e.g. dev",
        }),
        releaseTag: r.string("releaseTag", { pattern: COMMIT, accepted: "the commit SHA of an earlier build, as its images were tagged (<target>-<sha>; CI tags with the full 40-digit SHA)" }),
        retag: r.boolean("retagPromoted"),
    };
    if (building) {
        const why = "applies to a stack that deploys given images; this stack builds them (set site:build to false)";
        if (settings.promoteFrom !== undefined) r.complain("promoteFrom", why);
        if (settings.releaseTag !== undefined) r.complain("releaseTag", why);
        if (settings.retag) r.complain("retagPromoted", why);
    }
    if (settings.promoteFrom !== undefined && settings.promoteFrom.split("/").pop() === stack) {
        r.complain("promoteFrom", `names this stack (${stack}); name the stack that builds the images, e.g. dev`);
    }
    return settings;
}

/** True when a non-building stack takes its images from a source stack or a tag, or re-tags them. */
export function releasing(settings: ReleaseSettings): boolean {
    return settings.promoteFrom !== undefined || settings.releaseTag !== undefined || settings.retag;
}

/**
 * Reads `site:imageDigests`: given images by digest, per service either one image or one per
 * Dockerfile target (`{celery-worker: ..., celery-unified: ...}`), so a stack can hold the images
 * of every profile and a flip picks the right one. Images of services (or targets) the profile
 * does not run are kept aside (inactive); names outside the catalogue fail.
 */
function readDigests(r: ConfigReader, services: ActiveService[], singleTarget: string | undefined): Partial<Record<ServiceName, string>> {
    const raw = r.object("imageDigests")!;
    const out: Partial<Record<ServiceName, string>> = {};
    const accepted = "an image by digest, <image>@sha256:<64 hex digits>";
    const ref = (key: string, value: unknown, what = accepted): string | undefined => {
        if (typeof value === "string" && DIGEST_REF.test(value)) return value;
        r.fail(key, value, what);
        return undefined;
    };
    for (const [service, value] of Object.entries(raw)) {
        const key = `imageDigests.${service}`;
        if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
            r.fail(key, service, `a service name: ${SERVICE_NAMES.join(", ")}`);
            continue;
        }
        const active = services.find((s) => s.name === service);
        if (!isPlainObject(value)) {
            const given = ref(key, value, `${accepted}, or one per Dockerfile target: {<target>: <image>@sha256:...}`);
            if (given && active) out[active.name] = given;
            else if (given) r.inactive(key);
            continue;
        }
        const targets = serviceTargets(service as ServiceName, singleTarget);
        for (const [target, v] of Object.entries(value)) {
            const at = `${key}.${target}`;
            if (!targets.includes(target)) {
                r.complain(key, `key ${show(target)} is not accepted; expected a Dockerfile target ${service} is built from: ${targets.join(", ")}`);
                continue;
            }
            const given = ref(at, v);
            if (given && active?.target === target) out[active.name] = given;
            else if (given) r.inactive(at);
        }
    }
    return out;
}
