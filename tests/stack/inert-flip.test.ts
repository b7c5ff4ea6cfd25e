/**
 * A flip is one line each way even when the stack holds settings for services the other profile
 * does not run: the local stack pins an image per service and target, and here also overrides
 * Flower, gives beat a volume and limits celery. `site:topology: unified` alone gives the exact
 * consolidation diff; `site:topology: split` alone restores every resource and input.
 */
import { expect } from "chai";
import { RawConfig } from "../../config/reader";
import { inactiveWarning } from "../../config/site";
import { Registered, diffResources, shortUrn as short } from "../support/mocks";
import { runSite } from "../support/site";
import { stackConfig } from "../support/stacks";

/** Settings for every catalogue service, as a stack that has run split would hold them. */
const SETTINGS: RawConfig = {
    services: { flower: { env: { FLOWER_PURGE_OFFLINE_WORKERS: "60" } }, celerybeat: { limits: { memoryMiB: 256 } }, celery: { limits: { memoryMiB: 1024 } } },
    caproverVolumes: { celerybeat: ["beat-schedule:/code/schedule"] },
};

const under = async (topology: string): Promise<Registered[]> => (await runSite("local", { ...SETTINGS, topology })).resources;
const input = (resources: Registered[], name: string, key: string) => resources.find((r) => r.type === "caprover:index:App" && r.name === name)!.inputs[key];

describe("one-line flips with inactive settings (local stack)", () => {
    let split: Registered[];
    let unified: Registered[];
    before(async () => {
        split = await under("split");
        unified = await under("unified");
    });

    it("split -> unified: exactly celerybeat's and flower's app and image go, celery is updated in place, nothing else", () => {
        const diff = diffResources(split, unified);
        expect(diff.removed.map(short).sort()).to.deep.equal([
            "caprover:index:App::celerybeat",
            "caprover:index:App::flower",
            "site:image:ServiceImage::celerybeat",
            "site:image:ServiceImage::flower",
        ]);
        expect(diff.added).to.deep.equal([]);
        expect(Object.fromEntries(Object.entries(diff.changed).map(([urn, keys]) => [short(urn), keys]))).to.deep.equal({
            "caprover:index:App::celery": ["description", "image", "serviceUpdateOverride"],
            // The canary's worker is celery's new image, and beat runs in it (no image of its own).
            "caprover:index:Canary::canary": ["beatImage", "workerImage"],
        });
        // The pinned celery-unified image, and the role's open-file limit beside the service's memory limit, with the worker's drain.
        expect(input(unified, "celery", "image")).to.match(/-celery@sha256:5{64}$/);
        expect(JSON.parse(String(input(unified, "celery", "serviceUpdateOverride")))).to.deep.equal({
            Labels: { "site.celery.task-time-limit": "300" },
            TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 65536, Hard: 65536 }], StopGracePeriod: 330_000_000_000 }, Resources: { Limits: { MemoryBytes: 1024 * 1024 * 1024 } } },
            UpdateConfig: { Order: "stop-first" },
        });
    });

    it("unified -> split: the same resources come back with the same inputs, the inactive settings applied again", async () => {
        const back = await under("split");
        expect(diffResources(split, back)).to.deep.equal({ removed: [], added: [], changed: {} });
        expect(input(back, "flower", "envVars")).to.deep.equal({ secret: { FLOWER_PURGE_OFFLINE_WORKERS: "60" } });
        expect(input(back, "celerybeat", "volumes")).to.deep.equal([{ volumeName: "beat-schedule", containerPath: "/code/schedule" }]);
        expect(input(back, "celery", "image")).to.match(/-celery@sha256:2{64}$/);
    });

    it("names the settings kept aside, under either profile, in one warning", () => {
        const warning = inactiveWarning(stackConfig("local", { ...SETTINGS, topology: "unified" }));
        expect(warning).to.equal(
            'profile "unified" runs web (runtime-full), celery (celery-unified); these settings are for services or targets it does not run, kept and ignored until a profile runs them: ' +
                "site:caproverVolumes.celerybeat, site:imageDigests.celery.celery-worker, site:imageDigests.celerybeat, site:imageDigests.flower, site:imageDigests.web.all-in-one, site:services.celerybeat, site:services.flower",
        );
        expect(inactiveWarning(stackConfig("local", { ...SETTINGS, topology: "split" }))).to.equal(
            'profile "split" runs web (runtime-full), celery (celery-worker), celerybeat (celerybeat), flower (flower); these settings are for services or targets it does not run, kept and ignored until a profile runs them: site:imageDigests.celery.celery-unified, site:imageDigests.web.all-in-one',
        );
    });
});
