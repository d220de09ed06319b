#!/usr/bin/env bash
# The fleet benchmark (`make bench`): the fleet path measured on SIMULATED fleets of trixie containers (fixture
# sources, umockdev devices, as in the demo), side by side in one run, written to build/bench/fleet-bench.json and
# build/bench/fleet-bench.md. See docs/performance.md for what the figures mean.
#   P0  cost of one task round trip on the container connection (1 host, and 8 hosts at once), and on the test
#       harness's pipelined one (tests/harness/connection_plugins/hailo_test_podman.py, which molecule uses)
#   P1  first provisioning with site.yml of 1 host against 8 hosts (same target): wall times, HailoRT and DKMS builds
#   P2  site.yml again on the 8 hosts with nothing changed: changed tasks, tasks per host, re-run / first run
#   P3  a new kernel package on every host, then playbooks/reprovision.yml: wall time against one DKMS build of the
#       same module, and no HailoRT rebuild
#   P4  HailoRT rebuild after a one-line source change, warm ccache against cold (the fixture HailoRT)
#   R   fleet report generation for 1,000 synthetic hosts
# BENCH_HOSTS (default 8) sets the fleet size; BENCH_PARTS (default "p0 p1 p2 p3 p4 report") picks parts (p2 needs p1,
# p3 and p4 need p1).
source "$(dirname "$0")/../harness/lib.sh"

BENCH_DIR="$REPO_ROOT/build/bench"
HOSTS=${BENCH_HOSTS:-8}
PORT=${HAILO_BENCH_PORT:-18490}
IMAGE=$HAILO_TEST_IMAGE_AMD64
RESULTS="$BENCH_DIR/results.jsonl"
PARTS=" ${BENCH_PARTS:-p0 p1 p2 p3 p4 report} "
part() { [[ $PARTS == *" $1 "* ]]; }

"$HARNESS_DIR/host-setup.sh"
"$HARNESS_DIR/images.sh" amd64
export PATH="$VENV/bin:$PATH"
export ANSIBLE_CONFIG="$REPO_ROOT/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$REPO_ROOT/collections"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
export ANSIBLE_CONNECTION_PLUGINS="$HARNESS_DIR/connection_plugins"

cleanup() {
  podman ps -a --format '{{.Names}}' | grep '^hailo-bench-' | xargs -r podman rm -f >/dev/null 2>&1 || true
  [ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null || true
}
trap cleanup EXIT
cleanup

rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"
"$HARNESS_DIR/sim-fixtures.sh" "$BENCH_DIR/fixtures" "$PORT"
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$BENCH_DIR/fixtures/www" >"$BENCH_DIR/http.log" 2>&1 &
HTTP_PID=$!

record() {  # record KEY JSON
  printf '{"%s": %s}\n' "$1" "$2" >> "$RESULTS"
}

# each_host NAME COUNT COMMAND: COMMAND in every container of fleet NAME at once, output discarded. Waits for these
# jobs only: the HTTP server runs in the background too.
each_host() {
  local name=$1 count=$2 command=$3 pids=() i
  for i in $(seq 1 "$count"); do
    podman exec "hailo-bench-$name-$i" sh -c "$command" >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
}

# fleet NAME COUNT: containers hailo-bench-NAME-1..COUNT, an inventory, simulated devices, their own controller cache.
fleet() {
  local name=$1 count=$2 i inv="$BENCH_DIR/$1.ini"
  {
    echo "[hailo_nodes]"
    for i in $(seq 1 "$count"); do
      podman run -d --name "hailo-bench-$name-$i" --hostname "$name-$i" --systemd=always "$IMAGE" /sbin/init >/dev/null
      echo "$name-$i ansible_host=hailo-bench-$name-$i sim_device=pi-hailo8"
    done
    echo "[hailo_nodes:vars]"
    echo "ansible_connection=containers.podman.podman"
    echo "ansible_python_interpreter=/usr/local/bin/hailo-sim-python"
  } > "$inv"
  mkdir -p "$BENCH_DIR/$name-vars"
  sed "s#$BENCH_DIR/fixtures/controller-cache#$BENCH_DIR/$name-cache#" "$BENCH_DIR/fixtures/fixture-vars.yml" \
    > "$BENCH_DIR/$name-vars/vars.yml"
  printf 'validate_report_dir: %s\nvalidate_fail_hosts: false\n' "$BENCH_DIR/$name-report" >> "$BENCH_DIR/$name-vars/vars.yml"
  # A Debian kernel flavour that the "upgrade" of P3 installs again later.
  each_host "$name" "$count" \
    "dpkg-query -W -f='\${Package}\n' 'linux-image-*cloud-amd64*' | xargs -r apt-get purge -qq -y; apt-get autoremove -qq -y"
  (cd "$REPO_ROOT" && ansible-playbook -i "$inv" tests/fixtures/sim/sim-hosts.yml >/dev/null)
}

# play NAME LOG PLAYBOOK [ARGS]: run a playbook against fleet NAME; prints its wall seconds.
play() {
  local name=$1 log=$2 playbook=$3 start rc
  shift 3
  start=$(date +%s.%N)
  (cd "$REPO_ROOT" && ansible-playbook -i "$BENCH_DIR/$name.ini" -e "@$BENCH_DIR/$name-vars/vars.yml" \
    -e '{"hailo_serial": "100%", "hailo_max_fail_percentage": 100}' "$@" "$playbook") > "$BENCH_DIR/$log.log" 2>&1
  rc=$?
  [ $rc = 0 ] || { tail -n 40 "$BENCH_DIR/$log.log" >&2; die "$playbook on $name failed (see $BENCH_DIR/$log.log)"; }
  python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)"
}

# recap LOG: {"hosts", "changed", "tasks_per_host"} from the PLAY RECAP lines of a run.
recap() {
  python3 - "$BENCH_DIR/$1.log" <<'PY'
import json, re, sys
hosts = {}
for line in open(sys.argv[1]):
    m = re.match(r'^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)', line)
    if m and m.group(1) != 'localhost':
        ok, changed, skipped = int(m.group(2)), int(m.group(3)), int(m.group(6))
        h = hosts.setdefault(m.group(1), {'ok': 0, 'changed': 0, 'skipped': 0})
        h['ok'] += ok; h['changed'] += changed; h['skipped'] += skipped
print(json.dumps({'hosts': len(hosts), 'changed': sum(h['changed'] for h in hosts.values()),
                  'tasks_per_host': round(sum(h['ok'] + h['skipped'] for h in hosts.values()) / max(1, len(hosts)), 1)}))
PY
}

hailort_builds() {  # the "Built HailoRT ... in N s" lines of a run: count and seconds of each
  python3 - "$BENCH_DIR/$1.log" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
seconds = [int(s) for s in re.findall(r'Built HailoRT \S+ for \S+ in\s+(\d+) s', ' '.join(text.split()))]
print(json.dumps({'count': len(seconds), 'seconds': seconds}))
PY
}

dkms_builds() {  # DKMS make logs on the hosts of fleet NAME (one per module build and kernel)
  local name=$1 count=$2 total=0 i n
  for i in $(seq 1 "$count"); do
    n=$(podman exec "hailo-bench-$name-$i" sh -c 'ls -d /var/lib/dkms/hailo_pci/*/*/*/log 2>/dev/null | wc -l')
    total=$((total + n))
  done
  echo "$total"
}

fleet one 1
fleet many "$HOSTS"

if part p0; then
log "P0: a task round trip on the container connection"
cat > "$BENCH_DIR/noop.yml" <<'PLAY'
- name: Twenty no-op round trips
  hosts: hailo_nodes
  gather_facts: false
  tasks:
    - name: A round trip
      ansible.builtin.command: /bin/true
      changed_when: false
      loop: "{{ range(20) | list }}"
PLAY
# The same with the harness's pipelined connection, each right after the other so that both see the same machine.
pipelined=(-e ansible_connection=hailo_test_podman -e ansible_pipelining=true)
noop_one=$(play one noop-one "$BENCH_DIR/noop.yml")
noop_one_p=$(play one noop-one-pipelined "$BENCH_DIR/noop.yml" "${pipelined[@]}")
noop_many=$(play many noop-many "$BENCH_DIR/noop.yml")
noop_many_p=$(play many noop-many-pipelined "$BENCH_DIR/noop.yml" "${pipelined[@]}")
record round_trip "$(python3 - "$noop_one" "$noop_many" "$noop_one_p" "$noop_many_p" "$HOSTS" <<'PY'
import json, sys
one, many, one_p, many_p = (float(x) / 20 for x in sys.argv[1:5])
print(json.dumps({'one_host_s': round(one, 3), 'hosts': int(sys.argv[5]), 'all_hosts_s': round(many, 3),
                  'pipelined_one_host_s': round(one_p, 3), 'pipelined_all_hosts_s': round(many_p, 3),
                  'pipelined_ratio_one': round(one_p / one, 2), 'pipelined_ratio_all': round(many_p / many, 2)}))
PY
)"
fi

if part p1; then
log "P1: first provisioning, 1 host"
first_one=$(play one first-one site.yml)
log "P1: first provisioning, $HOSTS hosts"
first_many=$(play many first-many site.yml)
record p1 "{\"one_host_s\": $first_one, \"hosts\": $HOSTS, \"many_hosts_s\": $first_many, \"ratio\": $(python3 -c "print(round($first_many / $first_one, 2))"), \"hailort_builds_one\": $(hailort_builds first-one), \"hailort_builds_many\": $(hailort_builds first-many), \"dkms_builds_one\": $(dkms_builds one 1), \"dkms_builds_many\": $(dkms_builds many "$HOSTS"), \"recap_one\": $(recap first-one), \"recap_many\": $(recap first-many)}"

fi

if part p2; then
log "P2: the same site.yml again, nothing changed"
rerun=$(play many rerun-many site.yml)
record p2 "{\"first_s\": $first_many, \"rerun_s\": $rerun, \"ratio\": $(python3 -c "print(round($rerun / $first_many, 2))"), \"recap\": $(recap rerun-many)}"

fi

if part p3; then
log "P3: a new kernel on every host, then reprovision.yml"
each_host many "$HOSTS" 'apt-get install -qq -y --no-install-recommends linux-image-cloud-amd64'
reprovision=$(play many reprovision playbooks/reprovision.yml)
new_kernel=$(podman exec hailo-bench-one-1 sh -c "ls /lib/modules | sort | tail -n 1")
# One DKMS build of the same module for a kernel, on an otherwise idle host, for comparison.
podman exec hailo-bench-one-1 sh -c "dkms remove hailo_pci/4.23.0 -k $new_kernel >/dev/null 2>&1 || true"
start=$(date +%s.%N)
podman exec hailo-bench-one-1 sh -c "dkms install hailo_pci/4.23.0 -k $new_kernel >/dev/null"
one_dkms=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
record p3 "{\"reprovision_s\": $reprovision, \"one_dkms_build_s\": $one_dkms, \"ratio\": $(python3 -c "print(round($reprovision / $one_dkms, 2))"), \"hailort_builds\": $(hailort_builds reprovision), \"recap\": $(recap reprovision)}"

fi

if part p4; then
log "P4: HailoRT rebuild after a one-line change, warm ccache against cold"
src="$BENCH_DIR/hailort-changed"
git clone -q "$BENCH_DIR/fixtures/hailort.git" "$src"
git -C "$src" checkout -q v4.23.0
printf '\n// hailo_open.hailo benchmark: a one-line change\n' >> "$src/hailort/hailortcli/hailortcli.cpp"
warm=$(play one warm-one site.yml -e hailort_source_type=directory -e "hailort_source_directory=$src" -e validate_benchmark=false)
record p4 "{\"cold\": $(hailort_builds first-one), \"warm\": $(hailort_builds warm-one)}"

fi

if part report; then
log "R: fleet report generation for 1,000 synthetic hosts"
report_s=$(cd "$REPO_ROOT" && PYTHONPATH="$REPO_ROOT/collections" python3 - <<'PY'
import time
from ansible_collections.hailo_open.hailo.plugins.module_utils import _fleet_report as fleet_report
from ansible_collections.hailo_open.hailo.tests.unit.module_utils.test_fleet_report import big_fleet
hosts = big_fleet(1000)
start = time.perf_counter()
fleet_report.render_all(fleet_report.build_report(hosts))
print('%.3f' % (time.perf_counter() - start))
PY
)
record report "{\"hosts\": 1000, \"seconds\": $report_s}"
fi

python3 "$(dirname "$0")/bench-table.py" "$RESULTS" "$BENCH_DIR/fleet-bench.json" "$BENCH_DIR/fleet-bench.md"
cat "$BENCH_DIR/fleet-bench.md"
