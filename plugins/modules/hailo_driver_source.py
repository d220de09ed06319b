#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_driver_source
short_description: Check a Hailo PCIe driver (hailort-drivers) source tree and fix it before building
version_added: 1.0.0
description:
  - Checks that O(path) holds a hailort-drivers 4.x source tree (the Hailo-8 C(hailo_pci) driver, branch
    C(hailo8)) and that the version in C(common/hailo_ioctl_common.h) is O(expected_version). A tree of another
    version, a tree of the 5.x line (C(master) branch, C(hailo1x_pci) for Hailo-10H/15) or a directory that is
    not hailort-drivers fails the task before anything is changed.
  - Applies local patch files (O(patches)) with C(patch -p1), then the collection's built-in fixes for known
    bugs of that driver version (O(builtin_fixes)). Both are idempotent; a patch that is already applied and a
    fix that is already present are detected and left alone.
  - Built-in fix V(find_vma_mmap_lock) is needed by driver versions 4.20.0, 4.20.1, 4.21.0 and 4.23.0. In
    C(linux/vdma/memory.c) the C(find_vma()) call that maps user buffers runs without the mmap read lock, which
    makes kernels 6.12 and later warn on every buffer mapping (and can hang the device under load). The fix holds
    C(mmap_read_lock) around that call, as driver 4.22.0 does. When a version that needs a fix no longer has the
    code the fix expects, the task fails rather than let a known-bad driver be built; O(skip_fixes) overrides
    this on purpose.
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: full
    description: Patches are checked with C(patch --dry-run) and the fixes are computed, but nothing is written.
    details: The fixes are evaluated on the files as they are, before any patch that check mode did not apply.
  diff_mode:
    support: partial
    description: Shows the changes the built-in fixes make.
    details: Changes made by patch files are not shown.
options:
  path:
    description:
      - Root of the driver source tree (the directory holding C(common/) and C(linux/)).
    type: path
    required: true
  expected_version:
    description:
      - The driver version the tree must have, C(major.minor.revision) (for example V(4.23.0)). It must be the
        version of HailoRT and of the firmware too.
    type: str
    required: true
  builtin_fixes:
    description:
      - Apply the collection's built-in fixes that O(expected_version) needs.
    type: bool
    default: true
  skip_fixes:
    description:
      - Built-in fixes not to apply even though the version needs them.
    type: list
    elements: str
    choices: [find_vma_mmap_lock]
    default: []
  patches:
    description:
      - Patch files on the managed host, applied in this order with C(patch -p1 --forward) from O(path), each
        after a successful C(--dry-run). A patch whose reverse applies cleanly is taken as already applied.
      - Patches are applied before the built-in fixes; a built-in fix that a patch already made is then
        reported in RV(fixes_already_present).
    type: list
    elements: path
    default: []
requirements:
  - C(patch) on the managed host when O(patches) is not empty.
notes:
  - When a fix or patch fails after earlier patches were applied, those stay applied (a later run detects them).
'''

EXAMPLES = r'''
- name: Check the driver source and apply the fixes its version needs
  hailo_open.hailo.hailo_driver_source:
    path: /usr/src/hailo_pci-4.23.0
    expected_version: "4.23.0"

- name: Also apply our own patch (for example a kernel API fix)
  hailo_open.hailo.hailo_driver_source:
    path: /usr/src/hailo_pci-4.23.0
    expected_version: "4.23.0"
    patches:
      - /var/cache/hailo/patches/0001-del-timer-sync.patch

- name: Build 4.23.0 without the find_vma lock fix, on purpose
  hailo_open.hailo.hailo_driver_source:
    path: /usr/src/hailo_pci-4.23.0
    expected_version: "4.23.0"
    skip_fixes: [find_vma_mmap_lock]
'''

RETURN = r'''
version:
  description: Driver version read from C(common/hailo_ioctl_common.h).
  returned: when the tree is a hailort-drivers tree
  type: str
  sample: 4.23.0
fixes_needed:
  description: Built-in fixes this driver version needs (empty with O(builtin_fixes=false)).
  returned: success
  type: list
  elements: str
  sample: [find_vma_mmap_lock]
fixes_applied:
  description: Built-in fixes applied by this run (in check mode, that would be applied).
  returned: success
  type: list
  elements: str
  sample: [find_vma_mmap_lock]
fixes_already_present:
  description: Built-in fixes the source already had.
  returned: success
  type: list
  elements: str
  sample: []
fixes_skipped:
  description: Needed built-in fixes left out because of O(skip_fixes).
  returned: success
  type: list
  elements: str
  sample: []
patches_applied:
  description: Patch files applied by this run (in check mode, that would be applied).
  returned: success
  type: list
  elements: str
  sample: [/var/cache/hailo/patches/0001-del-timer-sync.patch]
patches_already_applied:
  description: Patch files found already applied.
  returned: success
  type: list
  elements: str
  sample: []
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _driver_source as driver_source

C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}


def _write(module, path, text):
    """Replace a file's content atomically, keeping its mode and owner."""
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.hailo-fix-')
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(text)
    except (IOError, OSError) as exc:
        os.unlink(tmp)
        module.fail_json(msg='Cannot write %s: %s' % (path, exc))
    module.atomic_move(tmp, path)


def _output(out, err):
    return '\n'.join(part.strip() for part in (out, err) if part and part.strip())


def apply_patches(module, root, patches, result):
    if not patches:
        return
    patch_bin = module.get_bin_path('patch', required=True)
    for patch_file in patches:
        commands = driver_source.patch_commands(root, patch_file)
        for argv in commands.values():
            argv[0] = patch_bin
        rc, out, err = module.run_command(commands['check'], environ_update=C_LOCALE)
        if rc == 0:
            if not module.check_mode:
                rc, out, err = module.run_command(commands['apply'], environ_update=C_LOCALE)
                if rc != 0:
                    module.fail_json(msg='Applying patch %s to %s failed after a successful dry run: %s'
                                     % (patch_file, root, _output(out, err)), **result)
            result['patches_applied'].append(patch_file)
            result['changed'] = True
            continue
        forward_output = _output(out, err)
        rc, out, err = module.run_command(commands['check_reverse'], environ_update=C_LOCALE)
        if rc == 0:
            result['patches_already_applied'].append(patch_file)
            continue
        module.fail_json(msg='Patch %s does not apply to %s and is not already applied (is it for driver %s?): %s'
                         % (patch_file, root, result['version'], forward_output), **result)


def apply_builtin_fixes(module, root, result, skip):
    try:
        plan = driver_source.plan_builtin_fixes(root, result['version'], skip)
    except driver_source.DriverSourceError as exc:
        module.fail_json(msg=str(exc), **result)
    diffs = []
    for entry in plan:
        if entry['status'] == 'skipped':
            result['fixes_skipped'].append(entry['name'])
        elif entry['status'] == 'present':
            result['fixes_already_present'].append(entry['name'])
        else:
            full = os.path.join(root, entry['path'])
            if not module.check_mode:
                _write(module, full, entry['after'])
            result['fixes_applied'].append(entry['name'])
            result['changed'] = True
            diffs.append({'before_header': full, 'after_header': full,
                          'before': entry['before'], 'after': entry['after']})
    if module._diff and diffs:
        result['diff'] = diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            expected_version=dict(type='str', required=True),
            builtin_fixes=dict(type='bool', default=True),
            skip_fixes=dict(type='list', elements='str', default=[], choices=driver_source.builtin_fix_names()),
            patches=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = params['path'].rstrip('/') or '/'
    result = dict(changed=False)
    if not driver_source.VERSION_RE.match(params['expected_version']):
        module.fail_json(msg='expected_version must look like 4.23.0 (major.minor.revision), got %r.'
                         % params['expected_version'], **result)
    missing = [p for p in params['patches'] if not os.path.isfile(p)]
    if missing:
        module.fail_json(msg='Patch file(s) not found on the host: %s.' % ', '.join(missing), **result)
    try:
        tree = driver_source.inspect_tree(root)
        result['version'] = tree['version']
        driver_source.check_version(tree['version'], params['expected_version'])
    except driver_source.DriverSourceError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(
        fixes_needed=driver_source.fixes_for_version(tree['version']) if params['builtin_fixes'] else [],
        fixes_applied=[], fixes_already_present=[], fixes_skipped=[],
        patches_applied=[], patches_already_applied=[],
    )
    apply_patches(module, root, params['patches'], result)
    if params['builtin_fixes']:
        apply_builtin_fixes(module, root, result, params['skip_fixes'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
