#!/usr/bin/env bash
# Builds the local test images (no registry is reachable): a Debian trixie base from debootstrap, then
# a systemd image with two kernel flavours, then on arm64 a top layer with more packages (lib.sh top_packages).
# Images that exist are reused; HAILO_REBUILD_IMAGES=1 rebuilds.
#   images.sh amd64|arm64 ...
source "$(dirname "$0")/lib.sh"

MIRROR=$(debian_mirror)

build_base() {
  local arch=$1 image root
  image=$(base_image "$arch")
  if image_reusable "$image"; then return; fi
  root=$(mktemp -d "${TMPDIR:-/tmp}/hailo-debootstrap.XXXXXX")
  log "debootstrap trixie $arch (base image $image)"
  debootstrap --arch="$arch" --variant=minbase \
    --include="$BASE_PACKAGES" \
    trixie "$root" "$MIRROR" >"$CACHE_DIR/debootstrap-$arch.log" 2>&1 \
    || { tail -n 20 "$CACHE_DIR/debootstrap-$arch.log"; die "debootstrap $arch failed"; }
  tar -C "$root" -c . | podman import --arch "$arch" - "$image" >/dev/null
  rm -rf "$root"
}

build_systemd() {
  local arch=$1 image emulated=no
  image=$(systemd_image "$arch")
  if image_reusable "$image"; then return; fi
  [ "$arch" = amd64 ] || emulated=yes
  log "building $image"
  podman build --pull=never --arch "$arch" \
    --build-arg BASE="$(base_image "$arch")" \
    --build-arg KERNEL_PACKAGES="$(kernel_packages "$arch")" \
    --build-arg PRELOAD_PACKAGES="$(preload_packages "$arch")" \
    --build-arg EMULATED="$emulated" \
    -t "$image" "$REPO_ROOT/tests/images/trixie-systemd" >"$CACHE_DIR/image-$arch.log" 2>&1 \
    || { tail -n 30 "$CACHE_DIR/image-$arch.log"; die "building $image failed"; }
}

# The top layer (lib.sh top_packages), from the systemd image.
build_top() {
  local arch=$1 image packages
  packages=$(top_packages "$arch")
  [ -n "$packages" ] || return 0
  image=$(node_image "$arch")
  if image_reusable "$image"; then return; fi
  log "building $image"
  printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends %s \\\n && apt-get clean && rm -rf /var/lib/apt/lists/*\n' \
      "$(systemd_image "$arch")" "$packages" \
    | podman build --pull=never --arch "$arch" -t "$image" -f - "$CACHE_DIR" >"$CACHE_DIR/image-top-$arch.log" 2>&1 \
    || { tail -n 30 "$CACHE_DIR/image-top-$arch.log"; die "building $image failed"; }
}

mkdir -p "$CACHE_DIR"
for arch in "$@"; do
  case "$arch" in
    amd64) ;;
    arm64) "$HARNESS_DIR/binfmt.sh" ;;
    *) die "unknown architecture $arch" ;;
  esac
  build_base "$arch"
  build_systemd "$arch"
  build_top "$arch"
done
