/**
 * Where the emulator answers otherwise than the real CapRover 1.15.3, and why it may: each entry
 * names a sequence step and the field that differs. Everything else must be equal (the real tier
 * fails on any difference not listed here). The difference table of docs/real-server.md is this one.
 */
export interface KnownDifference {
    sequence: string;
    step: string;
    field: "status" | "description" | "shape" | "http";
    why: string;
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [];

/** The listed difference for a step and field, if any. */
export function knownDifference(sequence: string, step: string, field: KnownDifference["field"]): KnownDifference | undefined {
    return KNOWN_DIFFERENCES.find((d) => d.sequence === sequence && d.step === step && d.field === field);
}

const FIELDS = ["http", "status", "description", "shape"] as const;

/** What `other` answered otherwise than `real`, step by step and field by field, leaving out the listed differences. */
export function unlistedDifferences(sequence: string, real: { title: string; http?: number; status?: number; description?: string; shape?: unknown }[], other: typeof real): string[] {
    return real.flatMap((r, i) =>
        FIELDS.filter((f) => JSON.stringify(r[f]) !== JSON.stringify(other[i]?.[f]) && !knownDifference(sequence, r.title, f)).map(
            (f) => `${r.title}: ${f}\n    real:     ${JSON.stringify(r[f])}\n    emulator: ${JSON.stringify(other[i]?.[f])}`,
        ),
    );
}
