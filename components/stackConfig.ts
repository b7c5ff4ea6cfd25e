import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "./configReader";
import { SiteConfig, parseSiteConfig } from "./config";

/** The `site:` keys of the running stack's configuration (project defaults applied by the engine). */
export function rawSiteConfig(): RawConfig {
    const prefix = "site:";
    return Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

/** Reads and validates the running stack's configuration. */
export function loadSiteConfig(): SiteConfig {
    const pushing = !pulumi.runtime.isDryRun();
    const config = parseSiteConfig(pulumi.getStack(), rawSiteConfig(), {
        GITHUB_TOKEN: process.env.GITHUB_TOKEN,
        GITHUB_SHA: process.env.GITHUB_SHA,
        pushing,
    });
    if (config.build.enabled && config.registry.token === undefined) {
        // A preview builds nothing, so it needs no credentials; `pulumi up` refuses to start without them.
        pulumi.log.warn("no GHCR credentials (site:registryToken or GITHUB_TOKEN): `pulumi up` will refuse to build until one is set");
    }
    if (config.build.enabled && !config.build.commitSha) {
        pulumi.log.warn("no commit SHA (site:commitSha or GITHUB_SHA): images will be tagged latest only");
    }
    return config;
}
