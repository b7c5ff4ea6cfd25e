import * as pulumi from "@pulumi/pulumi";
import { SiteConfig } from "./config";
import { GhcrRegistry, imageRepository } from "./ghcrRegistry";
import { ServiceImage } from "./serviceImage";
import { Summary, summarize } from "./summary";

/** What a stack exports. */
export interface SiteOutputs {
    /** Active profile. */
    profile: string;
    /** Image by digest per active service. */
    images: Record<string, pulumi.Output<string>>;
    /** The seed documents' comparison for the active profile. */
    summary: Summary;
}

/**
 * Builds one stack from validated configuration. Every resource is derived from
 * `config.services`; resource names are service names, so URNs survive profile changes.
 */
export function deploySite(config: SiteConfig): SiteOutputs {
    const registry = new GhcrRegistry("ghcr", { settings: config.registry, services: config.services });
    const images = Object.fromEntries(
        config.services.map((service) => [service.name, new ServiceImage(service.name, { service, build: config.build, registry })]),
    );
    return {
        profile: config.profile,
        images: Object.fromEntries(Object.entries(images).map(([name, image]) => [name, image.ref])),
        summary: summarize(config.profile, config.services, (s) => imageRepository(config.registry.imagePrefix, s)),
    };
}
