/**
 * CapRover's HTTP API v2 as data: envelope statuses and the shapes of apps, builds and registries
 * (caprover/caprover `src/routes`, `src/models`). No behaviour: the client, the provider and the
 * emulator all speak these types.
 */

/** Envelope statuses (src/api/ApiStatusCodes.ts). */
export const STATUS = {
    OK: 100,
    DEPLOY_STARTED: 101,
    OK_PARTIALLY: 102,
    GENERIC: 1000,
    NOT_AUTHORIZED: 1102,
    ALREADY_EXISTS: 1103,
    BAD_NAME: 1104,
    WRONG_PASSWORD: 1105,
    TOKEN_INVALID: 1106,
    ILLEGAL_OPERATION: 1108,
    BUILD_ERROR: 1109,
    ILLEGAL_PARAMETER: 1110,
    NOT_FOUND: 1111,
    AUTHENTICATION_FAILED: 1112,
    PASSWORD_BACK_OFF: 1113,
} as const;

export interface EnvVar {
    key: string;
    value: string;
}

export interface Volume {
    /** Path inside the container. */
    containerPath: string;
    /** Named Docker volume (CapRover prefixes it `captain--`). */
    volumeName?: string;
    /** Host directory, instead of a named volume. */
    hostPath?: string;
}

export interface Port {
    containerPort: number;
    hostPort: number;
    protocol?: "tcp" | "udp";
    publishMode?: "ingress" | "host";
}

/** HTTP basic auth: sent with `password`, stored and read back with `passwordHashed` only. */
export interface HttpAuth {
    user: string;
    password?: string;
    passwordHashed?: string;
}

export interface AppDeployTokenConfig {
    enabled: boolean;
    appDeployToken?: string;
}

export interface AppVersion {
    version: number;
    /** Empty until the deploy of this version completes. */
    deployedImageName?: string;
    timeStamp: string;
    gitHash?: string;
}

/** Body of `POST /user/apps/appDefinitions/update`: the whole definition (omitted scalars reset). */
export interface AppUpdate {
    appName: string;
    projectId?: string;
    description?: string;
    instanceCount: number;
    captainDefinitionRelativeFilePath?: string;
    envVars: EnvVar[];
    volumes: Volume[];
    ports: Port[];
    tags?: { tagName: string }[];
    nodeId?: string;
    notExposeAsWebApp: boolean;
    containerHttpPort?: number;
    httpAuth?: HttpAuth;
    forceSsl: boolean;
    websocketSupport?: boolean;
    appDeployTokenConfig?: AppDeployTokenConfig;
    appPushWebhook?: { repoInfo?: Record<string, unknown> };
    customNginxConfig?: string;
    redirectDomain?: string;
    preDeployFunction?: string;
    serviceUpdateOverride?: string;
}

/** An app definition as `GET /user/apps/appDefinitions` lists it: the update's fields and server state. */
export interface AppDefinition extends AppUpdate {
    hasPersistentData: boolean;
    hasDefaultSubDomainSsl?: boolean;
    customDomain?: { publicDomain: string; hasSsl: boolean }[];
    deployedVersion: number;
    versions: AppVersion[];
    isAppBuilding?: boolean;
    /** Apps created before 1.15 run as the swarm service `srv-captain--<app>`; newer ones as `<app>`. */
    isLegacyAppName?: boolean;
    /** The Docker networks the app's service joins. */
    networks?: string[];
}

/** Fields an update may change; everything else is carried over from a fresh read. */
export type AppChanges = Partial<Omit<AppUpdate, "appName">>;

export interface AppList {
    appDefinitions: AppDefinition[];
    rootDomain: string;
    captainSubDomain: string;
}

/** `GET /user/apps/appData/<app>`: build state and the build log (a window of recent lines). */
export interface BuildStatus {
    isAppBuilding: boolean;
    isBuildFailed: boolean;
    logs: { firstLineNumber: number; lines: string[] };
}

export interface Registry {
    id: string;
    registryUser: string;
    registryPassword: string;
    registryDomain: string;
    registryImagePrefix: string;
    registryType: "LOCAL_REG" | "REMOTE_REG";
}

export type RegistryFields = Omit<Registry, "id" | "registryType">;
