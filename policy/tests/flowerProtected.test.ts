import { expect } from "chai";
import { flowerProtected } from "../src/policies/flowerProtected";
import { app, secret, unknown } from "./support";

describe("policy flower-protected", () => {
    it("passes Flower behind HTTP auth with forced SSL, Flower not exposed, and auth not known yet (a preview without a password)", () => {
        expect(flowerProtected.check(app("flower"))).to.deep.equal([]);
        expect(flowerProtected.check(app("flower", { exposeAsWebApp: false, httpAuth: undefined, forceSsl: false }))).to.deep.equal([]);
        expect(flowerProtected.check(app("flower", { httpAuth: secret(unknown) }))).to.deep.equal([]);
        // Web is public on purpose.
        expect(flowerProtected.check(app("web", { httpAuth: undefined }))).to.deep.equal([]);
    });

    it("refuses exposed Flower without auth, with an empty password, or without forced SSL", () => {
        expect(flowerProtected.check(app("flower", { httpAuth: undefined }))).to.deep.equal(["app dev-flower runs Flower exposed as a web app without HTTP auth (httpAuth user and password)"]);
        expect(flowerProtected.check(app("flower", { httpAuth: secret({ user: "admin", password: "" }) }))).to.have.length(1);
        expect(flowerProtected.check(app("flower", { forceSsl: false }))).to.deep.equal(["app dev-flower runs Flower exposed as a web app without forceSsl: its basic-auth password would cross plain HTTP"]);
    });

    it("lets Flower serve plain HTTP (site:forceSsl false) only where its CapRover server is on loopback: nothing crosses a network", () => {
        const on = (url: unknown) => flowerProtected.check({ ...app("flower", { forceSsl: false }), provider: { url, password: secret("test-only") } });
        for (const url of ["http://127.0.0.1:13000", "http://localhost:3000", "http://[::1]:3000"]) expect(on(url), url).to.deep.equal([]);
        for (const url of ["https://captain.example.com", "http://10.0.0.1:3000", "http://127.0.0.1.example.com", unknown, undefined]) expect(on(url), String(url)).to.have.length(1);
        // Auth is still required there.
        expect(flowerProtected.check({ ...app("flower", { forceSsl: false, httpAuth: undefined }), provider: { url: "http://127.0.0.1:3000" } })).to.have.length(1);
    });
});
