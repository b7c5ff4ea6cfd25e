#!/usr/bin/env bash
# The main job: `npm run preview [-- <stack> [pulumi preview flags...]]` runs `pulumi preview` of a
# stack (default: dev) on a file state backend inside the repository, with no cloud account and no
# credentials.
#
# - Tools: scripts/ensure-tools.sh provides the Pulumi CLI and plugins (building them from Go
#   modules the first time: minutes on 2 cores; seconds afterwards).
# - State: .pulumi-state/ (git-ignored). The stack is created there on first use, with the
#   passphrase secrets provider and the dev-only passphrase below unless PULUMI_CONFIG_PASSPHRASE
#   is set. It protects nothing: local previews hold no real secret.
# - The tracked Pulumi.<stack>.yaml is never modified: the engine runs on a copy of the project
#   files in .pulumi-state/project/ whose `main` points back at this repository.
# - Resource plugins that cannot be built on this machine are named to the program
#   (SITE_UNAVAILABLE_PLUGINS): it leaves the parts that need them out of the preview, saying so.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

stack=${1:-dev}
shift || true
if [ ! -f "Pulumi.$stack.yaml" ]; then
  echo "npm run preview: no stack file Pulumi.$stack.yaml; stacks here: $(ls Pulumi.*.yaml | sed -n 's/^Pulumi\.\(.*\)\.yaml$/\1/p' | tr '\n' ' ')" >&2
  exit 2
fi
if [ ! -d node_modules/@pulumi/pulumi ]; then
  echo "npm run preview: node_modules is missing; run \`npm ci\` first" >&2
  exit 1
fi

if ! exports=$(bash scripts/ensure-tools.sh); then
  cat >&2 <<'EOF'
npm run preview: the Pulumi CLI is missing and could not be built.
  What is needed: a `pulumi` CLI (>= 3.259), the Node.js language host `pulumi-language-nodejs`,
  and the launcher `pulumi-resource-pulumi-nodejs`. scripts/ensure-tools.sh builds them from the
  Go module proxy into .tools/ (needs `go` >= 1.25 and the proxy); its messages above say what
  failed. Alternatively put an official Pulumi CLI on PATH.
EOF
  exit 1
fi
eval "$exports"

# Plugins the program's packages ask for that are not installed (and cannot be built here).
unavailable=()
for pkg in github command docker docker-build; do
  version=$(node -e 'const p=require(`@pulumi/${process.argv[1]}/package.json`);console.log(((p.pulumi&&p.pulumi.version)||p.version).replace(/^v/,""))' "$pkg")
  [ -x "$PULUMI_HOME/plugins/resource-$pkg-v$version/pulumi-resource-$pkg" ] || unavailable+=("$pkg")
done
SITE_UNAVAILABLE_PLUGINS=$(IFS=,; echo "${unavailable[*]}")
export SITE_UNAVAILABLE_PLUGINS
[ -z "$SITE_UNAVAILABLE_PLUGINS" ] || echo "npm run preview: plugins not available on this machine: $SITE_UNAVAILABLE_PLUGINS (the parts needing them are left out, with a warning)" >&2

state="$ROOT/.pulumi-state"
project="$state/project"
mkdir -p "$project"
export PULUMI_BACKEND_URL="file://$state"
# `npx tsc --noEmit` (npm run build, .ci/run) type-checks the program; without this the engine's
# ts-node would type-check it again on every preview (tsconfig sets no `noCheck`).
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY-true}"
# Dev-only passphrase, documented in the README: local previews hold no real secret.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-site-local-preview-only}"

# The project copy: same name, runtime and config declarations; the program is this repository.
{ cat Pulumi.yaml; printf 'main: %s\n' "$ROOT"; } >"$project/Pulumi.yaml"
# A stack's config in the project copy: the tracked file plus the salt its passphrase was set up with.
write_stack_config() { # stack
  cp "$ROOT/Pulumi.$1.yaml" "$project/Pulumi.$1.yaml"
  if [ -s "$project/$1.salt" ]; then printf '\nencryptionsalt: %s\n' "$(cat "$project/$1.salt")" >>"$project/Pulumi.$1.yaml"; fi
}
ensure_stack() { # stack
  write_stack_config "$1"
  if ! (cd "$project" && pulumi stack select "$1" >/dev/null 2>&1); then
    echo "npm run preview: creating stack $1 in $state (passphrase secrets provider)" >&2
    (cd "$project" && pulumi stack init "$1" --secrets-provider passphrase >/dev/null)
    sed -n 's/^encryptionsalt: //p' "$project/Pulumi.$1.yaml" >"$project/$1.salt"
    write_stack_config "$1"
  fi
}
# A stack that promotes from another reads it through a StackReference: it must exist (a preview
# of a never-deployed source shows the promoted images unknown).
source_stack=$(sed -n 's/^  site:promoteFrom: *\([A-Za-z0-9._-]*\) *$/\1/p' "Pulumi.$stack.yaml")
if [ -n "$source_stack" ] && [ -f "Pulumi.$source_stack.yaml" ]; then ensure_stack "$source_stack"; fi
ensure_stack "$stack"
cd "$project"
exec pulumi preview --stack "$stack" --non-interactive "$@"
