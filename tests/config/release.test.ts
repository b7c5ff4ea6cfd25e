/**
 * The release phase's configuration (`site:release`): the topology's tasks by default, a stack's
 * own list (or none), the migrations' compatibility, and every bad value refused naming its key
 * and what would be accepted.
 */
import { expect } from "chai";
import { RELEASE_TASKS } from "../../config/topology";
import { problems, stackConfig } from "../support/stacks";

describe("site:release", () => {
    it("runs the topology's tasks by default (the site's migrations), each in an app named after the stack's prefix, with compatible migrations", () => {
        const config = stackConfig("prod");
        expect(config.release.migrations).to.equal("compatible");
        expect(config.release.maintenance).to.equal(false);
        expect(config.release.tasks.map((t) => t.name)).to.deep.equal(RELEASE_TASKS.map((t) => t.name));
        expect(config.release.tasks[0].command).to.deep.equal(["python", "manage.py", "migrate", "--noinput"]);
        const prefix = config.services[0].appName.slice(0, -config.services[0].name.length);
        expect(config.release.tasks[0].appName).to.equal(`${prefix}release-migrate`);
    });

    it("takes a stack's own list, in order, commands as words or as argument lists, and [] for none", () => {
        const config = stackConfig("prod", {
            release: { tasks: [{ name: "migrate", command: "python manage.py migrate --noinput" }, { name: "static", command: ["python", "manage.py", "collectstatic", "--noinput"] }], migrations: "breaking" },
        });
        expect(config.release.tasks.map((t) => [t.name, t.command.join(" ")])).to.deep.equal([
            ["migrate", "python manage.py migrate --noinput"],
            ["static", "python manage.py collectstatic --noinput"],
        ]);
        expect(config.release.migrations).to.equal("breaking");
        expect(stackConfig("prod", { release: { tasks: [] } }).release.tasks).to.deep.equal([]);
    });

    describe("refuses, naming the key and what is accepted", () => {
        it("a compatibility that is neither compatible nor breaking", () => {
            expect(problems({ release: { migrations: "maybe" } })).to.include('site:release.migrations: "maybe" is not accepted; expected one of compatible, breaking');
        });

        it("a maintenance switch that is not true or false", () => {
            expect(problems({ maintenance: "yes" })).to.include('site:maintenance: "yes" is not accepted; expected true or false');
        });

        it("an unknown field", () => {
            expect(problems({ release: { task: [] } })).to.include("site:release.task: unknown field; accepted fields are tasks, migrations, removedTasks");
        });

        it("tasks that are not a list", () => {
            expect(problems({ release: { tasks: { migrate: "python manage.py migrate" } } })).to.match(/site:release\.tasks: \{"migrate":"python manage.py migrate"\} is not accepted; expected a list of \{name, command\}/);
        });

        it("a bad task name, a repeated one, and an unknown task field", () => {
            const found = problems({ release: { tasks: [{ name: "Migrate", command: "x" }, { name: "a", command: "x" }, { name: "a", command: "y" }, { name: "b", command: "x", shell: true }] } });
            expect(found).to.include('site:release.tasks[0].name: "Migrate" is not accepted; expected 1 to 20 lowercase letters, digits and \'-\'');
            expect(found).to.include('site:release.tasks[2].name: "a" is already the name of another task; task names must be unique');
            expect(found).to.include("site:release.tasks[3].shell: unknown field; accepted fields are name, command");
        });

        it("a command with shell syntax, an empty one, and a list of non-strings", () => {
            const found = problems({ release: { tasks: [{ name: "a", command: "python manage.py migrate && echo ok" }, { name: "b", command: "" }, { name: "c", command: ["python", 3] }] } });
            for (const i of [0, 1, 2]) expect(found).to.include(`site:release.tasks[${i}].command:`);
            expect(found).to.include("is not accepted; expected a command as words separated by spaces, no shell syntax");
        });

        it("a task whose app would be a service's app", () => {
            expect(problems({ appNamePrefix: "x-", services: { web: { appName: "x-release-migrate" } } })).to.include(
                'site:release.tasks: task migrate: its app name "x-release-migrate" is already the app of a service; give the task another name',
            );
        });
    });
});
