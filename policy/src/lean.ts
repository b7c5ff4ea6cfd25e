/**
 * Loads only what the pack needs of @pulumi/pulumi's main module, before @pulumi/policy asks for it.
 * The policy SDK takes nothing from it but the asset classes (to deserialize asset inputs); the
 * whole SDK (runtime, automation API, closure serializer) takes about 0.3 s to load, on every
 * preview and update (bench/policy-pack.ts measures the difference). Submodules load as usual.
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
