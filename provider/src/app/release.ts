/**
 * How a container learns its release: CapRover's pre-deploy function, which CapRover runs inside
 * its own process on every update of the app's Docker service (a deploy, a definition change, a
 * save in its dashboard), after the definition's environment and serviceUpdateOverride are applied
 * and right before Docker gets the spec. The provider's function sets the release variable to the
 * release (digest) of the image that very spec runs.
 *
 * Why not an environment variable in the definition, written once the new image runs: a deploy
 * and its release are then two service updates in quick succession, and neither CapRover nor Swarm
 * orders them for us. CapRover reports a deploy done (build state idle, version deployed) before it
 * updates the service, with the environment it read as the build ended, so a release written
 * meanwhile can be put back; Swarm supersedes an update still in progress, and its task of the
 * previous environment may live on (beat ran twice so). The real server once showed web's gate
 * pass on the new release and then, for 90 s, only answers naming the previous one. With the
 * function, one update carries the image and its release, and no container can name a release it
 * does not run.
 */
import type { AppDefinition } from "../api/types";

/** The first line of the provider's function: how it tells its own (any version) from a user's. */
export const RELEASE_FUNCTION_MARK = "// caprover:index:App sets the release variable to the digest of the image each service update runs";

/**
 * The pre-deploy function that sets `releaseEnvVar` to the release of the spec's image: the part
 * after its last `@` (releaseOf), the whole reference for an image not given by digest. CapRover
 * evaluates it with `module.exports = preDeployFunction` appended, so it defines that variable.
 */
export function releaseFunction(releaseEnvVar: string): string {
    return [
        RELEASE_FUNCTION_MARK,
        "var preDeployFunction = function (captainAppObj, dockerUpdateObject) {",
        `    var name = ${JSON.stringify(releaseEnvVar)};`,
        "    var spec = dockerUpdateObject.TaskTemplate.ContainerSpec;",
        "    var image = String(spec.Image || '');",
        "    spec.Env = (spec.Env || []).filter(function (e) { return e.indexOf(name + '=') !== 0; });",
        "    spec.Env.push(name + '=' + image.slice(image.lastIndexOf('@') + 1));",
        "    return Promise.resolve(dockerUpdateObject);",
        "};",
    ].join("\n");
}

/** True if `code` is a pre-deploy function the provider wrote (this version's or an earlier one). */
export function isReleaseFunction(code: string | undefined): boolean {
    return (code ?? "").startsWith(RELEASE_FUNCTION_MARK);
}

/**
 * The pre-deploy function the definition should carry: the provider's for an app with a release
 * variable; without one, the provider's is removed and anyone else's kept.
 */
export function wantedPreDeploy(current: Pick<AppDefinition, "preDeployFunction">, releaseEnvVar: string): string {
    if (releaseEnvVar) return releaseFunction(releaseEnvVar);
    return isReleaseFunction(current.preDeployFunction) ? "" : current.preDeployFunction ?? "";
}

/**
 * Why the provider cannot write its function into this app, or undefined: the app has a
 * pre-deploy function of someone else's, which the provider's would replace (nothing is changed).
 */
export function foreignPreDeploy(current: AppDefinition, releaseEnvVar: string): string | undefined {
    if (!releaseEnvVar || !current.preDeployFunction || isReleaseFunction(current.preDeployFunction)) return undefined;
    return (
        `app ${current.appName} has a pre-deploy function of its own (CapRover's dashboard: App Configs, Pre-Deploy Function), ` +
        `and the provider sets the release variable ${releaseEnvVar} through one, run by CapRover on every service update; ` +
        `it would replace yours, so nothing was changed. Remove that function from the app, or give the app no release variable (releaseEnvVar "")`
    );
}
