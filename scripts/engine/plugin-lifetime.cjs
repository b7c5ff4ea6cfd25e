/**
 * Preloaded (`node --require`) by the launchers of the plugins this repository gives the engine
 * (provider/pulumi-resource-caprover, policy/pulumi-analyzer-site): the plugin exits once the
 * engine that started it is gone. The CLI starts plugins in their own process group and stops them
 * when it ends; killed outright (SIGKILL, a cancelled CI job) it cannot, and the plugin's gRPC
 * server would keep listening, and the provider keep talking to CapRover, forever.
 */
"use strict";
const parent = process.ppid;
// unref: the check alone keeps nothing alive; the plugin's server does, while the engine lives.
setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
}, 500).unref();
