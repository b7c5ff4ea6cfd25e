import { expect } from "chai";
import { oneCeleryBeat } from "../src/policies/oneCeleryBeat";
import { app, messages, stack, unknown } from "./support";

const check = (...apps: ReturnType<typeof app>[]) => oneCeleryBeat.check(stack(apps), {});

describe("policy one-celery-beat", () => {
    it("passes every profile's apps: split (standalone beat), unified (worker --beat), single (all-in-one)", () => {
        expect(check(app("web"), app("worker"), app("beat"), app("flower"))).to.deep.equal([]);
        expect(check(app("web"), app("unified"))).to.deep.equal([]);
        expect(check(app("allInOne"))).to.deep.equal([]);
        // No apps (site:caprover off): nothing to say.
        expect(check()).to.deep.equal([]);
    });

    it("refuses no beat at all, naming the apps", () => {
        expect(messages(check(app("web"), app("worker"), app("flower")))).to.deep.equal(["no app of stack dev runs Celery beat (apps: dev-celery, dev-flower, dev-web): periodic tasks would never run"]);
    });

    it("refuses two beats (standalone plus a worker with --beat), on each of them", () => {
        const twice = check(app("web"), app("unified"), app("beat"));
        expect(twice.map((v) => v.urn)).to.deep.equal([app("unified").urn, app("beat").urn]);
        // In app-name order, whatever order the engine lists them in.
        expect(check(app("beat"), app("unified"), app("web")).map((v) => v.urn)).to.deep.equal([app("unified").urn, app("beat").urn]);
        expect(twice[0].message).to.equal("2 apps run Celery beat (dev-celery, dev-celerybeat): every periodic task would run 2 times");
    });

    it("refuses a beat with more than one instance", () => {
        expect(messages(check(app("web"), app("worker"), app("beat", { instanceCount: 2 })))).to.deep.equal(["app dev-celerybeat runs Celery beat with instanceCount 2; expected 1"]);
    });

    it("cannot count while a description is unknown, so it says nothing then", () => {
        expect(check(app("web"), app("worker", { description: unknown }))).to.deep.equal([]);
    });
});
