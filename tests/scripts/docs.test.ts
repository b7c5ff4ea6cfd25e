/**
 * The documentation: README.md (the front page) and the guides in docs/. The configuration
 * reference is exactly what its script writes from Pulumi.yaml; every command in a fenced shell
 * block is one a test or script of this repository runs, or is marked as needing a real server or
 * GitHub; every relative link resolves, down to its heading; no paragraph is written twice.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { LIMIT_FIELDS } from "../../config/limits";
import { RELEASE_FIELDS } from "../../config/release";
import { OVERRIDE_FIELDS } from "../../config/site";
import { CONFIGURATION_DOCS, configurationDocs } from "../../scripts/docs/configuration";

const ROOT = path.resolve(__dirname, "..", "..");

/** README.md and every Markdown file in docs/, as paths relative to the repository root. */
export function markdownFiles(root = ROOT): string[] {
    const docs = fs.existsSync(path.join(root, "docs")) ? fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).sort() : [];
    return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

/** One fenced block: its info string, its lines and where it starts. */
interface Fence {
    lang: string;
    lines: string[];
    line: number;
}

/** A Markdown file split into its fenced blocks and its prose lines (fences blanked out, so line numbers hold). */
export function splitMarkdown(text: string): { fences: Fence[]; prose: string[] } {
    const fences: Fence[] = [];
    const prose: string[] = [];
    let open: Fence | undefined;
    text.split("\n").forEach((line, i) => {
        const fence = /^\s*```(.*)$/.exec(line);
        if (fence && !open) {
            open = { lang: fence[1].trim().split(/\s+/)[0] ?? "", lines: [], line: i + 1 };
            prose.push("");
        } else if (fence && open) {
            fences.push(open);
            open = undefined;
            prose.push("");
        } else if (open) {
            open.lines.push(line);
            prose.push("");
        } else {
            prose.push(line);
        }
    });
    return { fences, prose };
}

const SHELL = new Set(["sh", "bash", "shell", "console"]);
/** The marker a command needs when nothing on this machine can run it. */
const MARKER = /needs (a real server|GitHub)/i;

/** The scripts package.json declares, and the few npm commands that are not `npm run`. */
function npmScripts(): Set<string> {
    return new Set(Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts));
}

/**
 * Why a command is not one this repository runs, or undefined when it is: an npm script, a script
 * file run with bash, source or node, or mocha on test files that exist.
 */
export function unknownCommand(command: string, scripts: Set<string>, root = ROOT): string | undefined {
    const evaled = /^eval "\$\((.*)\)"$/.exec(command);
    if (evaled) return unknownCommand(evaled[1], scripts, root);
    const words = command.split(/\s+/).filter((w) => w !== "");
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=\S*$/.test(words[0])) words.shift();
    const [tool, first, second] = words;
    const exists = (file: string) => fs.existsSync(path.join(root, file));
    if (tool === "npm") {
        if (first === "ci" || first === "test") return undefined;
        if (first === "run" && second && scripts.has(second)) return undefined;
        return `npm ${first ?? ""} ${second ?? ""}: not a script of package.json`;
    }
    if (tool === "bash" || tool === "source" || tool === "node") {
        return first && exists(first) ? undefined : `${tool} ${first ?? ""}: no such file`;
    }
    if (tool === "npx" && first === "mocha") {
        const files = words.slice(2).filter((w) => /\.test\.ts$/.test(w));
        if (files.length === 0) return "npx mocha: names no test file";
        const missing = files.filter((f) => !exists(f));
        return missing.length ? `npx mocha: no such test file ${missing.join(", ")}` : undefined;
    }
    return `${tool ?? ""}: not a command a test or script of this repository runs`;
}

/** Every command of the shell blocks of one file that is neither known nor marked, with its line. */
export function unmarkedCommands(file: string, text: string, scripts = npmScripts(), root = ROOT): string[] {
    const problems: string[] = [];
    for (const fence of splitMarkdown(text).fences.filter((f) => SHELL.has(f.lang))) {
        const blockMarked = fence.lines.some((l) => /^\s*#/.test(l) && MARKER.test(l));
        fence.lines.forEach((line, i) => {
            if (/^\s*(#|$)/.test(line)) return;
            const comment = line.search(/\s#\s/);
            const code = (comment < 0 ? line : line.slice(0, comment)).trim();
            if (blockMarked || (comment >= 0 && MARKER.test(line.slice(comment)))) return;
            for (const command of code.split(/\s*(?:&&|;|\|\|)\s*/)) {
                const why = unknownCommand(command, scripts, root);
                if (why) problems.push(`${file}:${fence.line + 1 + i}: ${command}: ${why} (mark it "# needs a real server" or "# needs GitHub")`);
            }
        });
    }
    return problems;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchor(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (a repeated heading gets -1, -2, ...). */
export function anchors(text: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const line of splitMarkdown(text).prose) {
        const h = /^#{1,6}\s+(.*)$/.exec(line);
        if (!h) continue;
        const base = anchor(h[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
}

/** Every relative link of a file (outside code) that does not resolve: a missing file, or a heading the target lacks. */
export function brokenLinks(file: string, text: string, root = ROOT): string[] {
    const problems: string[] = [];
    splitMarkdown(text).prose.forEach((line, i) => {
        const withoutCode = line.replace(/`[^`]*`/g, "");
        for (const m of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
            const target = m[1];
            if (/^[a-z]+:/i.test(target)) continue;
            const [rel, hash] = target.split("#", 2);
            const resolved = rel === "" ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), rel);
            if (!fs.existsSync(resolved)) {
                problems.push(`${file}:${i + 1}: ${target}: no such file`);
                continue;
            }
            if (hash !== undefined && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(hash)) {
                problems.push(`${file}:${i + 1}: ${target}: ${path.relative(root, resolved)} has no heading #${hash}`);
            }
        }
    });
    return problems;
}

/** Paragraphs of prose (blank-line separated, whitespace folded) at least `min` characters long. */
export function paragraphs(text: string, min = 120): string[] {
    return splitMarkdown(text)
        .prose.join("\n")
        .split(/\n\s*\n/)
        .map((p) => p.replace(/\s+/g, " ").trim())
        .filter((p) => p.length >= min);
}

describe("the documentation", () => {
    const files = markdownFiles();
    const text = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

    it("docs/configuration.md is exactly what `npm run write:configuration-docs` writes from Pulumi.yaml", () => {
        expect(text(CONFIGURATION_DOCS), "docs/configuration.md differs from Pulumi.yaml's declarations: run `npm run write:configuration-docs`").to.equal(configurationDocs());
    });

    it("the reference lists every site: key Pulumi.yaml declares, and every field of site:services and site:release the code reads", () => {
        const reference = text(CONFIGURATION_DOCS);
        const declared = [...fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").matchAll(/^ {2}site:([A-Za-z]+):$/gm)].map((m) => m[1]);
        expect(declared.length).to.be.greaterThan(40);
        for (const key of declared) expect(reference, key).to.contain(`## ${key}\n`);
        for (const field of [...OVERRIDE_FIELDS, ...LIMIT_FIELDS.map((f) => `limits.${f}`)]) {
            expect(reference, field).to.contain(`\`site:services.<service>.${field}\``);
        }
        for (const field of RELEASE_FIELDS) expect(reference, field).to.contain(`\`site:release.${field}\``);
    });

    it("README.md is the front page: at most 150 lines, opening with npm ci, npm run preview and npm test, linking every guide", () => {
        const readme = text("README.md");
        expect(readme.split("\n").length).to.be.at.most(150);
        const first = splitMarkdown(readme).fences[0];
        expect(first.lang).to.equal("sh");
        expect(first.lines.map((l) => l.replace(/\s+#.*$/, "").trim())).to.deep.equal(["npm ci", "npm run preview", "npm test"]);
        for (const guide of files.filter((f) => f.startsWith("docs/"))) expect(readme, guide).to.contain(`](${guide})`);
    });

    it("every guide ends with a command to check, in a shell block", () => {
        for (const file of files.filter((f) => f.startsWith("docs/") && f !== CONFIGURATION_DOCS)) {
            const t = text(file).trimEnd();
            expect(t, file).to.match(/\n## Check\n[\s\S]*\n```sh\n(?:(?!```)[\s\S])+\n```$/);
        }
    });

    it("every command in a shell block is an npm script, a script file or a test file of this repository, or is marked as needing a real server or GitHub", () => {
        expect(files.flatMap((f) => unmarkedCommands(f, text(f)))).to.deep.equal([]);
    });

    it("catches an unknown command, a missing script file and a missing test file, and lets a marked block pass", () => {
        const scripts = new Set(["preview"]);
        const doc = (body: string) => "```sh\n" + body + "\n```\n";
        expect(unmarkedCommands("x.md", doc("npm run preview -- dev\nnpm ci && npm test"), scripts)).to.deep.equal([]);
        expect(unmarkedCommands("x.md", doc("npm run nothing"), scripts)).to.have.length(1);
        expect(unmarkedCommands("x.md", doc('eval "$(bash scripts/no-such.sh)"'), scripts)).to.have.length(1);
        expect(unmarkedCommands("x.md", doc("FAULT_MATRIX_SHOW=1 npx mocha tests/engine/no-such.test.ts"), scripts)).to.have.length(1);
        expect(unmarkedCommands("x.md", doc("pulumi up --stack prod"), scripts)).to.have.length(1);
        expect(unmarkedCommands("x.md", doc("# needs a real server\npulumi up --stack prod"), scripts)).to.deep.equal([]);
        expect(unmarkedCommands("x.md", doc("gh run list   # needs GitHub"), scripts)).to.deep.equal([]);
    });

    it("every relative link resolves, down to the heading it names", () => {
        expect(files.flatMap((f) => brokenLinks(f, text(f)))).to.deep.equal([]);
    });

    it("catches a link to a missing file and to a missing heading", () => {
        expect(brokenLinks("README.md", "[a](docs/no-such.md) [b](docs/testing.md#no-such-heading) [c](docs/testing.md#check) `[d](nowhere.md)`")).to.deep.equal([
            "README.md:1: docs/no-such.md: no such file",
            "README.md:1: docs/testing.md#no-such-heading: docs/testing.md has no heading #no-such-heading",
        ]);
        expect(anchor("What runs where: Node.js 24")).to.equal("what-runs-where-nodejs-24");
        expect(anchor("`serviceUpdateOverride`")).to.equal("serviceupdateoverride");
    });

    it("no paragraph is written twice across README.md and docs/", () => {
        const seen = new Map<string, string>();
        const repeated: string[] = [];
        for (const file of files) {
            for (const p of paragraphs(text(file))) {
                const other = seen.get(p);
                if (other) repeated.push(`${file} repeats ${other}: ${p.slice(0, 80)}…`);
                else seen.set(p, file);
            }
        }
        expect(repeated).to.deep.equal([]);
    });
});
