/**
 * A stack file's `site:` values merged over Pulumi.yaml's declared defaults, as the engine merges
 * them: what tests and scripts validate without running the engine.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { declaredDefaults } from "./declarations";
import type { RawConfig } from "./reader";

/** The `site:` values of `<dir>/Pulumi.<stack>.yaml` over the project defaults, then `overrides`. */
export function stackFileConfig(dir: string, stack: string, overrides: RawConfig = {}): RawConfig {
    const file = parse(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const values = Object.fromEntries(Object.entries(file.config ?? {}).map(([k, v]) => [k.replace(/^site:/, ""), v]));
    return { ...declaredDefaults(), ...values, ...overrides };
}
