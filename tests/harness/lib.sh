# shellcheck shell=bash
# Shared helpers for the test harness scripts.
set -euo pipefail

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HARNESS_DIR/../.." && pwd)
CACHE_DIR=${HAILO_TEST_CACHE:-$REPO_ROOT/.cache}
VENV=${HAILO_TEST_VENV:-$REPO_ROOT/.venv}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this machine's apt uses, so that test images use the same one.
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)
  fi
  [ -n "$uri" ] || die "cannot find a Debian mirror in apt's sources"
  printf '%s\n' "$uri"
}

# Test image names carry a hash of what they are built from, so that a changed recipe gives a new image on
# machines that keep images between runs.
BASE_PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,ca-certificates,procps
base_image() {
  printf 'localhost/hailo-test/trixie-base:%s-%s\n' "$1" "$(printf '%s' "$BASE_PACKAGES" | sha256sum | cut -c1-12)"
}
# Two kernel flavours per architecture, so that "every installed kernel" is really exercised; on arm64 the second
# is Debian's 16 KiB-page kernel, the closest stand-in for the Pi 5's rpi-2712.
kernel_packages() {
  case "$1" in
    amd64) echo "linux-image-amd64 linux-image-cloud-amd64" ;;
    arm64) echo "linux-image-arm64 linux-image-arm64-16k" ;;
  esac
}
# Packages the arm64 image carries already: the build toolchain, the headers of one of its two kernels and the
# inference service's Debian packages. Under emulation installing them takes minutes in every scenario that needs
# them; the toolchain and inference roles install them from scratch on amd64 (seconds), and on arm64 the toolchain
# role still installs the headers of the other kernel.
preload_packages() {
  case "$1" in
    arm64) echo "build-essential cmake git dkms kmod pciutils ccache python3-venv python3-pyudev linux-headers-arm64" \
      "python3-numpy python3-aiohttp python3-uvloop python3-pil python3-prometheus-client python3-onnxruntime" ;;
  esac
}
systemd_image() {
  printf 'localhost/hailo-test/trixie-systemd:%s-%s\n' "$1" \
    "$( (base_image "$1"; cat "$REPO_ROOT/tests/images/trixie-systemd/Containerfile"; kernel_packages "$1";
         preload_packages "$1") | sha256sum | cut -c1-12)"
}
# Whether an image that exists may be used as it is (HAILO_REBUILD_IMAGES=1: never).
image_reusable() {
  podman image exists "$1" && [ "${HAILO_REBUILD_IMAGES:-0}" != 1 ]
}
# Packages installed in a layer of their own on top of the systemd image (images.sh build_top): what the arm64
# scenario's roles would otherwise install under emulation (the Python binding's build dependencies: about 6 minutes
# there on a busy machine). A change to this list rebuilds only that layer (minutes), not the image (about 20
# minutes under emulation). On amd64 the hailort role installs them (seconds).
top_packages() {
  case "$1" in
    arm64) echo "python3-dev python3-setuptools python3-wheel pybind11-dev" ;;
  esac
}
# The image the container scenarios run: the systemd image, with the top layer where there is one.
node_image() {
  if [ -z "$(top_packages "$1")" ]; then systemd_image "$1"; return; fi
  printf 'localhost/hailo-test/trixie-node:%s-%s\n' "$1" \
    "$( (systemd_image "$1"; sed -n '/^build_top()/,/^}/p' "$HARNESS_DIR/images.sh"; top_packages "$1") \
        | sha256sum | cut -c1-12)"
}
export HAILO_TEST_IMAGE_AMD64 HAILO_TEST_IMAGE_ARM64
HAILO_TEST_IMAGE_AMD64=$(node_image amd64)
HAILO_TEST_IMAGE_ARM64=$(node_image arm64)

# Test VMs (tests/harness/vm.sh): the kernel each boots, the packages preloaded, and the image directory, named by
# a hash of its recipe. Each image has its own SSH key, exported for the VM scenarios' verifiers.
export HAILO_VM_DIR
VM_DIR="$CACHE_DIR/vm"
HAILO_VM_DIR=$VM_DIR

vm_kernel_packages() {
  case "$1" in
    amd64) echo "linux-image-amd64" ;;
    # Debian's 16 KiB-page kernel: the closest stand-in for the Pi 5's rpi-2712.
    arm64) echo "linux-image-arm64-16k" ;;
  esac
}
vm_preload_packages() {
  local common="build-essential cmake git dkms kmod pciutils ccache python3-venv python3-pyudev"
  case "$1" in
    amd64) echo "$common linux-headers-amd64" ;;
    arm64) echo "$common linux-headers-arm64-16k" ;;
  esac
}
# The kernel the vm scenario installs as the upgrade (downloaded into the image's apt cache only).
vm_cached_packages() {
  case "$1" in
    amd64) echo "linux-image-cloud-amd64 linux-headers-cloud-amd64" ;;
  esac
}
vm_image_dir() {
  printf '%s/%s-%s\n' "$VM_DIR" "$1" "$( (base_image "$1"; cat "$REPO_ROOT/tests/images/trixie-vm/Containerfile"; \
    sed -n '/^build_image()/,/^}/p' "$HARNESS_DIR/vm.sh"; vm_kernel_packages "$1"; vm_preload_packages "$1"; vm_cached_packages "$1") \
    | sha256sum | cut -c1-12)"
}
export HAILO_VM_KEY_AMD64 HAILO_VM_KEY_ARM64 HAILO_VM_SSH_CONFIG
HAILO_VM_KEY_AMD64=$(vm_image_dir amd64)/id_ed25519
HAILO_VM_KEY_ARM64=$(vm_image_dir arm64)/id_ed25519
# An ssh_config for the VMs (written by vm.sh start), for the verifiers' testinfra.
HAILO_VM_SSH_CONFIG=$VM_DIR/ssh_config
