# shellcheck shell=bash
# Source me (bash or zsh): puts the tools built by scripts/ensure-tools.sh on PATH and keeps
# Pulumi's state (plugins, credentials of the file backend login) inside the repository.
# It neither checks nor builds anything; run `bash scripts/ensure-tools.sh` first.
# PULUMI_CONFIG_PASSPHRASE and the backend choice are left as they are.
_site_root=$(cd "$(dirname "${BASH_SOURCE[0]:-${(%):-%x}}")/.." && pwd)
_site_tools=${SITE_TOOLS_DIR:-$_site_root/.tools}
case ":$PATH:" in
  *":$_site_tools/bin:"*) ;;
  *) export PATH="$_site_tools/bin:$PATH" ;;
esac
export PULUMI_HOME="$_site_tools/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset _site_root _site_tools
