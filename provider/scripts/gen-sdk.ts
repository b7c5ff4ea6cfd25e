/**
 * Writes the TypeScript SDK (sdk/index.ts) from the package schema (schema.json): one Args
 * interface and one resource class per resource, the Provider, and the object types. Run after
 * changing the schema: `npm run gen-sdk` in provider/ (a test fails while the SDK is stale).
 */
import * as fs from "fs";
import * as path from "path";
import { PackageSchema, PropertySpec, SCHEMA_FILE } from "../src/schema";

const HEADER = "// Generated from provider/schema.json by provider/scripts/gen-sdk.ts. Do not edit: change the schema and run `npm run gen-sdk`.\n";

function typeName(ref: string): string {
    return ref.split(":").pop()!;
}

/** The TypeScript type of a property; `input` wraps it in pulumi.Input. */
function tsType(p: PropertySpec, input: boolean): string {
    const wrap = (t: string) => (input ? `pulumi.Input<${t}>` : t);
    if (p.$ref) return wrap(`${typeName(p.$ref)}${input ? "Args" : ""}`);
    switch (p.type) {
        case "string":
            return wrap("string");
        case "integer":
        case "number":
            return wrap("number");
        case "boolean":
            return wrap("boolean");
        case "array":
            return wrap(`${tsType(p.items!, input)}[]`);
        case "object":
            return wrap(`Record<string, ${tsType(p.additionalProperties ?? { type: "string" }, input)}>`);
        default:
            throw new Error(`unsupported schema type ${JSON.stringify(p)}`);
    }
}

function doc(p: PropertySpec): string {
    const extra = p.default !== undefined ? ` Default: ${JSON.stringify(p.default)}.` : "";
    return `    /** ${(p.description ?? "").replace(/\*\//g, "*\\/")}${extra} */\n`;
}

function fields(props: Record<string, PropertySpec>, required: string[], input: boolean): string {
    return Object.entries(props)
        .map(([name, p]) => `${doc(p)}    ${input ? "" : "readonly "}${name}${required.includes(name) ? "" : "?"}: ${tsType(p, input)};\n`)
        .join("");
}

export function sdkText(schema: PackageSchema): string {
    let out = `${HEADER}import * as pulumi from "@pulumi/pulumi";\n\n`;
    for (const [token, t] of Object.entries(schema.types)) {
        const name = typeName(token);
        out += `/** ${t.description} */\nexport interface ${name} {\n${fields(t.properties, t.required ?? [], false)}}\n\n`;
        out += `/** ${t.description} */\nexport interface ${name}Args {\n${fields(t.properties, t.required ?? [], true)}}\n\n`;
    }
    out += `/** Arguments of the provider: ${schema.provider.description} */\nexport interface ProviderArgs {\n${fields(schema.provider.inputProperties, [], true)}}\n\n`;
    const providerSecrets = Object.entries(schema.provider.inputProperties).filter(([, p]) => p.secret).map(([k]) => k);
    out += `/** ${schema.provider.description} */\nexport class Provider extends pulumi.ProviderResource {\n`;
    out += `    constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {\n`;
    out += `        const props: Record<string, unknown> = { ...args };\n`;
    for (const k of providerSecrets) out += `        if (args.${k} !== undefined) props.${k} = pulumi.secret(args.${k});\n`;
    out += `        super("${schema.name}", name, props, opts);\n    }\n}\n\n`;
    for (const [token, r] of Object.entries(schema.resources)) {
        const name = typeName(token);
        const outputsOnly = Object.keys(r.properties).filter((k) => !(k in r.inputProperties));
        const secrets = Object.entries(r.properties).filter(([, p]) => p.secret).map(([k]) => k);
        out += `/** Arguments of ${name}. */\nexport interface ${name}Args {\n${fields(r.inputProperties, r.requiredInputs ?? [], true)}}\n\n`;
        out += `/** ${r.description} */\nexport class ${name} extends pulumi.CustomResource {\n`;
        for (const [k, p] of Object.entries(r.properties)) out += `${doc(p)}    declare public readonly ${k}: pulumi.Output<${tsType(p, false)}${(r.required ?? []).includes(k) ? "" : " | undefined"}>;\n`;
        out += `\n    constructor(name: string, args: ${name}Args, opts?: pulumi.CustomResourceOptions) {\n`;
        out += `        const props: Record<string, unknown> = { ...args${outputsOnly.map((k) => `, ${k}: undefined`).join("")} };\n`;
        out += `        super("${token}", name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ${secrets.map((s) => JSON.stringify(s)).join(", ")}] });\n    }\n}\n\n`;
    }
    return out.trimEnd() + "\n";
}

export const SDK_FILE = path.join(__dirname, "..", "sdk", "index.ts");

if (require.main === module) {
    fs.writeFileSync(SDK_FILE, sdkText(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")) as PackageSchema));
    console.log(`wrote ${path.relative(process.cwd(), SDK_FILE)}`);
}
