import * as pulumi from "@pulumi/pulumi";
import type { RegistrySettings } from "../../config/images";
import type { ActiveService } from "../../config/topology";

/** The image repository of a service: `<prefix>-<service>`. */
export function imageRepository(imagePrefix: string, service: string): string {
    return `${imagePrefix}-${service}`;
}

/** The GHCR package name of a repository (what the packages API and cleanup actions take). */
export function packageName(repository: string): string {
    return repository.split("/").slice(2).join("/");
}

/** What housekeeping keeps of each image package. */
export interface RetentionPolicy {
    /** GHCR package names, one per active service. */
    packages: string[];
    /** Newest versions kept per package. */
    keepVersions: number;
    /** Untagged versions kept per package. */
    keepUntagged: number;
}

/**
 * The retention policy of the active services' image packages (pure: the summary derives it for
 * other profiles too). Services on demand are left out: opening Flower for an hour must not rewrite
 * the app repository's cleanup workflow (the stack that builds their images cleans their packages).
 */
export function retentionPolicy(settings: RegistrySettings, services: ActiveService[]): RetentionPolicy {
    return {
        // One entry per package: a stack may push several targets of one service to its package.
        packages: [...new Set(services.filter((s) => !s.onDemand).map((s) => packageName(imageRepository(settings.imagePrefix, s.name))))],
        keepVersions: settings.keepVersions,
        keepUntagged: settings.keepUntagged,
    };
}

export interface GhcrRegistryArgs {
    /** Registry settings from the stack configuration. */
    settings: RegistrySettings;
    /** The active services (one image package each). */
    services: ActiveService[];
}

/**
 * GitHub Container Registry: owns image naming, the push/pull credentials and the retention policy
 * that the housekeeping workflows consume. It registers no child resources: GHCR creates a package
 * on first push.
 */
export class GhcrRegistry extends pulumi.ComponentResource {
    /** Registry host. */
    public readonly server: string;
    /** Image name prefix. */
    public readonly imagePrefix: string;
    /** Image repository per active service. */
    public readonly repositories: Record<string, string>;
    /** Credentials for builds and pulls; the password is a Pulumi secret. */
    public readonly credentials: { address: string; username: string; password: pulumi.Output<string> } | undefined;
    /** Retention policy per image package. */
    public readonly retention: RetentionPolicy;

    constructor(name: string, args: GhcrRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("site:registry:GhcrRegistry", name, {}, opts);
        const { settings, services } = args;
        this.server = settings.server;
        this.imagePrefix = settings.imagePrefix;
        this.repositories = Object.fromEntries(services.map((s) => [s.name, imageRepository(settings.imagePrefix, s.name)]));
        this.credentials = settings.token === undefined
            ? undefined
            : { address: settings.server, username: settings.username, password: pulumi.secret(settings.token) };
        this.retention = retentionPolicy(settings, services);
        this.registerOutputs({ server: this.server, repositories: this.repositories, retention: this.retention });
    }

    /** Registry build-cache reference for a cache scope. */
    cacheRef(scope: string): string {
        return `${this.imagePrefix}/cache:${scope}`;
    }
}
