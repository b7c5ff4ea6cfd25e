/** The RegistryCredentials provider against the emulator: the private-registry entry CapRover pulls with. */
import { expect } from "chai";
import { TestRegistryInputs as RegistryInputs, TestRegistryProvider as RegistryCredentialsProvider, connection, useEmulator } from "./support";

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
});
