#!/usr/bin/env bash
# Run from an empty directory with ANSIBLE_COLLECTIONS_PATH pointing at an installed build of the collection:
# every module and role must resolve by FQCN and render its documentation.
source "$(dirname "$0")/lib.sh"

modules=$(cd "$REPO_ROOT/plugins/modules" && ls ./*.py | sed 's|^\./||; s|\.py$||')
roles=$(cd "$REPO_ROOT/roles" && ls)
for module in $modules; do
  ansible-doc -t module "hailo_open.hailo.$module" >/dev/null || die "ansible-doc hailo_open.hailo.$module failed"
  echo "module hailo_open.hailo.$module: documentation renders"
done
for role in $roles; do
  ansible-doc -t role "hailo_open.hailo.$role" >/dev/null || die "ansible-doc -t role hailo_open.hailo.$role failed"
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
