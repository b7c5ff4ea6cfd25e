/**
 * Real builds on this machine: BuildKit and the registry on 127.0.0.1 that scripts/ensure-builder.sh
 * starts, the `local` stack's configuration that builds with them, and a small client of the
 * registry's HTTP API (tags, digests, image configs) to check what a build pushed.
 */
import * as http from "http";
import * as path from "path";
import { REPO, exportedValue, run } from "./driver";
import { configureAll } from "./localStack";
import type { Workspace } from "./driver";

const SCRIPT = path.join(REPO, "scripts", "ensure-builder.sh");

/** What scripts/ensure-builder.sh prints. */
export interface Builder {
    /** BuildKit's address (unix socket). */
    buildkitHost: string;
    /** The registry, `127.0.0.1:<port>`. */
    registry: string;
    /** buildx builder instance name (in `dockerConfig`). */
    builder: string;
    /** The base image the stand-in Dockerfile builds from. */
    baseImage: string;
    /** The stand-in broker image (Debian's redis-server on the base), by tag: `<registry>/<repository>:<tag>`. */
    brokerImage: string;
    /** DOCKER_CONFIG holding the builder instance. */
    dockerConfig: string;
    /** PATH entry of buildctl. */
    bin: string;
    /** True when this call started BuildKit or the registry (then `stopBuilder` stops them). */
    started: boolean;
}

/** Reads the `export NAME=value` lines the script prints. */
export function builderFromExports(text: string, started: boolean): Builder {
    const value = (name: string) => exportedValue(text, name, "scripts/ensure-builder.sh");
    return {
        buildkitHost: value("SITE_BUILDKIT_HOST"),
        registry: value("SITE_REGISTRY"),
        builder: value("SITE_BUILDER"),
        baseImage: value("SITE_BASE_IMAGE"),
        brokerImage: value("SITE_BROKER_IMAGE"),
        dockerConfig: value("DOCKER_CONFIG"),
        bin: value("PATH"),
        started,
    };
}

/**
 * Installs, builds and starts what is missing (minutes on a fresh machine: apt packages, BuildKit
 * from the Go module proxy, a debootstrapped base), or only checks (a second). Throws with the
 * script's own message when it cannot.
 */
export async function ensureBuilder(opts: { progress?: boolean } = {}): Promise<Builder> {
    const before = await run("bash", [SCRIPT, "status"], { timeoutMs: 30_000, allowFailure: true });
    const r = await run("bash", [SCRIPT, "start"], {
        timeoutMs: 40 * 60_000,
        env: { ...process.env, SITE_TOOLS_QUIET: opts.progress ? "0" : "1" },
        inherit: opts.progress ? "stderr" : false,
        allowFailure: true,
    });
    if (r.code !== 0) throw new Error(`scripts/ensure-builder.sh failed (exit ${r.code}):\n${r.stderr.trim()}`);
    return builderFromExports(r.stdout, before.code !== 0);
}

/** Stops BuildKit and the registry when `ensureBuilder` started them (a machine is left as found). */
export async function stopBuilder(b: Builder | undefined): Promise<void> {
    if (b?.started) await run("bash", [SCRIPT, "stop"], { timeoutMs: 30_000 });
}

/** `buildctl <args>` against the builder. */
export function buildctl(b: Builder, args: string[]) {
    return run(path.join(b.bin, "buildctl"), ["--addr", b.buildkitHost, ...args], { timeoutMs: 300_000 });
}

/** Empties BuildKit's local cache, so the next build reuses only what a cache export holds. */
export async function pruneBuildCache(b: Builder): Promise<void> {
    await buildctl(b, ["prune", "--all"]);
}

/** The environment the engine needs to build with the builder (docker-build reads DOCKER_CONFIG). */
export function builderEnv(b: Builder): Record<string, string> {
    return { DOCKER_CONFIG: b.dockerConfig };
}

/**
 * Points the `local` stack at real builds: images `<registry>/<namespace>/site-<service>`, built
 * from this repository's stand-in app on the local base, tagged with `commitSha`.
 */
export async function configureRealBuilds(ws: Workspace, b: Builder, namespace: string, commitSha: string): Promise<string> {
    const prefix = `${b.registry}/${namespace}/site`;
    await configureAll(ws, [
        { key: "site:build", value: "true" },
        { key: "site:imagePrefix", value: prefix },
        { key: "site:builder", value: b.builder },
        { key: "site:buildContext", value: path.join(REPO, "app") },
        { key: "site:commitSha", value: commitSha },
        { key: "site:cacheScope", value: namespace },
        { key: "site:buildArgs.BASE_IMAGE", value: b.baseImage, path: true },
        { key: "site:buildArgs.REQUIREMENTS_FROM", value: "base", path: true },
    ]);
    return prefix;
}

/** Answer of one registry request. */
interface RegistryAnswer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

const MANIFEST_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** A client of the registry's HTTP API (distribution v2), bounded in time. */
export class RegistryClient {
    constructor(readonly address: string) {}

    private get(pathname: string): Promise<RegistryAnswer> {
        return new Promise((resolve, reject) => {
            const req = http.get({ host: "127.0.0.1", port: Number(this.address.split(":")[1]), path: pathname, headers: { Accept: MANIFEST_TYPES }, timeout: 10_000 }, (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (body += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
            });
            req.on("timeout", () => req.destroy(new Error(`registry ${this.address}: GET ${pathname} took more than 10 s`)));
            req.on("error", reject);
        });
    }

    private async json<T>(pathname: string): Promise<{ body: T; headers: http.IncomingHttpHeaders }> {
        const r = await this.get(pathname);
        if (r.status !== 200) throw new Error(`registry ${this.address}: GET ${pathname} answered ${r.status}: ${r.body.slice(0, 300)}`);
        return { body: JSON.parse(r.body) as T, headers: r.headers };
    }

    /** Repositories under `namespace/`. */
    async repositories(namespace: string): Promise<string[]> {
        const { body } = await this.json<{ repositories: string[] }>("/v2/_catalog?n=1000");
        return body.repositories.filter((r) => r.startsWith(`${namespace}/`)).sort();
    }

    /** Tags of a repository (`<namespace>/<name>`, without the registry). */
    async tags(repository: string): Promise<string[]> {
        const { body } = await this.json<{ tags: string[] | null }>(`/v2/${repository}/tags/list`);
        return [...(body.tags ?? [])].sort();
    }

    /** The digest a tag (or digest) names, as the registry reports it. */
    /** `<registry>/<repository>:<tag>` by digest: `<registry>/<repository>@sha256:...`, what a stack pins. */
    async pinned(tagged: string): Promise<string> {
        const [, repository, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(tagged) ?? [];
        if (!repository) throw new Error(`${tagged} is not <registry>/<repository>:<tag>`);
        return `${tagged.slice(0, tagged.indexOf("/"))}/${repository}@${await this.digest(repository, tag)}`;
    }

    async digest(repository: string, reference: string): Promise<string> {
        const { headers } = await this.json<unknown>(`/v2/${repository}/manifests/${reference}`);
        return String(headers["docker-content-digest"]);
    }

    /** The image manifest of a single-platform reference: an index is followed to its linux/amd64 entry. */
    async manifest(repository: string, reference: string): Promise<{ config: { digest: string }; layers: { digest: string }[] }> {
        const { body } = await this.json<{ manifests?: { digest: string; platform?: { os: string; architecture: string } }[]; config: { digest: string }; layers: { digest: string }[] }>(
            `/v2/${repository}/manifests/${reference}`,
        );
        if (!body.manifests) return body;
        const image = body.manifests.find((m) => m.platform?.os === "linux" && m.platform.architecture === "amd64");
        if (!image) throw new Error(`registry ${this.address}: ${repository}@${reference} is an index without a linux/amd64 image`);
        return this.manifest(repository, image.digest);
    }

    /** The image's configuration (what `docker inspect` shows as Config: Cmd, Healthcheck, User, ...). */
    async imageConfig(repository: string, reference: string): Promise<{ Cmd?: string[]; User?: string; Healthcheck?: { Test: string[] } }> {
        const m = await this.manifest(repository, reference);
        const { body } = await this.json<{ config: { Cmd?: string[]; User?: string; Healthcheck?: { Test: string[] } } }>(`/v2/${repository}/blobs/${m.config.digest}`);
        return body.config;
    }
}
