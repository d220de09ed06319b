#!/usr/bin/env bash
# Builds the execution environment of execution-environment.yml with ansible-builder and uses it, with two local
# substitutions because no registry or Galaxy is reachable here: the base image is the local Debian trixie test base
# (apt-get instead of dnf), and the collection comes from the tarball this checkout builds. Then, inside the EE:
# the collection is installed, its modules render with ansible-doc, and a check-mode run of hailo_open.hailo.site
# reaches a test host over SSH (a trixie container) with the test fixtures as sources.
source "$(dirname "$0")/lib.sh"
export PATH="$VENV/bin:$PATH"

WORK="$REPO_ROOT/build/ee"
PORT=${HAILO_EE_PORT:-18481}
SSH_PORT=${HAILO_EE_SSH_PORT:-2298}
NODE=hailo-ee-node
rm -rf "$WORK" && mkdir -p "$WORK/context"
cleanup() {
  podman rm -f "$NODE" >/dev/null 2>&1 || true
  [ -n "${HTTP_PID:-}" ] && kill "$HTTP_PID" 2>/dev/null || true
}
trap cleanup EXIT
cleanup

log "building the collection"
(cd "$REPO_ROOT" && ansible-galaxy collection build --force --output-path "$WORK" >/dev/null)
tarball=$(ls "$WORK"/hailo_open-hailo-*.tar.gz)
cp "$tarball" "$WORK/context/"
# pip inside the build trusts what this machine's pip trusts (a proxy's CA, where there is one).
cp "${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}" "$WORK/context/host-ca.crt"

log "the EE definition, with the local base image and the local collection"
python3 - "$REPO_ROOT/execution-environment.yml" "$WORK/context" "$(base_image amd64)" "$(basename "$tarball")" <<'PY'
import sys, yaml
source, context, base, tarball = sys.argv[1:5]
ee = yaml.safe_load(open(source))
ee['images']['base_image']['name'] = base
ee.setdefault('options', {})['package_manager_path'] = '/usr/bin/apt-get'
# Debian's python3-pip stands in for ensurepip, which Debian disables for its system Python.
ee['options']['skip_pip_install'] = True
ee['dependencies']['python_interpreter'] = {'python_path': '/usr/bin/python3'}
ee['dependencies']['galaxy'] = {'collections': [{'name': '/build/%s' % tarball, 'type': 'file'}]}
ee['additional_build_files'] = [{'src': tarball, 'dest': 'collection'}, {'src': 'host-ca.crt', 'dest': 'certs'}]
ee['additional_build_steps'] = {
    # Debian: apt lists and pip first; PKGMGR_PRESERVE_CACHE skips the dnf-only "clean all"; the image's Python is
    # the EE's own, so pip may install into it (PEP 668's marker is for hosts, not for a single-purpose image).
    'prepend_base': ['COPY _build/certs/host-ca.crt /etc/ssl/hailo-ee-host-ca.crt',
                     'ENV PKGMGR_PRESERVE_CACHE=always DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1'
                     ' PIP_CERT=/etc/ssl/hailo-ee-host-ca.crt',
                     'RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip'
                     ' >/dev/null'],
    'prepend_galaxy': ['COPY _build/collection/%s /build/%s' % (tarball, tarball)],
}
yaml.safe_dump(ee, open('%s/execution-environment.yml' % context, 'w'), sort_keys=False)
PY
image=localhost/hailo-test/ee:$(sha256sum "$tarball" "$WORK/context/execution-environment.yml" | sha256sum | cut -c1-12)

log "ansible-builder build ($image)"
(cd "$WORK/context" && ansible-builder build --container-runtime podman -f execution-environment.yml \
  -t "$image" -v 1 --prune-images >"$WORK/build.log" 2>&1) || { tail -n 40 "$WORK/build.log"; die "the EE did not build"; }

log "inside the EE: the collection and its documentation"
podman run --rm --user 0 "$image" ansible-galaxy collection list hailo_open.hailo | grep -q 'hailo_open.hailo *1\.' \
  || die "the collection is not installed in the EE"
for module in hailo_source hailo_device_facts hailo_fleet_report; do
  podman run --rm --user 0 "$image" ansible-doc --json -t module "hailo_open.hailo.$module" \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if d and all(v.get("doc") for v in d.values()) else 1)' \
    || die "ansible-doc hailo_open.hailo.$module does not render in the EE"
done
podman run --rm --user 0 "$image" sh -c 'command -v git && command -v patch && command -v ssh' >/dev/null \
  || die "the EE lacks the collection's system dependencies (git, patch, ssh)"

log "a test host reachable over SSH"
"$HARNESS_DIR/sim-fixtures.sh" "$WORK/fixtures" "$PORT" >/dev/null
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WORK/fixtures/www" >"$WORK/http.log" 2>&1 &
HTTP_PID=$!
ssh-keygen -q -t ed25519 -N '' -f "$WORK/id_ed25519"
podman run -d --name "$NODE" -p "127.0.0.1:$SSH_PORT:22" --systemd=always "$HAILO_TEST_IMAGE_AMD64" /sbin/init >/dev/null
podman exec "$NODE" sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null' \
  >"$WORK/ssh-setup.log" 2>&1 || { tail "$WORK/ssh-setup.log"; die "no sshd on the test host"; }
podman exec -i "$NODE" sh -c "mkdir -p /root/.ssh && chmod 700 /root/.ssh && cat > /root/.ssh/authorized_keys && systemctl restart ssh" \
  < "$WORK/id_ed25519.pub"
printf '[hailo_nodes]\nee-node ansible_host=127.0.0.1 ansible_port=%s ansible_user=root\n' "$SSH_PORT" > "$WORK/inventory.ini"
{ cat "$WORK/fixtures/fixture-vars.yml"; echo "validate_fail_hosts: false"; echo "validate_report_dir: /work/report"; } \
  > "$WORK/vars.yml"

log "inside the EE: a check-mode run of hailo_open.hailo.site against the test host"
podman run --rm --user 0 --network host -v "$WORK:/work" -v "$WORK/fixtures:$WORK/fixtures" \
  -e ANSIBLE_HOST_KEY_CHECKING=False -e ANSIBLE_PRIVATE_KEY_FILE=/work/id_ed25519 -e ANSIBLE_FORCE_COLOR=0 \
  "$image" ansible-playbook -i /work/inventory.ini -e @/work/vars.yml --check hailo_open.hailo.site \
  >"$WORK/check-run.log" 2>&1 || { tail -n 40 "$WORK/check-run.log"; die "the check-mode run from the EE failed"; }
grep -q 'ee-node *: ok=[1-9][0-9]* .*failed=0' "$WORK/check-run.log" || die "the check-mode run did not pass"
podman exec "$NODE" sh -c '! command -v dkms && ! test -e /usr/src/hailo_pci-4.23.0' \
  || die "the check-mode run changed the test host"
log "EE $image: collection installed, documentation renders, check-mode run over SSH passed ($(grep 'ee-node *:' "$WORK/check-run.log" | tr -s ' '))"
