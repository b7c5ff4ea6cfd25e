import { expect } from "chai";
import { ConfigError } from "../../config/reader";
import { credentialsWarning, inactiveWarning, parseSiteConfig } from "../../config/site";
import { CI_ENV, problems, stackConfig, stackRaw } from "../support/stacks";

describe("site configuration", () => {
    it("reproduces the real site in the prod stack", () => {
        const prod = stackConfig("prod");
        expect(prod.profile).to.equal("split");
        expect(prod.services.map((s) => [s.name, s.target])).to.deep.equal([
            ["web", "runtime-full"],
            ["celery", "celery-worker"],
            ["celerybeat", "celerybeat"],
            ["flower", "flower"],
        ]);
        expect(prod.registry.imagePrefix).to.equal("ghcr.io/aaronspindler/aaronspindler.com");
        expect(prod.build.dockerfile).to.equal("deployment/Dockerfile.multistage");
        expect(prod.build.platform).to.equal("linux/amd64");
    });

    it("runs prod's profile in the dev stack (dev proves what prod runs), building nothing it does not run", () => {
        const dev = stackConfig("dev");
        expect(dev.profile).to.equal(stackConfig("prod").profile);
        expect(dev.services.map((s) => [s.name, s.target, s.appName])).to.deep.equal([
            ["web", "runtime-full", "dev-web"],
            ["celery", "celery-worker", "dev-celery"],
            ["celerybeat", "celerybeat", "dev-celerybeat"],
            ["flower", "flower", "dev-flower"],
        ]);
        expect(dev.build.releaseOnly).to.deep.equal([]);
    });

    it("applies per-service overrides", () => {
        const c = stackConfig("prod", { services: { celery: { instanceCount: 3, env: { LOG_LEVEL: "info" } }, flower: { off: true } } });
        const celery = c.services.find((s) => s.name === "celery")!;
        expect(celery.instanceCount).to.equal(3);
        expect(celery.env).to.deep.equal({ LOG_LEVEL: "info" });
        expect(c.services.map((s) => s.name)).to.deep.equal(["web", "celery", "celerybeat"]);
    });

    it("refuses an environment value that is not a string, saying how `pulumi config set --path` keeps one a string (never showing the value)", () => {
        expect(problems({ services: { celery: { env: { STANDIN_BROKER_DB: 1 } } } })).to.include(
            "site:services.celery.env.STANDIN_BROKER_DB: is not accepted; expected a string (quote numbers and booleans; `pulumi config set --path` stores 1 or true as a number or a boolean unless given `--type string`)",
        );
    });

    it("keeps overrides of services the profile does not run, ignores them, and names them in one warning", () => {
        const services = { flower: { env: { FLOWER_PERSISTENT: "1" } }, celerybeat: { env: { TZ: "UTC" } }, web: { instanceCount: 2 } };
        const unified = stackConfig("prod", { topology: "unified", services });
        expect(unified.services.map((s) => [s.name, s.instanceCount])).to.deep.equal([["web", 2], ["celery", 1]]);
        expect(unified.inactive).to.deep.equal(["site:services.celerybeat", "site:services.flower"]);
        expect(inactiveWarning(unified)).to.equal(
            'profile "unified" runs web (runtime-full), celery (celery-unified); these settings are for services or targets it does not run, kept and ignored until a profile runs them: site:services.celerybeat, site:services.flower',
        );
        const split = stackConfig("prod", { topology: "split", services });
        expect(split.services.find((s) => s.name === "flower")!.env).to.deep.equal({ FLOWER_PERSISTENT: "1" });
        expect(split.inactive).to.deep.equal([]);
        expect(inactiveWarning(split)).to.equal(undefined);
    });

    it("accepts values as the engine passes them (JSON strings)", () => {
        const c = stackConfig("prod", { keepVersions: "7", services: JSON.stringify({ web: { instanceCount: 2 } }) });
        expect(c.registry.keepVersions).to.equal(7);
        expect(c.services[0].instanceCount).to.equal(2);
    });

    describe("rejects, naming the key, the value and what is accepted", () => {
        it("an unknown profile", () => {
            expect(problems({ topology: "quad" })).to.include('site:topology: "quad" is not accepted; expected one of split, essential, unified, single');
        });

        it("an app name CapRover would refuse", () => {
            expect(problems({ services: { web: { appName: "Web_App" } } })).to.include(
                'site:services.web.appName: "Web_App" is not accepted; expected a CapRover app name: 1 to 49 characters of a-z, 0-9',
            );
            expect(problems({ services: { web: { appName: "-web" } } })).to.include("site:services.web.appName");
            expect(problems({ services: { web: { appName: "a".repeat(50) } } })).to.include("site:services.web.appName");
        });

        it("an app name prefix that makes app names CapRover would refuse", () => {
            expect(problems({ appNamePrefix: "Dev_" })).to.include('site:appNamePrefix: "Dev_" is not accepted; expected lowercase letters');
            expect(problems({ appNamePrefix: "x".repeat(45) })).to.include(
                `site:services.celerybeat.appName: "${"x".repeat(45)}celerybeat" (from site:appNamePrefix + service name) is not a valid CapRover app name`,
            );
        });

        it("an instance count that is not a positive integer", () => {
            expect(problems({ services: { celery: { instanceCount: 0 } } })).to.include("site:services.celery.instanceCount: 0 is not accepted; expected a positive integer");
            expect(problems({ services: { celery: { instanceCount: 1.5 } } })).to.include("site:services.celery.instanceCount: 1.5 is not accepted");
            expect(problems({ services: { celery: { instanceCount: "2" } } })).to.include('site:services.celery.instanceCount: "2" is not accepted');
        });

        it("more than one container of a role that runs the beat scheduler", () => {
            expect(problems({ services: { celerybeat: { instanceCount: 2 } } })).to.include(
                "site:services.celerybeat.instanceCount: 2 is not accepted; celerybeat runs the beat scheduler (role celerybeat), and a second container would run every periodic task twice; expected 1",
            );
            expect(problems({ topology: "unified", services: { celery: { instanceCount: 3 } } })).to.include("site:services.celery.instanceCount: 3 is not accepted; celery runs the beat scheduler (role celery-unified)");
            // A plain worker scales.
            expect(stackConfig("prod", { services: { celery: { instanceCount: 3 } } }).services[1].instanceCount).to.equal(3);
        });

        it("a bad environment variable, without showing its value", () => {
            const message = problems({ services: { web: { env: { SECRET_KEY: 12345678, "bad-name": "x" } } } });
            expect(message).to.include("site:services.web.env.SECRET_KEY: is not accepted; expected a string");
            expect(message).to.include('site:services.web.env: key "bad-name" is not accepted');
            expect(message).not.to.include("12345678");
        });

        it("duplicate app names", () => {
            expect(problems({ services: { celery: { appName: "web" } } })).to.include(
                'site:services.celery.appName: "web" is already the app name of service web; app names must be unique',
            );
        });

        it("a bad override even for a service the profile does not run (it is checked, then kept aside)", () => {
            expect(problems({ topology: "unified", services: { flower: { instanceCount: 0 } } })).to.include("site:services.flower.instanceCount: 0 is not accepted");
        });

        it("an override for a service that does not exist, or with an unknown field", () => {
            expect(problems({ services: { redis: {} } })).to.include('site:services.redis: "redis" is not accepted; expected a service name: web, celery, celerybeat, flower');
            expect(problems({ services: { web: { replicas: 2 } } })).to.include("site:services.web.replicas: unknown field; accepted fields are appName, instanceCount, env, off, limits, healthReportsRelease");
        });

        it("a health answer's contract that is not a boolean, or for a service without an HTTP health check", () => {
            expect(problems({ services: { web: { healthReportsRelease: "no" } } })).to.include('site:services.web.healthReportsRelease: "no" is not accepted; expected true or false');
            expect(problems({ services: { celery: { healthReportsRelease: false } } })).to.include("site:services.celery.healthReportsRelease: is not accepted; celery has no HTTP health check");
            // Checked, then kept aside, for a service the profile does not run.
            expect(() => stackConfig("prod", { topology: "unified", services: { flower: { healthReportsRelease: true } } })).to.not.throw();
        });

        it("turning web off", () => {
            expect(problems({ services: { web: { off: true } } })).to.include("site:services.web.off: web cannot be turned off");
        });

        it("a bad environment variable name", () => {
            expect(problems({ services: { web: { env: { "1BAD": "x" } } } })).to.include('site:services.web.env: key "1BAD" is not accepted');
        });

        it("a missing GitHub owner or repository", () => {
            expect(problems({ githubOwner: undefined })).to.include("site:githubOwner: is required; expected a GitHub user or organisation name");
            expect(problems({ appRepository: "" })).to.include("site:appRepository: is required; expected the app repository's name");
        });


        it("profile single without a target", () => {
            expect(problems({ topology: "single" })).to.include('site:singleTarget: is required by profile "single"');
            expect(stackConfig("prod", { topology: "single", singleTarget: "all-in-one" }).services[0].target).to.equal("all-in-one");
        });



        it("a mistyped key", () => {
            expect(problems({ topolgy: "split" })).to.include("site:topolgy: unknown key; known keys are");
        });


        it("a secret stored in plaintext, without showing it", () => {
            const raw = stackRaw("dev", { registryToken: "plain-token-value" });
            const rejected = () => parseSiteConfig("dev", raw, { encryptedKeys: [] });
            expect(rejected).to.throw(ConfigError, "site:registryToken: is stored in plaintext; store it encrypted with `pulumi config set --secret site:registryToken <value>`");
            expect(rejected).to.throw(ConfigError).with.property("message").that.does.not.include("plain-token-value");
            expect(parseSiteConfig("dev", raw, { encryptedKeys: ["registryToken"] }).registry.token).to.equal("plain-token-value");
        });


        it("every problem at once, and never a secret value", () => {
            const message = problems({ topology: "quad", keepVersions: -1, registryToken: 42 });
            expect(message).to.include("site:topology").and.include("site:keepVersions").and.include("site:registryToken");
            expect(message).not.to.include("42");
        });
    });

    it("warns of missing registry credentials only where a push needs them (not for a registry on loopback)", () => {
        const { GITHUB_SHA } = CI_ENV;
        const ghcr = parseSiteConfig("dev", stackRaw("dev"), { GITHUB_SHA });
        expect(credentialsWarning(ghcr)).to.equal("no credentials for ghcr.io (site:registryToken or GITHUB_TOKEN): `pulumi up` will refuse to build until one is set");
        expect(credentialsWarning(parseSiteConfig("dev", stackRaw("dev"), { GITHUB_SHA, GITHUB_TOKEN: "test-only-token" }))).to.equal(undefined);
        const loopback = parseSiteConfig("dev", stackRaw("dev", { imagePrefix: "127.0.0.1:5055/site-local/site" }), { GITHUB_SHA });
        expect(loopback.build.enabled).to.equal(true);
        expect(credentialsWarning(loopback)).to.equal(undefined);
    });
});
