import { expect } from "chai";
import { isCredentialKey, secretsAreSecret } from "../src/policies/secretsAreSecret";
import { TYPES } from "../src/resources";
import { app, resource, secret, unknown } from "./support";

const SECRET_VALUE = "test-only-plain-credential";

describe("policy secrets-are-secret", () => {
    it("passes the program's resources: provider password, Flower auth, env vars, registry and GitHub secret values all secret", () => {
        const compliant = [
            resource(TYPES.caproverProvider, "caprover", { url: "https://captain.example.test", password: secret(SECRET_VALUE) }),
            // Unknown during a preview without credentials.
            resource(TYPES.caproverProvider, "caprover", { url: unknown, password: secret(unknown) }),
            app("flower"),
            // What SiteApps gives a release task: web's environment as one secret.
            resource(TYPES.releaseTask, "release-migrate", { appName: "dev-release-migrate", envVars: secret({ DJANGO_DEBUG: SECRET_VALUE }) }),
            resource(TYPES.caproverRegistry, "caprover-registry", { registryDomain: "ghcr.io", registryUser: "aaronspindler", registryPassword: secret(SECRET_VALUE) }),
            resource(TYPES.actionsSecret, "web-app-token", { repository: "aaronspindler.com", secretName: "CAPROVER_WEB_APP_TOKEN", plaintextValue: secret(SECRET_VALUE) }),
            resource(TYPES.environmentSecret, "web-app-name", { environment: "production", secretName: "CAPROVER_WEB_APP_NAME", value: secret("web") }),
            resource(TYPES.image, "web", { registries: [{ address: "ghcr.io", username: "aaronspindler", password: secret(SECRET_VALUE) }], tags: ["ghcr.io/a/b:latest"] }),
            resource("command:local:Command", "web-retag", { environment: { REGISTRY: "ghcr.io", REGISTRY_PASSWORD: "", SOURCE_IMAGE: "x" } }),
            resource("pulumi:providers:github", "app-repository", { owner: "aaronspindler" }),
        ];
        for (const r of compliant) expect(secretsAreSecret.check(r), r.name).to.deep.equal([]);
    });

    it("refuses each credential given as a plain string, naming the input and never the value", () => {
        const cases: [ReturnType<typeof resource>, string][] = [
            [resource(TYPES.caproverProvider, "caprover", { url: "https://x", password: SECRET_VALUE }), "password"],
            [app("flower", { httpAuth: { user: "admin", password: SECRET_VALUE } }), "httpAuth.password"],
            [app("web", { envVars: { DJANGO_DEBUG: SECRET_VALUE } }), "envVars.DJANGO_DEBUG"],
            [resource(TYPES.releaseTask, "release-migrate", { appName: "dev-release-migrate", envVars: { DJANGO_DEBUG: SECRET_VALUE } }), "envVars.DJANGO_DEBUG"],
            [resource(TYPES.caproverRegistry, "r", { registryPassword: SECRET_VALUE }), "registryPassword"],
            [resource(TYPES.actionsSecret, "s", { secretName: "CAPROVER_WEB_APP_TOKEN", plaintextValue: SECRET_VALUE }), "plaintextValue"],
            [resource(TYPES.environmentSecret, "s", { secretName: "CAPROVER_SERVER", value: SECRET_VALUE }), "value"],
            [resource(TYPES.image, "web", { registries: [{ address: "ghcr.io", password: SECRET_VALUE }] }), "registries[0].password"],
            [resource("pulumi:providers:github", "app-repository", { owner: "a", token: SECRET_VALUE }), "token"],
            // By name, in any resource type.
            [resource("command:local:Command", "retag", { environment: { REGISTRY_PASSWORD: SECRET_VALUE } }), "environment.REGISTRY_PASSWORD"],
            [resource("some:other:Thing", "t", { settings: { apiKey: SECRET_VALUE } }), "settings.apiKey"],
        ];
        for (const [r, path] of cases) {
            const found = secretsAreSecret.check(r);
            expect(found, path).to.deep.equal([`${r.type} ${r.name}: input ${path} is a plain string; it must be a secret`]);
            expect(found.join("\n")).not.to.include(SECRET_VALUE);
        }
    });

    it("tells credential names from names of credentials", () => {
        for (const key of ["password", "registryPassword", "REGISTRY_PASSWORD", "token", "GITHUB_TOKEN", "clientSecret", "SECRET_KEY", "api_key", "private-key", "credentials"]) expect(isCredentialKey(key), key).to.equal(true);
        for (const key of ["secretName", "tokenType", "secrets", "passwordPolicy", "keyId", "appName"]) expect(isCredentialKey(key), key).to.equal(false);
    });
});
