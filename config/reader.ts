/**
 * Typed, validating access to one configuration namespace.
 *
 * Values arrive either as native values (tests load the stack files) or as the strings the Pulumi
 * engine hands the program (objects, numbers and booleans JSON-encoded). Every problem is recorded
 * with the key, the offending value and what would be accepted; `finish` throws them all at once, so
 * a bad stack file fails before a single resource is registered. A key left unset takes the default
 * Pulumi.yaml declares for it (see `declarations.ts`): no reader writes a default of its own.
 */

import * as pulumi from "@pulumi/pulumi";
import type { DeclaredType, Declaration } from "./declarations";

/** Raised for invalid configuration; lists every problem found. A RunError prints without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: string[]) {
        super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/** Raw configuration of one namespace, keys without the namespace prefix. */
export type RawConfig = Record<string, unknown>;

/** Shows a value in a message; secret keys are never read through `show`. */
export function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

export class ConfigReader {
    private readonly problems: string[] = [];
    private readonly read = new Set<string>();
    private readonly inert: string[] = [];

    /**
     * @param namespace Configuration namespace, e.g. `site`.
     * @param raw Values by key (without the namespace).
     * @param secretKeys Keys whose values must never appear in a message.
     * @param encrypted Keys the engine says are stored encrypted, when known: a secret key stored
     *   in plaintext is rejected (Pulumi.yaml cannot require it, since secret keys cannot have defaults).
     */
    constructor(
        public readonly namespace: string,
        private readonly raw: RawConfig,
        private readonly declared: Readonly<Record<string, Declaration>>,
        private readonly secretKeys: ReadonlySet<string> = new Set(),
        private readonly encrypted?: ReadonlySet<string>,
    ) {}

    /**
     * The declared default of a key read as `type`. Reading an undeclared key, or as another type
     * than declared, is a bug of the program (not of the stack): it throws at once.
     */
    fallback(key: string, type: DeclaredType): unknown {
        const decl = this.declared[key];
        if (!decl) throw new Error(`${this.name(key)} is read but Pulumi.yaml does not declare it`);
        if (decl.type !== type) throw new Error(`${this.name(key)} is read as ${type} but Pulumi.yaml declares it ${decl.type}`);
        return decl.default === "" ? undefined : decl.default;
    }

    /** Fully qualified name of a key (or a field below it), for messages. */
    name(key: string): string {
        return `${this.namespace}:${key}`;
    }

    /** Records a problem with a key, a value and what is accepted. */
    fail(key: string, value: unknown, accepted: string): void {
        const shown = this.secretKeys.has(key.split(".")[0]) ? "[secret]" : show(value);
        this.problems.push(`${this.name(key)}: ${shown} is not accepted; expected ${accepted}`);
    }

    /** Records a free-form problem about a key. */
    complain(key: string, message: string): void {
        this.problems.push(`${this.name(key)}: ${message}`);
    }

    /** Records a setting that is valid but kept aside: it applies to a service the active profile does not run. */
    inactive(key: string): void {
        this.inert.push(this.name(key));
    }

    /** Every setting recorded as inactive, fully qualified, sorted (the engine may hand over a map's keys in another order). */
    inactiveKeys(): string[] {
        return [...this.inert].sort();
    }

    /** True if the key has a value. */
    has(key: string): boolean {
        this.read.add(key);
        return this.raw[key] !== undefined && this.raw[key] !== null && this.raw[key] !== "";
    }

    /** A string (else the declared default, if any); `pattern` and `accepted` describe what is valid. */
    string(key: string, opts: { required?: boolean; pattern?: RegExp; accepted?: string } = {}): string | undefined {
        const fallback = this.fallback(key, "string") as string | undefined;
        if (!this.has(key)) {
            if (opts.required && fallback === undefined) this.complain(key, `is required; expected ${opts.accepted ?? "a string"}`);
            return fallback;
        }
        const value = this.raw[key];
        if (typeof value !== "string") return this.reject(key, value, opts.accepted ?? "a string") ?? fallback;
        if (opts.pattern && !opts.pattern.test(value)) return this.reject(key, value, opts.accepted ?? `a match of ${opts.pattern}`) ?? fallback;
        return value;
    }

    /** One of a fixed set of strings (the declared default is one of them). */
    oneOf<T extends string>(key: string, choices: readonly T[]): T {
        const fallback = this.fallback(key, "string") as T;
        const value = this.string(key, { accepted: `one of ${choices.join(", ")}` }) ?? fallback;
        if (!choices.includes(value as T)) {
            this.fail(key, value, `one of ${choices.join(", ")}`);
            return fallback;
        }
        return value as T;
    }

    /** An integer no smaller than `min` (and, when given, no larger than `opts.max`); `opts.accepted` says what is valid. */
    integer(key: string, min = 1, opts: { max?: number; accepted?: string } = {}): number {
        const fallback = this.fallback(key, "integer") as number;
        if (!this.has(key)) return fallback;
        const value = this.decode(key);
        if (!isInteger(value, min) || (opts.max !== undefined && value > opts.max)) return this.reject(key, this.raw[key], opts.accepted ?? integerAccepted(min)) ?? fallback;
        return value as number;
    }

    /** A boolean. */
    boolean(key: string): boolean {
        const fallback = this.fallback(key, "boolean") as boolean;
        if (!this.has(key)) return fallback;
        const value = this.decode(key);
        if (typeof value !== "boolean") return this.reject(key, this.raw[key], "true or false") ?? fallback;
        return value;
    }

    /** A map of strings (environment variables, build args, digests). */
    stringMap(key: string, keyPattern?: RegExp, keyAccepted?: string): Record<string, string> {
        const value = this.object(key);
        return value === undefined ? {} : this.checkStringMap(key, value, keyPattern, keyAccepted);
    }

    /** Checks that an object found at `key` maps names to strings. */
    checkStringMap(key: string, value: Record<string, unknown>, keyPattern?: RegExp, keyAccepted?: string): Record<string, string> {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(value)) {
            if (keyPattern && !keyPattern.test(k)) this.complain(`${key}`, `key ${show(k)} is not accepted; expected ${keyAccepted}`);
            else if (typeof v !== "string") this.fail(`${key}.${k}`, v, "a string");
            else out[k] = v;
        }
        return out;
    }

    /** An object (map); the declared default when absent. */
    object(key: string): Record<string, unknown> | undefined {
        const fallback = this.fallback(key, "object") as Record<string, unknown> | undefined;
        if (!this.has(key)) return fallback;
        const value = this.decode(key);
        if (!isPlainObject(value)) return this.reject(key, this.raw[key], "an object (a YAML map)");
        return value;
    }

    /** A list of strings (a YAML sequence), each matching `pattern`; bad items are left out. */
    stringList(key: string, opts: { pattern?: RegExp; accepted?: string } = {}): string[] {
        const fallback = (this.fallback(key, "array") as string[] | undefined) ?? [];
        if (!this.has(key)) return fallback;
        const value = this.decode(key);
        const accepted = opts.accepted ?? "a list of strings";
        if (!Array.isArray(value)) return this.reject(key, this.raw[key], accepted) ?? fallback;
        return value.filter((item, i): item is string => {
            const ok = typeof item === "string" && (!opts.pattern || opts.pattern.test(item));
            if (!ok) this.fail(`${key}[${i}]`, item, accepted);
            return ok;
        });
    }

    /** The raw value of a secret key, never shown in messages. */
    secret(key: string): string | undefined {
        this.fallback(key, "string");
        if (!this.has(key)) return undefined;
        const value = this.raw[key];
        if (typeof value !== "string") {
            this.problems.push(`${this.name(key)}: expected a string (set it with \`pulumi config set --secret ${this.name(key)}\`)`);
            return undefined;
        }
        if (this.encrypted && !this.encrypted.has(key)) {
            this.problems.push(`${this.name(key)}: is stored in plaintext; store it encrypted with \`pulumi config set --secret ${this.name(key)} <value>\``);
            return undefined;
        }
        return value;
    }

    /** Every key read so far: the keys this program knows. */
    keys(): string[] {
        return [...this.read].sort();
    }

    /** Throws every problem recorded, including keys nobody reads (typos). */
    finish(): void {
        const known = this.keys();
        for (const key of Object.keys(this.raw)) {
            if (!this.read.has(key)) {
                this.problems.push(`${this.name(key)}: unknown key; known keys are ${known.join(", ")}`);
            }
        }
        if (this.problems.length > 0) throw new ConfigError(this.problems);
    }

    private decode(key: string): unknown {
        const value = this.raw[key];
        if (typeof value !== "string") return value;
        try {
            return JSON.parse(value);
        } catch {
            return value;
        }
    }

    private reject(key: string, value: unknown, accepted: string): undefined {
        this.fail(key, value, accepted);
        return undefined;
    }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isInteger(value: unknown, min: number): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= min;
}

export function integerAccepted(min: number): string {
    return min === 1 ? "a positive integer" : `an integer >= ${min}`;
}
