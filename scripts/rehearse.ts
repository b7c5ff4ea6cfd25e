/**
 * `npm run rehearse -- <profile> [--deploy-seconds D | --real]`: the consolidation rehearsed before
 * it touches dev. The `local` stack (Pulumi.local.yaml) goes through the real Pulumi engine against
 * the CapRover emulator on 127.0.0.1 (each deploy takes D seconds, default 1), or with `--real`
 * against the real CapRover of this machine with images built by BuildKit (scripts/rehearsal/servers.ts):
 * `pulumi up` under the stack file's profile, the one-line flip to `<profile>` (preview with its
 * diff, up, health gate), and the one line back (the same again), then `pulumi destroy`. It prints
 * each diff and the timings, and exits 1 if any step does not do exactly what the topology says.
 *
 * The health gate after each `up`: CapRover runs exactly the profile's apps, each its pinned image,
 * and the web-exposed ones answer their health path 2xx (as the provider's deploy gate probes).
 */
import * as http from "http";
import { parseSiteConfig } from "../config/site";
import { stackFileConfig } from "../config/stackFile";
import { PROFILES, PROFILE_NAMES, ProfileName, ROLES, Role, RoleName, SERVICE_NAMES, ServiceName } from "../config/topology";
import { deployedImage } from "../provider/src/api/client";
import { probe } from "../provider/src/api/transport";
import { PreviewJson, REPO, ensureTools } from "./engine/driver";
import { changedSteps, differingKeys, errorsOf, isChange, plannedSteps, shortName, summaryOf } from "./engine/events";
import { CLI_TIMEOUT, FLOWER_PASSWORD, STACK } from "./engine/localStack";
import { RehearsalServer, emulatorServer, realServer, stackApps } from "./rehearsal/servers";

const USAGE = `usage: npm run rehearse -- <profile> [--deploy-seconds D | --real]   (profiles: ${PROFILE_NAMES.join(", ")})`;

/** What the command line asks for. */
export interface RehearsalArgs {
    /** The profile to flip to (and back from). */
    to: ProfileName;
    /** Seconds each emulated deploy takes. */
    deploySeconds: number;
    /** Against the real CapRover of this machine, with real builds, instead of the emulator. */
    real: boolean;
}

/** Parses the command line; throws with the usage on anything it does not accept. */
export function parseRehearsalArgs(argv: string[]): RehearsalArgs {
    const [to, ...rest] = argv;
    if (!PROFILE_NAMES.includes(to as ProfileName)) throw new Error(`${to === undefined ? "no profile given" : `unknown profile ${JSON.stringify(to)}`}\n${USAGE}`);
    const args: RehearsalArgs = { to: to as ProfileName, deploySeconds: 1, real: false };
    let paced = false;
    for (let i = 0; i < rest.length; i++) {
        const n = Number(rest[i + 1]);
        if (rest[i] === "--real") args.real = true;
        else if (rest[i] === "--deploy-seconds" && rest[i + 1] !== undefined && Number.isFinite(n) && n >= 0 && n <= 60) {
            args.deploySeconds = n;
            paced = true;
            i++;
        } else throw new Error(`unknown or bad argument ${JSON.stringify(rest[i])} (--deploy-seconds takes 0 to 60)\n${USAGE}`);
    }
    if (args.real && paced) throw new Error(`--deploy-seconds paces the emulator's deploys; the real CapRover (--real) takes the time its deploys take\n${USAGE}`);
    return args;
}

/**
 * The steps `pulumi preview` must plan for a flip, from the topology alone: services leaving lose
 * their app and image, services arriving get both, services changing role update their app in
 * place (same URN), everything else stays. A stack that builds its images (`builds`) also builds,
 * drops or rebuilds (a changed target) each one's BuildKit image.
 */
export function flipPlan(from: ProfileName, to: ProfileName, builds = false): string[] {
    const [a, b] = [PROFILES[from], PROFILES[to]] as Partial<Record<ServiceName, RoleName>>[];
    const target = (role: RoleName) => (ROLES[role] as Role).target;
    return SERVICE_NAMES.flatMap((s) => {
        const image = builds ? [`Image::${s}`] : [];
        if (a[s] && !b[s]) return [`App::${s}`, `ServiceImage::${s}`, ...image].map((r) => `delete ${r}`);
        if (!a[s] && b[s]) return [`App::${s}`, `ServiceImage::${s}`, ...image].map((r) => `create ${r}`);
        if (a[s] === b[s]) return [];
        return [`update App::${s}`, ...(builds && target(a[s]!) !== target(b[s]!) ? [`update Image::${s}`] : [])];
    }).sort();
}

class RehearsalFailure extends Error {}

function check(ok: boolean, what: string): void {
    if (!ok) throw new RehearsalFailure(what);
}

const short = (ref: string) => ref.replace(/@sha256:([0-9a-f]{8})[0-9a-f]{56}$/, "@sha256:$1…");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One rehearsal run: the server, its stack's workspace, and the timings so far. */
class Rehearsal {
    readonly timings: [string, number][] = [];
    private readonly stack = ["--stack", STACK];

    constructor(private readonly server: RehearsalServer) {}

    private get ws() {
        return this.server.ws;
    }

    private async timed<T>(label: string, f: () => Promise<T>): Promise<T> {
        const started = Date.now();
        const result = await f();
        this.timings.push([label, Date.now() - started]);
        console.log(`   ${label}: ${seconds(Date.now() - started)}`);
        return result;
    }

    async setTopology(profile: ProfileName): Promise<void> {
        console.log(`   pulumi config set site:topology ${profile}   (the one line)`);
        await this.ws.pulumi(["config", "set", "site:topology", profile, ...this.stack], { timeoutMs: CLI_TIMEOUT });
    }

    /** `pulumi preview --diff`: prints the plan and checks it is `expected` exactly. */
    async preview(label: string, expected: string[]): Promise<void> {
        const preview = await this.timed(`${label} (pulumi preview --diff)`, () => this.ws.json<PreviewJson>(["preview", "--diff", ...this.stack], { timeoutMs: CLI_TIMEOUT }));
        for (const step of preview.steps.filter((s) => isChange(s.op)).sort((x, y) => shortName(x.urn).localeCompare(shortName(y.urn)))) {
            console.log(`     ${step.op.padEnd(7)} ${shortName(step.urn)}`);
            if (step.op !== "update") continue;
            for (const key of differingKeys(step.oldState?.inputs, step.newState?.inputs)) {
                const [was, is] = [step.oldState?.inputs?.[key], step.newState?.inputs?.[key]];
                const shown = (v: unknown) => (key === "image" ? short(String(v)) : String(v));
                console.log(`       ${key}: ${key === "description" ? "changed" : `${shown(was)}  ->  ${shown(is)}`}`);
            }
        }
        for (const d of preview.diagnostics ?? []) if (d.severity === "warning") console.log(`     ${d.message.trim()}`);
        check(JSON.stringify(plannedSteps(preview)) === JSON.stringify(expected), `the preview planned ${JSON.stringify(plannedSteps(preview))}, expected ${JSON.stringify(expected)}`);
        check(!preview.steps.some((s) => s.op.includes("replace")), "the preview replaces a resource (its URN should keep)");
    }

    /** `pulumi up` or `destroy` with `--skip-preview` (the plan was just previewed); checks it did `expected` exactly, when given. */
    async operation(command: "up" | "destroy", label: string, expected?: string[]): Promise<void> {
        const { events } = await this.timed(label, () => this.ws.events([command, ...this.stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT }));
        check(errorsOf(events).length === 0 && summaryOf(events)?.result === "succeeded", `pulumi ${command} failed: ${errorsOf(events).join("; ")}`);
        const done = changedSteps(events);
        if (expected) check(JSON.stringify(done) === JSON.stringify(expected), `pulumi ${command} did ${JSON.stringify(done)}, expected ${JSON.stringify(expected)}`);
    }

    /**
     * The apps as the profile wants them: exactly its services, each running its pinned image; the
     * web-exposed ones answer their health path 2xx (as the deploy gate probes it).
     */
    async healthGate(profile: ProfileName): Promise<void> {
        const config = parseSiteConfig(STACK, stackFileConfig(REPO, STACK, { topology: profile, appNamePrefix: this.server.appPrefix }), { FLOWER_PASSWORD });
        const names = config.services.map((s) => s.appName).sort();
        const { apps, rootDomain } = await stackApps(this.server);
        check(JSON.stringify(apps.map((a) => a.appName)) === JSON.stringify(names), `CapRover has apps ${apps.map((a) => a.appName).join(", ")}, expected ${names.join(", ")}`);
        for (const s of config.services) {
            const app = apps.find((a) => a.appName === s.appName)!;
            const image = deployedImage(app);
            const expected = await this.server.expectedImage(s, config);
            check(image === expected, `${s.appName} runs ${image}, expected ${expected}`);
            let health = "no HTTP (worker)";
            if (s.exposure !== "internal" && s.health) {
                const auth = s.exposure === "http-auth" ? config.caprover.flowerAuth : undefined;
                const answer = await probe(`http://${s.appName}.${rootDomain}${s.health.path}`, { timeoutMs: 5000, connectTo: this.server.probeAddress, basicAuth: auth });
                const status = "status" in answer ? answer.status : 0;
                check(status >= 200 && status < 300, `${s.appName}: GET ${s.health.path} answered ${"status" in answer ? status : answer.error}`);
                health = `GET ${s.health.path} ${status} ${http.STATUS_CODES[status] ?? ""}`.trim();
            }
            console.log(`     ${s.appName.padEnd(17)} ${s.target.padEnd(15)} ${short(image!).padEnd(60)} ${health}; override ${app.serviceUpdateOverride}`);
        }
    }

    /** A preview right after an up plans nothing: the stack converged. */
    async converged(label: string): Promise<void> {
        const preview = await this.timed(label, () => this.ws.json<PreviewJson>(["preview", ...this.stack], { timeoutMs: CLI_TIMEOUT }));
        check(plannedSteps(preview).length === 0, `not converged: the next preview plans ${JSON.stringify(plannedSteps(preview))}`);
    }
}

async function main(argv: string[]): Promise<number> {
    let args: RehearsalArgs;
    try {
        args = parseRehearsalArgs(argv);
    } catch (e) {
        console.error((e as Error).message);
        return 2;
    }
    const from = parseSiteConfig(STACK, stackFileConfig(REPO, STACK), { FLOWER_PASSWORD }).profile;
    if (args.to === from) {
        console.error(`the local stack already runs ${from}; rehearse a flip to another profile\n${USAGE}`);
        return 2;
    }
    await ensureTools({ progress: true });
    const total = Date.now();
    const server = args.real ? await realServer((line) => console.log(line)) : await emulatorServer(args.deploySeconds);
    const r = new Rehearsal(server);
    const plan = (a: ProfileName, b: ProfileName) => flipPlan(a, b, server.builds);
    try {
        console.log(`rehearsal: the local stack, ${from} -> ${args.to} -> ${from}, through the Pulumi engine against ${server.description}`);
        console.log(`\n1. as the stack file has it: ${from}`);
        await r.operation("up", `pulumi up (${from})`);
        console.log("   health gate:");
        await r.healthGate(from);
        console.log(`\n2. flip to ${args.to}`);
        await r.setTopology(args.to);
        await r.preview(`preview of the flip to ${args.to}`, plan(from, args.to));
        await r.operation("up", `pulumi up (${args.to})`, plan(from, args.to));
        console.log("   health gate:");
        await r.healthGate(args.to);
        await r.converged(`converged under ${args.to} (the next preview plans nothing)`);
        console.log(`\n3. back to ${from}`);
        await r.setTopology(from);
        await r.preview(`preview of the way back to ${from}`, plan(args.to, from));
        await r.operation("up", `pulumi up (${from})`, plan(args.to, from));
        console.log("   health gate:");
        await r.healthGate(from);
        await r.converged(`converged under ${from} (the next preview plans nothing)`);
        console.log("\n4. clean up");
        await r.operation("destroy", "pulumi destroy");
        const { apps: left } = await stackApps(server);
        check(left.length === 0, `pulumi destroy left apps on the server: ${left.map((a) => a.appName).join(", ")}`);
        console.log("\ntimings:");
        for (const [label, ms] of r.timings) console.log(`   ${seconds(ms).padStart(7)}  ${label}`);
        console.log(`   ${seconds(Date.now() - total).padStart(7)}  in all (tools ready)`);
        console.log(`\nrehearsal passed: ${from} -> ${args.to} -> ${from} is one line each way, the previews planned exactly the topology's diff, every app ran its image and answered its health check`);
        return 0;
    } catch (e) {
        console.error(`\nrehearsal FAILED: ${(e as Error).message}`);
        return 1;
    } finally {
        await server.close();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: Error) => {
            console.error(`rehearsal FAILED: ${e.message}`);
            process.exit(1);
        },
    );
}
