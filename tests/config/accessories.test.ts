/**
 * `site:accessories` and its keys: monitoring brings exactly Prometheus, Grafana and node-exporter,
 * named after the stack's prefix, pinned by digest, with their volumes; each bad input is rejected
 * naming the key, the value (never a secret's) and what is accepted.
 */
import { expect } from "chai";
import { ACCESSORY_APPS, AccessoryRole } from "../../config/accessories";
import { DIGEST_REF } from "../../config/names";
import { parseSiteConfig } from "../../config/site";
import { CI_ENV, problems, stackConfig, stackRaw } from "../support/stacks";

const ON = { accessories: ["monitoring"], grafanaPassword: "test-only-grafana" };

describe("accessories (site:accessories)", () => {
    it("are off by default: no app, nothing enabled", () => {
        expect(stackConfig("prod").accessories).to.deep.include({ enabled: [], apps: [] });
    });

    it("monitoring brings exactly prometheus, grafana and node-exporter, with the stack's prefix, pinned images and their volumes", () => {
        const { accessories } = stackConfig("dev", ON);
        expect(accessories.enabled).to.deep.equal(["monitoring"]);
        expect(accessories.apps.map((a) => [a.name, a.appName, a.exposure])).to.deep.equal([
            ["prometheus", "dev-prometheus", "internal"],
            ["grafana", "dev-grafana", "login"],
            ["node-exporter", "dev-node-exporter", "internal"],
        ]);
        for (const app of accessories.apps) expect(app.image, app.name).to.match(DIGEST_REF).and.equal((ACCESSORY_APPS[app.name] as AccessoryRole).image);
        const volumes = Object.fromEntries(accessories.apps.map((a) => [a.name, a.volumes]));
        expect(volumes.prometheus).to.deep.equal([{ volumeName: "dev-prometheus-data", containerPath: "/prometheus" }]);
        expect(volumes.grafana).to.deep.equal([{ volumeName: "dev-grafana-data", containerPath: "/var/lib/grafana" }]);
        expect(volumes["node-exporter"]!.map((v) => v.hostPath)).to.deep.equal(["/proc", "/sys", "/"]);
        // The engine passes lists as JSON strings.
        expect(stackConfig("dev", { ...ON, accessories: '["monitoring"]' }).accessories.enabled).to.deep.equal(["monitoring"]);
    });

    it("takes another pin per app from site:accessoryImages; pins of apps that are off are kept aside", () => {
        const pin = `registry.example.test:5000/prom/prometheus@sha256:${"a".repeat(64)}`;
        expect(stackConfig("dev", { ...ON, accessoryImages: { prometheus: pin } }).accessories.apps[0].image).to.equal(pin);
        expect(stackConfig("dev", { accessoryImages: { prometheus: pin } }).inactive).to.deep.equal(["site:accessoryImages.prometheus"]);
    });

    it("refuses unknown or repeated accessories, unpinned images, unknown apps, bad paths, naming key, value and what is accepted", () => {
        expect(problems({ accessories: ["logging"] })).to.include('site:accessories[0]: "logging" is not accepted; expected accessories: monitoring');
        expect(problems({ accessories: ["monitoring", "monitoring"] })).to.include('site:accessories[1]: "monitoring" is listed twice');
        for (const bad of ["grafana/grafana:latest", `grafana/grafana:12.1.0@sha256:${"a".repeat(64)}`]) {
            expect(problems({ ...ON, accessoryImages: { grafana: bad } })).to.include(`site:accessoryImages.grafana: "${bad}" is not accepted; expected an image by digest without a tag, <image>@sha256:<64 hex digits>`);
        }
        expect(problems({ accessoryImages: { loki: "x" } })).to.include('site:accessoryImages.loki: "loki" is not accepted; expected an accessory app: prometheus, grafana, node-exporter');
        expect(problems({ webMetricsPath: "metrics" })).to.include('site:webMetricsPath: "metrics" is not accepted; expected an absolute URL path, e.g. /metrics');
    });

    it("need the CapRover apps, and `up` needs Grafana's password, never shown", () => {
        expect(problems({ ...ON, caprover: false })).to.include("site:accessories: monitoring run as CapRover apps; set site:caprover true or remove site:accessories");
        const up = () => parseSiteConfig("prod", stackRaw("prod", { accessories: ["monitoring"] }), { ...CI_ENV, pushing: true });
        expect(up).to.throw("site:grafanaPassword: is required when monitoring is on (Grafana's admin login); set it with `pulumi config set --secret site:grafanaPassword <password>`");
        // A preview needs no password; a plaintext one is refused without showing it.
        expect(stackConfig("prod", { accessories: ["monitoring"] }).accessories.grafana.password).to.equal(undefined);
        const plain = () => parseSiteConfig("prod", stackRaw("prod", ON), { ...CI_ENV, encryptedKeys: [] });
        expect(plain).to.throw("site:grafanaPassword: is stored in plaintext");
        expect(() => plain()).to.throw().with.property("message").that.does.not.include("test-only-grafana");
    });

    it("refuses an accessory app name a site service already has", () => {
        expect(problems({ ...ON, services: { celery: { appName: "grafana" } } })).to.include('site:services.celery.appName: "grafana" is also the app name of accessory grafana; app names must be unique');
    });
});
