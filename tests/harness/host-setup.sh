#!/usr/bin/env bash
# Installs what the tests need on a Debian 12/13 machine (idempotent): Debian packages, podman's
# configuration, and a Python venv with the pinned requirements.
source "$(dirname "$0")/lib.sh"

# qemu-system boots the test VMs (tests/harness/vm.sh); e2fsprogs writes and reads their disks.
APT_PACKAGES=(podman runc debootstrap umockdev rsync python3-venv git make chromium ffmpeg qemu-system-x86 qemu-system-arm
  e2fsprogs openssh-client)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "installing packages needs root (run as root or install: ${missing[*]})"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman cannot raise its rlimits on these machines unless default ulimits are configured, and crun refuses
# hybrid cgroup hierarchies (runc does not).
conf=/etc/containers/containers.conf.d/50-hailo-tests.conf
want_conf=$(printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' \
  '[engine]' 'runtime = "runc"')
if [ "$(cat "$conf" 2>/dev/null)" != "$want_conf" ]; then
  log "configuring podman ($conf)"
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want_conf" > "$conf"
fi

# Python venv with pinned requirements; rebuilt when the requirements change.
req="$REPO_ROOT/tests/requirements.txt"
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating venv $VENV"
  python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/ansible" --version >/dev/null || die "the venv was not created completely"
  echo "$want" > "$stamp"
fi
log "host ready"
