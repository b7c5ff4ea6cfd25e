/**
 * The `site:` keys as Pulumi.yaml declares them: type, description and default. Pulumi.yaml is the
 * one source of every default; the readers take theirs from here, so a default is written once.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/** Pulumi's project config types. */
export type DeclaredType = "string" | "integer" | "boolean" | "object" | "array";

/** One key's declaration. */
export interface Declaration {
    /** Type the engine checks values against. */
    type: DeclaredType;
    /** What the key does (shown by `pulumi config`). */
    description: string;
    /** Value when a stack sets none; absent for required keys. An empty string means "unset". */
    default?: unknown;
}

/** The project file: the nearest Pulumi.yaml above the program, else above the working directory (the engine's project). */
export function projectFile(): string {
    for (const from of [__dirname, process.cwd()]) {
        for (let dir = from; ; dir = path.dirname(dir)) {
            const candidate = path.join(dir, "Pulumi.yaml");
            if (fs.existsSync(candidate)) return candidate;
            if (path.dirname(dir) === dir) break;
        }
    }
    throw new Error(`no Pulumi.yaml above ${__dirname} or ${process.cwd()}`);
}

let cached: Record<string, Declaration> | undefined;

/** Declarations of the `site:` namespace, keyed without the prefix (read once). */
export function declarations(): Record<string, Declaration> {
    cached ??= Object.fromEntries(
        Object.entries((parse(fs.readFileSync(projectFile(), "utf8")) as { config?: Record<string, Declaration> }).config ?? {})
            .filter(([key]) => key.startsWith("site:"))
            .map(([key, decl]) => [key.slice("site:".length), decl]),
    );
    return cached;
}

/** Declared defaults, keyed without the prefix: what the engine gives a stack that sets nothing. */
export function declaredDefaults(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(declarations()).filter(([, d]) => d.default !== undefined).map(([key, d]) => [key, d.default]));
}
