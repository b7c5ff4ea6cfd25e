/**
 * Typed methods of CapRover's HTTP API v2 (caprover/caprover `src/routes`), over the transport:
 * apps, deploys, build state and private registries, plus the pure helpers that read a definition.
 */
import { CapRoverError, DEFAULT_RETRY, DeadlineError, LOCK_FIRST_PAUSE_MS, RetryPolicy, Transport, isNotFound, rampingPause, sleep } from "./transport";
import { AppChanges, AppDefinition, AppList, AppUpdate, BuildStatus, Registry, RegistryFields, STATUS } from "./types";

/** How to reach a CapRover server: the provider's configuration. */
export interface Connection {
    /** Dashboard URL, e.g. `https://captain.example.com`. */
    url: string;
    /** Dashboard password. */
    password: string;
    /** `host:port` that health probes connect to, sending the app's domain as Host (default: the app's domain). */
    probeAddress?: string;
    /** Per-request timeout, in ms. */
    requestTimeoutMs?: number;
    /** Retries of transient failures. */
    retry?: RetryPolicy;
    /** Interval between build-state and health polls, in ms. */
    pollMs?: number;
}

/** A client for a connection; `secrets` are further values to scrub from messages. */
export function connect(connection: Connection, log?: (line: string) => void, secrets: (string | undefined)[] = []): CapRoverClient {
    const client = new CapRoverClient({ url: connection.url, password: connection.password, timeoutMs: connection.requestTimeoutMs, retry: connection.retry ?? DEFAULT_RETRY, log });
    client.addSecrets(...secrets);
    return client;
}

export class CapRoverClient extends Transport {
    // ---- system -------------------------------------------------------------------------------

    /** `GET /user/system/info`: root domain and SSL state. */
    systemInfo(): Promise<{ rootDomain: string; hasRootSsl: boolean; forceSsl: boolean; captainSubDomain?: string }> {
        return this.call("GET", "/user/system/info");
    }

    // ---- apps ---------------------------------------------------------------------------------

    listApps(): Promise<AppList> {
        return this.call<AppList>("GET", "/user/apps/appDefinitions");
    }

    /** The app's definition, or `undefined` if the server has no such app. */
    async getApp(appName: string): Promise<AppDefinition | undefined> {
        return (await this.listApps()).appDefinitions.find((a) => a.appName === appName);
    }

    /**
     * Registers an app. A 1103 answer after an attempt that may have reached the server means our
     * own earlier attempt created it, so it counts as success; a 1103 on a clean first attempt is
     * someone else's app and stays an error.
     */
    async registerApp(appName: string, hasPersistentData: boolean, projectId = ""): Promise<void> {
        try {
            // detached: CapRover would otherwise hold the namespace lock while it deploys its placeholder.
            await this.call("POST", "/user/apps/appDefinitions/register?detached=1", { appName, hasPersistentData, projectId });
        } catch (e) {
            if (e instanceof CapRoverError && e.code === STATUS.ALREADY_EXISTS && e.afterUncertainAttempt) {
                this.log(`register ${appName}: already exists after a retried attempt; taking it as created`);
                return;
            }
            throw e;
        }
    }

    /** Sends the whole definition: `current` (a fresh read) with `changes` applied; waits out a build of the app (1108). */
    updateApp(current: AppDefinition, changes: AppChanges): Promise<void> {
        return this.whenNotBuilding(current.appName, "POST /user/apps/appDefinitions/update", () => this.call("POST", "/user/apps/appDefinitions/update", mergedUpdate(current, changes)));
    }

    /**
     * Runs `change`; while CapRover answers 1108 "Build in-progress for <app>" (it refuses changes to
     * an app while a build or deploy of it is active or queued: ServiceManager.ensureNotBuilding,
     * e.g. the placeholder deploy register schedules), waits for the build to end and tries again.
     * While it answers "… Try again in a minute..." (a persistent-data app whose service has no
     * running task yet: CapRover places its volumes on that task's node), tries again after a pause,
     * bounded like the wait for a build.
     */
    async whenNotBuilding<T>(appName: string, operation: string, change: () => Promise<T>): Promise<T> {
        let until: number | undefined;
        for (let tries = 1; ; tries++) {
            try {
                return await change();
            } catch (e) {
                if (isServiceNotPlaced(e)) {
                    until ??= this.deadline?.at ?? Date.now() + (this.retry.lockWaitMs ?? 0);
                    const left = until - Date.now();
                    const last = `${operation}: status ${e.code}: ${e.description}`;
                    if (left <= 0) {
                        if (this.deadline) throw new CapRoverError(operation, 0, this.redact(new DeadlineError(this.deadline, last).message), false);
                        throw e;
                    }
                    this.log(`${last}; the service of ${appName} is not placed on a node yet, trying again`);
                    const longest = this.retry.lockPollMs ?? this.retry.baseMs;
                    await sleep(Math.min(rampingPause(Math.min(LOCK_FIRST_PAUSE_MS, longest), longest, tries), left));
                    continue;
                }
                if (!isBuildInProgress(e)) throw e;
                this.log(`${operation}: CapRover ${e.code}: ${e.description}; waiting for the build of ${appName} to end`);
                await this.waitForBuild(appName, operation, e);
            }
        }
    }

    /**
     * Polls the build state until no build of the app is active or queued; returns the last state.
     * Bounded by the client's deadline, else by the retry policy's lock wait (a build, like the
     * namespace lock, is someone else's work in progress). `refused` is what to report at the end.
     */
    async waitForBuild(appName: string, operation: string, refused?: CapRoverError): Promise<BuildStatus> {
        const until = this.deadline?.at ?? Date.now() + (this.retry.lockWaitMs ?? 0);
        const longest = this.retry.lockPollMs ?? this.retry.baseMs;
        for (let polls = 1; ; polls++) {
            const status = await this.buildStatus(appName);
            if (!status.isAppBuilding) return status;
            const left = until - Date.now();
            if (left <= 0) {
                const last = refused ? `${operation}: status ${refused.code}: ${refused.description}` : `GET /user/apps/appData/${appName}: still building`;
                if (this.deadline) throw new CapRoverError(operation, 0, this.redact(new DeadlineError(this.deadline, last).message), false);
                throw refused ?? new CapRoverError(operation, 0, `a build of ${appName} was still running after ${this.retry.lockWaitMs ?? 0} ms`, false);
            }
            await sleep(Math.min(rampingPause(Math.min(LOCK_FIRST_PAUSE_MS, longest), longest, polls), left));
        }
    }

    /** Issues the app's certificate on the root domain (needed before `forceSsl`). */
    enableBaseDomainSsl(appName: string): Promise<void> {
        return this.call("POST", "/user/apps/appDefinitions/enablebasedomainssl", { appName });
    }

    /** Deletes an app (and the named volumes listed); an app that is already gone counts as deleted. */
    async deleteApp(appName: string, volumes: string[] = []): Promise<"deleted" | "not-found"> {
        try {
            await this.whenNotBuilding(appName, "POST /user/apps/appDefinitions/delete", () => this.call("POST", "/user/apps/appDefinitions/delete", { appName, volumes }));
            return "deleted";
        } catch (e) {
            if (isNotFound(e)) return "not-found";
            throw e;
        }
    }

    /** Starts a deploy of `image` (detached); with an app token, authenticates as that app only. */
    deployImage(appName: string, image: string, appToken?: string): Promise<void> {
        const captainDefinitionContent = JSON.stringify({ schemaVersion: 2, imageName: image });
        return this.call(
            "POST",
            `/user/apps/appData/${encodeURIComponent(appName)}?detached=1`,
            { captainDefinitionContent, gitHash: "" },
            appToken ? { appToken } : "session",
        );
    }

    buildStatus(appName: string): Promise<BuildStatus> {
        return this.call<BuildStatus>("GET", `/user/apps/appData/${encodeURIComponent(appName)}`);
    }

    /** The app's runtime log lines (every task of its service, with Docker's timestamps), oldest first. */
    async appLogs(appName: string): Promise<string[]> {
        const data = await this.call<{ logs?: string }>("GET", `/user/apps/appData/${encodeURIComponent(appName)}/logs?encoding=base64`);
        return inTimeOrder(logLines(Buffer.from(data.logs ?? "", "base64")));
    }

    // ---- registries ---------------------------------------------------------------------------

    async listRegistries(): Promise<Registry[]> {
        return (await this.registries()).registries;
    }

    /** The entries, and the one CapRover pushes its own builds to (none: undefined or ""). */
    async registries(): Promise<{ registries: Registry[]; defaultPushRegistryId?: string }> {
        const data = await this.call<{ registries?: Registry[]; defaultPushRegistryId?: string }>("GET", "/user/registries");
        return { registries: data.registries ?? [], defaultPushRegistryId: data.defaultPushRegistryId };
    }

    /** Makes `id` the default push registry; "" for none. */
    setDefaultPushRegistry(id: string): Promise<void> {
        return this.call("POST", "/user/registries/setpush", { registryId: id });
    }

    insertRegistry(fields: RegistryFields): Promise<void> {
        this.addSecrets(fields.registryPassword);
        return this.call("POST", "/user/registries/insert", fields);
    }

    updateRegistry(id: string, fields: RegistryFields): Promise<void> {
        this.addSecrets(fields.registryPassword);
        return this.call("POST", "/user/registries/update", { id, ...fields });
    }

    async deleteRegistry(id: string): Promise<"deleted" | "not-found"> {
        try {
            await this.call("POST", "/user/registries/delete", { registryId: id });
            return "deleted";
        } catch (e) {
            if (isNotFound(e)) return "not-found";
            throw e;
        }
    }
}

/**
 * The update body: every field of `current`, then `changes`. CapRover resets scalars left out of
 * an update, so fields we do not manage must be sent back as they are.
 */
export function mergedUpdate(current: AppDefinition, changes: AppChanges): AppUpdate {
    const auth = current.httpAuth?.user ? { user: current.httpAuth.user, passwordHashed: current.httpAuth.passwordHashed } : undefined;
    return {
        appName: current.appName,
        projectId: current.projectId,
        description: current.description,
        instanceCount: current.instanceCount,
        captainDefinitionRelativeFilePath: current.captainDefinitionRelativeFilePath,
        envVars: current.envVars,
        volumes: current.volumes,
        ports: current.ports,
        tags: current.tags,
        nodeId: current.nodeId,
        notExposeAsWebApp: current.notExposeAsWebApp,
        containerHttpPort: current.containerHttpPort,
        httpAuth: auth,
        forceSsl: current.forceSsl,
        websocketSupport: current.websocketSupport,
        appDeployTokenConfig: current.appDeployTokenConfig,
        appPushWebhook: current.appPushWebhook?.repoInfo ? { repoInfo: current.appPushWebhook.repoInfo } : undefined,
        customNginxConfig: current.customNginxConfig,
        redirectDomain: current.redirectDomain,
        preDeployFunction: current.preDeployFunction,
        serviceUpdateOverride: current.serviceUpdateOverride,
        ...changes,
    };
}

/** CapRover's 1108 "Build in-progress for <app>. Please wait...": a change refused while the app builds. */
export function isBuildInProgress(e: unknown): e is CapRoverError {
    return e instanceof CapRoverError && e.code === STATUS.ILLEGAL_OPERATION && /build in-progress/i.test(e.description);
}

/**
 * CapRover's 1000 "No NodeId was found. Try again in a minute..." (or "Cannot find the service. Try
 * again in a minute..."): a change of a persistent-data app before its service runs a task
 * (ServiceManager.updateAppDefinition looks up the node of the running task).
 */
export function isServiceNotPlaced(e: unknown): e is CapRoverError {
    return e instanceof CapRoverError && e.code === STATUS.GENERIC && /try again in a minute/i.test(e.description);
}

/** The image the app's deployed version runs, if any. */
export function deployedImage(app: AppDefinition): string | undefined {
    return app.versions.find((v) => v.version === app.deployedVersion)?.deployedImageName;
}

/** Highest version number the app has (deployed or not). */
export function latestVersion(app: AppDefinition): number {
    return app.versions.reduce((max, v) => Math.max(max, v.version), -1);
}

/**
 * Lines of `docker service logs` output as CapRover passes it on: Docker's multiplexed frames
 * (8-byte header: stream 0-2, three zero bytes, big-endian length), or plain text from a TTY.
 */
export function logLines(raw: Buffer): string[] {
    const parts: Buffer[] = [];
    let i = 0;
    while (i + 8 <= raw.length && raw[i] <= 2 && raw[i + 1] === 0 && raw[i + 2] === 0 && raw[i + 3] === 0) {
        const size = raw.readUInt32BE(i + 4);
        parts.push(raw.subarray(i + 8, i + 8 + size));
        i += 8 + size;
    }
    if (i < raw.length) parts.push(raw.subarray(i));
    return Buffer.concat(parts).toString("utf8").split("\n").filter((l) => l.trim() !== "");
}

/** Docker's timestamp of a log line as text that sorts in time (its fraction padded to nanoseconds); none: undefined. */
function logTime(line: string): string | undefined {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z\s/.exec(line);
    return m ? `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}` : undefined;
}

/**
 * Log lines oldest first. `docker service logs` gives each task's lines in turn, not the service's
 * in time: an older task's lines may come last (a crash-looping release's lines before those of
 * the release it replaced). A line without a timestamp stays after the line before it.
 */
export function inTimeOrder(lines: string[]): string[] {
    let last = "";
    return lines
        .map((line, i) => ({ line, i, at: (last = logTime(line) ?? last) }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.i - b.i))
        .map((x) => x.line);
}

/** The last `n` non-empty lines of a build log. */
export function logTail(status: BuildStatus, n = 15): string[] {
    return status.logs.lines.filter((l) => l.trim() !== "").slice(-n);
}

