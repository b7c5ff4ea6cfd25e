/**
 * The maintenance page on a CapRover app (the emulator reads the custom nginx config's locations as
 * captain-nginx would): visitors get the static 503 page, the health path still reaches the app
 * (so a deploy meanwhile passes its gate), and clearing the switch serves the site again.
 */
import { expect } from "chai";
import { MAINTENANCE_PAGE, maintenanceNginxConfig } from "../../../components/caprover/maintenance";
import { probe } from "../../../provider/src/api/transport";
import { TestAppProvider, useEmulator, webInputs } from "../../../provider/tests/support";

describe("the maintenance page (web's custom nginx config)", () => {
    const emulator = useEmulator();
    const provider = new TestAppProvider();
    /** A visitor's request, through the emulator's nginx by the app's Host. */
    const get = async (path: string) => {
        const answer = await probe(`http://web.emulator.test${path}`, { timeoutMs: 5000, connectTo: `127.0.0.1:${emulator().port}` });
        if (!("status" in answer)) throw new Error(answer.error);
        return answer;
    };

    it("answers 503 with the page for every path but the gates' (health, canary), so the deploy's gates pass; cleared, the site serves again", async () => {
        const inputs = webInputs(emulator(), { forceSsl: false, customNginxConfig: maintenanceNginxConfig(["/health/", "/canary/"]) });
        const { outs } = await provider.create(inputs);
        expect(emulator().app("web")!.customNginxConfig).to.equal(inputs.customNginxConfig);
        expect(await get("/")).to.include({ status: 503, body: MAINTENANCE_PAGE });
        expect((await get("/blog/post?x=1")).status).to.equal(503);
        expect((await get("/health/")).status).to.equal(200);
        // The emulator's web answers no canary unless told (404 from the app, not nginx's 503).
        expect((await get("/canary/")).status).to.not.equal(503);
        await provider.update("web", outs, { ...inputs, customNginxConfig: "" });
        expect(emulator().app("web")!.customNginxConfig).to.equal("");
        expect((await get("/")).status).to.equal(200);
    });
});
