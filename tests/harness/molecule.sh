#!/usr/bin/env bash
# Run one molecule scenario with the harness's environment (test image names, venv):
#   tests/harness/molecule.sh SCENARIO [molecule test options]
source "$(dirname "$0")/lib.sh"
scenario=${1:?usage: molecule.sh SCENARIO [options]}
shift
export PATH="$VENV/bin:$PATH"
# images.sh also re-registers binfmt for arm64: systemd containers may have wiped it.
"$HARNESS_DIR/images.sh" amd64 arm64
cd "$REPO_ROOT" && exec molecule test -s "$scenario" "$@"
