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
# Two kernel flavours per architecture, so that "every installed kernel" is really exercised.
kernel_packages() {
  case "$1" in
    amd64) echo "linux-image-amd64 linux-image-cloud-amd64" ;;
    arm64) echo "linux-image-arm64 linux-image-rt-arm64" ;;
  esac
}
# Packages the arm64 image carries already: the build toolchain and the headers of one of its two kernels. Under
# emulation installing them takes minutes in every scenario that needs them; the toolchain role installs them from
# scratch on amd64 (seconds), and on arm64 still installs the headers of the other kernel.
preload_packages() {
  case "$1" in
    arm64) echo "build-essential cmake git dkms kmod pciutils ccache python3-venv python3-pyudev linux-headers-arm64" ;;
  esac
}
systemd_image() {
  printf 'localhost/hailo-test/trixie-systemd:%s-%s\n' "$1" \
    "$( (base_image "$1"; cat "$REPO_ROOT/tests/images/trixie-systemd/Containerfile"; kernel_packages "$1";
         preload_packages "$1") | sha256sum | cut -c1-12)"
}
export HAILO_TEST_IMAGE_AMD64 HAILO_TEST_IMAGE_ARM64
HAILO_TEST_IMAGE_AMD64=$(systemd_image amd64)
HAILO_TEST_IMAGE_ARM64=$(systemd_image arm64)
