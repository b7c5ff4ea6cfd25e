/**
 * Writes docs/configuration.md, the configuration reference, from the one source of every `site:`
 * key: Pulumi.yaml's `config:` declarations (type, default, description), with the values the
 * stack files in the repository root set. The fields below `site:services.<service>` come from the
 * code that reads them: their names from `OVERRIDE_FIELDS` and `LIMIT_FIELDS`, their descriptions
 * from the doc comments of `ServiceOverride` and `Limits`, the fields an override may not set from
 * `OWNED`; so do those of `site:release` (`RELEASE_FIELDS`, the `ReleaseSettings` interface). Run after changing one: `npm run write:configuration-docs`; a test fails while the
 * committed file differs.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { parse, stringify } from "yaml";
import { Declaration, declarations } from "../../config/declarations";
import { LIMIT_FIELDS } from "../../config/limits";
import { RELEASE_FIELDS } from "../../config/release";
import { OWNED } from "../../config/serviceUpdateOverride";
import { OVERRIDE_FIELDS } from "../../config/site";
import { SERVICE_NAMES } from "../../config/topology";

const ROOT = path.resolve(__dirname, "..", "..");
export const CONFIGURATION_DOCS = "docs/configuration.md";

/** A value as YAML in one line, e.g. `[python, javascript]`. */
function flow(value: unknown): string {
    return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trim();
}

/** Inline code, safe for a Markdown table cell. */
function code(text: string): string {
    return "`" + text.replace(/\|/g, "\\|") + "`";
}

/** Prose for Markdown: `<` escaped outside code spans, so `<service>` shows as written; in a table cell `|` too. */
function prose(text: string, cell = false): string {
    const escaped = text
        .split(/(`[^`]*`)/)
        .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
        .join("");
    return cell ? escaped.replace(/\|/g, "\\|") : escaped;
}

/** The default as a reader meets it: a required key has none; an empty string means unset. */
function defaultText(decl: Declaration): string {
    if (decl.default === undefined) return "required";
    if (decl.default === "") return "unset";
    return code(flow(decl.default));
}

/** The declared type; an array's with its items' type. */
function typeText(decl: Declaration): string {
    const items = (decl as Declaration & { items?: { type?: string } }).items?.type;
    return decl.type === "array" && items ? `array of ${items}` : decl.type;
}

/** Stack files in the repository root, by stack name: `Pulumi.<stack>.yaml`'s `config:`. */
export function stackFiles(root = ROOT): Record<string, Record<string, unknown>> {
    return Object.fromEntries(
        fs
            .readdirSync(root)
            .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file))
            .filter((m): m is RegExpExecArray => m !== null)
            .sort((a, b) => a[1].localeCompare(b[1]))
            .map((m) => [m[1], (parse(fs.readFileSync(path.join(root, m[0]), "utf8")) as { config?: Record<string, unknown> }).config ?? {}]),
    );
}

/** What one stack sets a key to, short: the value, `secret`, or a pointer to the file. */
function stackValue(stack: string, value: unknown): string {
    if (typeof value === "object" && value !== null && "secure" in value) return "secret";
    const text = flow(value);
    return text.length <= 40 ? code(text) : `set in [Pulumi.${stack}.yaml](../Pulumi.${stack}.yaml)`;
}

/** The doc comment of each property of an exported interface in a source file of this repository. */
export function interfaceDocs(file: string, name: string): Record<string, string> {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.ES2022, true);
    const found = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
    if (!found) throw new Error(`${file} declares no interface ${name}`);
    const docs: Record<string, string> = {};
    for (const member of found.members) {
        if (!ts.isPropertySignature(member)) continue;
        const comment = ts.getJSDocCommentsAndTags(member).map((doc) => (ts.isJSDoc(doc) ? ts.getTextOfJSDocComment(doc.comment) ?? "" : "")).join(" ");
        docs[member.name.getText(source)] = comment.replace(/\s+/g, " ").trim();
    }
    return docs;
}

/** Fields as a table: each field the reader accepts, with the interface's doc comment. */
function fieldTable(prefix: string, fields: readonly string[], docs: Record<string, string>, where: string): string[] {
    const lines = ["| field | what it does |", "|---|---|"];
    for (const field of fields) {
        const doc = docs[field];
        if (!doc) throw new Error(`${where} has no doc comment for ${field}, a field the reader accepts`);
        lines.push(`| ${code(`${prefix}.${field}`)} | ${prose(doc, true)} |`);
    }
    return lines;
}

/** The nested fields of `site:services`, from the code that reads them. */
function servicesFields(): string[] {
    const overrideDocs = interfaceDocs("config/topology.ts", "ServiceOverride");
    const limitDocs = interfaceDocs("config/limits.ts", "Limits");
    return [
        `Fields of \`site:services.<service>\` (\`<service>\`: ${SERVICE_NAMES.join(", ")}), as \`config/site.ts\` reads them (\`OVERRIDE_FIELDS\`), described by \`ServiceOverride\` in \`config/topology.ts\`:`,
        "",
        ...fieldTable("site:services.<service>", OVERRIDE_FIELDS, overrideDocs, "ServiceOverride (config/topology.ts)"),
        "",
        "Fields of `limits`, as `config/limits.ts` reads them (`LIMIT_FIELDS`, the `Limits` interface):",
        "",
        ...fieldTable("site:services.<service>.limits", LIMIT_FIELDS, limitDocs, "Limits (config/limits.ts)"),
        "",
        "Fields `serviceUpdateOverride` may not set, and what to set instead (`OWNED` in `config/serviceUpdateOverride.ts`; `<s>` is the service):",
        "",
        "| field | why, and what instead |",
        "|---|---|",
        ...Object.entries(OWNED).map(([field, why]) => `| ${code(field)} | ${prose(why, true)} |`),
    ];
}

/** The fields of `site:release`, from the code that reads them. */
function releaseFields(): string[] {
    return [
        "Fields of `site:release`, as `config/release.ts` reads them (`RELEASE_FIELDS`), described by `ReleaseSettings` there:",
        "",
        ...fieldTable("site:release", RELEASE_FIELDS, interfaceDocs("config/release.ts", "ReleaseSettings"), "ReleaseSettings (config/release.ts)"),
    ];
}

/** Nested fields described by the code, per key. */
const NESTED: Record<string, () => string[]> = { services: servicesFields, release: releaseFields };

/** The whole reference, as `npm run write:configuration-docs` writes it. */
export function configurationDocs(): string {
    const decls = declarations();
    const stacks = stackFiles();
    const stackNames = Object.keys(stacks);
    const setBy = (key: string) => stackNames.filter((s) => stacks[s][`site:${key}`] !== undefined);
    const lines = [
        "# Configuration reference",
        "",
        "<!-- Generated from Pulumi.yaml by `npm run write:configuration-docs` (scripts/docs/configuration.ts). Edit Pulumi.yaml, not this file. -->",
        "",
        "Every `site:` key Pulumi.yaml declares, in its order: type, default and description, and what the",
        `stack files of this repository (${stackNames.map((s) => `[${s}](../Pulumi.${s}.yaml)`).join(", ")}) set it to. How the keys are read`,
        "and checked: [Stacks, promotion and rollback](stacks.md#configuration).",
        "",
        `| key | type | default | ${stackNames.join(" | ")} |`,
        `|---|---|---|${stackNames.map(() => "---|").join("")}`,
    ];
    for (const [key, decl] of Object.entries(decls)) {
        const values = stackNames.map((s) => (stacks[s][`site:${key}`] === undefined ? "" : stackValue(s, stacks[s][`site:${key}`])));
        lines.push(`| [${code(`site:${key}`)}](#${key.toLowerCase()}) | ${typeText(decl)} | ${defaultText(decl)} | ${values.join(" | ")} |`);
    }
    for (const [key, decl] of Object.entries(decls)) {
        const stacksSetting = setBy(key);
        lines.push(
            "",
            `## ${key}`,
            "",
            `\`site:${key}\`: ${typeText(decl)}, default ${defaultText(decl)}; set by ${stacksSetting.length ? stacksSetting.join(", ") : "no stack here"}.`,
            "",
            prose(decl.description),
        );
        const nested = NESTED[key];
        if (nested) lines.push("", ...nested());
    }
    return lines.join("\n") + "\n";
}

if (require.main === module) {
    fs.mkdirSync(path.join(ROOT, "docs"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, CONFIGURATION_DOCS), configurationDocs());
    console.log(`wrote ${CONFIGURATION_DOCS}`);
}
