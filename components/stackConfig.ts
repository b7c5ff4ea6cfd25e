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
    return parseSiteConfig(pulumi.getStack(), rawSiteConfig(), {
        GITHUB_TOKEN: process.env.GITHUB_TOKEN,
        GITHUB_SHA: process.env.GITHUB_SHA,
    });
}
