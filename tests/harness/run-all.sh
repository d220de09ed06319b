#!/usr/bin/env bash
# The project's test suite: sets up the machine, then runs every stage, cheapest first so that a mistake fails in
# minutes, prints a timing table, and exits non-zero when any stage failed. Stages: lint, units, build, sanity,
# molecule. `run-all.sh STAGE...` runs only those; HAILO_MOLECULE_SCENARIOS picks scenarios.
source "$(dirname "$0")/lib.sh"
set +e

STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(lint units build sanity molecule)
# Scenarios one after the other, the quicker amd64 ones first (a mistake fails in minutes), the long ones last.
# Scenarios joined by + run side by side, and a side can be a sequence (a,c+b,d: a then c, beside b then d). Each
# of the long ones keeps about one core busy (the emulated arm64 node, a fault test's one playbook on one node, a
# VM's one task at a time), so two sides use the machine's two cores: the arm64 node (the longest) then the arm64
# VM, beside the fault tests then the amd64 VM. The scenarios with several nodes use both cores alone.
# docs/testing.md, "How long it takes".
SCENARIOS=${HAILO_MOLECULE_SCENARIOS:-"errors+pull hailort site ee arm64,vm_arm64+faults,vm"}
# Every scenario named, space-separated and padded: " errors pull ... vm ".
SCENARIO_NAMES=" $(echo "$SCENARIOS" | tr '+,' '  ' | tr -s ' ') "

export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$REPO_ROOT/collections"
export PYTHONDONTWRITEBYTECODE=1
LOG_DIR="$REPO_ROOT/build/logs"
mkdir -p "$LOG_DIR"
RESULTS=()
FAILED=0

# A row of the timing table: NAME RC SECONDS. Returns RC; a failure fails the run.
add_row() {
  RESULTS+=("$(printf '%-24s %-6s %5ss' "$1" "$([ "$2" = 0 ] && echo PASS || echo FAIL)" "$3")")
  [ "$2" = 0 ] || { FAILED=1; return 1; }
}

# Run a command and write "RC SECONDS" to FILE (for work in the background, read back by add_row_from).
timed() {
  local file=$1 start rc
  shift
  start=$(date +%s)
  "$@"
  rc=$?
  echo "$rc $(( $(date +%s) - start ))" >"$file"
  return $rc
}

# The row NAME from a FILE that timed wrote.
add_row_from() {
  local rc secs
  read -r rc secs <"$2"
  add_row "$1" "$rc" "$secs"
}

run_stage() {
  local name=$1 start rc
  shift
  log "stage $name"
  start=$(date +%s)
  "$@"
  rc=$?
  add_row "$name" "$rc" "$(( $(date +%s) - start ))"
}

stage_lint() {
  # Role READMEs are generated from meta/argument_specs.yml, which must also agree with defaults/main.yml.
  (cd "$REPO_ROOT" && python "$HARNESS_DIR/role-docs.py" --check && ansible-lint --profile production --offline)
}

stage_build() {
  local out="$REPO_ROOT/build/collection" home
  rm -rf "$out" && mkdir -p "$out/install"
  (cd "$REPO_ROOT" && ansible-galaxy collection build --force --output-path "$out") || return 1
  ansible-galaxy collection install --offline --force -p "$out/install" "$out"/hailo_open-hailo-*.tar.gz || return 1
  # The built collection must resolve by FQCN on its own, without this checkout.
  home=$(mktemp -d)
  (cd "$home" && ANSIBLE_COLLECTIONS_PATH="$out/install" "$HARNESS_DIR/check-built-collection.sh") || return 1
  rm -rf "$home"
}

stage_sanity() (
  local dest="$REPO_ROOT/build/sanity/ansible_collections/hailo_open/hailo" pip_version cache
  # ansible-test downloads a pip bootstrap script from a host these machines cannot reach; provide our own.
  pip_version=$(python - <<'PY'
import re, ansible_test._internal.python_requirements as r
print(re.search(r"pip='([0-9.]+)'", open(r.__file__).read()).group(1))
PY
)
  # ansible-test keeps its venvs under ~/.ansible/test: give it a home of its own inside the cache.
  export HOME="$CACHE_DIR/ansible-test-home"
  cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  mkdir -p "$(dirname "$cache")" && cp "$HARNESS_DIR/ansible-test-get-pip.py" "$cache"
  rm -rf "$REPO_ROOT/build/sanity" && mkdir -p "$dest"
  rsync -a --exclude /.venv --exclude /.cache --exclude /build --exclude /collections --exclude /.git \
    "$REPO_ROOT/" "$dest/" || return 1
  (cd "$dest" && git init -q && git add -A && \
    ANSIBLE_COLLECTIONS_PATH= ansible-test sanity --color no --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
      --requirements plugins/ 2>&1 | grep -v '^WARNING: Location')
)

stage_units() {
  (cd "$REPO_ROOT" && PYTHONPATH="$REPO_ROOT/collections" python -m pytest -p no:cacheprovider -q tests/unit)
}

# A scenario: a molecule scenario, or "ee" (the execution environment, tests/harness/ee-test.sh).
scenario_command() {
  case "$1" in
    ee) echo "$HARNESS_DIR/ee-test.sh" ;;
    *) echo "$HARNESS_DIR/molecule.sh $1" ;;
  esac
}

# One scenario, its output in its own log, printed when it fails.
scenario() {
  local log="$LOG_DIR/molecule-$1.log"
  # shellcheck disable=SC2046
  if $(scenario_command "$1") >"$log" 2>&1; then
    log "molecule:$1 passed ($log)"
  else
    printf '\n==== molecule:%s failed; its log follows ====\n' "$1"
    cat "$log"
    return 1
  fi
}

# Scenarios side by side (a+b), each side a scenario or a sequence of them (a,c+b,d: a then c beside b then d):
# each scenario its own stage row with its own time; the group waits for all.
scenario_group() {
  local side name pids=() rc=0
  for side in ${1//+/ }; do
    (
      for name in ${side//,/ }; do
        timed "$LOG_DIR/molecule-$name.rc" scenario "$name"
      done
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  for name in $(echo "$1" | tr '+,' '  '); do
    add_row_from "molecule:$name" "$LOG_DIR/molecule-$name.rc" || rc=1
  done
  return $rc
}

# The test images, built in the background from the start (on a fresh machine they take minutes, mostly one
# core's work: debootstrap, and the arm64 layers under user-mode emulation) while the checks run: first the
# container images (images.rc when done), then the VM disk images the chosen scenarios need (vm-images.rc), while
# the first container scenarios run.
vm_images() {
  local rc=0
  case "$SCENARIO_NAMES" in *" vm "*) "$HARNESS_DIR/vm.sh" image amd64 || rc=1 ;; esac
  case "$SCENARIO_NAMES" in *" vm_arm64 "*) "$HARNESS_DIR/vm.sh" image arm64 || rc=1 ;; esac
  return $rc
}

images_job() {
  timed "$LOG_DIR/images.rc" "$HARNESS_DIR/images.sh" amd64 arm64 && timed "$LOG_DIR/vm-images.rc" vm_images
}

# Wait for a result file of images_job and add its row; fails when the job failed.
images_result() {
  local name=$1 file=$2
  while [ ! -s "$LOG_DIR/$file" ] && kill -0 "$IMAGES_PID" 2>/dev/null; do sleep 5; done
  [ -s "$LOG_DIR/$file" ] || { cat "$LOG_DIR/images.log"; add_row "$name" 1 0; return 1; }
  add_row_from "$name" "$LOG_DIR/$file" || { cat "$LOG_DIR/images.log"; return 1; }
}

stage_molecule() {
  local name vm_images=pending
  log "waiting for the test images (building in the background: $LOG_DIR/images.log)"
  images_result "images (background)" images.rc || return 1
  for name in $SCENARIOS; do
    if [ "$vm_images" = pending ] && [[ "$name" == *vm* ]]; then
      log "waiting for the VM images (building in the background: $LOG_DIR/images.log)"
      images_result "vm-images (background)" vm-images.rc || return 1
      vm_images=done
    fi
    case "$name" in
      *+*|*,*) log "stage molecule:$name (side by side)"; scenario_group "$name" ;;
      *) run_stage "molecule:$name" scenario "$name" ;;
    esac
  done
}

# The unit tests run in one process: beside lint, build and sanity (units.rc when done).
UNITS_PID=
finish_units() {
  [ -n "$UNITS_PID" ] || return 0
  wait "$UNITS_PID"
  UNITS_PID=
  log "stage units (ran beside the other checks)"
  cat "$LOG_DIR/units.log"
  add_row_from units "$LOG_DIR/units.rc"
}

START=$(date +%s)
run_stage setup "$HARNESS_DIR/host-setup.sh" || { echo "setup failed"; exit 1; }
rm -f "$LOG_DIR/images.rc" "$LOG_DIR/vm-images.rc" "$LOG_DIR/units.rc"
if [[ " ${STAGES[*]} " == *" molecule "* ]]; then
  images_job >"$LOG_DIR/images.log" 2>&1 &
  IMAGES_PID=$!
fi
for stage in "${STAGES[@]}"; do
  case "$stage" in
    units)
      timed "$LOG_DIR/units.rc" stage_units >"$LOG_DIR/units.log" 2>&1 &
      UNITS_PID=$! ;;
    lint|build|sanity) run_stage "$stage" "stage_$stage" ;;
    molecule) finish_units; stage_molecule || FAILED=1 ;;
    *) die "unknown stage $stage" ;;
  esac
done
finish_units

printf '\n==== stage timings (total %ss) ====\n' "$(( $(date +%s) - START ))"
printf '%-24s %-6s %6s\n' stage result time
printf '%s\n' "${RESULTS[@]}"
passed=$(printf '%s\n' "${RESULTS[@]}" | grep -c ' PASS ')
failed=$(printf '%s\n' "${RESULTS[@]}" | grep -c ' FAIL ')
printf '%s passed, %s failed\n' "$passed" "$failed"
exit $FAILED
