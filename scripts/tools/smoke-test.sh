#!/usr/bin/env bash
# Smoke test of the tools from scripts/ensure-tools.sh: in a temporary project that borrows this
# repository's node_modules, with a file state backend, run `pulumi preview` and `pulumi up` of a
# program holding one pulumi.dynamic.Resource (language host + dynamic-provider launcher), plus one
# resource of each plugin that is installed (command: local.Command; docker-build: an Image that is
# neither built on preview nor pushed), then `pulumi destroy`. The program and the dynamic provider
# report their Node.js version: the node ensure-tools put first on PATH.
#   bash scripts/tools/smoke-test.sh        (KEEP=1 keeps the temporary folder)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
eval "$(bash "$ROOT/scripts/ensure-tools.sh")"

work=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-smoke.XXXXXX")
[ "${KEEP:-0}" = 1 ] && echo "keeping $work" >&2 || trap 'rm -rf "$work"' EXIT
cd "$work"
ln -s "$ROOT/node_modules" node_modules
mkdir state
printf 'name: smoke\nruntime: nodejs\n' >Pulumi.yaml
printf '{"name":"smoke","main":"index.ts"}\n' >package.json
printf '{"compilerOptions":{"strict":true,"target":"es2020","module":"commonjs","esModuleInterop":true}}\n' >tsconfig.json

have() { [ -x "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1" ]; }
ver() { node -e 'const p=require(process.argv[1]+"/package.json");console.log(((p.pulumi&&p.pulumi.version)||p.version).replace(/^v/,""))' "$1"; }

{
  cat <<'EOF'
import * as pulumi from "@pulumi/pulumi";

const doubler: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        return { id: `n-${inputs.n}`, outs: { n: inputs.n, twice: inputs.n * 2, node: process.version } };
    },
};
class Doubled extends pulumi.dynamic.Resource {
    public readonly twice!: pulumi.Output<number>;
    public readonly node!: pulumi.Output<string>;
    constructor(name: string, n: number) {
        super(doubler, name, { n, twice: undefined, node: undefined }, {});
    }
}
const doubled = new Doubled("doubled", 21);
export const twice = doubled.twice;
// The Node.js that runs the program and the one that runs the dynamic provider.
export const programNode = process.version;
export const providerNode = doubled.node;
EOF
  if have command "$(ver @pulumi/command)"; then
    cat <<'EOF'
import * as command from "@pulumi/command";
export const echoed = new command.local.Command("echo", { create: "echo hello" }).stdout;
EOF
  else
    echo "smoke: command plugin not installed, no local.Command in the program" >&2
  fi
  if have docker-build "$(ver @pulumi/docker-build)"; then
    mkdir -p app && printf 'FROM scratch\n' >app/Dockerfile
    cat <<'EOF'
import * as dockerBuild from "@pulumi/docker-build";
export const imageRef = new dockerBuild.Image("img", {
    context: { location: "app" },
    push: false,
    buildOnPreview: false,
    tags: ["smoke:latest"],
}).ref;
EOF
  fi
} >index.ts

export PULUMI_CONFIG_PASSPHRASE=smoke
# A private PULUMI_HOME sharing the installed plugins, so `pulumi login` leaves the repo's alone.
mkdir home && ln -s "$PULUMI_HOME/plugins" home/plugins && export PULUMI_HOME="$work/home"
pulumi login "file://$work/state"
pulumi stack init t
pulumi preview
# `up` of a docker-build Image needs a Docker daemon; without one only preview it.
if grep -q dockerBuild index.ts && ! docker info >/dev/null 2>&1; then
  echo "smoke: no Docker daemon, 'pulumi up' runs without the docker-build Image" >&2
  sed -i '/docker-build/,$d' index.ts
fi
pulumi up --yes
test "$(pulumi stack output twice)" = 42
# Both on the node ensure-tools put first on PATH (.tools/bin/node: Node.js 24, scripts/tools/node/pin).
test "$(pulumi stack output programNode)" = "$(node --version)"
test "$(pulumi stack output providerNode)" = "$(node --version)"
if grep -q local.Command index.ts; then test "$(pulumi stack output echoed)" = hello; fi
pulumi destroy --yes
echo "smoke: OK ($(pulumi version), program and dynamic provider on Node.js $(node --version))" >&2
