/**
 * The release phase under Pulumi mocks: one ReleaseTask per declared task, in web's new image with
 * web's environment, in order; every app's deploy waits for all of them; a stack without tasks has
 * none; breaking migrations make web (and only web) update stop-first, labelled so the policy pack
 * sees the outage is declared; the preview says what the migrations mean for the overlap.
 */
import { expect } from "chai";
import { runSite } from "../../support/site";
import { Registered } from "../../support/mocks";
import { profileServices } from "../../../config/topology";
import { orderAndLimitProblems } from "../../../policy/src/policies/deployOrderAndLimits";
import { appView } from "../../../policy/src/apps";

const TASK = "caprover:index:ReleaseTask";
const APP = "caprover:index:App";
const CAPROVER = { caprover: true, caproverUrl: "https://captain.example.test", caproverPassword: "test-only-dashboard", flowerPassword: "test-only-flower" };
const WEB_IMAGE = `ghcr.io/aaronspindler/aaronspindler.com-web@sha256:${"a".repeat(64)}`;

function digests(): Record<string, string> {
    return Object.fromEntries(profileServices("split").map((s, i) => [s, s === "web" ? WEB_IMAGE : `ghcr.io/aaronspindler/aaronspindler.com-${s}@sha256:${String(i).repeat(64)}`]));
}

async function prod(extra: Record<string, unknown> = {}): Promise<Registered[]> {
    return (await runSite("prod", { topology: "split", build: false, promoteFrom: "", retagPromoted: false, imageDigests: digests(), ...CAPROVER, ...extra })).resources;
}

const secret = (value: unknown) => (value as { secret: unknown }).secret;
const order = (app: Registered) => (JSON.parse(String(app.inputs.serviceUpdateOverride)) as { UpdateConfig: { Order: string } }).UpdateConfig.Order;

describe("the release phase (SiteApps)", () => {
    it("runs the site's migrations in web's new image, with web's environment as a secret, within the deploy timeout", async () => {
        const resources = await prod({ services: { web: { env: { DATABASE_URL: "postgres://test-only" } } }, caproverDeployTimeout: 300 });
        const tasks = resources.filter((r) => r.type === TASK);
        expect(tasks.map((t) => t.name)).to.deep.equal(["release-migrate"]);
        expect(tasks[0].inputs).to.include({ image: WEB_IMAGE, deployTimeoutMs: 300_000 });
        expect(tasks[0].inputs.command).to.deep.equal(["python", "manage.py", "migrate", "--noinput"]);
        expect(String(tasks[0].inputs.appName)).to.match(/release-migrate$/);
        expect(secret(tasks[0].inputs.envVars)).to.deep.equal({ DATABASE_URL: "postgres://test-only" });
    });

    it("makes every app's deploy wait for every task, and each task wait for the one before", async () => {
        const resources = await prod({ release: { tasks: [{ name: "migrate", command: "python manage.py migrate --noinput" }, { name: "static", command: "python manage.py collectstatic --noinput" }] } });
        const tasks = resources.filter((r) => r.type === TASK);
        const [migrate, staticTask] = ["release-migrate", "release-static"].map((n) => tasks.find((t) => t.name === n)!);
        expect(staticTask.dependsOn).to.include(migrate.urn);
        const apps = resources.filter((r) => r.type === APP);
        expect(apps.map((a) => a.name).sort()).to.deep.equal(["celery", "celerybeat", "flower", "web"]);
        for (const app of apps) expect(app.dependsOn, app.name).to.include.members([migrate.urn, staticTask.urn]);
    });

    it("registers no task for a stack that declares none", async () => {
        const resources = await prod({ release: { tasks: [] } });
        expect(resources.filter((r) => r.type === TASK)).to.deep.equal([]);
        expect(resources.filter((r) => r.type === APP)).to.have.length(4);
    });

    it("updates web stop-first for a release whose migrations are breaking, labelled as such, and leaves the other apps' order alone; compatible keeps web start-first", async () => {
        const compatible = await prod();
        const breaking = await prod({ release: { migrations: "breaking" } });
        const app = (rs: Registered[], name: string) => rs.find((r) => r.type === APP && r.name === name)!;
        expect(order(app(compatible, "web"))).to.equal("start-first");
        expect(order(app(breaking, "web"))).to.equal("stop-first");
        expect(JSON.parse(String(app(breaking, "web").inputs.serviceUpdateOverride)).Labels).to.deep.equal({ "site.release.migrations": "breaking" });
        for (const name of ["celery", "celerybeat", "flower"]) expect(app(breaking, name).inputs.serviceUpdateOverride, name).to.equal(app(compatible, name).inputs.serviceUpdateOverride);
        // The policy pack accepts web stop-first only when the release declares it.
        const view = (r: Registered) => appView({ urn: r.urn, type: r.type, name: r.name, inputs: r.inputs } as never);
        expect(orderAndLimitProblems(view(app(breaking, "web")))).to.deep.equal([]);
        const undeclared = { ...app(breaking, "web"), inputs: { ...app(breaking, "web").inputs, serviceUpdateOverride: JSON.stringify({ UpdateConfig: { Order: "stop-first" } }) } };
        expect(orderAndLimitProblems(view(undeclared)).join("\n")).to.include("declare the release's migrations breaking (site:release.migrations: breaking");
    });

    it("puts web, and only web, behind the maintenance page while site:maintenance is on: a change of web's customNginxConfig in the preview", async () => {
        const on = await prod({ maintenance: true });
        const off = await prod();
        const nginx = (rs: Registered[]) => Object.fromEntries(rs.filter((r) => r.type === APP).map((r) => [r.name, r.inputs.customNginxConfig]));
        expect(nginx(off)).to.deep.equal({ celery: "", celerybeat: "", flower: "", web: "" });
        const { web, ...others } = nginx(on);
        expect(others).to.deep.equal({ celery: "", celerybeat: "", flower: "" });
        expect(String(web)).to.include("return 503 '<!DOCTYPE html>").and.to.include("location /health/ {");
    });
});
