#!/usr/bin/env bash
# The project's test suite: sets up the machine, then runs every stage, cheapest first so that a mistake fails in
# minutes, prints a timing table, and exits non-zero when any stage failed. Stages: lint, units, build, sanity,
# molecule. `run-all.sh STAGE...` runs only those; HAILO_MOLECULE_SCENARIOS picks scenarios.
source "$(dirname "$0")/lib.sh"
set +e

STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(lint units build sanity molecule)
# Molecule runs two queues side by side: the scenarios with emulated arm64 hosts (CPU-bound under qemu) and the
# amd64-only ones (mostly waiting on round trips). HAILO_MOLECULE_SCENARIOS="a b" runs those one after the other.
QUEUE_ARM64="driver hailort"
QUEUE_AMD64="errors site driver_upgrade pull ee"
SCENARIOS=${HAILO_MOLECULE_SCENARIOS:-}
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$REPO_ROOT/collections"
export PYTHONDONTWRITEBYTECODE=1
LOG_DIR="$REPO_ROOT/build/logs"
mkdir -p "$LOG_DIR"
RESULTS=()
FAILED=0

run_stage() {
  local name=$1 start rc
  shift
  log "stage $name"
  start=$(date +%s)
  "$@"
  rc=$?
  RESULTS+=("$(printf '%-24s %-6s %5ss' "$name" "$([ $rc = 0 ] && echo PASS || echo FAIL)" "$(( $(date +%s) - start ))")")
  [ $rc = 0 ] || FAILED=1
  return $rc
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

# One queue of scenarios, one after the other; each one's output goes to its own log, its result to $1.
molecule_queue() {
  local results=$1 scenario start rc
  shift
  for scenario in "$@"; do
    start=$(date +%s)
    # molecule.sh re-checks binfmt before every scenario: systemd containers may wipe the registration.
    # shellcheck disable=SC2046
    $(scenario_command "$scenario") >"$LOG_DIR/molecule-$scenario.log" 2>&1
    rc=$?
    printf '%-24s %-6s %5ss\n' "molecule:$scenario" "$([ $rc = 0 ] && echo PASS || echo FAIL)" \
      "$(( $(date +%s) - start ))" >> "$results"
    log "molecule:$scenario $([ $rc = 0 ] && echo passed || echo FAILED) ($LOG_DIR/molecule-$scenario.log)"
  done
}

stage_molecule() {
  local scenario results line
  "$HARNESS_DIR/images.sh" amd64 arm64 || return 1
  if [ -n "$SCENARIOS" ]; then
    for scenario in $SCENARIOS; do
      # shellcheck disable=SC2046
      run_stage "molecule:$scenario" $(scenario_command "$scenario")
    done
    return
  fi
  results=$(mktemp)
  # shellcheck disable=SC2086
  molecule_queue "$results" $QUEUE_ARM64 &
  # shellcheck disable=SC2086
  molecule_queue "$results" $QUEUE_AMD64 &
  wait
  while read -r line; do
    RESULTS+=("$line")
    case "$line" in
      *' FAIL '*)
        FAILED=1
        scenario=$(printf '%s' "$line" | sed 's/^molecule:\([^ ]*\).*/\1/')
        printf '\n==== %s failed; its log follows ====\n' "$scenario"
        cat "$LOG_DIR/molecule-$scenario.log" ;;
    esac
  done < "$results"
  rm -f "$results"
}

START=$(date +%s)
run_stage setup "$HARNESS_DIR/host-setup.sh" || { echo "setup failed"; exit 1; }
for stage in "${STAGES[@]}"; do
  case "$stage" in
    lint|build|sanity|units) run_stage "$stage" "stage_$stage" ;;
    molecule) stage_molecule || FAILED=1 ;;
    *) die "unknown stage $stage" ;;
  esac
done

printf '\n==== stage timings (total %ss) ====\n' "$(( $(date +%s) - START ))"
printf '%-24s %-6s %6s\n' stage result time
printf '%s\n' "${RESULTS[@]}"
passed=$(printf '%s\n' "${RESULTS[@]}" | grep -c ' PASS ')
failed=$(printf '%s\n' "${RESULTS[@]}" | grep -c ' FAIL ')
printf '%s passed, %s failed\n' "$passed" "$failed"
exit $FAILED
