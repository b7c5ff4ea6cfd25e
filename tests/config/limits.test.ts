/**
 * Container limits per service (`site:services.<service>.limits`): safe defaults where worker and
 * beat share a container, overrides field by field, and every bad value rejected naming its key.
 */
import { expect } from "chai";
import { ROLES } from "../../config/topology";
import { problems, stackConfig } from "../support/stacks";

const limitsOf = (config: ReturnType<typeof stackConfig>, service: string) => config.services.find((s) => s.name === service)!.limits;

describe("container limits", () => {
    it("give the roles that run worker and beat in one container a raised open-file limit, and no other role a limit", () => {
        expect(limitsOf(stackConfig("prod", { topology: "unified" }), "celery")).to.deep.equal({ nofile: { soft: 65536, hard: 65536 } });
        expect(limitsOf(stackConfig("prod", { topology: "single", singleTarget: "all-in-one" }), "web")).to.deep.equal({ nofile: { soft: 65536, hard: 65536 } });
        const split = stackConfig("prod", { topology: "split" });
        for (const service of ["web", "celery", "celerybeat", "flower"]) expect(limitsOf(split, service), service).to.deep.equal({});
        const limited = Object.entries(ROLES).filter(([, role]) => "limits" in role).map(([name]) => name);
        expect(limited).to.deep.equal(["celery-unified", "all-in-one"]);
    });

    it("take a service's limits over its role's, field by field", () => {
        const config = stackConfig("prod", { topology: "unified", services: { celery: { limits: { memoryMiB: 1024, cpus: 1.5 } }, web: { limits: { nofile: { soft: 4096, hard: 8192 } } } } });
        expect(limitsOf(config, "celery")).to.deep.equal({ nofile: { soft: 65536, hard: 65536 }, memoryMiB: 1024, cpus: 1.5 });
        expect(limitsOf(config, "web")).to.deep.equal({ nofile: { soft: 4096, hard: 8192 } });
        const raised = stackConfig("prod", { topology: "unified", services: { celery: { limits: { nofile: { soft: 100000, hard: 200000 } } } } });
        expect(limitsOf(raised, "celery")).to.deep.equal({ nofile: { soft: 100000, hard: 200000 } });
    });

    describe("reject, naming the key, the value and what is accepted", () => {
        const at = (limits: unknown, service = "celery") => problems({ services: { [service]: { limits } } });

        it("a soft limit above the hard one", () => {
            expect(at({ nofile: { soft: 70000, hard: 65536 } })).to.include(
                "site:services.celery.limits.nofile: soft 70000 is above hard 65536; expected soft <= hard",
            );
        });

        it("a limit that is not a number", () => {
            expect(at({ nofile: { soft: "65536", hard: 65536 } })).to.include('site:services.celery.limits.nofile.soft: "65536" is not accepted; expected a whole number of at least 1');
            expect(at({ nofile: { soft: 1024, hard: "many" } })).to.include('site:services.celery.limits.nofile.hard: "many" is not accepted; expected a whole number of at least 1');
            expect(at({ memoryMiB: "1G" })).to.include('site:services.celery.limits.memoryMiB: "1G" is not accepted; expected a whole number of MiB, at least 6');
            expect(at({ cpus: "two" })).to.include('site:services.celery.limits.cpus: "two" is not accepted; expected a number of CPUs above 0');
        });

        it("a negative limit", () => {
            expect(at({ nofile: { soft: -1, hard: 1024 } })).to.include("site:services.celery.limits.nofile.soft: -1 is not accepted; expected a whole number of at least 1");
            expect(at({ memoryMiB: -512 })).to.include("site:services.celery.limits.memoryMiB: -512 is not accepted");
            expect(at({ cpus: -0.5 })).to.include("site:services.celery.limits.cpus: -0.5 is not accepted; expected a number of CPUs above 0");
        });

        it("a half-given ulimit, an unknown field, or limits that are not an object", () => {
            expect(at({ nofile: { soft: 1024 } })).to.include("site:services.celery.limits.nofile.hard: is required; expected {soft, hard}");
            expect(at({ nofile: { soft: 1, hard: 2, max: 3 } })).to.include("site:services.celery.limits.nofile.max: unknown field; accepted fields are soft, hard");
            expect(at({ nproc: 10 })).to.include("site:services.celery.limits.nproc: unknown field; accepted fields are nofile, memoryMiB, cpus");
            expect(at(4096)).to.include("site:services.celery.limits: 4096 is not accepted; expected an object with nofile, memoryMiB, cpus");
        });

        it("for a service the profile does not run as well (kept aside, yet checked)", () => {
            expect(problems({ topology: "unified", services: { celerybeat: { limits: { nofile: { soft: 2, hard: 1 } } } } })).to.include(
                "site:services.celerybeat.limits.nofile: soft 2 is above hard 1",
            );
        });
    });
});
