/**
 * YAML, loaded on first use: the pack reads it only for workflow files and service overrides, and
 * loading it at start would delay the pack's first answer, which the engine awaits before it
 * starts the program.
 */
import type * as Yaml from "yaml";

export function parseYaml(text: string): unknown {
    return (require("yaml") as typeof Yaml).parse(text);
}
