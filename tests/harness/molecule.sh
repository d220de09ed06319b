#!/usr/bin/env bash
# Run one molecule scenario with the harness's environment (test image names, venv):
#   tests/harness/molecule.sh SCENARIO [molecule test options]
source "$(dirname "$0")/lib.sh"
scenario=${1:?usage: molecule.sh SCENARIO [options]}
shift
export PATH="$VENV/bin:$PATH"
# images.sh builds the images a scenario may need (run-all.sh builds them in the background and sets
# HAILO_IMAGES_READY, starting each scenario once its image is there) and re-registers binfmt for arm64.
if [ -n "${HAILO_IMAGES_READY:-}" ]; then
  "$HARNESS_DIR/binfmt.sh"
else
  "$HARNESS_DIR/images.sh" amd64 arm64
fi
# The pipelined podman connection the scenarios use (.config/molecule/config.yml), also for the ansible-playbook
# runs of the fault tests and testinfra's Ansible backend.
export ANSIBLE_CONNECTION_PLUGINS="$HARNESS_DIR/connection_plugins"
cd "$REPO_ROOT" && exec molecule test -s "$scenario" "$@"
