/**
 * Reading the engine's answers in the engine tests and the rehearsal: which steps changed what,
 * the result of an operation, its error diagnostics, and the files of a state backend.
 */
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent, PreviewJson, StepMetadata } from "./driver";

/** `App::web`: the last part of the type token and the resource name. */
export function shortName(urn: string): string {
    // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>
    const parts = urn.split("::");
    const type = (parts[2] ?? "").split("$").pop() ?? "";
    return `${type.split(":").pop()}::${parts.slice(3).join("::")}`;
}

/**
 * Steps that change nothing: unchanged resources, and reads (every stack with apps reads its own
 * last release through a StackReference on every run, a promoting one its source's too).
 */
const UNCHANGING = new Set(["same", "read"]);
const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** True for a step that changes something (not `same`, not a read). */
export function isChange(op: string): boolean {
    return !UNCHANGING.has(op);
}

/** `op App::web` for each step a preview (`--json`) plans, sorted; unchanged resources and reads left out. */
export function plannedSteps(preview: PreviewJson): string[] {
    return preview.steps.filter((s) => isChange(s.op)).map((s) => `${s.op} ${shortName(s.urn)}`).sort();
}

/**
 * `op App::web` for each step of an operation's events that changed something (reads left out). Provider
 * resources are left out: the default `pulumi-nodejs` provider takes the whole stack configuration
 * as its inputs, so any `pulumi config set` "updates" it, which changes nothing anywhere. So are
 * StackReferences: a refresh re-reads them ("update" when the stack read has new outputs, as the
 * stack's own last release has after every `up`), which changes nothing either.
 */
export function changedSteps(events: EngineEvent[]): string[] {
    return events
        .map((e) => e.resOutputsEvent?.metadata)
        .filter((m): m is StepMetadata => !!m && isChange(m.op) && !m.type.startsWith("pulumi:providers:") && m.type !== STACK_REFERENCE)
        .map((m) => `${m.op} ${shortName(m.urn)}`)
        .sort();
}

/** The step of one resource in an operation's events. */
export function stepOf(events: EngineEvent[], short: string): StepMetadata | undefined {
    return events.map((e) => e.resOutputsEvent?.metadata).find((m): m is StepMetadata => !!m && shortName(m.urn) === short);
}

/** Keys whose values differ between two property maps (secrets compare as their placeholders). */
export function differingKeys(a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): string[] {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])]
        .filter((k) => k !== "__provider" && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
        .sort();
}

/** Every file below `dir` (the state backend: checkpoints, history, backups). */
export function filesBelow(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

/**
 * After a killed CLI: a kill can land inside the file backend's write of a blob's `.attrs` sidecar
 * (gocloud's fileblob truncates it, then writes it), leaving it empty, and the backend then cannot
 * read the checkpoint at all ("failed to load checkpoint: EOF"). A hazard of the file backend, not
 * of the provider; a missing sidecar reads as default attributes, so torn ones go.
 */
export function removeTornSidecars(stateDir: string): void {
    for (const f of filesBelow(stateDir)) if (f.endsWith(".attrs") && fs.statSync(f).size === 0) fs.rmSync(f);
}

/** The result line of an operation's summary event. */
export function summaryOf(events: EngineEvent[]): { resourceChanges: Record<string, number>; result?: string } | undefined {
    return events.map((e) => e.summaryEvent).find((s) => s !== undefined);
}

/** Error diagnostics of an operation. */
export function errorsOf(events: EngineEvent[]): string[] {
    return events.map((e) => e.diagnosticEvent).filter((d) => d?.severity === "error").map((d) => d!.message.trim());
}
