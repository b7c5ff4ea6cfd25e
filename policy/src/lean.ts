/**
 * Loads only what the pack needs of @pulumi/pulumi's main module, before @pulumi/policy asks for it.
 * The policy SDK takes nothing from it but the asset classes (to deserialize asset inputs); the
 * whole SDK (runtime, automation API, closure serializer) takes about 0.3 s to load, on every
 * preview and update (bench/policy-pack.ts measures the difference). Submodules load as usual,
 * but for the one that deserializes the engine's property values (and loads the SDK's runtime
 * settings, logging and tracing with it): it loads when the first resource is analyzed, not before
 * the pack answers the engine, which starts the program only once the pack is up.
 * Import this first: it must run before anything requires "@pulumi/pulumi".
 */
import Module = require("module");

const main = require.resolve("@pulumi/pulumi");
if (!require.cache[main]) {
    const lean = new Module(main);
    lean.filename = main;
    lean.loaded = true;
    lean.exports = { asset: require("@pulumi/pulumi/asset") };
    require.cache[main] = lean;
}

const rpc = require.resolve("@pulumi/pulumi/runtime/rpc");
if (!require.cache[rpc]) {
    let real: object | undefined;
    const load = (): object => {
        if (real === undefined) {
            delete require.cache[rpc];
            real = require(rpc) as object;
        }
        return real;
    };
    const standIn = new Module(rpc);
    standIn.filename = rpc;
    standIn.loaded = true;
    // Read by property (`rpc_1.deserializeProperties(...)`) when the first resource is analyzed.
    standIn.exports = new Proxy({}, { get: (_, key) => Reflect.get(load(), key), has: (_, key) => key in load() });
    require.cache[rpc] = standIn;
}
