import { expect } from "chai";
import { deployByDigest } from "../src/policies/deployByDigest";
import { TYPES } from "../src/resources";
import { app, image, resource, secret, unknown } from "./support";

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

    it("holds a release task to the same rule: its migrations run in the release's image by digest", () => {
        const task = (img: unknown) => resource(TYPES.releaseTask, "release-migrate", { appName: "dev-release-migrate", image: img as string, command: ["python", "manage.py", "migrate", "--noinput"] });
        expect(deployByDigest.check(task(image("web")))).to.deep.equal([]);
        expect(deployByDigest.check(task(unknown))).to.deep.equal([]);
        const tagged = "ghcr.io/aaronspindler/aaronspindler.com-web:latest";
        expect(deployByDigest.check(task(tagged))).to.deep.equal([`release task dev-release-migrate runs image ${JSON.stringify(tagged)}, not <image>@sha256:<64 hex digits> without a tag`]);
    });
});
