#!/usr/bin/env bash
# Test VMs: Debian trixie booted with qemu-system under TCG (these machines have no usable KVM), reached over SSH
# on 127.0.0.1 like a real Pi. The VM boots the kernel and initramfs its own disk names as the default
# (Debian's /vmlinuz and /initrd.img links, which the kernel packages keep pointing at the newest kernel): qemu runs
# with -no-reboot, so a reboot inside the guest ends qemu, and this script reads the links from the disk again
# and boots what they now name. A kernel upgrade inside the VM therefore really changes the running kernel.
#   vm.sh image ARCH                 build the disk image (cached by recipe, its root kept as a podman image)
#   vm.sh start NAME ARCH PORT       copy the image for NAME and boot it; SSH on 127.0.0.1:PORT
#   vm.sh stop NAME                  power it off and remove its disk
source "$(dirname "$0")/lib.sh"

build_image() {
  local arch=$1 dir tag root ctr
  dir=$(vm_image_dir "$arch")
  [ -s "$dir/disk.raw" ] && [ "${HAILO_REBUILD_IMAGES:-0}" != 1 ] && return
  rm -rf "$dir" && mkdir -p "$dir"
  # The root file system is kept as a podman image named by the same recipe hash: on a machine that keeps its
  # images, a fresh checkout only writes the disk (seconds) instead of installing it again (minutes, the arm64 one
  # under emulation).
  tag="localhost/hailo-test/trixie-vm:$arch-$(basename "$dir" | cut -d- -f2)"
  if podman image exists "$tag" && [ "${HAILO_REBUILD_IMAGES:-0}" != 1 ]; then
    log "writing the $arch VM disk ($dir) from the kept image $tag"
  else
    "$HARNESS_DIR/images.sh" "$arch"
    log "building the $arch VM image ($dir)"
    podman build --pull=never --arch "$arch" \
      --build-arg BASE="$(base_image "$arch")" \
      --build-arg KERNEL_PACKAGES="$(vm_kernel_packages "$arch")" \
      --build-arg PRELOAD_PACKAGES="$(vm_preload_packages "$arch")" \
      --build-arg CACHED_PACKAGES="$(vm_cached_packages "$arch")" \
      -t "$tag" "$REPO_ROOT/tests/images/trixie-vm" >"$CACHE_DIR/vm-image-$arch.log" 2>&1 \
      || { tail -n 30 "$CACHE_DIR/vm-image-$arch.log"; die "building the $arch VM image failed"; }
    # The images of older recipes.
    podman images --format '{{.Repository}}:{{.Tag}}' | grep "^localhost/hailo-test/trixie-vm:$arch-" \
      | grep -vxF "$tag" | xargs -r podman rmi >/dev/null 2>&1 || true
  fi
  root=$(mktemp -d "${TMPDIR:-/tmp}/hailo-vm-root.XXXXXX")
  ctr=$(podman create --arch "$arch" "$tag" /bin/true)
  podman export "$ctr" | tar -C "$root" -x
  podman rm -f "$ctr" >/dev/null
  # Files a container engine manages (bind-mounted while building) are written here.
  printf 'hailo-vm\n' >"$root/etc/hostname"
  printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"
  printf '127.0.0.1 localhost\n127.0.1.1 hailo-vm\n' >"$root/etc/hosts"
  ssh-keygen -q -t ed25519 -N '' -C hailo-test-vm -f "$dir/id_ed25519"
  install -m 0600 "$dir/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  rm -f "$root/.containerenv" "$root/run/.containerenv"
  mkfs.ext4 -q -F -L root -d "$root" "$dir/disk.raw.tmp" 6G
  rm -rf "$root"
  mv "$dir/disk.raw.tmp" "$dir/disk.raw"
}

# The default kernel and initramfs as the guest's disk names them, copied out of the (stopped) VM's disk.
read_default_boot() {
  local disk=$1 out=$2 name target
  for name in vmlinuz initrd.img; do
    target=$(debugfs -R "stat /$name" "$disk" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')
    [ -n "$target" ] || die "$disk has no /$name link to boot"
    debugfs -R "dump /${target#/} $out/$name" "$disk" >/dev/null 2>&1
    [ -s "$out/$name" ] || die "cannot read /$target from $disk"
    echo "$target" >"$out/$name.target"
  done
}

# The boot loop (runs in the background): boot, and after a reboot inside the guest boot again from its disk.
boot_loop() {
  local name=$1 arch=$2 port=$3 run="$VM_DIR/run/$1" qemu console rc
  case "$arch" in
    # -cpu max: Debian's cloud-amd64 kernel panics early under multi-threaded TCG (an int3 oops while patching text).
    amd64) qemu=(qemu-system-x86_64 -machine q35 -cpu qemu64); console=ttyS0 ;;
    # -cpu max has the 16 KiB granule; pauth-impdef makes pointer authentication cheap to emulate.
    arm64) qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on); console=ttyAMA0 ;;
  esac
  # A kernel that panics resets (panic=-1) and is booted again, as on hardware; twenty boots end the loop.
  while [ ! -e "$run/stop" ] && [ "$(grep -c ' boot ' "$run/boots" 2>/dev/null || echo 0)" -lt 20 ]; do
    read_default_boot "$run/disk.raw" "$run"
    printf '%s boot %s\n' "$(date +%s)" "$(cat "$run/vmlinuz.target")" >>"$run/boots"
    rc=0
    "${qemu[@]}" -smp 2 -m 2048 -nographic -no-reboot -accel tcg,thread=multi \
      -kernel "$run/vmlinuz" -initrd "$run/initrd.img" \
      -append "root=/dev/vda rw console=$console net.ifnames=0 panic=-1 quiet" \
      -drive "file=$run/disk.raw,format=raw,if=virtio" \
      -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=net0 \
      -monitor none -serial "file:$run/console.log.tmp" </dev/null >>"$run/qemu.log" 2>&1 || rc=$?
    cat "$run/console.log.tmp" >>"$run/console.log" 2>/dev/null || true
    printf '%s exit %s\n' "$(date +%s)" "$rc" >>"$run/boots"
    [ "$rc" = 0 ] || break
  done
}

start() {
  local name=$1 arch=$2 port=$3 run="$VM_DIR/run/$1" dir i
  build_image "$arch"
  dir=$(vm_image_dir "$arch")
  stop "$name" 2>/dev/null || true
  mkdir -p "$run"
  echo "$arch" >"$run/arch"
  printf '%s\n' 'Host 127.0.0.1' '  User root' '  StrictHostKeyChecking no' '  UserKnownHostsFile /dev/null' \
    '  LogLevel ERROR' '  IdentitiesOnly yes' "  IdentityFile $HAILO_VM_KEY_AMD64" "  IdentityFile $HAILO_VM_KEY_ARM64" \
    >"$HAILO_VM_SSH_CONFIG"
  cp --sparse=always "$dir/disk.raw" "$run/disk.raw"
  setsid "$0" boot-loop "$name" "$arch" "$port" >/dev/null 2>&1 </dev/null &
  echo $! >"$run/pid"
  for i in $(seq 1 300); do
    if ssh_vm "$name" "$port" true 2>/dev/null; then
      log "$name is up ($arch, SSH on 127.0.0.1:$port, $(cat "$run/vmlinuz.target"))"
      return 0
    fi
    kill -0 "$(cat "$run/pid")" 2>/dev/null || { tail -n 30 "$run/console.log" "$run/qemu.log"; die "$name did not boot"; }
    sleep 2
  done
  tail -n 30 "$run/console.log.tmp"
  die "$name: no SSH after 600 s"
}

ssh_vm() {
  local name=$1 port=$2 arch
  shift 2
  arch=$(cat "$VM_DIR/run/$name/arch" 2>/dev/null || echo amd64)
  ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
    -i "$(vm_image_dir "$arch")/id_ed25519" -p "$port" root@127.0.0.1 "$@"
}

stop() {
  local name=$1 run="$VM_DIR/run/$1" pid
  [ -d "$run" ] || return 0
  touch "$run/stop"
  pkill -f -- "-drive file=$run/disk.raw" 2>/dev/null || true
  if [ -e "$run/pid" ]; then
    pid=$(cat "$run/pid")
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill "$pid" 2>/dev/null || true
  fi
  # The VM's logs are kept (console, QEMU, the boots and the kernels they ran) until its next start.
  rm -rf "$VM_DIR/logs/$name" && mkdir -p "$VM_DIR/logs/$name"
  cp "$run"/boots "$run"/console.log "$run"/console.log.tmp "$run"/qemu.log "$VM_DIR/logs/$name/" 2>/dev/null || true
  rm -rf "$run"
}

cmd=${1:-}
shift || true
case "$cmd" in
  image) build_image "$@" ;;
  start) start "$@" ;;
  boot-loop) boot_loop "$@" ;;
  stop) stop "$@" ;;
  *) die "usage: vm.sh image|start|stop ..." ;;
esac
