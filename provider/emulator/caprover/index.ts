/**
 * An emulator of CapRover's HTTP API v2 on 127.0.0.1, for tests, benchmarks and offline rehearsals.
 *
 * It follows caprover/caprover `src/routes` and its data stores: the `{status, description, data}`
 * envelope on HTTP 200, `x-namespace`, session tokens in `x-captain-auth` (with expiry), app deploy
 * tokens in `x-captain-app-token` (deploys only), the app-name rule, 1103 on re-registering, 1000
 * "App (<name>) could not be found" on updating or deleting a missing app, `POST .../update`
 * resetting omitted scalars, build state and build log, the namespace lock (HTTP 429 while another
 * change is in progress), and the wrong-password back-off. Like CapRover's nginx it also serves the
 * apps themselves by Host header (`<app>.<rootDomain>`), so health gates can be exercised.
 *
 * Faults and latency can be injected; deploys take a configurable time and chosen images fail.
 * TLS is out of scope: `forceSsl` is recorded and validated, not enforced on app traffic.
 *
 * One module per job: options.ts (settings), state.ts (what the server holds), http.ts (routing,
 * envelope, lock), auth.ts (logins, sessions), apps.ts (definitions), deploys.ts (builds),
 * tasks.ts (the service's tasks and their logs), serve.ts (the apps' own HTTP), canary.ts (the
 * site's canary view), brokers.ts (the apps' REDIS_URL onto redis-servers on 127.0.0.1),
 * registries.ts, faults.ts. This file is the public face: the server's lifecycle and what tests look at.
 */
import * as http from "http";
import type { AddressInfo, Socket } from "net";
import type { AppDefinition, Registry } from "../../src/api/types";
import type { Fault } from "./faults";
import { HttpFront, SeenRequest } from "./http";
import { EmulatorOptions, ResolvedOptions, resolveOptions } from "./options";
import { AppAnswer, EmulatedApp, TaskRun, World } from "./state";
import { serving } from "./tasks";

export type { Fault, FaultMatch } from "./faults";
export type { SeenRequest } from "./http";
export { MAX_PASSWORD_LENGTH, PLACEHOLDER_IMAGE } from "./options";
export type { CanaryOptions, EmulatorOptions } from "./options";
export type { AppAnswer, TaskRun } from "./state";

export class CapRoverEmulator {
    readonly options: ResolvedOptions;
    /** Apps by name. */
    readonly apps: Map<string, EmulatedApp>;
    /** Registries by id. */
    readonly registries: Map<string, Registry>;
    /** Named volumes that exist (kept when an app is deleted without asking to delete them). */
    readonly volumes: Set<string>;
    /** Every API request seen, in order. */
    readonly requests: SeenRequest[];

    private readonly world: World;
    private readonly front: HttpFront;
    private readonly server: http.Server;
    private readonly sockets = new Set<Socket>();
    private address?: AddressInfo;

    constructor(options: EmulatorOptions) {
        this.options = resolveOptions(options);
        this.world = new World(this.options);
        this.front = new HttpFront(this.world);
        this.apps = this.world.apps;
        this.registries = this.world.registries;
        this.volumes = this.world.volumes;
        this.requests = this.front.requests;
        this.server = http.createServer((req, res) => {
            this.front.handle(req, res).catch((e) => {
                this.front.note(req.method ?? "?", req.url ?? "?", "none", `crash ${(e as Error).message}`);
                if (!res.headersSent) res.writeHead(500).end("emulator error");
            });
        });
        this.server.on("connection", (s: Socket) => {
            this.sockets.add(s);
            s.on("close", () => this.sockets.delete(s));
        });
    }

    /** Listens on 127.0.0.1; resolves to the base URL (`http://127.0.0.1:<port>`). */
    async start(): Promise<string> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.options.port, "127.0.0.1", () => resolve());
        });
        this.address = this.server.address() as AddressInfo;
        return this.url;
    }

    /** Base URL of the API and apps. */
    get url(): string {
        if (!this.address) throw new Error("emulator not started");
        return `http://127.0.0.1:${this.address.port}`;
    }

    /** Port it listens on. */
    get port(): number {
        if (!this.address) throw new Error("emulator not started");
        return this.address.port;
    }

    /** Stops listening, drops every connection (hung ones too) and cancels pending deploys. */
    async close(): Promise<void> {
        this.world.close();
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        await this.world.brokers.close();
    }

    /** Injects a fault into the next matching requests. */
    inject(fault: Fault): void {
        this.front.faults.add(fault);
    }

    /** Drops every injected fault not yet used up. */
    clearFaults(): void {
        this.front.faults.clear();
    }

    /** Stops listening (connections are refused) and drops open connections; apps and deploys stay. `resume` listens again on the same port. */
    async pause(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    /** Listens again on the port it had. */
    async resume(): Promise<void> {
        await new Promise<void>((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(this.port, "127.0.0.1", () => resolve());
        });
    }

    /** Invalidates every session token, as a token expiry would. */
    expireTokens(): void {
        this.front.sessions.expireAll();
    }

    /** Makes deploys of `image` fail from now on. */
    failDeploysOf(image: string): void {
        this.options.failingImages.push(image);
    }

    /**
     * Makes the next `times` deploys fail as Swarm's "update out of sequence" does: CapRover has
     * recorded the new version as deployed, the service keeps its old task, the build log says why.
     */
    outOfSequence(times = 1): void {
        this.world.outOfSequence += times;
    }

    /** From now on, deploys of CapRover's placeholder (scheduled by register) stay in progress until `releasePlaceholders`. */
    holdPlaceholders(): void {
        this.world.heldPlaceholders ??= [];
    }

    /** Lets every held placeholder deploy end, and stops holding them. */
    releasePlaceholders(): void {
        const held = this.world.heldPlaceholders ?? [];
        this.world.heldPlaceholders = undefined;
        for (const release of held) release();
    }

    /** Times two of the app's containers ran at once under stop-first (an update sent before the previous one finished). */
    overlaps(appName: string): { at: number; tasks: [string, string] }[] {
        return [...(this.apps.get(appName)?.overlaps ?? [])];
    }

    /** Every HTTP answer the app gave, oldest first, with the image of the task that answered. */
    answers(appName: string): AppAnswer[] {
        return [...(this.apps.get(appName)?.answers ?? [])];
    }

    /** Every run-once task started (a release task's), oldest first, whether or not its app is still there. */
    taskRuns(): TaskRun[] {
        return [...this.world.taskRuns];
    }

    /** The port on 127.0.0.1 of the redis-server standing for a broker app (srv-captain--<app>), once the canary has reached it. */
    brokerPort(appName: string): Promise<number | undefined> {
        return this.world.brokers.portOf(appName);
    }

    /** The app's definition as the API lists it. */
    app(appName: string): AppDefinition | undefined {
        const app = this.apps.get(appName);
        return app ? this.world.listed(appName, app) : undefined;
    }

    /** The image currently answering HTTP for an app (start-first: the old one until the new one is up). */
    servingImage(appName: string): string | undefined {
        const app = this.apps.get(appName);
        return app ? serving(app)?.image : undefined;
    }

    /** Resolves once the app's last deploy has updated its service (serviceUpdateLagMs after CapRover reported the build done). */
    async serviceUpdated(appName: string): Promise<void> {
        await this.apps.get(appName)?.serviceUpdate;
    }

    /** The environment of the app's current task: the definition's, as the pre-deploy function left it (the release variable). */
    currentEnv(appName: string): Record<string, string> | undefined {
        const env = this.apps.get(appName)?.containers.at(-1)?.env;
        return env && { ...env };
    }

    /** The image of the app's current task (the service spec's), whether or not it is up yet. */
    currentImage(appName: string): string | undefined {
        return this.apps.get(appName)?.containers.at(-1)?.image;
    }
}
