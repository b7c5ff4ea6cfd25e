/**
 * Property values as the engine sends them to a policy pack (its "wire" form, JSON): a secret is an
 * object `{<sig key>: <secret sig>, value}`, an unknown value (computed later, during a preview) is
 * one of seven sentinel strings. @pulumi/policy hands policies these values with secrets opened and
 * no trace of which were secret; the pack reads the wire form instead (capture.ts), so it can tell.
 */

/** The engine's marker of a secret (`specialSigKey`, `specialSecretSig` of @pulumi/pulumi's runtime/rpc). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The engine's unknown sentinels, one per type (pulumi sdk/go/common/resource/plugin/rpc.go). */
export const UNKNOWN_SENTINELS: readonly string[] = [
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // bool
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
];

/** A value in wire form. */
export type Wire = unknown;

/** Stands for a value not known yet (a preview of something computed); policies skip it: `up` sees the real value. */
export const UNKNOWN: unique symbol = Symbol("unknown");

/** Wraps a value as the engine marks a secret (tests and the SDK check use it). */
export function secretWire(value: Wire): Wire {
    return { [SIG_KEY]: SECRET_SIG, value };
}

export function isSecretWire(v: Wire): v is { value: Wire } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function isUnknownWire(v: Wire): boolean {
    return typeof v === "string" && UNKNOWN_SENTINELS.includes(v);
}

/** The plain value: secrets opened, unknowns as UNKNOWN. */
export function reveal(v: Wire): unknown {
    if (isUnknownWire(v)) return UNKNOWN;
    if (isSecretWire(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

/** A leaf of a wire value: where it is, its plain value, and whether a secret encloses it. */
export interface Leaf {
    path: (string | number)[];
    value: unknown;
    secret: boolean;
}

/** Every leaf (string, number, boolean, null, UNKNOWN) of a wire value, depth first. */
export function leaves(v: Wire, path: (string | number)[] = [], secret = false): Leaf[] {
    if (isUnknownWire(v)) return [{ path, value: UNKNOWN, secret }];
    if (isSecretWire(v)) return leaves(v.value, path, true);
    if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i], secret));
    if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k], secret));
    return [{ path, value: v, secret }];
}

/** `a.b[0].c`, as messages name an input. */
export function showPath(path: (string | number)[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
