import { expect } from "chai";
import { PROFILES, ROLES, profileServices, resolveServices } from "../../config/topology";

describe("topology", () => {
    it("has the four profiles of the design, with their services", () => {
        expect(Object.fromEntries(Object.keys(PROFILES).map((p) => [p, profileServices(p as keyof typeof PROFILES)]))).to.deep.equal({
            split: ["web", "celery", "celerybeat", "flower"],
            essential: ["web", "celery", "celerybeat"],
            unified: ["web", "celery"],
            single: ["web"],
        });
    });

    it("maps each role to its Dockerfile target and exposure", () => {
        const rows = Object.entries(ROLES).map(([name, r]) => [name, r.target, r.exposure, "port" in r ? r.port : undefined]);
        expect(rows).to.deep.equal([
            ["web", "runtime-full", "public", 80],
            ["celery-worker", "celery-worker", "internal", undefined],
            ["celerybeat", "celerybeat", "internal", undefined],
            ["flower", "flower", "http-auth", 80],
            ["celery-unified", "celery-unified", "internal", undefined],
            ["all-in-one", undefined, "public", 80],
        ]);
    });

    it("runs beat inside the unified worker and the all-in-one container, and nowhere else in those profiles", () => {
        expect(ROLES["celery-unified"].process).to.include("--beat --scheduler django_celery_beat.schedulers:DatabaseScheduler");
        expect(ROLES["all-in-one"].process).to.include("gunicorn").and.include("--beat");
        expect(ROLES["celery-worker"].process).not.to.include("--beat");
    });

    it("gives web its health check and only web builds JavaScript", () => {
        const [web, celery] = resolveServices({ profile: "unified", appNamePrefix: "", buildArgs: { A: "1" }, overrides: {} });
        expect(web.health).to.deep.equal({ path: "/health/", intervalSeconds: 30, timeoutSeconds: 10, startSeconds: 40, retries: 3, reportsRelease: true });
        expect(web.buildArgs).to.deep.equal({ A: "1", SKIP_JS_BUILD: "0" });
        expect(celery.buildArgs).to.deep.equal({ A: "1", SKIP_JS_BUILD: "1" });
        expect(celery.health).to.equal(undefined);
    });

    it("derives app names and secret stems from service names", () => {
        const services = resolveServices({ profile: "split", appNamePrefix: "dev-", buildArgs: {}, overrides: { flower: { appName: "monitor" } } });
        expect(services.map((s) => [s.appName, s.secretStem])).to.deep.equal([
            ["dev-web", "CAPROVER_WEB"],
            ["dev-celery", "CAPROVER_CELERY"],
            ["dev-celerybeat", "CAPROVER_CELERYBEAT"],
            ["monitor", "CAPROVER_FLOWER"],
        ]);
    });
});
