/**
 * Runs the CapRover emulator standalone on 127.0.0.1:
 *
 *   npm run caprover:emulator -- --port 3000 --password <password> [--deploy-seconds 2] \
 *     [--start-seconds 0] [--placeholder-ms 20] [--offline] [--serial-builds] [--fail-image <image>]... [--unhealthy-image <image>]... [--silent-image <image>]... \
 *     [--latency-ms 0] [--token-ttl-seconds 3600] [--root-domain emulator.test] [--no-root-ssl] \
 *     [--canary-worker-app <app> [--canary-beat-app <app>]] [--quiet]
 *
 * --no-root-ssl: a server whose root domain has no certificate (a stack then sets site:forceSsl false).
 * --canary-worker-app: web apps serve the site's canary view (/canary/), its task taken by that
 * app's worker; --canary-beat-app: the app that runs beat (default: beat runs in the worker app).
 *
 * The password can also come from $CAPROVER_PASSWORD, so it stays out of shell history.
 *
 * Rehearsing a deploy of the site offline (a scratch stack, images given by digest):
 *   site:caprover true, site:caproverUrl http://127.0.0.1:<port>, site:caproverProbeAddress
 *   127.0.0.1:<port>, site:build false with site:imageDigests, and the secrets
 *   site:caproverPassword (the emulator's) and site:flowerPassword; then `pulumi up`.
 * The official CLI reaches it through emulator/captain-redirect.js (see that file).
 */
import { CapRoverEmulator, EmulatorOptions } from "./caprover";

const USAGE =
    "usage: caprover:emulator -- --port <port> --password <password> [--deploy-seconds n] [--start-seconds n] [--placeholder-ms n] [--offline] " +
    "[--serial-builds] [--fail-image image]... [--unhealthy-image image]... [--silent-image image]... [--latency-ms n] [--token-ttl-seconds n] " +
    "[--root-domain domain] [--no-root-ssl] [--canary-worker-app app [--canary-beat-app app]] [--quiet]";

/** Parses the command line; throws with the usage on anything it does not accept. */
export function parseArgs(argv: string[], env: Record<string, string | undefined> = {}): EmulatorOptions & { quiet: boolean } {
    const out: EmulatorOptions & { quiet: boolean } = { password: env.CAPROVER_PASSWORD ?? "", port: 3000, quiet: false, failingImages: [], unhealthyImages: [], silentImages: [] };
    const number = (flag: string, value: string | undefined): number => {
        const n = Number(value);
        if (value === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number >= 0, got ${JSON.stringify(value)}\n${USAGE}`);
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        const take = () => {
            i++;
            if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
            return value;
        };
        switch (flag) {
            case "--port": out.port = number(flag, take()); break;
            case "--password": out.password = take(); break;
            case "--root-domain": out.rootDomain = take(); break;
            case "--deploy-seconds": out.deployMs = number(flag, take()) * 1000; break;
            case "--start-seconds": out.startMs = number(flag, take()) * 1000; break;
            case "--placeholder-ms": out.placeholderMs = number(flag, take()); break;
            // An offline server: the placeholder register deploys cannot be pulled (updates answer 1110 until a deploy).
            case "--offline": out.placeholderFails = true; break;
            case "--latency-ms": out.latencyMs = number(flag, take()); break;
            case "--token-ttl-seconds": out.tokenTtlMs = number(flag, take()) * 1000; break;
            case "--fail-image": out.failingImages!.push(take()); break;
            case "--unhealthy-image": out.unhealthyImages!.push(take()); break;
            case "--silent-image": out.silentImages!.push(take()); break;
            case "--serial-builds": out.serialBuilds = true; break;
            case "--no-root-ssl": out.hasRootSsl = false; break;
            case "--canary-worker-app": out.canary = { ...out.canary, workerApp: take() }; break;
            case "--canary-beat-app": out.canary = { workerApp: "", ...out.canary, beatApp: take() }; break;
            case "--quiet": out.quiet = true; break;
            default: throw new Error(`unknown argument ${JSON.stringify(flag)}\n${USAGE}`);
        }
    }
    if (!out.password) throw new Error(`--password (or $CAPROVER_PASSWORD) is required\n${USAGE}`);
    if (out.canary && !out.canary.workerApp) throw new Error(`--canary-beat-app needs --canary-worker-app\n${USAGE}`);
    return out;
}

async function main(): Promise<void> {
    const { quiet, ...options } = parseArgs(process.argv.slice(2), process.env);
    const emulator = new CapRoverEmulator({ ...options, log: quiet ? undefined : (line) => console.log(line) });
    const url = await emulator.start();
    console.log(`CapRover emulator on ${url} (API ${url}/api/v2; apps by Host header <app>.${emulator.options.rootDomain})`);
    const stop = () => {
        emulator.close().then(() => process.exit(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

if (require.main === module) {
    main().catch((e: Error) => {
        console.error(e.message);
        process.exit(2);
    });
}
