/**
 * The stack loader: the running stack's `site:` configuration (project defaults applied by the
 * engine), validated, with what CI's environment adds.
 */
import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "./reader";
import { SiteConfig, credentialsWarning, inactiveWarning, parseSiteConfig } from "./site";

const PREFIX = "site:";
/** Not in the SDK's typings: whether the engine holds a config key encrypted. */
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** The `site:` keys of the running stack's configuration (project defaults applied by the engine). */
export function rawSiteConfig(): RawConfig {
    return Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([key]) => key.startsWith(PREFIX))
            .map(([key, value]) => [key.slice(PREFIX.length), value]),
    );
}

/** Reads and validates the running stack's configuration. */
export function loadSiteConfig(): SiteConfig {
    const pushing = !pulumi.runtime.isDryRun();
    const raw = rawSiteConfig();
    const config = parseSiteConfig(pulumi.getStack(), raw, {
        encryptedKeys: Object.keys(raw).filter((key) => isConfigSecret(PREFIX + key)),
        GITHUB_TOKEN: process.env.GITHUB_TOKEN,
        GITHUB_SHA: process.env.GITHUB_SHA,
        CAPROVER_SERVER: process.env.CAPROVER_SERVER,
        CAPROVER_PASSWORD: process.env.CAPROVER_PASSWORD,
        FLOWER_PASSWORD: process.env.FLOWER_PASSWORD,
        INFRA_DISPATCH_TOKEN: process.env.INFRA_DISPATCH_TOKEN,
        pushing,
        unavailablePlugins: (process.env.SITE_UNAVAILABLE_PLUGINS ?? "").split(",").filter((p) => p.trim() !== ""),
        now: new Date(),
    });
    if (config.onDemand.expired) {
        pulumi.log.warn(`site:onDemand: ${config.onDemand.requested.join(", ")} expired at ${config.onDemand.until}: left out, so this run removes it (then remove site:onDemand and site:onDemandUntil)`);
    }
    for (const name of config.onDemand.live.filter((n) => !config.services.some((s) => s.name === n && s.onDemand))) {
        pulumi.log.warn(`site:onDemand: profile ${config.profile} runs ${name} already; nothing is added`);
    }
    const credentials = credentialsWarning(config);
    if (credentials) pulumi.log.warn(credentials);
    // Once per run: settings for services the profile does not run are kept, and say so.
    const inactive = inactiveWarning(config);
    if (inactive) pulumi.log.warn(inactive);
    if (config.build.enabled && !config.build.commitSha) {
        pulumi.log.warn("no commit SHA (site:commitSha or GITHUB_SHA): images will be tagged latest only");
    }
    return config;
}
