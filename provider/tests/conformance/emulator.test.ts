/**
 * The fast tier's half of the conformance: each request sequence runs against the emulator, and
 * its answers must equal what the real CapRover 1.15.3 answered (real-transcripts.json, recorded
 * and kept current by the real-server tier, tests/caprover/conformance.test.ts), but for the
 * differences listed with their reasons in differences.ts.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { unlistedDifferences } from "./differences";
import { Answer, RECORDING_PENDING, SEQUENCES, run } from "./sequences";
import { PASSWORD, useEmulator } from "../support";

const RECORDED = JSON.parse(fs.readFileSync(path.join(__dirname, "real-transcripts.json"), "utf8")) as Record<string, Answer[]>;

describe("emulator conformance with the recorded answers of CapRover 1.15.3", () => {
    const emulator = useEmulator({ rootDomain: "captain.localhost", hasRootSsl: false, verifyRegistries: true });

    for (const sequence of SEQUENCES) {
        // Listed as pending recording (and not recorded yet): shown as pending, never as passed.
        const pending = RECORDING_PENDING.has(sequence.name) && !RECORDED[sequence.name];
        (pending ? it.skip : it)(sequence.name, async () => {
            const answers = await run({ url: emulator().url, password: PASSWORD }, sequence, { app: `conf-r-${process.pid}`, app2: `conf-r-${process.pid}-missing` }, { pollMs: 5, maxPolls: 2000 });
            const real = RECORDED[sequence.name];
            expect(real, `no recorded answers of "${sequence.name}": run the real tier with SITE_RECORD_CONFORMANCE=1`).to.be.an("array");
            const differences = unlistedDifferences(sequence.name, real, answers);
            expect(differences, `"${sequence.name}":\n  ${differences.join("\n  ")}`).to.deep.equal([]);
        });
    }
});
