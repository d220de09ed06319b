#!/usr/bin/env bash
# Run from an empty directory with ANSIBLE_COLLECTIONS_PATH pointing at an installed build of the collection:
# every module and role must resolve by FQCN and render its documentation.
source "$(dirname "$0")/lib.sh"

modules=$(cd "$REPO_ROOT/plugins/modules" && ls ./*.py | sed 's|^\./||; s|\.py$||')
roles=$(cd "$REPO_ROOT/roles" && ls)
for module in $modules; do
  # ansible-doc exits 0 with only a warning for a module it cannot find: check the JSON it returns.
  ansible-doc --json -t module "hailo_open.hailo.$module" 2>/dev/null \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if d and all(v.get("doc") for v in d.values()) else 1)' \
    || die "ansible-doc hailo_open.hailo.$module does not render"
  echo "module hailo_open.hailo.$module: documentation renders"
done
for role in $roles; do
  ansible-doc --json -t role "hailo_open.hailo.$role" 2>/dev/null \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if d else 1)' \
    || die "ansible-doc -t role hailo_open.hailo.$role does not render"
  echo "role hailo_open.hailo.$role: argument spec renders"
done
cat > playbook.yml <<PLAY
- name: Every role resolves by FQCN
  hosts: localhost
  gather_facts: false
  tasks:
$(for role in $roles; do printf '    - name: %s\n      ansible.builtin.import_role:\n        name: hailo_open.hailo.%s\n' "$role" "$role"; done)
PLAY
ansible-playbook --syntax-check playbook.yml >/dev/null || die "roles do not resolve from the built collection"
echo "roles resolve by FQCN from the built collection"
