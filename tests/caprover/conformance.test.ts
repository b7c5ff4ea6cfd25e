/**
 * The emulator held against the real CapRover 1.15.3: every request sequence of
 * provider/tests/conformance/sequences.ts runs against both, and the answers (HTTP status,
 * CapRover status, description, shape of the data) must agree, but for the differences listed in
 * provider/tests/conformance/differences.ts with their reasons. The real server's transcript must
 * also equal the one committed beside the sequences (real-transcripts.json), which the unit tier
 * holds the emulator against without a server: a stale recording fails here.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { unlistedDifferences } from "../../provider/tests/conformance/differences";
import { Answer, Names, SEQUENCES, run } from "../../provider/tests/conformance/sequences";
import { RealCaprover, ensureRealCaprover } from "../../scripts/engine/realCaprover";

const RECORDED = path.join(__dirname, "..", "..", "provider", "tests", "conformance", "real-transcripts.json");

describe("real CapRover: the emulator answers as the real server does", function () {
    this.timeout(10 * 60_000);
    let real: RealCaprover;
    let emulator: CapRoverEmulator;
    const transcripts: Record<string, Answer[]> = {};

    before(async () => {
        real = await ensureRealCaprover();
        emulator = new CapRoverEmulator({ password: real.password, rootDomain: real.rootDomain, hasRootSsl: false, verifyRegistries: true });
        await emulator.start();
    });
    after(async () => {
        await emulator?.close();
        if (process.env.SITE_RECORD_CONFORMANCE === "1") fs.writeFileSync(RECORDED, JSON.stringify(transcripts, null, 2) + "\n");
    });

    for (const sequence of SEQUENCES) {
        it(sequence.name, async () => {
            const names = (tag: string): Names => ({ app: `conf-${tag}-${process.pid}`, app2: `conf-${tag}-${process.pid}-missing` });
            const onReal = await run(real, sequence, names("r"), { pollMs: 250, maxPolls: 480 });
            const onEmulator = await run({ url: emulator.url, password: real.password }, sequence, names("r"), { pollMs: 20, maxPolls: 1000 });
            transcripts[sequence.name] = onReal;
            const differences = unlistedDifferences(sequence.name, onReal, onEmulator);
            expect(differences, `the emulator differs from CapRover 1.15.3 in "${sequence.name}":\n  ${differences.join("\n  ")}`).to.deep.equal([]);
            if (process.env.SITE_RECORD_CONFORMANCE !== "1") {
                const recorded = JSON.parse(fs.readFileSync(RECORDED, "utf8")) as Record<string, Answer[]>;
                expect(onReal, `the real server no longer answers as recorded in ${path.relative(process.cwd(), RECORDED)} (SITE_RECORD_CONFORMANCE=1 records it again)`).to.deep.equal(recorded[sequence.name]);
            }
        });
    }
});
