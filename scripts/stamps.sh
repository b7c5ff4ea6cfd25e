# shellcheck shell=bash
# Stamps of the tools scripts (ensure-tools.sh, ensure-builder.sh): a file per built thing under
# $STAMPS holding the key it was built with, so a changed pin or Go version rebuilds it.
# SITE_TOOLS_FORCE=1 makes every stamp stale.

stamp_ok() { # name key [file that must exist...]
  local name=$1 key=$2; shift 2
  [ "${SITE_TOOLS_FORCE:-0}" = 1 ] && return 1
  [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$key" ] || return 1
  local f; for f in "$@"; do [ -e "$f" ] || return 1; done
}
stamp_set() { printf '%s' "$2" >"$STAMPS/$1"; }
