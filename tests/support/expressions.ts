/**
 * The part of GitHub Actions' expression language the generated workflows use, evaluated against
 * a context (`github`, `inputs`, `needs`, `steps`, `matrix`, ...), so tests can show which events
 * run a job instead of comparing condition strings. Supported: property paths, string, number and
 * boolean literals, `==`, `!=`, `<`, `<=`, `>`, `>=`, `!`, `&&`, `||` (which yield an operand, as
 * GitHub's do), parentheses, `startsWith`, `contains`, and the status functions `always`,
 * `success`, `failure`, `cancelled` (read from the context's `status`). Anything else throws, so a
 * condition this cannot read fails the test instead of passing it.
 */

export type Context = Record<string, unknown>;

type Token = { kind: "id" | "str" | "num" | "op" | "(" | ")" | ","; text: string };

function tokenize(source: string): Token[] {
    const tokens: Token[] = [];
    const re = /\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_*-]+)*)|(==|!=|<=|>=|&&|\|\||[!<>])|([(),]))/y;
    let at = 0;
    while (at < source.length) {
        if (/^\s*$/.test(source.slice(at))) break;
        re.lastIndex = at;
        const m = re.exec(source);
        if (!m) throw new Error(`cannot read expression at ${JSON.stringify(source.slice(at))}`);
        at = re.lastIndex;
        if (m[1] !== undefined) tokens.push({ kind: "num", text: m[1] });
        else if (m[2] !== undefined) tokens.push({ kind: "str", text: m[2].replace(/''/g, "'") });
        else if (m[3] !== undefined) tokens.push({ kind: "id", text: m[3] });
        else if (m[4] !== undefined) tokens.push({ kind: "op", text: m[4] });
        else tokens.push({ kind: m[5] as "(" | ")" | ",", text: m[5] });
    }
    return tokens;
}

/** GitHub compares strings case-insensitively, and values of different types as numbers (so null equals ''). */
function equal(a: unknown, b: unknown): boolean {
    const [x, y] = [a ?? null, b ?? null];
    if (typeof x === "string" && typeof y === "string") return x.toLowerCase() === y.toLowerCase();
    if (typeof x === typeof y && (x === null) === (y === null)) return x === y;
    return toNumber(x) === toNumber(y);
}

function toNumber(v: unknown): number {
    if (v === null) return 0;
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return v;
    if (typeof v === "string") return v.trim() === "" ? 0 : Number(v);
    return NaN;
}

export function truthy(v: unknown): boolean {
    return !(v === false || v === 0 || v === "" || v === null || v === undefined);
}

/** Evaluates an expression (without `${{ }}`) in `context`. */
export function evaluate(source: string, context: Context): unknown {
    const tokens = tokenize(source);
    let i = 0;
    const peek = () => tokens[i];
    const take = (kind?: Token["kind"], text?: string): Token => {
        const t = tokens[i++];
        if (!t || (kind && t.kind !== kind) || (text && t.text !== text)) throw new Error(`unexpected ${t?.text ?? "end"} in ${source}`);
        return t;
    };
    const lookup = (path: string): unknown =>
        path.split(".").reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), context);
    const status = () => String(context.status ?? "success");
    const call = (name: string, args: unknown[]): unknown => {
        switch (name) {
            case "always":
                return true;
            case "success":
                return status() === "success";
            case "failure":
                return status() === "failure";
            case "cancelled":
                return status() === "cancelled";
            case "startsWith":
                return String(args[0] ?? "").toLowerCase().startsWith(String(args[1] ?? "").toLowerCase());
            case "contains":
                return Array.isArray(args[0]) ? args[0].some((x) => equal(x, args[1])) : String(args[0] ?? "").toLowerCase().includes(String(args[1] ?? "").toLowerCase());
            default:
                throw new Error(`function ${name} is not supported`);
        }
    };
    const primary = (): unknown => {
        const t = take();
        if (t.kind === "num") return Number(t.text);
        if (t.kind === "str") return t.text;
        if (t.kind === "(") {
            const v = or();
            take(")");
            return v;
        }
        if (t.kind === "op" && t.text === "!") return !truthy(primary());
        if (t.kind !== "id") throw new Error(`unexpected ${t.text} in ${source}`);
        if (t.text === "true") return true;
        if (t.text === "false") return false;
        if (t.text === "null") return null;
        if (peek()?.kind === "(") {
            take("(");
            const args: unknown[] = [];
            while (peek()?.kind !== ")") {
                args.push(or());
                if (peek()?.kind === ",") take(",");
            }
            take(")");
            return call(t.text, args);
        }
        return lookup(t.text);
    };
    const comparison = (): unknown => {
        const left = primary();
        const t = peek();
        if (t?.kind !== "op" || !["==", "!=", "<", "<=", ">", ">="].includes(t.text)) return left;
        take();
        const right = primary();
        switch (t.text) {
            case "==":
                return equal(left, right);
            case "!=":
                return !equal(left, right);
            case "<":
                return Number(left) < Number(right);
            case "<=":
                return Number(left) <= Number(right);
            case ">":
                return Number(left) > Number(right);
            default:
                return Number(left) >= Number(right);
        }
    };
    /** A left-associative chain of `op`; like GitHub's, it yields an operand (the left one when `keepLeft`). */
    const chain = (op: string, next: () => unknown, keepLeft: (left: unknown) => boolean) => (): unknown => {
        let v = next();
        while (peek()?.text === op) {
            take();
            const right = next();
            v = keepLeft(v) ? v : right;
        }
        return v;
    };
    const and = chain("&&", comparison, (left) => !truthy(left));
    const or = chain("||", and, truthy);
    const value = or();
    if (i !== tokens.length) throw new Error(`unexpected ${tokens[i].text} in ${source}`);
    return value;
}

/** A job's or step's `if:` (absent: runs on success), with or without `${{ }}`. */
export function runsIf(condition: string | undefined, context: Context): boolean {
    if (condition === undefined) return status(context) === "success";
    const inner = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(condition)?.[1] ?? condition;
    // GitHub adds success() to a condition that names no status function.
    const explicit = /\b(always|success|failure|cancelled)\(\)/.test(inner);
    return (explicit || status(context) === "success") && truthy(evaluate(inner, context));
}

function status(context: Context): string {
    return String(context.status ?? "success");
}

/** Replaces every `${{ expr }}` in a value with its result in `context`. */
export function interpolate(text: string, context: Context): string {
    return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, expr: string) => {
        const v = evaluate(expr, context);
        return v === undefined || v === null ? "" : String(v);
    });
}
