/**
 * The Celery broker in the topology: `site:accessories: [broker]` brings the managed redis app
 * (internal, a data volume, pinned by the stack's digest, its password a secret), or
 * `site:brokerUrl` names an external one; each bad input refused naming the key, never a secret.
 */
import { expect } from "chai";
import { parseSiteConfig } from "../../config/site";
import { CI_ENV, problems, stackConfig, stackRaw } from "../support/stacks";

const PIN = `ghcr.io/aaronspindler/redis@sha256:${"b".repeat(64)}`;
const PASSWORD = "test-only-broker-pw-0123";
const ON = { accessories: ["broker"], accessoryImages: { redis: PIN }, brokerPassword: PASSWORD };

describe("the Celery broker (site:accessories: [broker], site:brokerUrl)", () => {
    it("is none by default: the apps keep their REDIS_URL", () => {
        expect(stackConfig("dev").accessories.broker).to.deep.equal({ kind: "none" });
    });

    it("broker brings one internal redis app with its data volume, pinned by the stack's digest", () => {
        const { accessories } = stackConfig("dev", ON);
        expect(accessories.broker).to.deep.equal({ kind: "managed", password: PASSWORD });
        expect(accessories.apps).to.deep.equal([
            {
                name: "redis",
                accessory: "broker",
                appName: "dev-redis",
                image: PIN,
                process: "redis-server --requirepass <site:brokerPassword> --appendonly yes --dir /data",
                exposure: "internal",
                port: 6379,
                volumes: [{ volumeName: "dev-redis-data", containerPath: "/data" }],
            },
        ]);
    });

    it("requires its image by digest, naming the key", () => {
        expect(problems({ accessories: ["broker"], brokerPassword: PASSWORD }, "dev")).to.include(
            "site:accessoryImages.redis: is required when site:accessories has broker: the redis image by digest, <image>@sha256:<64 hex digits>",
        );
        expect(problems({ ...ON, accessoryImages: { redis: "redis:7" } }, "dev")).to.include('site:accessoryImages.redis: "redis:7" is not accepted; expected an image by digest without a tag');
    });

    it("requires the password for `up`, and refuses a weak one or one stored in plaintext, never showing it", () => {
        const raw = stackRaw("dev", { accessories: ["broker"], accessoryImages: { redis: PIN } });
        expect(() => parseSiteConfig("dev", raw, { ...CI_ENV, pushing: true })).to.throw("site:brokerPassword: is required when site:accessories has broker");
        // A preview shows the plan without it (the URL unknown).
        expect(parseSiteConfig("dev", raw, CI_ENV).accessories.broker).to.deep.equal({ kind: "managed", password: undefined });
        const weak = problems({ ...ON, brokerPassword: "short pw" }, "dev");
        expect(weak).to.include("site:brokerPassword: is not accepted; expected 16 to 128 letters").and.not.include("short pw");
        expect(() => parseSiteConfig("dev", stackRaw("dev", ON), { ...CI_ENV, encryptedKeys: [] })).to.throw("site:brokerPassword: is stored in plaintext");
    });

    it("names an external broker by URL instead, never both, never showing the URL", () => {
        const url = "redis://:test-only-external@redis.internal.example.test:6379/0";
        expect(stackConfig("dev", { brokerUrl: url }).accessories.broker).to.deep.equal({ kind: "external", url });
        const both = problems({ ...ON, brokerUrl: url }, "dev");
        expect(both).to.include("site:brokerUrl: names an external broker while site:accessories has broker").and.not.include("test-only-external");
        const bad = problems({ brokerUrl: "http://test-only-not-redis" }, "dev");
        expect(bad).to.include("site:brokerUrl: is not accepted; expected redis://").and.not.include("test-only-not-redis");
        expect(problems({ brokerPassword: PASSWORD }, "dev")).to.include("site:brokerPassword: applies to the managed broker only");
    });

    it("refuses a REDIS_URL set by hand beside a broker: the broker's is derived for every app", () => {
        expect(problems({ ...ON, services: { celery: { env: { REDIS_URL: "redis://elsewhere:6379/0" } } } }, "dev")).to.include(
            "site:services.celery.env.REDIS_URL: is derived from the broker (site:accessories: broker) for every app; remove it here",
        );
    });

    it("runs as a CapRover app: refused without site:caprover", () => {
        expect(problems({ ...ON, caprover: false }, "dev")).to.include("site:accessories: broker run as CapRover apps; set site:caprover true");
    });
});
