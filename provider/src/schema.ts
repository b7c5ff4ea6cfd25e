/**
 * The package schema (schema.json beside this folder) is the one declaration of every resource's
 * inputs: their types, defaults, which ones replace the resource and which are secret. The
 * provider derives its defaults, diff keys, replacement keys and secret outputs from it, and the
 * SDK's TypeScript types are generated from it (scripts/gen-sdk.ts).
 */
import * as fs from "fs";
import * as path from "path";

export interface PropertySpec {
    type?: string;
    $ref?: string;
    description?: string;
    default?: unknown;
    secret?: boolean;
    replaceOnChanges?: boolean;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
}

export interface ResourceSpec {
    description: string;
    inputProperties: Record<string, PropertySpec>;
    requiredInputs?: string[];
    properties: Record<string, PropertySpec>;
    required?: string[];
}

export interface PackageSchema {
    name: string;
    version: string;
    provider: { description: string; inputProperties: Record<string, PropertySpec> };
    resources: Record<string, ResourceSpec>;
    types: Record<string, { type: string; description: string; properties: Record<string, PropertySpec>; required?: string[] }>;
    config?: { variables: Record<string, PropertySpec> };
}

/** The schema file: `provider/schema.json`, found from the sources and from the compiled `bin/`. */
export const SCHEMA_FILE = path.join(__dirname, "..", "schema.json");

let cached: PackageSchema | undefined;

/** The package schema as served by `GetSchema`: the provider's inputs double as the stack config (`caprover:url`, ...). */
export function packageSchema(): PackageSchema {
    if (!cached) {
        const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")) as PackageSchema;
        cached = { ...schema, config: { variables: schema.provider.inputProperties } };
    }
    return cached;
}

/** What the provider needs to know of one resource type, derived from its schema. */
export interface ResourceRules {
    /** Input names, in schema order (what diff compares). */
    inputs: string[];
    /** Defaults of omitted inputs. */
    defaults: Record<string, unknown>;
    /** Inputs whose change replaces the resource. */
    replaces: string[];
    /** Output properties the engine must store encrypted. */
    secretOutputs: string[];
}

export function resourceRules(token: string): ResourceRules {
    const spec = packageSchema().resources[token];
    if (!spec) throw new Error(`unknown resource type ${token}; this provider manages ${Object.keys(packageSchema().resources).join(", ")}`);
    const inputs = Object.entries(spec.inputProperties);
    return {
        inputs: inputs.map(([name]) => name),
        defaults: Object.fromEntries(inputs.filter(([, p]) => p.default !== undefined).map(([name, p]) => [name, p.default])),
        replaces: inputs.filter(([, p]) => p.replaceOnChanges).map(([name]) => name),
        secretOutputs: Object.entries(spec.properties).filter(([, p]) => p.secret).map(([name]) => name),
    };
}

/** `news` with the rules' defaults for every input omitted (undefined counts as omitted). */
export function withDefaultsOf<T>(rules: ResourceRules, news: object): T {
    const given = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined));
    return { ...structuredClone(rules.defaults), ...given } as T;
}

/** Defaults of the provider's own configuration. */
export function providerDefaults(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(packageSchema().provider.inputProperties).filter(([, p]) => p.default !== undefined).map(([k, p]) => [k, p.default]));
}
