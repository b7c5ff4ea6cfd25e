/**
 * 6. Credentials reach resources as Pulumi secrets (encrypted in state, masked in output), never as
 * plain strings. Checked on the wire form the engine sends (capture.ts): the SDK alone cannot tell.
 * Messages name the input, never its value.
 */
import { resourcePolicy } from "../define";
import { SiteResource, TYPES } from "../resources";
import { Leaf, UNKNOWN, leaves, showPath } from "../wire";

/** Inputs that hold credentials, per type; `*` matches any key or index. */
export const SECRET_INPUTS: Record<string, string[][]> = {
    [TYPES.caproverProvider]: [["password"]],
    [TYPES.app]: [["httpAuth", "password"], ["envVars", "*"]],
    // The release task runs with web's environment: every value as secret as on the app.
    [TYPES.releaseTask]: [["envVars", "*"]],
    [TYPES.caproverRegistry]: [["registryPassword"]],
    [TYPES.actionsSecret]: [["value"], ["plaintextValue"], ["encryptedValue"], ["valueEncrypted"]],
    [TYPES.environmentSecret]: [["value"], ["plaintextValue"], ["encryptedValue"], ["valueEncrypted"]],
    [TYPES.image]: [["registries", "*", "password"]],
    "pulumi:providers:docker-build": [["registries", "*", "password"]],
    "pulumi:providers:docker": [["registryAuth", "*", "password"]],
    "pulumi:providers:github": [["token"]],
};

/** Words a credential's key ends with, in any resource (camelCase, snake_case, kebab-case, ENV_NAMES). */
const CREDENTIAL_WORDS = ["password", "passwd", "token", "secret", "credential", "credentials"];
const CREDENTIAL_PAIRS = ["secret key", "api key", "private key", "access key"];

/** Whether a key names a credential: `registryPassword`, `REGISTRY_PASSWORD`, `SECRET_KEY`; not `secretName`. */
export function isCredentialKey(key: string): boolean {
    const words = key
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .split(/[\s_.-]+/)
        .filter((w) => w !== "")
        .map((w) => w.toLowerCase());
    const last = words[words.length - 1] ?? "";
    return CREDENTIAL_WORDS.includes(last) || CREDENTIAL_PAIRS.includes(words.slice(-2).join(" "));
}

function matches(pattern: string[], path: (string | number)[]): boolean {
    return pattern.length === path.length && pattern.every((p, i) => p === "*" || p === String(path[i]));
}

/** A plain, non-empty string: what would be stored and shown in clear. */
const exposed = (leaf: Leaf) => !leaf.secret && leaf.value !== UNKNOWN && typeof leaf.value === "string" && leaf.value !== "";

/** The inputs of `resource` that hold a credential in plain text, by path. */
export function plainCredentials(resource: SiteResource): string[] {
    const declared = SECRET_INPUTS[resource.type] ?? [];
    return leaves(resource.inputs)
        .filter(exposed)
        .filter((leaf) => declared.some((p) => matches(p, leaf.path)) || leaf.path.some((k) => typeof k === "string" && isCredentialKey(k)))
        .map((leaf) => showPath(leaf.path));
}

export const secretsAreSecret = resourcePolicy(
    {
        name: "secrets-are-secret",
        description:
            "Credentials (CapRover password, Flower password, app tokens, registry credentials, GitHub secret values, anything named like a password, token or secret) reach resources as Pulumi secrets, never as plain strings. " +
            "Fix: set them with `pulumi config set --secret`, wrap derived values in pulumi.secret(...), and never pass a credential through a plain string.",
        enforcementLevel: "mandatory",
    },
    "all",
    (resource) => plainCredentials(resource).map((path) => `${resource.type} ${resource.name}: input ${path} is a plain string; it must be a secret`),
);
