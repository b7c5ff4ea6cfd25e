/**
 * A stand-in `pulumi` for the workflows' scripts, and the configuration their `pulumi config set`
 * calls amount to, so a test can run the program with exactly what a CI step would set.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RawConfig } from "../../config/reader";

const stubDirs: string[] = [];

/**
 * A `pulumi` that answers `stack output --json` with `outputs` (per stack), `config get` from
 * nothing set, records `config set`, and answers `preview` with `preview` (text, exit code).
 * Returns the stub body and the environment it reads.
 */
export function pulumiStub(outputs: Record<string, unknown>, preview: { text: string; code: number } = { text: "", code: 0 }): { body: string; env: Record<string, string> } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-stub-"));
    if (stubDirs.length === 0) process.on("exit", () => stubDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    stubDirs.push(dir);
    for (const [stack, value] of Object.entries(outputs)) fs.writeFileSync(path.join(dir, `${stack}.json`), JSON.stringify(value));
    fs.writeFileSync(path.join(dir, "preview.txt"), preview.text);
    const body = [
        'stack=""; prev=""; for a in "$@"; do if [ "$prev" = --stack ]; then stack="$a"; fi; prev="$a"; done',
        'case "$1 $2" in',
        '  "stack output") if [ -f "$STUB_DIR/$stack.json" ]; then cat "$STUB_DIR/$stack.json"; else echo "error: no stack named $stack" >&2; exit 1; fi ;;',
        '  "config get") exit 1 ;;',
        '  "config set") ;;',
        `  "preview "*) cat "$STUB_DIR/preview.txt"; exit ${preview.code} ;;`,
        '  *) echo "unexpected pulumi $*" >&2; exit 2 ;;',
        "esac",
    ].join("\n");
    return { body, env: { STUB_DIR: dir } };
}

/** Applies recorded `pulumi config set` calls (`--path` understood) to `raw`, `site:` keys only. */
export function applyConfigSets(raw: RawConfig, calls: string[][]): RawConfig {
    const out = JSON.parse(JSON.stringify(raw)) as RawConfig;
    for (const call of calls.filter((c) => c[0] === "pulumi" && c[1] === "config" && c[2] === "set")) {
        const args = call.slice(3).filter((a, i, all) => a !== "--path" && a !== "--stack" && all[i - 1] !== "--stack");
        const [key, value] = args;
        const steps = key.replace(/^site:/, "").split(/\.|(?=\[)/).map((p) => (/^\[\d+\]$/.test(p) ? Number(p.slice(1, -1)) : p));
        let node: Record<string | number, unknown> = out;
        steps.slice(0, -1).forEach((step, i) => {
            node[step] ??= typeof steps[i + 1] === "number" ? [] : {};
            node = node[step] as Record<string | number, unknown>;
        });
        node[steps[steps.length - 1]] = value;
    }
    return out;
}
