/**
 * Runs a generated step's script as the runner would (bash, the step's environment with its
 * expressions evaluated), with stand-ins for the commands that reach the outside (`gh`, `pulumi`,
 * `git`, `sleep`): each records its arguments and answers what the test scripted. What the step
 * wrote to GITHUB_OUTPUT and the job summary comes back parsed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Step } from "../../components/github/workflowModel";
import { Context, interpolate } from "./expressions";
import { HANG_GUARD_MS } from "./hangGuard";

/** A stand-in command: a bash body run with the call's arguments ("$@"); its output is the command's. */
export type Stubs = Record<string, string>;

export interface ScriptRun {
    /** Exit code. */
    code: number;
    stdout: string;
    stderr: string;
    /** Each stand-in call: the command name, then its arguments. */
    calls: string[][];
    /** What the step wrote to GITHUB_OUTPUT. */
    outputs: Record<string, string>;
    /** What the step wrote to the job summary. */
    summary: string;
}

/** Runs `step.run` with its `env` evaluated in `context`, the stand-ins first on PATH. */
export function runStep(step: Step, context: Context, stubs: Stubs = {}, extraEnv: Record<string, string> = {}): ScriptRun {
    if (!step.run) throw new Error(`step ${step.name} runs no script`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-step-"));
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        const log = path.join(dir, "calls");
        for (const [name, body] of Object.entries(stubs)) {
            const file = path.join(bin, name);
            // One line per call: the name and arguments, separated by the unit separator.
            fs.writeFileSync(file, `#!/usr/bin/env bash\n{ printf '%s' ${name}; printf '\\x1f%s' "$@"; printf '\\n'; } >> "${log}"\n${body}\n`, { mode: 0o755 });
        }
        const output = path.join(dir, "output");
        const summary = path.join(dir, "summary");
        fs.writeFileSync(output, "");
        fs.writeFileSync(summary, "");
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(v, context)]));
        const r = spawnSync("bash", ["-e", "-c", step.run], {
            cwd: dir,
            encoding: "utf8",
            env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: dir, ...env, ...extraEnv },
            timeout: HANG_GUARD_MS,
        });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => l.split("\x1f")) : [];
        return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, calls, outputs: parseOutputs(fs.readFileSync(output, "utf8")), summary: fs.readFileSync(summary, "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** GITHUB_OUTPUT lines: `name=value`, or `name<<DELIMITER` ... `DELIMITER`. */
function parseOutputs(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const heredoc = /^([A-Za-z0-9_-]+)<<(.+)$/.exec(lines[i]);
        if (heredoc) {
            const end = lines.indexOf(heredoc[2], i + 1);
            out[heredoc[1]] = lines.slice(i + 1, end).join("\n");
            i = end;
        } else if (lines[i].includes("=")) {
            out[lines[i].slice(0, lines[i].indexOf("="))] = lines[i].slice(lines[i].indexOf("=") + 1);
        }
    }
    return out;
}
