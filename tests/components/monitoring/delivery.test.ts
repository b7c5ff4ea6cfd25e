/**
 * The command that carries generated files into an accessory's container, run by a real shell:
 * each file arrives byte for byte (quotes, `$`, `%`, backslashes, newlines), then the process runs.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeFilesThenExec } from "../../../components/monitoring/delivery";
import { HANG_GUARD_MS } from "../../support/hangGuard";

describe("writeFilesThenExec: generated files into a container, then its process", () => {
    it("writes every file exactly, creating its directory, then execs the process", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-delivery-"));
        try {
            const files = [
                { path: `${dir}/a/scrape.yml`, text: "global:\n  x: '$HOME' \"%s\" \\n `id`\n" },
                { path: `${dir}/b/c/dash.json`, text: JSON.stringify({ expr: 'rate(x{type="a"}[5m]) % 100' }) },
            ];
            const [sh, ...argv] = writeFilesThenExec(files, `cat ${dir}/b/c/dash.json`);
            const run = spawnSync(sh, argv, { encoding: "utf8", timeout: HANG_GUARD_MS });
            expect(run.status, run.stderr).to.equal(0);
            for (const f of files) expect(fs.readFileSync(f.path, "utf8")).to.equal(f.text);
            expect(run.stdout).to.equal(files[1].text);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
