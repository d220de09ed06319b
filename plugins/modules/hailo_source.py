#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_source
short_description: Prepare the hailort-drivers or HailoRT source once, checked, fixed and packed reproducibly
version_added: 1.0.0
description:
  - Obtains the source of the Hailo PCIe driver (O(project=driver), hailort-drivers) or of HailoRT
    (O(project=hailort)) from a git repository, an archive or a directory; checks that it is that project at
    O(version); applies your patch files and the collection's built-in fixes for known bugs of that version; and
    packs the result into C(<dest>/<name>-<version>.tar.gz) with one top-level directory (C(hailo_pci-4.23.0/),
    C(hailort-4.23.0/)).
  - The archive is reproducible (entries sorted, owner 0, time 0, gzip without name or time), so its RV(sha256)
    identifies the build input on every controller; the roles install and build exactly those bytes.
  - Git sources are fetched with C(--depth 1) into a bare cache repository under O(dest), so that a second run
    transfers nothing. When the commit (or the archive's sha256), the options and the patches are unchanged and the
    packed archive still has its recorded sha256, it is reused without unpacking anything (RV(reused)).
  - For the driver, C(common/hailo_ioctl_common.h) must define the version and C(linux/pcie/Kbuild) must build C(hailo_pci.ko);
    a tree of the 5.x line (C(hailo1x_pci), Hailo-10H/15) is refused.
  - For HailoRT, C(hailort/libhailort/CMakeLists.txt) must state the version; with O(offline=true) every external
    HailoRT fetches at configure time is present under C(hailort/external/<name>-src) (an offline bundle).
  - Built-in driver fix V(find_vma_mmap_lock), for driver 4.20.0, 4.20.1, 4.21.0 and 4.23.0, holds the mmap read
    lock around C(find_vma()) in C(linux/vdma/memory.c) as 4.22.0 does (kernels 6.12 and later warn on every
    buffer mapping without it, and the device can hang under load). A version that needs a fix but no longer has
    the code it expects fails, rather than build a known-bad driver; O(skip_fixes) overrides this on purpose.
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: full
    description: The source is fetched, checked, fixed and packed in a temporary directory; O(dest) is not touched.
  diff_mode:
    support: none
    description: The archive is binary.
options:
  project:
    description: Which source this is.
    type: str
    choices: [driver, hailort]
    required: true
  version:
    description:
      - The release the source must be, C(major.minor.revision). Driver, firmware and HailoRT must be the same one.
    type: str
    required: true
  source_type:
    description: Where the source comes from.
    type: str
    choices: [git, archive, directory]
    default: git
  git_repo:
    description: Repository URL (or C(file://) path) with O(source_type=git).
    type: str
  git_ref:
    description: Tag, branch or commit with O(source_type=git). The 4.x tags live on branch C(hailo8).
    type: str
  archive:
    description:
      - With O(source_type=archive), a tar (optionally compressed) or zip archive of the tree. An archive with a
        single top-level directory is taken as that directory.
    type: path
  directory:
    description: With O(source_type=directory), the source tree (its C(.git) is left out).
    type: path
  dest:
    description:
      - Directory for the git cache, the work tree, and the packed archive with its record
        (C(<name>-<version>.tar.gz.json)). Created when missing.
    type: path
    required: true
  builtin_fixes:
    description:
      - Apply the collection's built-in fixes that O(version) needs. For the driver, C(find_vma_mmap_lock); for
        HailoRT 4.17.0-4.23.0, C(execute_cmake_jobs_ccache), which lets the build's job limit
        (C(CMAKE_BUILD_PARALLEL_LEVEL)) and ccache reach the protobuf build HailoRT runs in a clean environment while
        it configures (upstream uses one job per core and no ccache there).
    type: bool
    default: true
  skip_fixes:
    description: Built-in fixes not to apply even though the version needs them.
    type: list
    elements: str
    choices: [execute_cmake_jobs_ccache, find_vma_mmap_lock]
    default: []
  patches:
    description:
      - Patch files applied in this order with C(patch -p1 --forward), each after a successful C(--dry-run); a patch
        whose reverse applies is taken as already applied. Patches come before the built-in fixes, so a fix that a
        patch already made is reported in RV(fixes_already_present).
    type: list
    elements: path
    default: []
  offline:
    description: With O(project=hailort), require the externals of an offline build (C(hailort/external/*-src)).
    type: bool
    default: false
  service:
    description: With O(offline=true), also require the externals of HailoRT's multi-process service (gRPC).
    type: bool
    default: false
requirements:
  - C(git) with O(source_type=git); C(patch) when O(patches) is not empty.
notes:
  - The roles run this on the controller, once for the whole fleet (C(delegate_to=localhost), C(run_once)).
seealso:
  - module: hailo_open.hailo.dkms
  - module: hailo_open.hailo.hailort_build_plan
'''

EXAMPLES = r'''
- name: Prepare hailort-drivers 4.23.0 once, on the controller
  hailo_open.hailo.hailo_source:
    project: driver
    version: 4.23.0
    git_repo: https://github.com/hailo-ai/hailort-drivers.git
    git_ref: v4.23.0
    dest: "{{ lookup('ansible.builtin.env', 'HOME') }}/.cache/hailo_open.hailo/sources"
    patches:
      - files/0001-my-kernel-fix.patch
  delegate_to: localhost
  run_once: true
  register: driver_source

- name: Take an offline HailoRT bundle (externals included)
  hailo_open.hailo.hailo_source:
    project: hailort
    version: 4.23.0
    source_type: archive
    archive: /srv/bundles/hailort-4.23.0-offline.tar.gz
    offline: true
    dest: /var/cache/hailo_open.hailo/sources
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
tarball:
  description: The packed source (in check mode, where it would be).
  returned: success
  type: str
  sample: /root/.cache/hailo_open.hailo/sources/hailo_pci-4.23.0.tar.gz
sha256:
  description: sha256 of the packed source; the identity of the build input.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
top_dir:
  description: The archive's single top-level directory.
  returned: success
  type: str
  sample: hailo_pci-4.23.0
version:
  description: The version the source states.
  returned: when the source was checked
  type: str
  sample: 4.23.0
commit:
  description: The git commit that was packed.
  returned: with O(source_type=git)
  type: str
reused:
  description: Whether the archive of an earlier run was reused (same commit or archive, options and patches).
  returned: success
  type: bool
fixes_needed:
  description: Built-in fixes O(version) needs (empty with O(builtin_fixes=false)).
  returned: success
  type: list
  elements: str
  sample: [find_vma_mmap_lock]
fixes_applied:
  description: Built-in fixes applied to the packed source.
  returned: success
  type: list
  elements: str
fixes_already_present:
  description: Built-in fixes the source (or a patch) already had.
  returned: success
  type: list
  elements: str
fixes_skipped:
  description: Needed built-in fixes left out because of O(skip_fixes).
  returned: success
  type: list
  elements: str
patches_applied:
  description: Patch files applied.
  returned: success
  type: list
  elements: str
patches_already_applied:
  description: Patch files that the source already had.
  returned: success
  type: list
  elements: str
'''

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _driver_source as driver_source
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_fixes as hailort_fixes
from ansible_collections.hailo_open.hailo.plugins.module_utils import _source as source

NAMES = {'driver': 'hailo_pci', 'hailort': 'hailort'}
REPOSITORY_NAMES = {'driver': 'hailort-drivers', 'hailort': 'hailort'}
FIX_RESULTS = ('fixes_applied', 'fixes_already_present', 'fixes_skipped', 'patches_applied', 'patches_already_applied')


def check_tree(project, root, params):
    """Raise SourceError unless ``root`` is the project's tree at the wanted version; return its version."""
    try:
        if project == 'driver':
            tree = driver_source.inspect_tree(root)
            driver_source.check_version(tree['version'], params['version'])
            return tree['version']
        return hailort_build.check_source(root, params['version'], params['offline'], params['service'])
    except (driver_source.DriverSourceError, ValueError) as exc:
        raise source.SourceError(str(exc))


FIXES = {'driver': driver_source, 'hailort': hailort_fixes}


def fixes_needed(project, version):
    return FIXES[project].fixes_for_version(version)


def apply_fixes(project, root, version, skip, result):
    try:
        plan = FIXES[project].plan_builtin_fixes(root, version, skip)
    except (driver_source.DriverSourceError, hailort_fixes.FixError) as exc:
        raise source.SourceError(str(exc))
    for entry in plan:
        if entry['status'] == 'skipped':
            result['fixes_skipped'].append(entry['name'])
        elif entry['status'] == 'present':
            result['fixes_already_present'].append(entry['name'])
        else:
            with open(os.path.join(root, entry['path']), 'w') as handle:
                handle.write(entry['after'])
            result['fixes_applied'].append(entry['name'])


def apply_patches(module, root, patches, result):
    if not patches:
        return
    patch_bin = commands.find_tool(module, 'patch', required=True)
    for patch_file in patches:
        argv = driver_source.patch_commands(root, patch_file)
        for command in argv.values():
            command[0] = patch_bin
        rc, out, err = commands.run(module, argv['check'])
        if rc == 0:
            rc, out, err = commands.run(module, argv['apply'])
            if rc != 0:
                raise source.SourceError('Applying patch %s failed after a successful dry run: %s'
                                         % (patch_file, source.last_lines(out + err)))
            result['patches_applied'].append(patch_file)
            continue
        forward = source.last_lines(out + err)
        rc, _out, _err = commands.run(module, argv['check_reverse'])
        if rc != 0:
            raise source.SourceError('Patch %s does not apply and is not already applied (is it for version %s?): %s'
                                     % (patch_file, module.params['version'], forward))
        result['patches_already_applied'].append(patch_file)


class Git(object):
    """A bare cache repository that keeps what was fetched, so that fetching the same ref again is cheap."""

    def __init__(self, module, cache):
        self.module = module
        self.cache = cache
        self.binary = commands.find_tool(module, 'git', required=True)

    def run(self, *args):
        return commands.run(self.module, [self.binary, '--git-dir', self.cache] + list(args))

    def fetch(self, repo, ref):
        """Fetch ``ref`` of ``repo``; returns its commit."""
        if not os.path.isdir(os.path.join(self.cache, 'objects')):
            rc, out, err = commands.run(self.module, [self.binary, 'init', '--quiet', '--bare', self.cache])
            if rc != 0:
                raise source.SourceError('git init %s failed: %s' % (self.cache, source.last_lines(out + err)))
        rc, out, err = self.run('fetch', '--quiet', '--depth', '1', '--no-tags', '--force', repo, ref)
        if rc == 0:
            wanted = 'FETCH_HEAD^{commit}'
        elif source.git_ref_is_commit(ref):
            # Servers that do not serve a commit by its id (file:// without allowAnySHA1InWant): fetch everything.
            rc, out, err = self.run('fetch', '--quiet', '--no-tags', '--force', repo,
                                    '+refs/heads/*:refs/hailo-open/heads/*', '+refs/tags/*:refs/hailo-open/tags/*')
            wanted = ref + '^{commit}'
        if rc != 0:
            raise source.SourceError('Could not fetch %s at %s: %s' % (repo, ref, source.last_lines(out + err)))
        rc, out, err = self.run('rev-parse', '--verify', '--quiet', wanted)
        if rc != 0:
            raise source.SourceError('%s has no commit %s.' % (repo, ref))
        return out.strip()

    def export(self, commit, dest):
        """Write the tree of ``commit`` into the existing directory ``dest``."""
        archive = dest + '.tar'
        try:
            rc, out, err = self.run('archive', '--format=tar', '-o', archive, commit)
            if rc != 0:
                raise source.SourceError('git archive of %s failed: %s' % (commit, source.last_lines(out + err)))
            source.extract_archive(archive, dest)
        finally:
            if os.path.exists(archive):
                os.remove(archive)


def obtain(module, project, workdir, cache_root, result):
    """Put the source tree in ``workdir/tree``; return ``(root, origin identity)``."""
    params = module.params
    tree = os.path.join(workdir, 'tree')
    kind = params['source_type']
    if kind == 'git':
        os.makedirs(tree)
        git = Git(module, os.path.join(cache_root, 'git', REPOSITORY_NAMES[project] + '.git'))
        result['commit'] = git.fetch(params['git_repo'], params['git_ref'])
        git.export(result['commit'], tree)
        return tree, result['commit']
    if kind == 'archive':
        if not os.path.isfile(params['archive']):
            raise source.SourceError('The source archive %s does not exist.' % params['archive'])
        os.makedirs(tree)
        source.extract_archive(params['archive'], tree)
        return source.single_root(tree), None
    source.copy_tree(params['directory'], tree)
    return tree, None


def identity(module):
    """What identifies the source before it is unpacked (git commit needs a fetch; see ``obtain``)."""
    if module.params['source_type'] == 'archive' and os.path.isfile(module.params['archive']):
        return source.sha256_file(module.params['archive'])
    return None


def prepare(module, result):
    params = module.params
    project = params['project']
    top_dir = '%s-%s' % (NAMES[project], params['version'])
    dest = params['dest']
    final = os.path.join(dest, top_dir + '.tar.gz')
    record_path = final + '.json'
    result.update(tarball=final, top_dir=top_dir, fixes_needed=fixes_needed(project, params['version'])
                  if params['builtin_fixes'] else [])
    options = {'builtin_fixes': params['builtin_fixes'], 'skip_fixes': sorted(params['skip_fixes']),
               'offline': params['offline'], 'service': params['service']}
    origin = source.describe_origin(params['source_type'], params['git_repo'], params['git_ref'], params['archive'],
                                    params['directory'])
    if not module.check_mode:
        os.makedirs(dest, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='.prepare-', dir=dest if not module.check_mode else None)
    # The git cache is part of dest: in check mode a throw-away one is used.
    cache_root = workdir if module.check_mode else dest
    try:
        known = identity(module)
        record = source.read_json(record_path)
        if known is not None:
            inputs = source.inputs_document(project, params['version'], origin, known, options, params['patches'])
            if source.reusable(final, record, inputs):
                result.update(sha256=record['sha256'], version=params['version'], reused=True, **record['results'])
                return
        root, commit = obtain(module, project, workdir, cache_root, result)
        known = commit or known
        inputs = source.inputs_document(project, params['version'], origin, known, options, params['patches'])
        if source.reusable(final, record, inputs):
            result.update(sha256=record['sha256'], version=params['version'], reused=True, **record['results'])
            return
        result['version'] = check_tree(project, root, params)
        apply_patches(module, root, params['patches'], result)
        if params['builtin_fixes']:
            apply_fixes(project, root, params['version'], params['skip_fixes'], result)
        packed = source.pack_tree(root, top_dir, os.path.join(workdir, top_dir + '.tar.gz'))
        previous = record.get('sha256') if record and os.path.isfile(final) else None
        result.update(sha256=packed, changed=packed != previous)
        if module.check_mode:
            return
        os.replace(os.path.join(workdir, top_dir + '.tar.gz'), final)
        source.write_json(record_path, {'inputs': inputs, 'sha256': packed,
                                        'results': dict((key, result[key]) for key in FIX_RESULTS)})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            project=dict(type='str', choices=list(NAMES), required=True),
            version=dict(type='str', required=True),
            source_type=dict(type='str', choices=['git', 'archive', 'directory'], default='git'),
            git_repo=dict(type='str'),
            git_ref=dict(type='str'),
            archive=dict(type='path'),
            directory=dict(type='path'),
            dest=dict(type='path', required=True),
            builtin_fixes=dict(type='bool', default=True),
            skip_fixes=dict(type='list', elements='str', default=[],
                            choices=sorted(driver_source.builtin_fix_names() + hailort_fixes.builtin_fix_names())),
            patches=dict(type='list', elements='path', default=[]),
            offline=dict(type='bool', default=False),
            service=dict(type='bool', default=False),
        ),
        required_if=[('source_type', 'git', ('git_repo', 'git_ref')), ('source_type', 'archive', ('archive',)),
                     ('source_type', 'directory', ('directory',))],
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, reused=False, **dict((key, []) for key in FIX_RESULTS))
    bad_version = commands.release_error('version', params['version'], supported=True)
    if bad_version:
        module.fail_json(msg=bad_version, **result)
    missing = [p for p in params['patches'] if not os.path.isfile(p)]
    if missing:
        module.fail_json(msg='Patch file(s) not found: %s.' % ', '.join(missing), **result)
    origin = source.describe_origin(params['source_type'], params['git_repo'], params['git_ref'], params['archive'],
                                    params['directory'])
    try:
        prepare(module, result)
    except (source.SourceError, IOError, OSError) as exc:
        module.fail_json(msg='Could not prepare the %s %s source from %s: %s' % (
            NAMES[params['project']], params['version'], origin, exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
