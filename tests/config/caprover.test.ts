/**
 * The CapRover section of the configuration: defaults, requirements when on, and messages that
 * name key, value (never a secret's) and what is accepted.
 */
import { expect } from "chai";
import { parseVolume } from "../../config/caprover";
import { ConfigError, RawConfig } from "../../config/reader";
import { CI_ENV, stackConfig, stackRaw } from "../support/stacks";
import { declaredDefaults } from "../../config/declarations";
import { parseSiteConfig } from "../../config/site";

const ON = { caprover: true, caproverUrl: "https://captain.example.test", caproverPassword: "test-only-dashboard", flowerPassword: "test-only-flower" };

function problems(overrides: RawConfig, stack = "prod"): string {
    try {
        stackConfig(stack, overrides);
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return (e as ConfigError).message;
    }
    throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe("CapRover settings", () => {
    it("are off by default in Pulumi.yaml and on in the dev and prod stacks", () => {
        expect(declaredDefaults().caprover).to.equal(false);
        // SSL is forced unless a stack says its server's root domain has no certificate.
        expect(declaredDefaults().forceSsl).to.equal(true);
        for (const stack of ["dev", "prod"]) {
            const c = stackConfig(stack).caprover;
            expect(c).to.include({ enabled: true, deployTimeoutSeconds: 600, deleteVolumes: false, rollbackOnFailure: true });
            expect(c.volumes).to.deep.equal({});
        }
    });

    it("take the server and passwords from CI's environment when the stack file does not set them", () => {
        expect(stackConfig("prod").caprover).to.include({ url: CI_ENV.CAPROVER_SERVER, password: CI_ENV.CAPROVER_PASSWORD });
        expect(stackConfig("prod").caprover.flowerAuth).to.deep.equal({ user: "admin", password: CI_ENV.FLOWER_PASSWORD });
    });

    it("read every key when on", () => {
        const c = stackConfig("prod", {
            ...ON,
            caproverDeployTimeout: "120",
            caproverProbeAddress: "203.0.113.10:443",
            flowerUser: "ops",
            caproverVolumes: { celerybeat: ["beat-data:/app/data", "/srv/shared:/shared"] },
            caproverDeleteVolumes: true,
            rollbackOnFailure: false,
            caproverPullToken: "test-only-pull",
            adoptExistingApps: true,
            allowReplace: true,
            forceSsl: false,
        }).caprover;
        expect(c).to.deep.equal({
            enabled: true,
            url: "https://captain.example.test",
            password: "test-only-dashboard",
            deployTimeoutSeconds: 120,
            probeAddress: "203.0.113.10:443",
            flowerAuth: { user: "ops", password: "test-only-flower" },
            volumes: { celerybeat: [{ volumeName: "beat-data", containerPath: "/app/data" }, { hostPath: "/srv/shared", containerPath: "/shared" }] },
            deleteVolumes: true,
            rollbackOnFailure: false,
            pullToken: "test-only-pull",
            adoptExistingApps: true,
            allowReplace: true,
            forceSsl: false,
        });
    });

    it("refuses a site:rollbackOnFailure that is not a boolean, naming the key", () => {
        expect(() => stackConfig("prod", { ...ON, rollbackOnFailure: "sometimes" })).to.throw(/site:rollbackOnFailure/);
    });

    it("require the server, the password and (when flower runs) Flower's password when on, for `pulumi up` only", () => {
        const raw = stackRaw("prod", { caprover: true });
        expect(() => parseSiteConfig("prod", raw, { pushing: false })).to.not.throw();
        let message = "";
        try {
            parseSiteConfig("prod", raw, { pushing: true, GITHUB_TOKEN: "test-only" });
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).to.include("site:caproverUrl: is required when site:caprover is true");
        expect(message).to.include("site:caproverPassword: is required when site:caprover is true");
        expect(message).to.include("site:flowerPassword: is required when site:caprover is true and the profile runs flower");
        // Unified runs no flower: no Flower password needed.
        const { FLOWER_PASSWORD: _, ...withoutFlower } = CI_ENV;
        expect(() => parseSiteConfig("prod", stackRaw("prod", { topology: "unified" }), { ...withoutFlower, pushing: true, GITHUB_TOKEN: "test-only" })).to.not.throw();
        expect(() => parseSiteConfig("prod", stackRaw("prod"), { ...withoutFlower, pushing: true, GITHUB_TOKEN: "test-only" })).to.throw("site:flowerPassword: is required");
    });

    it("reject bad values naming key, value and what is accepted", () => {
        expect(problems({ ...ON, caproverUrl: "captain.example.test/x" })).to.include(
            'site:caproverUrl: "captain.example.test/x" is not accepted; expected the dashboard URL, e.g. https://captain.example.com (no path)',
        );
        expect(problems({ ...ON, caproverDeployTimeout: 0 })).to.include("site:caproverDeployTimeout: 0 is not accepted; expected a positive integer");
        expect(problems({ ...ON, caproverProbeAddress: "nohost" })).to.include('site:caproverProbeAddress: "nohost" is not accepted; expected host:port');
        expect(problems({ ...ON, caprover: "yes" })).to.include('site:caprover: "yes" is not accepted; expected true or false');
        expect(problems({ ...ON, forceSsl: "no" })).to.include('site:forceSsl: "no" is not accepted; expected true or false');
        expect(problems({ ...ON, caproverVolumes: { celerybeat: ["no-path"] } })).to.include(
            'site:caproverVolumes.celerybeat: ["no-path"] is not accepted; expected a list of "<volume-name>:/container/path"',
        );
        expect(problems({ ...ON, caproverVolumes: { worker: [] } })).to.include('site:caproverVolumes.worker: "worker" is not accepted; expected a service name');
        // Inactive, yet still checked: a bad entry fails even for a service the profile does not run.
        expect(problems({ ...ON, topology: "unified", caproverVolumes: { flower: ["f"] } })).to.include('site:caproverVolumes.flower: ["f"] is not accepted');
    });

    it("keep aside (inactive) the volumes of a service the profile does not run", () => {
        const c = stackConfig("prod", { ...ON, topology: "unified", caproverVolumes: { celerybeat: ["beat:/data"], celery: ["c:/data"] } });
        expect(c.caprover.volumes).to.deep.equal({ celery: [{ volumeName: "c", containerPath: "/data" }] });
        expect(c.inactive).to.deep.equal(["site:caproverVolumes.celerybeat"]);
    });

    it("never show a secret's value", () => {
        const tooLong = "x".repeat(30) + "-secret-tail";
        const message = problems({ ...ON, caproverPassword: tooLong, flowerPassword: 42, caproverPullToken: ["not", "a", "string"] });
        expect(message).to.include("site:caproverPassword: is longer than CapRover accepts; expected at most 29 characters");
        expect(message).to.include("site:flowerPassword: expected a string");
        expect(message).to.not.include("secret-tail");
        expect(message).to.not.include("42");
    });

    it("parse volume entries", () => {
        expect(parseVolume("data:/var/data")).to.deep.equal({ volumeName: "data", containerPath: "/var/data" });
        expect(parseVolume("/host/dir:/in")).to.deep.equal({ hostPath: "/host/dir", containerPath: "/in" });
        for (const bad of ["data", "data:relative", ":/x", "bad name:/x", 3]) expect(parseVolume(bad), String(bad)).to.equal(undefined);
    });
});
