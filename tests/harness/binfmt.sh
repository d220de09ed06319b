#!/usr/bin/env bash
# Registers a static qemu-aarch64 with binfmt_misc so arm64 containers run under emulation.
# Debian 12's qemu 7.2 cannot start trixie's systemd services, so trixie's static qemu-user (10.x) is
# taken from the trixie archive (via the amd64 test base image) and registered with flags OPF
# (F: the interpreter is opened now, so it also works inside containers).
# Safe to run repeatedly; re-registers when a systemd container wiped the registration.
source "$(dirname "$0")/lib.sh"

# Outside the checkout, so that every checkout on this machine registers the same interpreter.
QEMU_DIR=${HAILO_QEMU_DIR:-/var/cache/hailo_open.hailo-tests/qemu}
QEMU="$QEMU_DIR/usr/bin/qemu-aarch64"
ENTRY=/proc/sys/fs/binfmt_misc/hailo-qemu-aarch64

# Scenarios run side by side: one registration at a time.
mkdir -p "$(dirname "$QEMU_DIR")"
exec 9>"$(dirname "$QEMU_DIR")/binfmt.lock"
flock 9

if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi

if [ ! -x "$QEMU" ]; then
  "$HARNESS_DIR/images.sh" amd64
  log "fetching trixie's static qemu-user"
  mkdir -p "$QEMU_DIR"
  podman run --rm -v "$QEMU_DIR:/out" "$(base_image amd64)" \
    sh -c 'cd /out && apt-get update -qq && apt-get download -qq qemu-user && dpkg-deb -x qemu-user_*.deb . && rm -f qemu-user_*.deb' \
    >"$CACHE_DIR/qemu-fetch.log" 2>&1 || { tail "$CACHE_DIR/qemu-fetch.log"; die "could not fetch qemu-user"; }
  [ -x "$QEMU" ] || die "qemu-user did not provide $QEMU"
fi

if [ -e "$ENTRY" ] && grep -q "^interpreter $QEMU$" "$ENTRY" && grep -q '^enabled' "$ENTRY"; then
  exit 0
fi
# Another qemu-aarch64 registration (e.g. Debian's qemu-user-static) would shadow ours.
for other in /proc/sys/fs/binfmt_misc/*aarch64*; do
  [ -e "$other" ] && echo -1 > "$other"
done
log "registering $QEMU with binfmt_misc"
magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
printf ':hailo-qemu-aarch64:M::%s:%s:%s:OPF' "$magic" "$mask" "$QEMU" > /proc/sys/fs/binfmt_misc/register
