/**
 * The one `serviceUpdateOverride` builder: limits and the update order, as the JSON object CapRover
 * merges over the Docker service spec.
 */
import { expect } from "chai";
import { mergeOverride, serviceUpdateOverride, updateOrder } from "../../../components/caprover/serviceOverride";

describe("serviceUpdateOverride builder", () => {
    it("sets the open-file ulimit, the memory and CPU limits and the update order, in Docker's field names", () => {
        const text = serviceUpdateOverride({ scheduler: true, hasMounts: false, limits: { nofile: { soft: 4096, hard: 8192 }, memoryMiB: 512, cpus: 1.5 } });
        expect(JSON.parse(text)).to.deep.equal({
            TaskTemplate: {
                ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 4096, Hard: 8192 }] },
                Resources: { Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 512 * 1024 * 1024 } },
            },
            UpdateConfig: { Order: "stop-first" },
        });
    });

    it("sets only the update order when there are no limits", () => {
        expect(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {} })).to.equal('{"UpdateConfig":{"Order":"start-first"}}');
        expect(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: { cpus: 0.25 } })).to.equal(
            '{"TaskTemplate":{"Resources":{"Limits":{"NanoCPUs":250000000}}},"UpdateConfig":{"Order":"start-first"}}',
        );
    });

    it("replaces the container's command and arguments when given (accessories), beside its limits, in a fixed order", () => {
        const text = serviceUpdateOverride({ scheduler: false, hasMounts: true, limits: { nofile: { soft: 1024, hard: 2048 } }, command: ["/bin/sh", "-c", "exec x"], args: ["--flag"] });
        expect(text).to.equal(
            '{"TaskTemplate":{"ContainerSpec":{"Command":["/bin/sh","-c","exec x"],"Args":["--flag"],"Ulimits":[{"Name":"nofile","Soft":1024,"Hard":2048}]}},"UpdateConfig":{"Order":"stop-first"}}',
        );
        expect(JSON.parse(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, args: ["--a"] })).TaskTemplate).to.deep.equal({ ContainerSpec: { Args: ["--a"] } });
    });

    it("updates services that carry beat, and apps with mounts, stop-first; the rest start-first", () => {
        expect(updateOrder({ scheduler: true, hasMounts: false })).to.equal("stop-first");
        expect(updateOrder({ scheduler: false, hasMounts: true })).to.equal("stop-first");
        expect(updateOrder({ scheduler: false, hasMounts: false })).to.equal("start-first");
    });

    it("sets a service's stop grace period in nanoseconds, and labels a worker with the task time limit it fits", () => {
        const worker = serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, drain: { stopGraceSeconds: 330, taskTimeLimitSeconds: 300 } });
        expect(worker).to.equal('{"Labels":{"site.celery.task-time-limit":"300"},"TaskTemplate":{"ContainerSpec":{"StopGracePeriod":330000000000}},"UpdateConfig":{"Order":"start-first"}}');
        // Beat alone: a grace period, no time limit; beside a breaking release's label and the limits.
        const beat = serviceUpdateOverride({ scheduler: true, hasMounts: false, limits: { nofile: { soft: 1, hard: 2 } }, drain: { stopGraceSeconds: 15 } });
        expect(JSON.parse(beat)).to.deep.equal({ TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 1, Hard: 2 }], StopGracePeriod: 15_000_000_000 } }, UpdateConfig: { Order: "stop-first" } });
        const both = serviceUpdateOverride({ scheduler: true, hasMounts: false, limits: {}, breakingRelease: true, drain: { stopGraceSeconds: 330, taskTimeLimitSeconds: 300 } });
        expect(JSON.parse(both).Labels).to.deep.equal({ "site.release.migrations": "breaking", "site.celery.task-time-limit": "300" });
        // No drain (web, Flower, accessories): Docker's default, no label: the text as before.
        expect(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, drain: {} })).to.equal('{"UpdateConfig":{"Order":"start-first"}}');
    });

    it("gives the same text for the same inputs whatever order the limits were written in", () => {
        const a = serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: { memoryMiB: 64, cpus: 1, nofile: { soft: 1, hard: 2 } } });
        const b = serviceUpdateOverride({ hasMounts: false, limits: { nofile: { hard: 2, soft: 1 }, cpus: 1, memoryMiB: 64 }, scheduler: false });
        expect(a).to.equal(b);
    });

    describe("merges the stack's own settings (site:services.<service>.serviceUpdateOverride) over the program's", () => {
        it("as CapRover merges: objects key by key, arrays and scalars replace", () => {
            expect(mergeOverride({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { c: [3], e: { f: true } }, d: "y", g: null })).to.deep.equal({ a: { b: 1, c: [3], e: { f: true } }, d: "y", g: null });
            // Neither side is changed.
            const base = { a: { b: 1 } };
            mergeOverride(base, { a: { b: 2 } });
            expect(base).to.deep.equal({ a: { b: 1 } });
        });

        it("keeps the program's order and limits beside the stack's settings (DNS round robin, grace period, placement)", () => {
            const text = serviceUpdateOverride({
                scheduler: true,
                hasMounts: false,
                limits: { nofile: { soft: 16384, hard: 16384 }, memoryMiB: 512 },
                custom: {
                    EndpointSpec: { Mode: "dnsrr" },
                    TaskTemplate: { ContainerSpec: { StopGracePeriod: 30_000_000_000 }, Placement: { Constraints: ["node.role==manager"] } },
                    UpdateConfig: { Order: "stop-first", Delay: 1_000_000_000 },
                },
            });
            expect(JSON.parse(text)).to.deep.equal({
                TaskTemplate: {
                    ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 16384, Hard: 16384 }], StopGracePeriod: 30_000_000_000 },
                    Resources: { Limits: { MemoryBytes: 512 * 1024 * 1024 } },
                    Placement: { Constraints: ["node.role==manager"] },
                },
                UpdateConfig: { Order: "stop-first", Delay: 1_000_000_000 },
                EndpointSpec: { Mode: "dnsrr" },
            });
            expect(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, custom: { EndpointSpec: { Mode: "dnsrr" } } })).to.equal(
                '{"UpdateConfig":{"Order":"start-first"},"EndpointSpec":{"Mode":"dnsrr"}}',
            );
        });

        it("keeps the program's open-file limit beside the stack's other ulimits (CapRover would replace the whole list)", () => {
            const text = serviceUpdateOverride({ scheduler: true, hasMounts: false, limits: { nofile: { soft: 65536, hard: 65536 } }, custom: { TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nproc", Soft: 512, Hard: 1024 }] } } } });
            expect(JSON.parse(text).TaskTemplate.ContainerSpec.Ulimits).to.deep.equal([
                { Name: "nproc", Soft: 512, Hard: 1024 },
                { Name: "nofile", Soft: 65536, Hard: 65536 },
            ]);
            // Without a program limit the stack's list stands alone.
            const alone = serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, custom: { TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nproc", Soft: 1, Hard: 2 }] } } } });
            expect(JSON.parse(alone).TaskTemplate.ContainerSpec.Ulimits).to.deep.equal([{ Name: "nproc", Soft: 1, Hard: 2 }]);
        });

        it("lets the stack's stop grace period replace the program's (raising a worker's; the policy pack refuses one below its time limit), the time limit label kept", () => {
            const text = serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, drain: { stopGraceSeconds: 330, taskTimeLimitSeconds: 300 }, custom: { TaskTemplate: { ContainerSpec: { StopGracePeriod: 900_000_000_000 } } } });
            expect(JSON.parse(text)).to.deep.equal({ Labels: { "site.celery.task-time-limit": "300" }, TaskTemplate: { ContainerSpec: { StopGracePeriod: 900_000_000_000 } }, UpdateConfig: { Order: "start-first" } });
        });

        it("is the program's alone by default (no settings: the same text as before)", () => {
            expect(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {}, custom: {} })).to.equal(serviceUpdateOverride({ scheduler: false, hasMounts: false, limits: {} }));
        });
    });
});
