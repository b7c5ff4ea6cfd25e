/**
 * `site:services.<service>.serviceUpdateOverride`: Docker service settings merged over the
 * program's, validated before anything is registered. What the program owns is refused, each
 * message naming the field and what to set instead; services the profile does not run keep theirs
 * aside (checked all the same).
 */
import { expect } from "chai";
import { problems, stackConfig } from "../support/stacks";

const DNSRR = { EndpointSpec: { Mode: "dnsrr" } };
const serviceOf = (config: ReturnType<typeof stackConfig>, service: string) => config.services.find((s) => s.name === service)!;
const at = (service: string, override: unknown, extra: Record<string, unknown> = {}) => problems({ topology: "split", ...extra, services: { [service]: { serviceUpdateOverride: override } } });

describe("site:services.<service>.serviceUpdateOverride", () => {
    it("defaults to none, and is carried (keys sorted) on the active service", () => {
        for (const s of stackConfig("prod").services) expect(s.serviceUpdateOverride, s.name).to.deep.equal({});
        const config = stackConfig("prod", { topology: "split", services: { web: { serviceUpdateOverride: { UpdateConfig: { Delay: 1 }, EndpointSpec: { Mode: "dnsrr" } } }, flower: { serviceUpdateOverride: DNSRR } } });
        expect(JSON.stringify(serviceOf(config, "web").serviceUpdateOverride)).to.equal('{"EndpointSpec":{"Mode":"dnsrr"},"UpdateConfig":{"Delay":1}}');
        expect(serviceOf(config, "flower").serviceUpdateOverride).to.deep.equal(DNSRR);
    });

    it("accepts a stop grace period in whole nanoseconds and labels of the stack's own (the policy pack judges a worker's grace period against its time limit)", () => {
        const override = { Labels: { "com.example.team": "web" }, TaskTemplate: { ContainerSpec: { StopGracePeriod: 900_000_000_000 } } };
        expect(serviceOf(stackConfig("prod", { topology: "split", services: { celery: { serviceUpdateOverride: override } } }), "celery").serviceUpdateOverride).to.deep.equal(override);
        // Shorter than the time limit passes here: policy drain-fits-workers refuses it, naming the limit.
        expect(() => stackConfig("prod", { topology: "split", services: { celery: { serviceUpdateOverride: { TaskTemplate: { ContainerSpec: { StopGracePeriod: 0 } } } } } })).not.to.throw();
    });

    it("accepts an update order that agrees with the role's: beat stop-first, any order for a worker, start-first for web", () => {
        expect(serviceOf(stackConfig("prod", { topology: "unified", services: { celery: { serviceUpdateOverride: { UpdateConfig: { Order: "stop-first" } } } } }), "celery").serviceUpdateOverride).to.deep.equal({ UpdateConfig: { Order: "stop-first" } });
        expect(serviceOf(stackConfig("prod", { topology: "split", services: { celery: { serviceUpdateOverride: { UpdateConfig: { Order: "stop-first" } } } } }), "celery").serviceUpdateOverride).to.deep.equal({ UpdateConfig: { Order: "stop-first" } });
        expect(() => stackConfig("prod", { topology: "split", services: { web: { serviceUpdateOverride: { UpdateConfig: { Order: "start-first" } } } } })).not.to.throw();
    });

    describe("refuses, naming the field and what would be accepted", () => {
        it("a start-first update of a service carrying beat (celery under unified, celerybeat, web under single)", () => {
            const order = { UpdateConfig: { Order: "start-first" } };
            expect(at("celery", order, { topology: "unified" })).to.include(
                'site:services.celery.serviceUpdateOverride.UpdateConfig.Order: "start-first" is not accepted; expected "stop-first" (or leave it out): celery runs the beat scheduler (role celery-unified), and a start-first update runs the old and the new beat together, so periodic tasks due meanwhile would run twice',
            );
            expect(at("celerybeat", order)).to.include("site:services.celerybeat.serviceUpdateOverride.UpdateConfig.Order: \"start-first\" is not accepted; expected \"stop-first\"");
            expect(at("web", order, { topology: "single", singleTarget: "all-in-one" })).to.include("site:services.web.serviceUpdateOverride.UpdateConfig.Order: \"start-first\" is not accepted; expected \"stop-first\"");
        });

        it("a stop-first update of web without volumes (an outage on every deploy), and an order Docker does not know", () => {
            expect(at("web", { UpdateConfig: { Order: "stop-first" } })).to.include(
                'site:services.web.serviceUpdateOverride.UpdateConfig.Order: "stop-first" is not accepted; expected "start-first" (or leave it out): web serves the site (role web) without volumes, and a stop-first update is an outage on every deploy',
            );
            expect(at("celery", { UpdateConfig: { Order: "rolling" } })).to.include('site:services.celery.serviceUpdateOverride.UpdateConfig.Order: "rolling" is not accepted; expected "start-first" or "stop-first"');
        });

        it("the open-file limit (use limits instead), and a ulimit list that is not one", () => {
            expect(at("celery", { TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nproc", Soft: 1, Hard: 1 }, { Name: "nofile", Soft: 1024, Hard: 1024 }] } } }, { topology: "unified" })).to.include(
                "site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.Ulimits[1]: is not accepted here: the open-file limit (nofile) is the program's; set site:services.celery.limits.nofile {soft, hard} instead",
            );
            expect(at("celery", { TaskTemplate: { ContainerSpec: { Ulimits: { nofile: 1 } } } })).to.include("site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.Ulimits: {\"nofile\":1} is not accepted; expected a list of {Name, Soft, Hard}");
        });

        it("the process (Command, Args), the image, the environment, the mounts, the replicas, the name, the memory and CPU limits", () => {
            const spec = (containerSpec: Record<string, unknown>) => ({ TaskTemplate: { ContainerSpec: containerSpec } });
            const refused = (path: string, instead: string, override: unknown) =>
                expect(at("celery", override), path).to.include(`site:services.celery.serviceUpdateOverride.${path}: is not accepted here: `).and.include(instead);
            refused("TaskTemplate.ContainerSpec.Command", "the process is the role's Dockerfile target", spec({ Command: ["celery", "worker", "--beat"] }));
            refused("TaskTemplate.ContainerSpec.Args", "pick a profile that runs the role you want instead", spec({ Args: ["--beat"] }));
            refused("TaskTemplate.ContainerSpec.Image", "the image is the release the program deploys", spec({ Image: "busybox" }));
            refused("TaskTemplate.ContainerSpec.Env", "set site:services.celery.env instead", spec({ Env: ["A=1"] }));
            refused("TaskTemplate.ContainerSpec.Mounts", "set site:caproverVolumes.celery instead", spec({ Mounts: [] }));
            refused("Mode", "set site:services.celery.instanceCount instead", { Mode: { Replicated: { Replicas: 2 } } });
            refused("Name", "set site:services.celery.appName instead", { Name: "other" });
            refused("TaskTemplate.Resources.Limits.MemoryBytes", "set site:services.celery.limits.memoryMiB instead", { TaskTemplate: { Resources: { Limits: { MemoryBytes: 1 } } } });
            refused("TaskTemplate.Resources.Limits.NanoCPUs", "set site:services.celery.limits.cpus instead", { TaskTemplate: { Resources: { Limits: { NanoCPUs: 1 } } } });
        });

        it("a stop grace period that is not whole nanoseconds, labels that are not a map, and the program's own labels (site.*, read by the policy pack)", () => {
            const grace = (v: unknown) => at("celery", { TaskTemplate: { ContainerSpec: { StopGracePeriod: v } } });
            expect(grace("600s")).to.include('site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod: "600s" is not accepted; expected a whole number of nanoseconds (Docker\'s unit), e.g. 600000000000 for 600 s');
            expect(grace(-1)).to.include("TaskTemplate.ContainerSpec.StopGracePeriod: -1 is not accepted");
            expect(grace(1.5e9 + 0.5)).to.include("TaskTemplate.ContainerSpec.StopGracePeriod: 1500000000.5 is not accepted");
            expect(at("celery", { Labels: ["a=b"] })).to.include('site:services.celery.serviceUpdateOverride.Labels: ["a=b"] is not accepted; expected an object');
            expect(at("celery", { Labels: { "site.celery.task-time-limit": "3600" } })).to.include(
                "site:services.celery.serviceUpdateOverride.Labels.site.celery.task-time-limit: is not accepted here: service labels under site. are the program's: they declare to the policy pack what the release and the workers are (site:release.migrations, site:celeryTaskTimeLimit); set those instead",
            );
            expect(at("web", { Labels: { "site.release.migrations": "breaking" } })).to.include("site:services.web.serviceUpdateOverride.Labels.site.release.migrations: is not accepted here");
        });

        it("a field Docker's service spec does not have, a scalar where the program writes an object, and an override that is not an object", () => {
            expect(at("web", { StopGracePeriod: 10 })).to.include(
                "site:services.web.serviceUpdateOverride.StopGracePeriod: unknown field; accepted fields are those of Docker's service spec: Name, Labels, TaskTemplate, Mode, UpdateConfig, RollbackConfig, Networks, EndpointSpec (e.g. StopGracePeriod lives at TaskTemplate.ContainerSpec.StopGracePeriod)",
            );
            expect(at("web", { UpdateConfig: "start-first" })).to.include('site:services.web.serviceUpdateOverride.UpdateConfig: "start-first" is not accepted; expected an object (CapRover merges it key by key over the program\'s)');
            expect(at("web", '{"EndpointSpec":{"Mode":"dnsrr"}}')).to.include("site:services.web.serviceUpdateOverride: \"{\\\"EndpointSpec\\\"");
            expect(at("web", [DNSRR])).to.include("is not accepted; expected an object of Docker service spec fields");
        });
    });

    it("keeps aside the override of a service the profile does not run, checked all the same; the beat rule waits for a profile that runs beat there", () => {
        const config = stackConfig("prod", { topology: "unified", services: { flower: { serviceUpdateOverride: DNSRR }, celerybeat: { serviceUpdateOverride: { UpdateConfig: { Order: "start-first" } } } } });
        expect(config.inactive).to.deep.equal(["site:services.celerybeat", "site:services.flower"]);
        expect(config.services.map((s) => s.name)).to.deep.equal(["web", "celery"]);
        expect(problems({ topology: "unified", services: { flower: { serviceUpdateOverride: { TaskTemplate: { ContainerSpec: { Command: ["x"] } } } } } })).to.include(
            "site:services.flower.serviceUpdateOverride.TaskTemplate.ContainerSpec.Command: is not accepted here",
        );
        // celery's start-first is fine while it is a worker (split), refused once it carries beat (unified).
        const worker = { services: { celery: { serviceUpdateOverride: { UpdateConfig: { Order: "start-first" } } } } };
        expect(() => stackConfig("prod", { topology: "split", ...worker })).not.to.throw();
        expect(problems({ topology: "unified", ...worker })).to.include("site:services.celery.serviceUpdateOverride.UpdateConfig.Order");
    });
});
