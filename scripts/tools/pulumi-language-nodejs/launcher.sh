#!/usr/bin/env bash
# The Node.js language host as the CLI starts it (installed by scripts/ensure-tools.sh as
# .tools/bin/pulumi-language-nodejs; the host itself is .tools/libexec/pulumi-language-nodejs).
#
# Why: the host built here is sdk/v3 v3.68.0's, the newest the module proxy serves (go.mod beside
# this file). It takes the project's runtime options only as flags, while today's CLI sends them
# over gRPC, so it never sees them: `typescript: false` was ignored and every program, this one's
# compiled JavaScript included, started ts-node and TypeScript first (about 0.2 s per preview or
# update), and `nodeargs` did nothing. This passes them as flags, read from runtime.options of the
# Pulumi.yaml nearest above the working directory (the CLI starts the host in the program's folder).
# The host has flags for typescript, nodeargs and tsconfig only; a value it cannot read (say
# `typescript: yes`) stops it with its flag parser's message.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
host="$here/../libexec/pulumi-language-nodejs"

project=""
dir=$PWD
while :; do
  if [ -f "$dir/Pulumi.yaml" ]; then project="$dir/Pulumi.yaml"; break; fi
  [ "$dir" = / ] && break
  dir=$(dirname "$dir")
done

flags=()
if [ -n "$project" ]; then
  # runtime.options.<key>: <value>, each on one line (quotes and a trailing comment removed).
  while IFS=$'\t' read -r key value; do
    flags+=("-$key=$value")
  done < <(awk '
    /^[^[:space:]#]/ { runtime = ($0 ~ /^runtime:/); options = 0; next }
    runtime && /^[[:space:]]+options:[[:space:]]*(#.*)?$/ { options = 1; depth = match($0, /[^ ]/); next }
    runtime && options && /^[[:space:]]*[^[:space:]#]/ {
      if (match($0, /[^ ]/) <= depth) { options = 0; next }
      line = $0; sub(/^[[:space:]]+/, "", line)
      key = line; sub(/:.*/, "", key)
      value = line; sub(/^[^:]*:[[:space:]]*/, "", value)
      if (value ~ /^".*"/) { sub(/^"/, "", value); sub(/".*$/, "", value) }
      else if (value ~ /^'\''.*'\''/) { sub(/^'\''/, "", value); sub(/'\''.*$/, "", value) }
      else { sub(/[[:space:]]+#.*$/, "", value); sub(/[[:space:]]+$/, "", value) }
      if (key == "typescript" || key == "nodeargs" || key == "tsconfig") printf "%s\t%s\n", key, value
    }' "$project")
fi

exec "$host" "${flags[@]}" "$@"
