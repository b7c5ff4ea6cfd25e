/**
 * Preloaded (NODE_OPTIONS=--require) into the Node.js processes of an engine test's CLI calls. In
 * the caprover provider's process only, `Date.now` is the clock the test holds
 * (tests/engine/providerClock.ts), read from the file SITE_TEST_CLOCK names at every call:
 * `{ "frozenAt": <epoch ms> | null, "offset": <ms> }`. A deploy's deadline then passes when the test
 * moves that clock (at the event it waits for), not when a busy machine happens to be slow.
 */
"use strict";
const file = process.env.SITE_TEST_CLOCK;
if (file && /provider[\\/]bin[\\/]main\.js$/.test(process.argv[1] || "")) {
    const fs = require("fs");
    const realNow = Date.now;
    Date.now = () => {
        let clock;
        try {
            clock = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch {
            return realNow.call(Date);
        }
        return typeof clock.frozenAt === "number" ? clock.frozenAt : realNow.call(Date) + (clock.offset || 0);
    };
}
