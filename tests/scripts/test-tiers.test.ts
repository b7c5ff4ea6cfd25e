/**
 * The real tier's files run two at a time, in the order .mocharc.caprover.json lists them: the
 * longest first, so that the two workers end close together (its scenarios mostly wait for Swarm).
 * A listed order must still run every file of the folder, once.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");

describe("the test tiers' configuration", () => {
    it("the real tier lists every file of tests/caprover once", () => {
        const config = JSON.parse(fs.readFileSync(path.join(REPO, ".mocharc.caprover.json"), "utf8")) as { spec: string[] };
        const files = fs.readdirSync(path.join(REPO, "tests", "caprover")).filter((f) => f.endsWith(".test.ts")).map((f) => `tests/caprover/${f}`);
        expect([...config.spec].sort()).to.deep.equal(files.sort());
    });
});
