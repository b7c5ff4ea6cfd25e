/**
 * Preload for the official `caprover` CLI (NODE_OPTIONS="--require <this file>"): sends its HTTP
 * requests for `captain.*` hosts to the emulator on 127.0.0.1:$CAPROVER_EMULATOR_PORT.
 *
 * The CLI keeps only the host name of the server URL, prefixes `captain.` and uses port 80, so it
 * cannot be pointed at a loopback port directly. The Host header stays `captain.<domain>`, which is
 * what the emulator (like CapRover's nginx) routes on.
 */
"use strict";
const http = require("http");

const port = Number(process.env.CAPROVER_EMULATOR_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error("captain-redirect: set CAPROVER_EMULATOR_PORT to the emulator's port");

const original = http.request;
http.request = function request(...args) {
    const opts = typeof args[0] === "object" && !(args[0] instanceof URL) ? args[0] : undefined;
    const host = opts && String(opts.hostname || opts.host || "").split(":")[0];
    if (opts && host.startsWith("captain.")) {
        const headers = { ...(opts.headers || {}) };
        if (!Object.keys(headers).some((h) => h.toLowerCase() === "host")) headers.host = host;
        args[0] = { ...opts, hostname: "127.0.0.1", host: "127.0.0.1", port, headers, agent: undefined };
    }
    return original.apply(this, args);
};
