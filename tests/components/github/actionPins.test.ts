/**
 * Every `uses:` of every generated workflow file, and of every file in this repository's
 * .github/workflows, is pinned by full commit SHA with its release in a comment, and names a pin of
 * components/github/actions.ts (one SHA, one version per action).
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { ACTION_PINS, SHA_PINNED, pinnedVersion, unpinnedUses, uses } from "../../../components/github/actions";
import { infraWorkflowTexts } from "../../../scripts/infra-workflow/write";
import { everyConfiguration, renderedFiles } from "../../support/github";
import { ROOT } from "../../support/stacks";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");

/** Every generated file (the app repository's for every configuration, this repository's) and every committed one here. */
function everyFile(): Record<string, string> {
    const files: Record<string, string> = {};
    for (const { label, config } of everyConfiguration()) for (const [file, text] of Object.entries(renderedFiles(config))) files[`${label}: ${file}`] = text;
    for (const [file, text] of Object.entries(infraWorkflowTexts())) files[`generated: ${file}`] = text;
    for (const file of fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f))) files[`.github/workflows/${file}`] = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
    return files;
}

describe("actions in workflow files: pinned by commit SHA", () => {
    const files = everyFile();

    it("every generated file and every file in .github/workflows pins each `uses:` by full SHA, with its release in a comment", () => {
        expect(Object.keys(files).filter((f) => f.startsWith(".github/")).length).to.be.greaterThan(0);
        let seen = 0;
        for (const [file, text] of Object.entries(files)) {
            expect(unpinnedUses(text), file).to.deep.equal([]);
            for (const m of text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+) # (\S+)$/gm)) {
                seen++;
                expect(pinnedVersion(m[1]), `${file}: ${m[1]} is one of components/github/actions.ts's pins`).to.equal(m[2]);
            }
        }
        expect(seen).to.be.greaterThan(20);
    });

    it("refuses a tag, a branch, a short SHA, a missing ref or a missing version comment", () => {
        const text = [
            "jobs:",
            "  a:",
            "    steps:",
            "      - uses: actions/checkout@v4",
            "      - uses: actions/checkout@main",
            "      - uses: actions/setup-node@8207627 # v7.0.0",
            "      - uses: someone/action",
            `      - uses: actions/checkout@${ACTION_PINS.checkout.sha}`,
            "      - uses: docker://alpine:3.20",
            "  b:",
            "    uses: octo/workflows/.github/workflows/build.yml@v2",
            `      - uses: ${uses(ACTION_PINS.setupNode)} # ${ACTION_PINS.setupNode.version}`,
            "      - uses: ./.github/actions/local",
        ].join("\n");
        expect(unpinnedUses(text)).to.deep.equal([
            "line 4: actions/checkout@v4 is not pinned by full commit SHA",
            "line 5: actions/checkout@main is not pinned by full commit SHA",
            "line 6: actions/setup-node@8207627 is not pinned by full commit SHA",
            "line 7: someone/action is not pinned by full commit SHA",
            `line 8: actions/checkout@${ACTION_PINS.checkout.sha} has no version comment (# vN.N.N)`,
            "line 9: docker://alpine:3.20 is not pinned by full commit SHA",
            "line 11: octo/workflows/.github/workflows/build.yml@v2 is not pinned by full commit SHA",
        ]);
    });

    it("the pins: full SHAs, releases as vN.N.N, one commit per release of a repository", () => {
        const byRelease = new Map<string, string>();
        for (const p of Object.values(ACTION_PINS)) {
            expect(uses(p)).to.match(SHA_PINNED);
            expect(p.version).to.match(/^v\d+\.\d+\.\d+$/);
            const release = `${p.action.split("/").slice(0, 2).join("/")}@${p.version}`;
            expect(byRelease.get(release) ?? p.sha, release).to.equal(p.sha);
            byRelease.set(release, p.sha);
        }
    });
});
