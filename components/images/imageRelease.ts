/**
 * Promotion and rollback: a stack that does not build deploys images that another stack built and
 * tested (read through a StackReference), or the images of a named tag (a rollback), each resolved
 * to a digest. Optionally it re-tags what it deploys in GHCR, as the real pipeline re-tagged tested
 * images.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import type { CeleryContract } from "../../config/celeryContract";
import type { ReleaseSettings } from "../../config/images";
import { COMMIT, DIGEST_REF } from "../../config/names";
import type { ActiveService, ProfileName, ServiceName } from "../../config/topology";
import { GhcrRegistry } from "./ghcrRegistry";

/** The stack output every stack exports and a promoting stack reads. */
export const RELEASE_OUTPUT = "release";

/** What a stack exports about its images, so another stack can promote them. */
export interface ReleaseManifest {
    /** Commit the images were built from, when known. */
    commitSha?: string;
    /** Profile the stack ran these images under. */
    profile?: ProfileName;
    /** True when every image in `images` runs on the stack's CapRover apps (health-gated deploys). */
    deployed?: boolean;
    /** Per service: the image by digest and the Dockerfile target it was built from. */
    images: Record<string, { target: string; ref: string }>;
    /** Images built for promoting stacks that run other profiles (`site:releaseProfiles`), never run here. */
    alternates?: { service: string; target: string; ref: string }[];
    /** The profiles `alternates` were built for (`site:releaseProfiles`): the opt-out a promoting stack accepts. */
    releaseProfiles?: ProfileName[];
    /** The Celery contract of these images (task names, beat's schedule): what the next release is compared with. */
    celery?: CeleryContract;
}

/**
 * The image a promoting stack deploys for `service`, from the source stack's manifest. Refuses an
 * image built from another target: a unified worker promoted into a split topology would run beat
 * twice.
 */
export function promotedRef(manifest: unknown, service: Pick<ActiveService, "name" | "target">, from: string): string {
    const images = (manifest as Partial<ReleaseManifest> | undefined)?.images ?? {};
    const alternate = (manifest as Partial<ReleaseManifest> | undefined)?.alternates?.find((a) => a.service === service.name && a.target === service.target);
    const entry = alternate ?? images[service.name];
    const pin = `or pin it: pulumi config set --path 'site:imageDigests.${service.name}' <image>@sha256:<digest>`;
    if (!entry) {
        throw new pulumi.RunError(`site:promoteFrom: stack ${from} exports no image for ${service.name} (it has ${Object.keys(images).join(", ") || "none"}); deploy ${from} first, ${pin}`);
    }
    if (entry.target !== service.target) {
        throw new pulumi.RunError(
            `site:promoteFrom: stack ${from} built ${service.name} from target ${entry.target}, this stack runs ${service.target}; add this stack's profile to ${from}'s site:releaseProfiles so it builds ${service.target} too, ${pin}`,
        );
    }
    if (!DIGEST_REF.test(entry.ref)) throw new pulumi.RunError(`site:promoteFrom: stack ${from} exports ${service.name} as ${entry.ref}, not an image by digest`);
    return entry.ref;
}

export interface ImageReleaseArgs {
    /** Release settings from the stack configuration. */
    settings: ReleaseSettings;
    /** The source stack's release (`site:promoteFrom`), already read and checked; absent when not promoting. */
    source?: unknown;
    /** The active services (one image each). */
    services: ActiveService[];
    /** Images pinned by digest in config (`site:imageDigests`); they win over the source stack and the tag. */
    pinned: Partial<Record<ServiceName, string>>;
    /** Registry naming the repositories and holding the credentials for lookups and re-tags. */
    registry: GhcrRegistry;
    /** This stack's name: the tag deployed images get when re-tagging. */
    stack: string;
    /** A preview on a machine without the docker plugin: no lookup provider, rollback tags stay unresolved (unknown). */
    skipTagLookups?: boolean;
}

/**
 * The images a non-building stack deploys, each by digest: pinned in config, else the images of
 * `releaseTag` (rollback), else the source stack's (promotion).
 */
export class ImageRelease extends pulumi.ComponentResource {
    /** Image by digest per active service. */
    public readonly refs: Record<string, pulumi.Output<string>>;
    /** Commit the deployed images were built from, when known. */
    public readonly commitSha: pulumi.Output<string | undefined>;

    constructor(name: string, args: ImageReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:image:ImageRelease", name, {}, opts);
        const { settings, services, pinned, registry } = args;
        const unpinned = services.filter((s) => !pinned[s.name]);
        const promoting = settings.promoteFrom !== undefined && !settings.releaseTag && unpinned.length > 0;
        // The lookup provider is registered whatever names the images (dev, a tag, pins), so a
        // rollback, or a run holding the deployed images (CI's Flower and drift jobs), plans changes
        // of images only, never of the stack's plumbing.
        const lookup = args.skipTagLookups ? undefined : this.lookupProvider(registry);
        this.refs = Object.fromEntries(
            services.map((service) => {
                const repository = registry.repositories[service.name];
                if (pinned[service.name]) return [service.name, pulumi.output(pinned[service.name]!)];
                // `<target>-<tag>`: a service's repository holds several targets across profiles.
                if (settings.releaseTag && args.skipTagLookups) return [service.name, pulumi.output(pulumi.unknown) as pulumi.Output<string>];
                if (settings.releaseTag) return [service.name, this.resolveTag(repository, `${service.target}-${settings.releaseTag}`, lookup)];
                if (promoting) return [service.name, this.promoted(args.source, service, settings.promoteFrom!)];
                throw new Error(`ImageRelease: nothing names an image for ${service.name}`);
            }),
        );
        this.commitSha = promoting
            ? pulumi.output(((args.source as Partial<ReleaseManifest> | undefined)?.commitSha ?? "").match(COMMIT)?.[0])
            : pulumi.output(settings.releaseTag?.match(COMMIT)?.[0]);
        if (settings.retag) {
            for (const service of services) this.retag(service, this.refs[service.name], args);
        }
        this.registerOutputs({ refs: this.refs, commitSha: this.commitSha });
    }

    /**
     * The promoted image; in a preview, a source stack that has not exported this service yet (never
     * deployed) leaves it unknown with a warning, so the rest of the plan still shows. `up` fails.
     */
    private promoted(manifest: unknown, service: ActiveService, from: string): pulumi.Output<string> {
        const exported = manifest as Partial<ReleaseManifest> | undefined;
        const hasAny = !!exported?.images?.[service.name] || !!exported?.alternates?.some((a) => a.service === service.name);
        if (!hasAny && pulumi.runtime.isDryRun()) {
            pulumi.log.warn(`site:promoteFrom: stack ${from} exports no image for ${service.name} yet (deploy ${from} first); this preview shows it unknown, and \`pulumi up\` will stop here`, this);
            return pulumi.output(pulumi.unknown) as pulumi.Output<string>;
        }
        return pulumi.output(promotedRef(manifest, service, from));
    }

    /** A registry lookup of `<repository>:<tag>`, as `<repository>@<digest>`. */
    private resolveTag(repository: string, tag: string, provider: docker.Provider | undefined): pulumi.Output<string> {
        const image = docker.getRegistryImageOutput({ name: `${repository}:${tag}` }, { parent: this, provider });
        return image.sha256Digest.apply((digest) => {
            const ref = `${repository}@${digest}`;
            if (!DIGEST_REF.test(ref)) throw new pulumi.RunError(`site:releaseTag: ${repository}:${tag} did not resolve to a digest (got ${String(digest)})`);
            return ref;
        });
    }

    /** Private packages need the registry credentials for the lookup. */
    private lookupProvider(registry: GhcrRegistry): docker.Provider | undefined {
        if (!registry.credentials) return undefined;
        return new docker.Provider("ghcr-lookup", { registryAuth: [registry.credentials] }, { parent: this });
    }

    /** Points `<repository>:<stack>` (and `:<stack>-<commit>`) at the deployed digest, without pulling or pushing layers. */
    private retag(service: ActiveService, ref: pulumi.Output<string>, { registry, stack }: ImageReleaseArgs): void {
        const repository = registry.repositories[service.name];
        // `<stack>-<sha>`, not `<sha>`: the building stack owns `<sha>`, and under another profile it names another target.
        const tags = this.commitSha.apply((sha) => [stack, sha && `${stack}-${sha}`].filter((t): t is string => !!t).map((t) => `${repository}:${t}`).join(" "));
        const credentials = registry.credentials;
        new command.local.Command(
            `${service.name}-retag`,
            {
                // Values reach the script through the environment only, so nothing is interpolated into shell text.
                create: RETAG_SCRIPT,
                interpreter: ["/bin/sh", "-c"],
                environment: {
                    SOURCE_IMAGE: ref,
                    TARGET_TAGS: tags,
                    REGISTRY: registry.server,
                    REGISTRY_USER: credentials?.username ?? "",
                    REGISTRY_PASSWORD: credentials?.password ?? "",
                },
            },
            { parent: this },
        );
    }
}

/** Logs in when credentials are given (else uses the runner's login), then re-tags in the registry. */
const RETAG_SCRIPT = [
    "set -eu",
    'if [ -n "${REGISTRY_PASSWORD:-}" ]; then',
    '  printf \'%s\' "$REGISTRY_PASSWORD" | docker login "$REGISTRY" --username "$REGISTRY_USER" --password-stdin >/dev/null',
    "fi",
    "set --",
    'for tag in $TARGET_TAGS; do set -- "$@" --tag "$tag"; done',
    'docker buildx imagetools create "$@" "$SOURCE_IMAGE"',
].join("\n");
