import { expect } from "chai";
import { deployByDigest } from "../src/policies/deployByDigest";
import { app, image, secret, unknown } from "./support";

describe("policy deploy-by-digest", () => {
    it("passes an app whose image is <image>@sha256:<64 hex>, and one whose digest a build computes later (preview)", () => {
        expect(deployByDigest.check(app("web"))).to.deep.equal([]);
        expect(deployByDigest.check(app("web", { image: unknown }))).to.deep.equal([]);
        expect(deployByDigest.check(app("web", { image: `registry.example:5000/team/web@sha256:${"0".repeat(64)}` }))).to.deep.equal([]);
    });

    it("refuses a tag, latest, a tag beside the digest, and a short digest, naming the app and the image", () => {
        for (const bad of ["ghcr.io/aaronspindler/aaronspindler.com-web:latest", "ghcr.io/aaronspindler/aaronspindler.com-web", `ghcr.io/aaronspindler/aaronspindler.com-web:v1@sha256:${"a".repeat(64)}`, `${image("web").slice(0, -1)}`]) {
            expect(deployByDigest.check(app("web", { image: bad }))).to.deep.equal([`app dev-web runs image ${JSON.stringify(bad)}, not <image>@sha256:<64 hex digits> without a tag`]);
        }
        // Given as a secret, it is judged and not shown.
        expect(deployByDigest.check(app("web", { image: secret("registry.example/private:latest") }))).to.deep.equal(["app dev-web runs image (a secret value), not <image>@sha256:<64 hex digits> without a tag"]);
    });
});
