/**
 * The real CapRover 1.15.3 on this machine (scripts/ensure-caprover.sh): where it answers, and what
 * its Docker says. The real-server tier reads Docker itself (service specs, containers, events), never
 * only the program's outputs.
 */
import { randomBytes } from "crypto";
import { spawn } from "child_process";
import * as http from "http";
import * as path from "path";
import { REPO, Workspace, exportedValue, run } from "./driver";
import { ConfigValue, configureAll } from "./localStack";

const SCRIPT = path.join(REPO, "scripts", "ensure-caprover.sh");
const DOCKER = "/usr/bin/docker";

/** What scripts/ensure-caprover.sh prints. */
export interface RealCaprover {
    /** Dashboard URL, `http://127.0.0.1:<admin port>`. */
    url: string;
    /** Dashboard password (local to this machine, generated at first start). */
    password: string;
    /** captain-nginx's HTTP address, `127.0.0.1:<port>`: health probes go there with the app's Host. */
    nginx: string;
    /** Apps answer at `<app>.<rootDomain>` through nginx. */
    rootDomain: string;
    /** The dockerd running CapRover, `unix://...`. */
    dockerHost: string;
    /** True when this call started it (then `stopRealCaprover` stops it again). */
    started: boolean;
}

export function realCaproverFromExports(text: string, started: boolean): RealCaprover {
    const value = (name: string) => exportedValue(text, name, "scripts/ensure-caprover.sh");
    return {
        url: value("SITE_CAPROVER_URL"),
        password: value("SITE_CAPROVER_PASSWORD"),
        nginx: value("SITE_CAPROVER_NGINX"),
        rootDomain: value("SITE_CAPROVER_ROOT_DOMAIN"),
        dockerHost: value("SITE_CAPROVER_DOCKER_HOST"),
        started,
    };
}

/**
 * Builds and starts what is missing (minutes on a fresh machine: apt packages, the CapRover tree,
 * a root filesystem, images; about 35 s from a warm data root), or only checks. Throws with the
 * script's own message when it cannot.
 */
export async function ensureRealCaprover(opts: { progress?: boolean } = {}): Promise<RealCaprover> {
    const before = await run("bash", [SCRIPT, "status"], { timeoutMs: 60_000, allowFailure: true });
    const r = await run("bash", [SCRIPT, "start"], {
        timeoutMs: 40 * 60_000,
        env: { ...process.env, SITE_TOOLS_QUIET: opts.progress ? "0" : "1" },
        inherit: opts.progress ? "stderr" : false,
        allowFailure: true,
    });
    if (r.code !== 0) throw new Error(`scripts/ensure-caprover.sh failed (exit ${r.code}):\n${r.stderr.trim()}`);
    return realCaproverFromExports(r.stdout, before.code !== 0);
}

/**
 * The dashboard's own port: where the official CLI's requests for `captain.<root domain>` go
 * (provider/tests/caproverCli.ts). Through captain-nginx they would reach the captain service's
 * virtual IP, which needs IPVS, and this kernel has none (REAL-CAPROVER.md): nginx answers 502.
 */
export function adminPort(c: RealCaprover): number {
    return Number(new URL(c.url).port);
}

/** Stops the server when `ensureRealCaprover` started it (a machine is left as found). */
export async function stopRealCaprover(c: RealCaprover | undefined): Promise<void> {
    if (c?.started) await run("bash", [SCRIPT, "stop"], { timeoutMs: 120_000 });
}

/** A Docker service's spec as far as the tests read it. */
export interface ServiceSpec {
    Name: string;
    TaskTemplate: {
        ContainerSpec: { Image: string; Env?: string[]; Ulimits?: { Name: string; Soft: number; Hard: number }[]; StopGracePeriod?: number };
        RestartPolicy?: { Condition?: string };
    };
    UpdateConfig?: { Order?: string };
    EndpointSpec?: { Mode?: string };
    Labels?: Record<string, string>;
}

/** One container event of `docker events`: what happened to which container of which service. */
export interface ContainerEvent {
    action: string;
    id: string;
    service: string;
    /** The image the container was created from, as Swarm names it (`<repo>:<tag>@sha256:...`). */
    image: string;
    /** Nanoseconds since the epoch, as Docker stamps it. */
    timeNano: number;
    /** The process's exit code, on a `die` event. */
    exitCode?: string;
}

/** A container event as a line of a failure's message: action, service, container, image, exit code. */
export function eventLine(e: ContainerEvent): string {
    return `${e.action} ${e.service} ${e.id.slice(0, 12)} ${e.image}${e.exitCode !== undefined ? ` exit=${e.exitCode}` : ""}`;
}

/** The Docker behind the real CapRover, asked directly. */
export class RealDocker {
    constructor(readonly host: string) {}

    async docker(args: string[], timeoutMs = 60_000): Promise<string> {
        return (await run(DOCKER, ["-H", this.host, ...args], { timeoutMs })).stdout;
    }

    /** The service's spec, or undefined when there is none. */
    async service(name: string): Promise<ServiceSpec | undefined> {
        const r = await run(DOCKER, ["-H", this.host, "service", "inspect", name, "--format", "{{json .Spec}}"], { timeoutMs: 60_000, allowFailure: true });
        return r.code === 0 ? (JSON.parse(r.stdout) as ServiceSpec) : undefined;
    }

    /** Ids of the running containers of a service. */
    async containers(service: string): Promise<string[]> {
        const out = await this.docker(["ps", "-q", "--no-trunc", "--filter", `label=com.docker.swarm.service.name=${service}`]);
        return out.split("\n").filter(Boolean);
    }

    /** `docker exec` in a container, returning its output. */
    exec(container: string, command: string[]): Promise<string> {
        return this.docker(["exec", container, ...command]);
    }

    /** The image digest a running container of the service was created from (`sha256:...`, the repo digest). */
    async runningDigest(service: string): Promise<string | undefined> {
        const [id] = await this.containers(service);
        if (!id) return undefined;
        const image = (await this.docker(["inspect", id, "--format", "{{.Config.Image}}"])).trim();
        return image.slice(image.lastIndexOf("@") + 1) || undefined;
    }

    /** The image reference every running container of the service was created from (Swarm's, with its digest), newest first. */
    async runningImages(service: string): Promise<string[]> {
        const ids = await this.containers(service);
        if (ids.length === 0) return [];
        return (await this.docker(["inspect", ...ids, "--format", "{{.Config.Image}}"])).split("\n").filter(Boolean);
    }

    /**
     * Waits until every running container of the service runs `digest` (Swarm has finished the
     * update: a start-first one keeps the old container until the new one's health check passes,
     * its first check an interval after the start). Fails after `limitMs` with what runs.
     */
    async settledOn(service: string, digest: string, limitMs = 300_000): Promise<void> {
        const end = Date.now() + limitMs;
        for (;;) {
            const images = await this.runningImages(service).catch(() => [] as string[]);
            if (images.length > 0 && images.every((i) => i.endsWith(`@${digest}`))) return;
            if (Date.now() > end) throw new Error(`${service} did not settle on ${digest} within ${limitMs} ms; running: ${images.join(", ") || "nothing"}\n${await this.docker(["service", "ps", "--no-trunc", service])}`);
            await new Promise((r) => setTimeout(r, 1000));
        }
    }

    /** Every task of the services whose names start with `prefix`, as `docker service ps` shows them (state and error in Docker's words). */
    async tasks(prefix: string): Promise<string> {
        const names = (await this.docker(["service", "ls", "--filter", `name=${prefix}`, "--format", "{{.Name}}"])).split("\n").filter((n) => n.startsWith(prefix));
        if (names.length === 0) return "(no service)";
        return this.docker(["service", "ps", "--no-trunc", "--format", "{{.Name}} {{.Image}} desired={{.DesiredState}} current={{.CurrentState}} {{.Error}}", ...names]);
    }

    /**
     * Records container events of the services whose names match, from now until `stop()`: Docker's
     * own event stream, so what overlapped is read from events, not from samples taken in time.
     */
    watch(services: RegExp): { events: ContainerEvent[]; when: (match: (e: ContainerEvent) => boolean) => Promise<ContainerEvent>; stop: () => Promise<void> } {
        const events: ContainerEvent[] = [];
        const waiting: { match: (e: ContainerEvent) => boolean; resolve: (e: ContainerEvent) => void }[] = [];
        /** The first event that matches, already seen or still to come. */
        const when = (match: (e: ContainerEvent) => boolean) =>
            new Promise<ContainerEvent>((resolve) => {
                const seen = events.find(match);
                if (seen) resolve(seen);
                else waiting.push({ match, resolve });
            });
        const record = (e: ContainerEvent) => {
            events.push(e);
            for (const w of waiting.filter((x) => x.match(e))) {
                waiting.splice(waiting.indexOf(w), 1);
                w.resolve(e);
            }
        };
        const child = spawn(DOCKER, ["-H", this.host, "events", "--filter", "type=container", "--format", "{{json .}}"], { stdio: ["ignore", "pipe", "ignore"] });
        // A docker CLI that cannot start leaves the watch empty (the test's own checks then fail), never the process down.
        let spawnFailed = false;
        child.once("error", () => (spawnFailed = true));
        let buffer = "";
        child.stdout.on("data", (chunk: Buffer) => {
            buffer += chunk.toString("utf8");
            let nl: number;
            while ((nl = buffer.indexOf("\n")) >= 0) {
                const line = buffer.slice(0, nl);
                buffer = buffer.slice(nl + 1);
                try {
                    const e = JSON.parse(line) as { Action: string; id: string; timeNano: number; Actor: { Attributes: Record<string, string> } };
                    const service = e.Actor?.Attributes?.["com.docker.swarm.service.name"] ?? "";
                    const { image = "", exitCode } = e.Actor.Attributes;
                    if (services.test(service)) record({ action: e.Action, id: e.id, service, image, timeNano: e.timeNano, ...(exitCode !== undefined ? { exitCode } : {}) });
                } catch {
                    // not an event line
                }
            }
        });
        const stop = () =>
            new Promise<void>((resolve) => {
                if (spawnFailed || child.exitCode !== null || child.signalCode !== null) return resolve();
                child.once("exit", () => resolve());
                child.kill();
            });
        return { events, when, stop };
    }
}

/**
 * The most containers of one service that ran at the same time, from its start and die events
 * (`running` containers already up when the watch began count from the start).
 */
export function mostAtOnce(events: ContainerEvent[], service: string, running: string[] = []): number {
    const up = new Set(running);
    let most = up.size;
    for (const e of events.filter((x) => x.service === service).sort((a, b) => a.timeNano - b.timeNano)) {
        if (e.action === "start") up.add(e.id);
        // kill and stop precede die: a container counts as running until it died.
        if (e.action === "die") up.delete(e.id);
        most = Math.max(most, up.size);
    }
    return most;
}

/** An answer of an app through captain-nginx. */
export interface Visit {
    status: number;
    retryAfter?: string;
    body: string;
}

/**
 * Reads once a second until `ok` takes what `read` gave, at most `tries` times; returns the last
 * answer read (the caller checks it and says what it waited for). For what the server does after
 * it has answered (nginx's reload, a task's own write), where the event itself cannot be awaited.
 */
export async function readUntil<T>(read: () => Promise<T>, ok: (value: T) => boolean, tries: number): Promise<T> {
    let last = await read();
    for (let i = 1; i < tries && !ok(last); i++) {
        await new Promise((r) => setTimeout(r, 1000));
        last = await read();
    }
    return last;
}

/** A GET of an app through captain-nginx, as a visitor of `<app>.<root domain>` makes it. */
export function visitApp(real: Pick<RealCaprover, "nginx" | "rootDomain">, appName: string, pathname: string): Promise<Visit> {
    return new Promise((resolve, reject) => {
        const [host, port] = real.nginx.split(":");
        const req = http.get({ host, port: Number(port), path: pathname, headers: { Host: `${appName}.${real.rootDomain}` } }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined, body }));
        });
        req.on("error", reject);
    });
}

/** This machine cannot grant a container more open files than 20000 (REAL-CAPROVER.md): stacks here ask for less. */
export const NOFILE = 16384;
/**
 * The tier's pace for web's and Flower's HEALTHCHECK, in Docker's nanoseconds: a check every 5 s
 * (the image's: 30 s), and failures not counted for the first 120 s (the image's: 40 and 20 s).
 */
const HEALTH_PACE = { Interval: 5e9, StartPeriod: 120e9 };
/** The tier's pace for beat's heartbeat, in seconds (the stand-in's: 30). */
const HEARTBEAT_S = 5;

/**
 * What the `local` stack needs to run on the real CapRover of this machine (the stack already points
 * at it: openStack). Each line is a fact of this machine, not of CapRover: a real host needs none.
 * `broker`: the stand-in broker image by digest (Builder.brokerImage, pinned), run as the managed
 * broker (`site:accessories: [broker]`) with a password of this run; without it the apps use an
 * in-process broker, so workers start and announce their release, but nothing crosses containers.
 * `pace` (default true): the tier's own pace, web's and Flower's health checks and beat's heartbeat
 * every 5 s; false keeps the image's, as the benches' apps deployed with the CLI run them.
 */
export async function configureForRealServer(ws: Workspace, opts: { broker?: string; pace?: boolean } = {}): Promise<void> {
    const setting = (key: string, value: string): ConfigValue => ({ key, value, path: key.includes(".") });
    const pace = opts.pace ?? true;
    await configureAll(ws, [
        // A web release is served only once its HEALTHCHECK passed (Swarm's start-first waits for it)
        // and nginx's resolver dropped the old address
        // (10 s): with the image's first check 30 s after the start, well over the local stack's 60 s
        // on 2 busy cores.
        setting("site:caproverDeployTimeout", "300"),
        // No certificate on the root domain here (Let's Encrypt is out of reach).
        setting("site:forceSsl", "false"),
        // No IPVS on this kernel: nginx reaches web and Flower through DNS round robin (the managed
        // broker always is: components/broker/broker.ts).
        ...["web", "flower"].map((service) => setting(`site:services.${service}.serviceUpdateOverride.EndpointSpec.Mode`, "dnsrr")),
        ...(opts.broker
            ? [
                  { key: "site:accessories[0]", value: "broker", path: true },
                  setting("site:accessoryImages.redis", opts.broker),
                  // Redis's password alphabet (config/accessories.ts): base64url letters.
                  { key: "site:brokerPassword", value: randomBytes(18).toString("base64url"), secret: true },
                  // The tier's pace: the canary waits for the new beat's first heartbeat, which the
                  // stand-in's schedule sends every 30 s (SITE_HEARTBEAT_SECONDS); beat runs in the
                  // worker under unified.
                  ...(pace ? ["celerybeat", "celery"] : []).map((service) => ({ key: `site:services.${service}.env.SITE_HEARTBEAT_SECONDS`, value: String(HEARTBEAT_S), path: true, text: true })),
              ]
            : [
                  // The in-process broker: workers start and announce their release without a Redis.
                  ...["web", "celery", "celerybeat", "flower"].map((service) => setting(`site:services.${service}.env.REDIS_URL`, "memory://")),
                  // ... and nothing crosses containers, so no canary can pass.
                  { key: "site:canary.enabled", value: "false", path: true },
              ]),
        // The worker image's HEALTHCHECK (celery inspect ping) first runs an interval, 60 s, after the
        // start, and Swarm shows no log line of a task until it is healthy, so the gate would wait that
        // long for the ready line; with memory:// it would never pass, and Swarm would replace a
        // healthy worker in the middle of a run.
        setting("site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.HealthCheck.Test[0]", "NONE"),
        // The tier's pace, not a fact of the machine: Swarm ends a start-first update only once the
        // new task's HEALTHCHECK passed, which the image's first check says an interval, 30 s, after
        // the start.
        // Docker keeps the image's test and retries where the service sets none. Checks every 2 s with
        // the image's start periods failed web and beat on a CI run overloaded by another tier
        // (baf50a5): hence 5 s, web and Flower only (beat's check starts Django: seconds of CPU), and a
        // start period that outlasts a slow start on 2 busy cores.
        ...(pace ? ["web", "flower"] : []).flatMap((service) =>
            Object.entries(HEALTH_PACE).map(([field, ns]) => setting(`site:services.${service}.serviceUpdateOverride.TaskTemplate.ContainerSpec.HealthCheck.${field}`, String(ns))),
        ),
        setting("site:services.celery.limits.nofile.soft", String(NOFILE)),
        setting("site:services.celery.limits.nofile.hard", String(NOFILE)),
    ]);
}
