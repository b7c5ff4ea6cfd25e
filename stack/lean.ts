/**
 * Loads only what the program uses of @pulumi/pulumi. Its runtime module loads the closure
 * serializer as it starts, and with it TypeScript's compiler and npm's arborist: about a third of
 * a second on every preview and update (bench/preview.ts), for dynamic providers and serialized
 * functions, which this program has neither of. Each module of DEFERRED is replaced here by a
 * stand-in that loads the real one on first use, so a caller that does serialize still gets it
 * (tests/stack/lean.test.ts). Import this first, before anything requires "@pulumi/pulumi";
 * policy/src/lean.ts does the same for the policy pack.
 *
 * It also gives stack traces back their V8 format. The program runs as JavaScript without source
 * maps (tsconfig.json), so the source-map-support that @pulumi/pulumi's run harness installs maps
 * nothing of it; it only reads and parses the SDK packages' own maps on the first trace through
 * them, and Pulumi formats a trace for every promise and every resource (about 0.13 s of CPU a
 * preview, in a CPU profile of the program).
 * Under ts-node (PULUMI_NODEJS_TYPESCRIPT) the mapping is kept: it points at TypeScript lines.
 */
import Module = require("module");

type Exports = Record<string | symbol, unknown>;

/**
 * The modules deferred, with the functions @pulumi/pulumi copies from them as it loads. The
 * Automation API (a program driving the CLI, with its process and server modules) is another the
 * program never uses; the main module only keeps a reference to it.
 */
const DEFERRED: Record<string, string[]> = {
    "@pulumi/pulumi/runtime/closure/serializeClosure": ["serializeFunction", "serializeFunctionAsync"],
    "@pulumi/pulumi/runtime/closure/codePaths": ["computeCodePaths"],
    "@pulumi/pulumi/automation": [],
};

function defer(request: string, functions: string[]): void {
    const file = require.resolve(request);
    if (require.cache[file]) return;
    let real: Exports | undefined;
    const load = (): Exports => {
        if (real === undefined) {
            if (require.cache[file] === standIn) delete require.cache[file];
            real = require(file) as Exports;
        }
        return real;
    };
    const calls: Exports = Object.fromEntries(functions.map((name) => [name, (...args: unknown[]) => (load()[name] as (...a: unknown[]) => unknown)(...args)]));
    const standIn = new Module(file);
    standIn.filename = file;
    standIn.loaded = true;
    standIn.exports = new Proxy(
        {},
        {
            get: (_, key) => (key === "__esModule" ? true : Object.hasOwn(calls, key) ? calls[key] : load()[key]),
            has: (_, key) => key in load(),
            ownKeys: () => Reflect.ownKeys(load()),
            getOwnPropertyDescriptor: (_, key) => {
                const d = Object.getOwnPropertyDescriptor(load(), key);
                return d && { ...d, configurable: true };
            },
        },
    );
    require.cache[file] = standIn;
}

for (const [request, functions] of Object.entries(DEFERRED)) defer(request, functions);

if (process.env.PULUMI_NODEJS_TYPESCRIPT !== "true") delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
