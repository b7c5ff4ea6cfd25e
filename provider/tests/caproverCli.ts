/**
 * The official `caprover` CLI (npm package, a devDependency), run as a user runs it, against a
 * server on a loopback port: the emulator, or captain-nginx of the real CapRover. The CLI keeps only
 * the host name of the server URL and talks to port 80 of `captain.<domain>`; a preloaded module
 * (provider/emulator/captain-redirect.js) sends those requests to `port` with that Host.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "node_modules/caprover/built/commands/caprover.js");
const REDIRECT = path.join(ROOT, "provider/emulator/captain-redirect.js");

/** The CLI's words for CapRover's 429: `429 - "Another operation still in progress... please wait..."`. */
const BUSY = /\b429\b.*Another operation still in progress/;
const BUSY_ATTEMPTS = 120;
const BUSY_PAUSE_MS = 500;

export interface CliResult {
    code: number;
    output: string;
}

/** One CLI home (its configstore of machines and deployed directories), removed by `dispose`. */
export class CaproverCli {
    readonly home = fs.mkdtempSync(path.join(os.tmpdir(), "caprover-cli-"));

    /** `port`: where requests for `captain.*` go; `server` and `password`: what `api`/`deploy` log in with. */
    constructor(
        private readonly port: () => number,
        private readonly server: string,
        private readonly password: string,
    ) {}

    /**
     * `caprover <args>`: exit code and both streams. A command CapRover refused with 429 (another
     * client's operation holds its lock: the real tier's files run beside each other) is run again,
     * as its message asks ("please wait"); a 429 comes before CapRover does anything, so the
     * command is not done twice. Bounded: BUSY_ATTEMPTS runs, BUSY_PAUSE_MS apart.
     */
    async run(...args: string[]): Promise<CliResult> {
        for (let attempt = 1; ; attempt++) {
            const result = await this.once(args);
            if (result.code === 0 || !BUSY.test(result.output) || attempt >= BUSY_ATTEMPTS) return result;
            await new Promise((r) => setTimeout(r, BUSY_PAUSE_MS));
        }
    }

    private once(args: string[]): Promise<CliResult> {
        const env = {
            PATH: process.env.PATH,
            HOME: this.home,
            // The CLI stores machines and deployed directories in configstore, under here.
            XDG_CONFIG_HOME: this.home,
            NODE_OPTIONS: `--require ${REDIRECT}`,
            CAPROVER_EMULATOR_PORT: String(this.port()),
            FORCE_COLOR: "0",
        };
        return new Promise((resolve) => {
            execFile(process.execPath, [CLI, ...args], { env, cwd: this.home }, (err, stdout, stderr) => {
                resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, output: stdout + stderr });
            });
        });
    }

    /** `caprover api` with the password; the parsed response, or throws with the CLI's output. */
    async api(method: string, apiPath: string, data: unknown): Promise<unknown> {
        const out = path.join(this.home, "response.json");
        const result = await this.run("api", "-u", this.server, "-p", this.password, "-t", apiPath, "-m", method, "-d", JSON.stringify(data), "-o", out);
        if (result.code !== 0) throw new Error(`caprover api ${method} ${apiPath} exited ${result.code}:\n${result.output}`);
        return JSON.parse(fs.readFileSync(out, "utf8"));
    }

    /** `caprover deploy --imageName` with the password; throws with the CLI's output when it fails. */
    async deploy(appName: string, imageName: string): Promise<string> {
        const result = await this.run("deploy", "-u", this.server, "-p", this.password, "-a", appName, "-i", imageName);
        if (result.code !== 0) throw new Error(`caprover deploy -a ${appName} -i ${imageName} exited ${result.code}:\n${result.output}`);
        return result.output;
    }

    dispose(): void {
        fs.rmSync(this.home, { recursive: true, force: true });
    }
}
