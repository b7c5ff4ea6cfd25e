/** The RegistryCredentials provider against the emulator: the private-registry entry CapRover pulls with. */
import { expect } from "chai";
import { STATUS } from "../src/api/types";
import { TestRegistryInputs as RegistryInputs, TestRegistryProvider as RegistryCredentialsProvider, client, connection, failure, useEmulator } from "./support";

describe("RegistryCredentials provider", () => {
    const emulator = useEmulator();
    const provider = new RegistryCredentialsProvider();
    const inputs = (overrides: Partial<RegistryInputs> = {}): RegistryInputs => ({
        connection: connection(emulator()),
        registryDomain: "ghcr.io",
        registryUser: "aaronspindler",
        registryPassword: "ghcr-token-test-only",
        registryImagePrefix: "aaronspindler",
        ...overrides,
    });

    it("creates, reads, updates and deletes the registry entry", async () => {
        const created = await provider.create(inputs());
        const entry = emulator().registries.get(created.id)!;
        expect(entry).to.include({ registryDomain: "ghcr.io", registryUser: "aaronspindler", registryPassword: "ghcr-token-test-only", registryType: "REMOTE_REG" });
        expect((await provider.read(created.id, created.outs)).props).to.deep.equal(created.outs);
        expect((await provider.diff(created.id, created.outs!, inputs({ registryPassword: "rotated-token" }))).changes).to.equal(true);
        await provider.update(created.id, created.outs!, inputs({ registryPassword: "rotated-token" }));
        expect(emulator().registries.get(created.id)!.registryPassword).to.equal("rotated-token");
        await provider.delete(created.id, created.outs!);
        expect(emulator().registries.size).to.equal(0);
        // Already gone counts as deleted; read reports it gone.
        await provider.delete(created.id, created.outs!);
        expect(await provider.read(created.id, created.outs)).to.deep.equal({});
    });

    it("keeps one entry when a lost answer made the insert run twice", async () => {
        emulator().inject({ kind: "lost", match: { path: "/user/registries/insert" } });
        const created = await provider.create(inputs());
        expect([...emulator().registries.keys()]).to.deep.equal([created.id]);
    });

    it("deletes the entry CapRover made its default push registry (the first added) by clearing the default first; another entry leaves the default alone", async () => {
        const c = client(emulator());
        const first = await provider.create(inputs());
        expect((await c.registries()).defaultPushRegistryId, "the first entry is CapRover's default push").to.equal(first.id);
        // As the real server does: the default push cannot be deleted as it is.
        const refused = await failure(() => c.deleteRegistry(first.id));
        expect(refused.message).to.include(`status ${STATUS.ILLEGAL_PARAMETER}: Cannot remove the default push. First change the default push.`);

        const second = await provider.create(inputs({ registryDomain: "registry.example.test" }));
        await provider.delete(second.id, second.outs!);
        expect((await c.registries()).defaultPushRegistryId, "deleting another entry keeps the default").to.equal(first.id);
        await provider.delete(first.id, first.outs!);
        expect(emulator().registries.size).to.equal(0);
        expect((await c.registries()).defaultPushRegistryId).to.equal("");
    });
});
