/**
 * Stack files loaded the way the engine loads them: the stack's `site:` values over the defaults
 * Pulumi.yaml declares, validated with what CI's environment adds (test-only values).
 */
import * as path from "path";
import { declarations } from "../../config/declarations";
import { stackFileConfig } from "../../config/stackFile";
import { ConfigError, RawConfig } from "../../config/reader";
import { SiteConfig, parseSiteConfig } from "../../config/site";

export const ROOT = path.resolve(__dirname, "..", "..");

/** Keys Pulumi.yaml declares, without the prefix. */
export function declaredKeys(): string[] {
    return Object.keys(declarations());
}

/** A stack file's `site:` values merged over the project defaults, as the engine merges them. */
export function stackRaw(stack: string, overrides: RawConfig = {}): RawConfig {
    return stackFileConfig(ROOT, stack, overrides);
}

/** What CI's environment gives the program (test-only values). */
export const CI_ENV = {
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    CAPROVER_SERVER: "https://captain.example.test",
    CAPROVER_PASSWORD: "test-only-dashboard",
    FLOWER_PASSWORD: "test-only-flower",
    INFRA_DISPATCH_TOKEN: "test-only-dispatch-token",
};

/** The validated configuration of a stack file, with overrides. */
export function stackConfig(stack: string, overrides: RawConfig = {}): SiteConfig {
    return parseSiteConfig(stack, stackRaw(stack, overrides), CI_ENV);
}

/** The messages a stack file with `overrides` fails with (fails the test if it passes). */
export function problems(overrides: RawConfig, stack = "prod"): string {
    try {
        stackConfig(stack, overrides);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return e.message;
    }
    throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

/** Prod as if it built its own images (it promotes dev's): for tests of the build itself. */
export const PROD_BUILDS: RawConfig = { build: true, promoteFrom: "", retagPromoted: false };

