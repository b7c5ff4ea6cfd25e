import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as dockerbuild from "@pulumi/docker-build";
import { BuildSettings, isLoopbackRegistry } from "../../config/images";
import type { ActiveService } from "../../config/topology";
import { GhcrRegistry } from "./ghcrRegistry";

export interface ServiceImageArgs {
    /** The service whose Dockerfile target is built. */
    service: ActiveService;
    /** Build settings (or the given digests when building is off). */
    build: BuildSettings;
    /** Registry that names the image and holds the credentials and cache. */
    registry: GhcrRegistry;
    /** When not building: the image to deploy by digest (promoted or rolled back); default `build.digests`. */
    deployed?: pulumi.Input<string>;
    /** Built only for stacks that promote from this one: tagged by target, never moving this stack's `latest`. */
    releaseOnly?: boolean;
}

/**
 * One service's image: a BuildKit build of its Dockerfile target pushed to GHCR with the commit
 * SHA and `latest`, or (building off) a given digest. Either way `ref` is the image by digest,
 * which is what gets deployed: a tag can move, a digest cannot.
 */
export class ServiceImage extends pulumi.ComponentResource {
    /** Image repository, without tag or digest. */
    public readonly repository: string;
    /** Dockerfile target. */
    public readonly target: string;
    /** The pushed image by digest: `<repository>@sha256:...`. */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: ServiceImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:image:ServiceImage", name, {}, opts);
        const { service, build, registry } = args;
        this.repository = registry.repositories[service.name];
        this.target = service.target;
        if (build.enabled) {
            const image = new dockerbuild.Image(name, this.imageArgs(name, args), { parent: this });
            this.ref = pulumi.interpolate`${this.repository}@${image.digest}`;
        } else {
            this.ref = pulumi.output(args.deployed ?? build.digests[service.name]!);
        }
        this.registerOutputs({ repository: this.repository, target: this.target, ref: this.ref });
    }

    private imageArgs(name: string, { service, build, registry, releaseOnly }: ServiceImageArgs): dockerbuild.ImageArgs {
        // One cache per image resource: images exporting mode=max to one ref would overwrite each other.
        const scope = `${build.cacheScope}-${name}`;
        const cacheRef = registry.cacheRef(scope);
        const gha = !isLoopbackRegistry(registry.server);
        const tags = imageTags(service.target, build.commitSha, releaseOnly).map((t) => `${this.repository}:${t}`);
        return {
            context: { location: build.context },
            dockerfile: { location: path.join(build.context, build.dockerfile) },
            target: service.target,
            platforms: [build.platform as dockerbuild.Platform],
            buildArgs: service.buildArgs,
            tags,
            push: true,
            // A preview must not need a Docker engine or registry access.
            buildOnPreview: false,
            registries: registry.credentials ? [registry.credentials] : [],
            builder: build.builder ? { name: build.builder } : undefined,
            // Registry cache first (fast, shared across runners), GitHub Actions cache as fallback
            // (none for a registry on this machine: no GitHub Actions here).
            cacheFrom: [{ registry: { ref: cacheRef } }, ...(gha ? [{ gha: { scope } }] : [])],
            cacheTo: [
                { registry: { ref: cacheRef, mode: dockerbuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true, ignoreError: true } },
                ...(gha ? [{ gha: { scope, mode: dockerbuild.CacheMode.Max, ignoreError: true } }] : []),
            ],
        };
    }
}

/**
 * Tags of a built image. `<target>-<sha>` names the exact build of a target, which is what a
 * rollback resolves (a service's repository holds several targets across profiles); `<sha>` and
 * `latest` belong to the stack's own images only.
 */
export function imageTags(target: string, commitSha: string | undefined, releaseOnly = false): string[] {
    const own = releaseOnly ? [] : [commitSha, "latest"];
    return [...own, commitSha && `${target}-${commitSha}`, releaseOnly ? `${target}-latest` : undefined].filter((t): t is string => !!t);
}
