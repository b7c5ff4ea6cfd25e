#!/usr/bin/env bash
# BuildKit and an OCI registry on 127.0.0.1, so `pulumi up` of the `local` stack really builds,
# pushes and deploys images on this machine (no Docker engine, no image from the internet).
#
#   bash scripts/ensure-builder.sh [start]     # install/build what is missing, start both, print env
#   eval "$(bash scripts/ensure-builder.sh)"   # ... and put the env lines into the current shell
#   bash scripts/ensure-builder.sh stop        # stop what `start` started (by the PIDs it wrote)
#   bash scripts/ensure-builder.sh status      # running or not, and where
#
# stdout carries only the final `export ...` lines; progress and diagnostics go to stderr.
#
# What it sets up (cached under .tools/buildkit/, stamps in .tools/stamps/ like ensure-tools.sh):
#   - Debian packages runc (BuildKit's OCI worker), docker-registry (the registry) and debootstrap
#     (the base image), installed with apt-get when missing (needs root);
#   - buildkitd, buildctl and the Dockerfile frontend, built from the Go module github.com/moby/buildkit
#     (inside a writable copy of the module: its go.mod has exclude directives, which `go install`
#     refuses), with the version stamped in so @pulumi/docker-build knows it is >= 0.13;
#   - the base image `site-local/python:bookworm`: a Debian minbase root filesystem (debootstrap)
#     with python3 and Debian's Django, Celery (module and command line), django-celery-beat, gunicorn and redis client,
#     pushed to the registry (PyPI is out of reach, so the stand-in app installs nothing on top);
#   - the frontend pushed as docker/dockerfile:1 and :1.7, with the registry set as the docker.io
#     mirror, so the Dockerfile's `# syntax=` line resolves offline;
#   - a buildx "remote" builder instance `site-local` in $DOCKER_CONFIG (what @pulumi/docker-build
#     builds with; it refuses the docker driver).
#
# Environment:
#   SITE_TOOLS_DIR         tools folder (default: <repo>/.tools)
#   SITE_REGISTRY_PORT     registry port on 127.0.0.1 (default 5055)
#   SITE_TOOLS_FORCE=1     ignore stamps: rebuild the binaries and the base image
#   SITE_TOOLS_QUIET=1     no progress lines (errors are still printed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${SITE_TOOLS_DIR:-$ROOT/.tools}
BK="$TOOLS/buildkit"
STAMPS="$TOOLS/stamps"
RUN="$BK/run"
PORT=${SITE_REGISTRY_PORT:-5055}
REGISTRY="127.0.0.1:$PORT"
BUILDKIT_VERSION=v0.34.2
BUILDKIT_MODULE=github.com/moby/buildkit
BUILDER=site-local
BASE_REPO=site-local/python
BASE_TAG=bookworm
BASE_PACKAGES=python3,python-is-python3,python3-django,python3-celery,celery,python3-django-celery-beat,python3-redis,gunicorn,redis-server
# The stand-in broker (site:accessories: [broker]): Debian's redis-server on the same base, as no
# image can be pulled here; the local stacks and the real tier name it by digest.
BROKER_REPO=site-local/redis
APT_PACKAGES=(runc docker-registry debootstrap)
SOCK="$RUN/buildkitd.sock"

say() { [ "${SITE_TOOLS_QUIET:-0}" = 1 ] || printf '[ensure-builder] %s\n' "$*" >&2; }
warn() { printf '[ensure-builder] %s\n' "$*" >&2; }
die() { warn "error: $*"; exit 1; }

# shellcheck source=scripts/stamps.sh
source "$ROOT/scripts/stamps.sh"

# shellcheck source=scripts/processes.sh
source "$ROOT/scripts/processes.sh"

registry_up() { curl -fs -o /dev/null --max-time 2 "http://$REGISTRY/v2/"; }

print_env() {
  printf 'export SITE_BUILDKIT_HOST=%q\n' "unix://$SOCK"
  printf 'export BUILDKIT_HOST=%q\n' "unix://$SOCK"
  printf 'export SITE_REGISTRY=%q\n' "$REGISTRY"
  printf 'export SITE_BUILDER=%q\n' "$BUILDER"
  printf 'export SITE_BASE_IMAGE=%q\n' "$REGISTRY/$BASE_REPO:$BASE_TAG"
  printf 'export SITE_BROKER_IMAGE=%q\n' "$REGISTRY/$BROKER_REPO:$BASE_TAG"
  printf 'export DOCKER_CONFIG=%q\n' "$BK/docker-config"
  printf 'export PATH=%q:"$PATH"\n' "$BK/bin"
}

stop() {
  stop_pid "$RUN/buildkitd.pid" "$BK/bin/buildkitd" buildkitd 5
  stop_pid "$RUN/registry.pid" /usr/bin/docker-registry registry 5
}

status() {
  local ok=0
  if running "$RUN/buildkitd.pid" "$BK/bin/buildkitd"; then say "buildkitd running (PID $(cat "$RUN/buildkitd.pid")) on unix://$SOCK"; else say "buildkitd not running"; ok=1; fi
  if running "$RUN/registry.pid" /usr/bin/docker-registry; then say "registry running (PID $(cat "$RUN/registry.pid")) on http://$REGISTRY"; else say "registry not running"; ok=1; fi
  return $ok
}

run_command "${1:-start}"

mkdir -p "$BK/bin" "$STAMPS" "$RUN" "$BK/logs"
# One start at a time: the real tier's test files run in parallel, and each ensures the builder.
if command -v flock >/dev/null; then
  exec 9>"$BK/.lock"
  flock 9
fi

# --- 1. Debian packages ----------------------------------------------------------------------

LOGS="$BK/logs"
ensure_apt_packages "${APT_PACKAGES[@]}"
[ "$(id -u)" = 0 ] || die "buildkitd runs rootful here (OCI worker with runc): run this script as root"

# --- 2. buildkitd, buildctl, the Dockerfile frontend -----------------------------------------

command -v go >/dev/null || die "go is not installed (needed to build BuildKit); install Go >= 1.26"
key="buildkit $BUILDKIT_VERSION static $(go env GOVERSION)"
if ! stamp_ok buildkit "$key" "$BK/bin/buildkitd" "$BK/bin/buildctl" "$BK/bin/dockerfile-frontend"; then
  start=$SECONDS
  say "building buildkitd, buildctl and dockerfile-frontend $BUILDKIT_VERSION from the Go module proxy (2-5 min on 2 cores; log: ${BK#"$ROOT"/}/logs/buildkit.log) ..."
  tmp=$(mktemp -d)
  # `|| true`: under pipefail a failed download would end the script before the message below.
  dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$BUILDKIT_MODULE@$BUILDKIT_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' || true)
  rm -rf "$tmp"
  [ -d "$dir" ] || die "go mod download $BUILDKIT_MODULE@$BUILDKIT_VERSION failed (is the Go module proxy reachable?)"
  src="$BK/src"; rm -rf "$src"; mkdir -p "$src"; cp -r "$dir/." "$src/"; chmod -R u+w "$src"
  if ! (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $BUILDKIT_MODULE/version.Version=$BUILDKIT_VERSION" \
    -o "$BK/bin/" ./cmd/buildkitd ./cmd/buildctl ./frontend/dockerfile/cmd/dockerfile-frontend) >"$BK/logs/buildkit.log" 2>&1; then
    tail -n 15 "$BK/logs/buildkit.log" >&2
    die "the BuildKit build failed (log: ${BK#"$ROOT"/}/logs/buildkit.log)"
  fi
  rm -rf "$src"
  stamp_set buildkit "$key"
  say "built BuildKit in $((SECONDS - start))s"
fi

# --- 3. start the registry and buildkitd ------------------------------------------------------

if ! running "$RUN/registry.pid" /usr/bin/docker-registry; then
  registry_up && die "something else answers on http://$REGISTRY (not the registry this script started); free the port or set SITE_REGISTRY_PORT"
  cat >"$RUN/registry.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $BK/registry-data }
  delete: { enabled: true }
http: { addr: $REGISTRY }
EOF
  setsid /usr/bin/docker-registry serve "$RUN/registry.yml" >"$BK/logs/registry.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/registry.pid"
  for _ in $(seq 1 100); do registry_up && break; sleep 0.1; done
  registry_up || { tail -n 10 "$BK/logs/registry.log" >&2; die "the registry did not answer on http://$REGISTRY within 10 s"; }
  say "started the registry on http://$REGISTRY (PID $(cat "$RUN/registry.pid"))"
fi

if ! running "$RUN/buildkitd.pid" "$BK/bin/buildkitd"; then
  cat >"$RUN/buildkitd.toml" <<EOF
# Written by scripts/ensure-builder.sh: the loopback registry over plain HTTP, and as the docker.io mirror.
[worker.oci]
  enabled = true
  binary = "$(command -v runc)"
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = ["$REGISTRY"]
[registry."$REGISTRY"]
  http = true
  insecure = true
EOF
  "$BK/bin/buildctl" --addr "unix://$SOCK" debug workers >/dev/null 2>&1 &&
    die "a buildkitd this script did not start answers on unix://$SOCK; stop it first"
  rm -f "$SOCK"
  setsid "$BK/bin/buildkitd" --config "$RUN/buildkitd.toml" --root "$BK/state" --addr "unix://$SOCK" >"$BK/logs/buildkitd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/buildkitd.pid"
  for _ in $(seq 1 100); do "$BK/bin/buildctl" --addr "unix://$SOCK" debug workers >/dev/null 2>&1 && break; sleep 0.1; done
  "$BK/bin/buildctl" --addr "unix://$SOCK" debug workers >/dev/null 2>&1 ||
    { tail -n 10 "$BK/logs/buildkitd.log" >&2; die "buildkitd did not answer on unix://$SOCK within 10 s"; }
  say "started buildkitd $BUILDKIT_VERSION on unix://$SOCK (PID $(cat "$RUN/buildkitd.pid"))"
fi

buildctl() { "$BK/bin/buildctl" --addr "unix://$SOCK" "$@"; }
# A Dockerfile build of DIR with BuildKit's built-in frontend, pushed as each of the given names.
push_dir() { # dir name...
  local dir=$1; shift
  local names; names=$(IFS=,; echo "$*")
  buildctl build --frontend dockerfile.v0 --local context="$dir" --local dockerfile="$dir" \
    --output "type=image,\"name=$names\",push=true,registry.insecure=true" >>"$BK/logs/push.log" 2>&1 ||
    { tail -n 15 "$BK/logs/push.log" >&2; die "pushing $* failed (log: ${BK#"$ROOT"/}/logs/push.log)"; }
}
has_tag() { curl -fs -o /dev/null --max-time 5 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REGISTRY/v2/$1/manifests/$2"; }

# --- 4. the Dockerfile frontend as docker/dockerfile --------------------------------------------

key="frontend $(sha256sum "$BK/bin/dockerfile-frontend" | cut -c1-16) $REGISTRY"
if ! stamp_ok frontend "$key" || ! has_tag docker/dockerfile 1.7; then
  dir=$(mktemp -d)
  cp "$BK/bin/dockerfile-frontend" "$dir/"
  cat >"$dir/Dockerfile" <<'EOF'
FROM scratch
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
COPY dockerfile-frontend /bin/dockerfile-frontend
ENTRYPOINT ["/bin/dockerfile-frontend"]
EOF
  push_dir "$dir" "$REGISTRY/docker/dockerfile:1" "$REGISTRY/docker/dockerfile:1.7"
  rm -rf "$dir"
  stamp_set frontend "$key"
  say "pushed the Dockerfile frontend as docker/dockerfile:1 and :1.7"
fi

# --- 5. the base image -------------------------------------------------------------------------

key="base bookworm $BASE_PACKAGES"
if ! stamp_ok base "$key" "$BK/base/rootfs.tar"; then
  start=$SECONDS
  say "making the base image: debootstrap --variant=minbase bookworm with $BASE_PACKAGES (about a minute; log: ${BK#"$ROOT"/}/logs/debootstrap.log) ..."
  rm -rf "$BK/base"; mkdir -p "$BK/base/rootfs"
  # No deb822 .sources file (only sources.list): the default mirror, not a silent exit under pipefail.
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
  debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$BK/base/rootfs" "${mirror:-http://deb.debian.org/debian}" >"$BK/logs/debootstrap.log" 2>&1 ||
    { tail -n 15 "$BK/logs/debootstrap.log" >&2; die "debootstrap failed (log: ${BK#"$ROOT"/}/logs/debootstrap.log)"; }
  rm -rf "$BK/base/rootfs/var/cache/apt/archives/"*.deb "$BK/base/rootfs/var/lib/apt/lists/"*
  tar -C "$BK/base/rootfs" --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -cf "$BK/base/rootfs.tar" .
  rm -rf "$BK/base/rootfs"
  stamp_set base "$key"
  base_rebuilt=1
  say "made the base root filesystem in $((SECONDS - start))s ($(du -h "$BK/base/rootfs.tar" | cut -f1))"
fi
# A rebuilt root filesystem replaces the tag the registry holds, as the frontend's does.
if [ -n "${base_rebuilt:-}" ] || ! has_tag "$BASE_REPO" "$BASE_TAG"; then
  cat >"$BK/base/Dockerfile" <<'EOF'
FROM scratch
ADD rootfs.tar /
ENV LANG=C.UTF-8
CMD ["python3"]
EOF
  push_dir "$BK/base" "$REGISTRY/$BASE_REPO:$BASE_TAG"
  say "pushed the base image $REGISTRY/$BASE_REPO:$BASE_TAG"
fi

# The broker image: the base's redis-server as an unprivileged user, its data in /data (the
# accessory mounts its volume there; Docker fills a new volume with the image's ownership).
if [ -n "${base_rebuilt:-}" ] || ! has_tag "$BROKER_REPO" "$BASE_TAG"; then
  dir=$(mktemp -d)
  cat >"$dir/Dockerfile" <<EOF
FROM $REGISTRY/$BASE_REPO:$BASE_TAG
RUN mkdir -p /data && chown redis:redis /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--dir", "/data", "--protected-mode", "no"]
EOF
  push_dir "$dir" "$REGISTRY/$BROKER_REPO:$BASE_TAG"
  rm -rf "$dir"
  say "pushed the broker image $REGISTRY/$BROKER_REPO:$BASE_TAG"
fi

# --- 6. the buildx builder instance ------------------------------------------------------------

mkdir -p "$BK/docker-config/buildx/instances"
printf '{"Name":"%s","Driver":"remote","Nodes":[{"Name":"%s0","Endpoint":"unix://%s","Platforms":null,"DriverOpts":null,"Flags":null,"Files":null}],"Dynamic":false}\n' \
  "$BUILDER" "$BUILDER" "$SOCK" >"$BK/docker-config/buildx/instances/$BUILDER"
[ -f "$BK/docker-config/config.json" ] || echo '{}' >"$BK/docker-config/config.json"

say "ready: BuildKit on unix://$SOCK, registry on http://$REGISTRY, base $REGISTRY/$BASE_REPO:$BASE_TAG, builder $BUILDER (stop with: bash scripts/ensure-builder.sh stop)"
print_env
