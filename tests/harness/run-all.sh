#!/usr/bin/env bash
# The project's test suite: sets up the machine, then runs every stage, cheapest first so that a mistake fails in
# minutes, prints a timing table, and exits non-zero when any stage failed. Stages: lint, units, build, sanity,
# molecule. `run-all.sh STAGE...` runs only those; HAILO_MOLECULE_SCENARIOS picks scenarios.
source "$(dirname "$0")/lib.sh"
set +e

STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(lint units build sanity molecule)
# The scenarios, in one group of four sides that run side by side, each side a sequence (`,`): the emulated arm64
# node; the quick amd64 container scenarios (a mistake fails in minutes) then the execution environment; the fault
# tests then the amd64 VM; the arm64 VM. Each scenario starts once the image it needs is built (the images build in
# the background from the start, the arm64 VM's last), so the machine's two cores are kept busy to the end: the
# emulated node and the VMs keep about one core busy each (qemu-user or TCG), the amd64 container scenarios mostly
# wait for podman and their nodes. Groups separated by spaces run one after the other ("errors vm+vm_arm64":
# errors, then the two VMs side by side). docs/testing.md, "How long it takes".
SCENARIOS=${HAILO_MOLECULE_SCENARIOS:-"arm64+errors,pull,hailort,site,ee+faults,vm+vm_arm64"}
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

# The background image build's step a scenario waits for: the container image of its architecture, its VM's disk
# image, or for the execution environment the whole job (ansible-builder prunes dangling images, which would take
# the layers of an image still being built).
scenario_image() {
  case "$1" in
    arm64) echo images-arm64 ;;
    vm) echo vm-amd64 ;;
    vm_arm64) echo vm-arm64 ;;
    ee) echo images-done ;;
    *) echo images-amd64 ;;
  esac
}

# Wait for a step of the background image build (its result file STEP.rc); fails when it failed or never came.
wait_image() {
  local rc secs
  while [ ! -s "$LOG_DIR/$1.rc" ] && kill -0 "$IMAGES_PID" 2>/dev/null; do sleep 5; done
  [ -s "$LOG_DIR/$1.rc" ] || return 1
  read -r rc secs <"$LOG_DIR/$1.rc"
  [ "$rc" = 0 ]
}

# Scenarios side by side (a+b), each side a scenario or a sequence of them (a,c+b,d: a then c beside b then d):
# each scenario starts when its image is built and has its own stage row with its own time; the group waits for
# all.
scenario_group() {
  local side name pids=() rc=0
  for side in ${1//+/ }; do
    (
      for name in ${side//,/ }; do
        if wait_image "$(scenario_image "$name")"; then
          timed "$LOG_DIR/molecule-$name.rc" scenario "$name"
        else
          log "molecule:$name not run: the image it needs did not build ($LOG_DIR/images.log)"
          echo "1 0" >"$LOG_DIR/molecule-$name.rc"
        fi
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
# core's work: debootstrap, the arm64 layers under user-mode emulation, the VM disks) while the checks and the
# first scenarios run, in the order the scenarios need them; each step writes its result file (STEP.rc), and
# images-done.rc comes last.
wanted() { [[ "$SCENARIO_NAMES" == *" $1 "* ]]; }
images_job() {
  timed "$LOG_DIR/images-amd64.rc" "$HARNESS_DIR/images.sh" amd64 || return 1
  if wanted arm64 || wanted vm_arm64; then
    timed "$LOG_DIR/images-arm64.rc" "$HARNESS_DIR/images.sh" arm64 || return 1
  fi
  if wanted vm; then timed "$LOG_DIR/vm-amd64.rc" "$HARNESS_DIR/vm.sh" image amd64 || return 1; fi
  if wanted vm_arm64; then timed "$LOG_DIR/vm-arm64.rc" "$HARNESS_DIR/vm.sh" image arm64 || return 1; fi
  echo "0 0" >"$LOG_DIR/images-done.rc"
}

# The image build's rows (each step that ran), once it has ended; when it failed, its log.
finish_images() {
  local step label rc=0
  wait "$IMAGES_PID" || rc=1
  while IFS=: read -r step label; do
    if [ -s "$LOG_DIR/$step.rc" ]; then add_row_from "$label (bg)" "$LOG_DIR/$step.rc" || rc=1; fi
  done <<'STEPS'
images-amd64:container amd64
images-arm64:container arm64
vm-amd64:VM image amd64
vm-arm64:VM image arm64
STEPS
  [ "$rc" = 0 ] || { cat "$LOG_DIR/images.log"; add_row "images (bg)" 1 0; }
  return $rc
}

stage_molecule() {
  local group rc=0
  # The scenarios' own runs of images.sh would build the images the background job is building.
  export HAILO_IMAGES_READY=1
  for group in $SCENARIOS; do
    log "stage molecule:$group (each scenario once its image is built: $LOG_DIR/images.log)"
    scenario_group "$group" || rc=1
  done
  finish_images || rc=1
  return $rc
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
rm -f "$LOG_DIR"/*.rc
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
# Where each failed stage that has a log failed (its task and message, or the failed tests), last, so that a
# reader of only the end of the output (CI) sees it.
digested=" "
for row in "${RESULTS[@]}"; do
  [[ "$row" == *" FAIL "* ]] || continue
  case "$row" in
    "units "*) log_file="$LOG_DIR/units.log" ;;
    molecule:*) name=${row%% *}; log_file="$LOG_DIR/molecule-${name#molecule:}.log" ;;
    *"(bg)"*) log_file="$LOG_DIR/images.log" ;;
    *) continue ;;
  esac
  [[ "$digested" == *" $log_file "* ]] && continue
  digested="$digested $log_file "
  [ -s "$log_file" ] && python "$HARNESS_DIR/failure-digest.py" "$log_file"
done
exit $FAILED
