#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailort_artifact
short_description: Install a built HailoRT tree from an artifact, with a manifest for clean upgrades and removal
version_added: 1.0.0
description:
  - Installs the files of a HailoRT build artifact (a tar archive of an installed tree, relative to O(prefix)) and
    records them in a manifest, C(<prefix>/share/hailo_open.hailo/hailort.manifest.json).
  - Nothing is done when the manifest names the same O(build_id) and all its files exist.
  - Installing another build removes the files of the previous one that the new one does not install (for
    example the previous version's C(libhailort.so.X.Y.Z)), then runs C(ldconfig).
  - Every file is unpacked next to its destination and renamed into place, so a failure never leaves a
    half-written file.
  - O(state=absent) removes every file of the manifest and the directories the install created.
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: full
    description: Reports what would be installed and removed without changing anything.
  diff_mode:
    support: none
    description: The returned lists of files tell what changes.
options:
  src:
    description:
      - The artifact on the host (C(.tar.gz)), as the C(hailort) role builds it. Required with O(state=installed).
    type: path
  build_id:
    description: Identity of the build in O(src). Required with O(state=installed).
    type: str
  version:
    description: HailoRT version of the build, recorded in the manifest. Required with O(state=installed).
    type: str
  sha256:
    description:
      - The sha256 the artifact must have. When given, an artifact with another sum is refused before anything is
        installed.
    type: str
  prefix:
    description: Installation prefix.
    type: path
    default: /usr/local
  state:
    description: Whether the build is installed or every file of the manifest is removed.
    type: str
    choices: [installed, absent]
    default: installed
  ldconfig:
    description: Run C(ldconfig) after a change.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Install the HailoRT build made for this architecture
  hailo_open.hailo.hailort_artifact:
    src: /var/cache/hailo_open.hailo/hailort-4.23.0-arm64-trixie-0123456789abcdef.tar.gz
    build_id: 0123456789abcdef
    version: 4.23.0

- name: Remove HailoRT installed by the collection
  hailo_open.hailo.hailort_artifact:
    state: absent
'''

RETURN = r'''
installed_files:
  description: Files (relative to the prefix) installed by this run.
  returned: when something was installed
  type: list
  elements: str
  sample: [bin/hailortcli, lib/libhailort.so, lib/libhailort.so.4.23.0]
removed_files:
  description: Files of the previous build (or, with O(state=absent), of the manifest) that were removed.
  returned: always
  type: list
  elements: str
  sample: [lib/libhailort.so.4.22.0]
previous:
  description: Version and build id the manifest named before this run, or null.
  returned: always
  type: dict
  sample: {version: 4.22.0, build_id: fedcba9876543210}
manifest:
  description: Path of the manifest.
  returned: always
  type: str
  sample: /usr/local/share/hailo_open.hailo/hailort.manifest.json
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build
from ansible_collections.hailo_open.hailo.plugins.module_utils import _source as source

MANIFEST = 'share/hailo_open.hailo/hailort.manifest.json'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path'),
            build_id=dict(type='str'),
            version=dict(type='str'),
            sha256=dict(type='str'),
            prefix=dict(type='path', default='/usr/local'),
            state=dict(type='str', choices=['installed', 'absent'], default='installed'),
            ldconfig=dict(type='bool', default=True),
        ),
        required_if=[('state', 'installed', ('src', 'build_id', 'version'))],
        supports_check_mode=True,
    )
    params = module.params
    prefix = params['prefix'].rstrip('/') or '/'
    manifest_path = os.path.join(prefix, MANIFEST)
    manifest = hailort_build.read_manifest(manifest_path)
    previous = {'version': manifest.get('version'), 'build_id': manifest.get('build_id')} if manifest else None
    result = dict(changed=False, removed_files=[], previous=previous, manifest=manifest_path)

    if params['state'] == 'absent':
        if not manifest:
            module.exit_json(**result)
        result['changed'] = True
        result['removed_files'] = sorted(manifest.get('files') or [])
        if not module.check_mode:
            os.remove(manifest_path)
            hailort_build.remove_files(prefix, manifest.get('files') or [], manifest.get('created_dirs') or [])
            if params['ldconfig']:
                module.run_command(['ldconfig'], check_rc=True)
        module.exit_json(**result)

    if not os.path.isfile(params['src']):
        module.fail_json(msg='Artifact %s does not exist on the host.' % params['src'], **result)
    if params['sha256']:
        actual = module.sha256(params['src'])
        if actual != params['sha256'].lower():
            module.fail_json(msg='Artifact %s has sha256 %s, not the recorded %s: it was changed or damaged in '
                                 'transit. Nothing was installed.' % (params['src'], actual, params['sha256']), **result)
    try:
        new_files = hailort_build.artifact_files(params['src'])
    except (ValueError, IOError, OSError) as exc:
        module.fail_json(msg='Artifact %s cannot be installed: %s' % (params['src'], exc), **result)
    except Exception as exc:  # tarfile.ReadError and friends for a corrupt archive
        module.fail_json(msg='Artifact %s is not a readable tar archive: %s' % (params['src'], exc), **result)
    needed, stale = hailort_build.plan_install(manifest, params['build_id'], new_files, prefix)
    if not needed:
        module.exit_json(**result)
    result.update(changed=True, installed_files=new_files, removed_files=stale)
    if module.check_mode:
        module.exit_json(**result)
    try:
        installed, created = hailort_build.install_artifact(params['src'], prefix)
    except (ValueError, IOError, OSError) as exc:
        module.fail_json(msg='Installing %s into %s failed: %s' % (params['src'], prefix, exc), **result)
    hailort_build.remove_files(prefix, stale)
    hailort_build.make_dirs(os.path.dirname(manifest_path), prefix, created)
    created_dirs = sorted(set((manifest or {}).get('created_dirs') or []) | set(created))
    source.write_json(manifest_path, {'version': params['version'], 'build_id': params['build_id'],
                                      'files': installed, 'created_dirs': created_dirs})
    if params['ldconfig']:
        module.run_command(['ldconfig'], check_rc=True)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
