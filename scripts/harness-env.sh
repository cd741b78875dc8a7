# shellcheck shell=bash
# Sourced by the harness scripts a person may run by hand (benchmarks/*): the defaults
# the Makefile exports, so `benchmarks/converge` works as written, without make.
_offsite_here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OFFSITE_WORK=${OFFSITE_WORK:-$_offsite_here/.work}
export OFFSITE_CACHE=${OFFSITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offsite-backup}
export OFFSITE_VENV=${OFFSITE_VENV:-$OFFSITE_WORK/venv}
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$OFFSITE_WORK/collections}
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=${ANSIBLE_COLLECTIONS_SCAN_SYS_PATH:-true}
export ANSIBLE_PYTHON_INTERPRETER=${ANSIBLE_PYTHON_INTERPRETER:-auto_silent}
export PATH=$OFFSITE_VENV/bin:$PATH
if [ ! -x "$OFFSITE_VENV/bin/molecule" ] || [ ! -d "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/offsite/backup" ]; then
  echo "$(basename "$0"): run \`make collection\` first (it makes the venv and installs the collection)" >&2
  exit 2
fi
unset _offsite_here
