# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_source on the fixture sources (tests/fixtures), with real git, tar and patch(1): fetch or take, check,
fix, patch, pack reproducibly, reuse; every refusal leaves the destination as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import zipfile
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.hailo_open.hailo.plugins.modules import hailo_source
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
DRIVER = os.path.join(FIXTURES, 'hailort-drivers')
HAILORT = os.path.join(FIXTURES, 'hailort')
MEMORY = 'linux/vdma/memory.c'
LOCKED = ('        mmap_read_lock(current->mm);\n        vma = find_vma(current->mm, addr_or_fd);\n'
          '        mmap_read_unlock(current->mm);\n')
needs_patch = pytest.mark.skipif(shutil.which('patch') is None, reason='patch(1) is not installed')
needs_git = pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')

# A patch of our own, against the fixture driver: changes the module description in pcie.c.
PCIE_PATCH = '''--- a/linux/pcie/src/pcie.c
+++ b/linux/pcie/src/pcie.c
@@ -193,4 +193,4 @@
 MODULE_AUTHOR("hailo_open.hailo contributors (test fixture)");
-MODULE_DESCRIPTION("Test fixture standing in for the Hailo PCIe driver (not Hailo's driver)");
+MODULE_DESCRIPTION("Patched test fixture standing in for the Hailo PCIe driver (not Hailo's driver)");
 MODULE_LICENSE("GPL v2");
 MODULE_VERSION(HAILO_DRV_VER);
'''


@pytest.fixture
def driver_tree(tmp_path):
    root = tmp_path / 'src' / 'hailort-drivers'
    shutil.copytree(DRIVER, str(root))
    return root


@pytest.fixture
def dest(tmp_path):
    return tmp_path / 'cache'


def git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t', GIT_COMMITTER_NAME='t',
               GIT_COMMITTER_EMAIL='t@t', GIT_AUTHOR_DATE='2026-01-01T00:00:00Z', GIT_COMMITTER_DATE='2026-01-01T00:00:00Z')
    return subprocess.run(['git', '-C', str(cwd)] + list(args), check=True, env=env, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def driver_repo(driver_tree):
    git(driver_tree, 'init', '-q', '-b', 'hailo8')
    git(driver_tree, 'add', '-A')
    git(driver_tree, 'commit', '-q', '-m', 'fixture')
    git(driver_tree, 'tag', 'v4.23.0')
    return driver_tree


def run(args, check_mode=False):
    return run_module(hailo_source.main, args, check_mode=check_mode)


def driver(dest, **args):
    return dict({'project': 'driver', 'version': '4.23.0', 'dest': str(dest)}, **args)


def members(path):
    with tarfile.open(path) as archive:
        return dict((m.name, archive.extractfile(m).read() if m.isfile() else m.type) for m in archive.getmembers())


def listing(directory):
    return sorted(os.listdir(str(directory))) if os.path.isdir(str(directory)) else None


@needs_git
def test_git_source_is_fetched_fixed_and_packed(driver_repo, dest):
    result = run(driver(dest, git_repo='file://%s' % driver_repo, git_ref='v4.23.0'))
    assert result['failed'] is False, result.get('msg')
    assert result['changed'] is True and result['reused'] is False
    assert result['tarball'] == str(dest / 'hailo_pci-4.23.0.tar.gz') and result['top_dir'] == 'hailo_pci-4.23.0'
    assert result['commit'] == git(driver_repo, 'rev-parse', 'HEAD')
    assert result['fixes_needed'] == result['fixes_applied'] == ['find_vma_mmap_lock']
    with open(result['tarball'], 'rb') as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == result['sha256']
    files = members(result['tarball'])
    assert LOCKED.encode() in files['hailo_pci-4.23.0/' + MEMORY]
    assert all(name == 'hailo_pci-4.23.0' or name.startswith('hailo_pci-4.23.0/') for name in files)
    assert not any('/.git' in name for name in files)
    # only the archive, its record and the git cache stay; no work tree
    assert listing(dest) == ['git', 'hailo_pci-4.23.0.tar.gz', 'hailo_pci-4.23.0.tar.gz.json']


@needs_git
def test_second_run_reuses_the_archive_and_a_new_commit_does_not(driver_repo, dest):
    args = driver(dest, git_repo='file://%s' % driver_repo, git_ref='v4.23.0')
    first = run(args)
    second = run(args)
    assert second['reused'] is True and second['changed'] is False and second['sha256'] == first['sha256']
    assert second['fixes_applied'] == ['find_vma_mmap_lock']
    (driver_repo / 'README.md').write_text('changed\n')
    git(driver_repo, 'commit', '-q', '-am', 'change')
    git(driver_repo, 'tag', '-f', 'v4.23.0')
    third = run(args)
    assert third['reused'] is False and third['changed'] is True and third['sha256'] != first['sha256']


@needs_git
def test_the_archive_is_reproducible_whatever_the_file_times(driver_repo, dest, tmp_path):
    first = run(driver(dest, source_type='directory', directory=str(driver_repo)))
    for parent, _dirs, files in os.walk(str(driver_repo)):
        for name in files:
            os.utime(os.path.join(parent, name), (1000000, 1000000))
    other = run(driver(tmp_path / 'other-cache', source_type='directory', directory=str(driver_repo)))
    assert first['sha256'] == other['sha256']
    from_git = run(driver(tmp_path / 'git-cache', git_repo='file://%s' % driver_repo, git_ref='v4.23.0'))
    assert from_git['sha256'] == first['sha256']


@needs_git
def test_unreachable_repository_names_it(dest):
    result = run(driver(dest, git_repo='file:///nonexistent/hailort-drivers.git', git_ref='v4.23.0'))
    assert result['failed'] is True
    assert 'Could not prepare the hailo_pci 4.23.0 source from file:///nonexistent/hailort-drivers.git at v4.23.0' \
        in result['msg']
    assert 'Could not fetch' in result['msg']
    assert not os.path.exists(str(dest / 'hailo_pci-4.23.0.tar.gz'))


@needs_git
def test_unknown_tag(driver_repo, dest):
    result = run(driver(dest, git_repo='file://%s' % driver_repo, git_ref='v9.9.9'))
    assert result['failed'] is True and 'v9.9.9' in result['msg']


@needs_git
def test_commit_ref(driver_repo, dest):
    commit = git(driver_repo, 'rev-parse', 'HEAD')
    result = run(driver(dest, git_repo='file://%s' % driver_repo, git_ref=commit))
    assert result['failed'] is False, result['msg']
    assert result['commit'] == commit


def test_version_mismatch_fails_and_leaves_dest_alone(driver_tree, dest):
    result = run(driver(dest, version='4.22.0', source_type='directory', directory=str(driver_tree)))
    assert result['failed'] is True
    assert 'says version 4.23.0' in result['msg'] and 'version 4.22.0 is expected' in result['msg']
    assert listing(dest) == []


def test_version_without_fixes(driver_tree, dest):
    header = driver_tree / 'common' / 'hailo_ioctl_common.h'
    header.write_text(header.read_text().replace('HAILO_DRV_VER_MINOR 23', 'HAILO_DRV_VER_MINOR 22'))
    result = run(driver(dest, version='4.22.0', source_type='directory', directory=str(driver_tree)))
    assert result['failed'] is False and result['fixes_needed'] == [] and result['fixes_applied'] == []
    assert result['top_dir'] == 'hailo_pci-4.22.0'


def test_builtin_fixes_off_and_skipped(driver_tree, dest, tmp_path):
    off = run(driver(dest, source_type='directory', directory=str(driver_tree), builtin_fixes=False))
    assert off['fixes_needed'] == [] and off['fixes_applied'] == []
    assert LOCKED.encode() not in members(off['tarball'])['hailo_pci-4.23.0/' + MEMORY]
    skipped = run(driver(tmp_path / 'c2', source_type='directory', directory=str(driver_tree),
                         skip_fixes=['find_vma_mmap_lock']))
    assert skipped['fixes_skipped'] == ['find_vma_mmap_lock'] and skipped['fixes_applied'] == []


def test_unknown_fix_name_is_refused(driver_tree, dest):
    result = run(driver(dest, source_type='directory', directory=str(driver_tree), skip_fixes=['nope']))
    assert result['failed'] is True and 'skip_fixes' in result['msg']


def test_fix_that_cannot_apply_fails(driver_tree, dest):
    memory = driver_tree / MEMORY
    memory.write_text(memory.read_text().replace('        vma = find_vma(current->mm, addr_or_fd);\n',
                                                 '        if (!(vma = find_vma(current->mm, addr_or_fd)))\n'
                                                 '            return ERR_PTR(-EFAULT);\n'))
    result = run(driver(dest, source_type='directory', directory=str(driver_tree)))
    assert result['failed'] is True
    assert 'find_vma_mmap_lock' in result['msg'] and 'skip_fixes' in result['msg']
    assert listing(dest) == []


@pytest.mark.parametrize('version', ['4.23', 'v4.23.0', '4.23.0-rc1', ''])
def test_bad_version(driver_tree, dest, version):
    result = run(driver(dest, version=version, source_type='directory', directory=str(driver_tree)))
    assert result['failed'] is True and 'version must look like 4.23.0' in result['msg']


def test_not_a_driver_tree(tmp_path, dest):
    (tmp_path / 'empty').mkdir()
    result = run(driver(dest, source_type='directory', directory=str(tmp_path / 'empty')))
    assert result['failed'] is True and 'is not a hailort-drivers source tree' in result['msg']


def test_master_tree_is_named(driver_tree, dest):
    header = driver_tree / 'common' / 'hailo_ioctl_common.h'
    header.write_text(header.read_text().replace('HAILO_DRV_VER_MAJOR 4', 'HAILO_DRV_VER_MAJOR 5')
                      .replace('HAILO_DRV_VER_MINOR 23', 'HAILO_DRV_VER_MINOR 3'))
    kbuild = driver_tree / 'linux' / 'pcie' / 'Kbuild'
    kbuild.write_text(kbuild.read_text().replace('hailo_pci.o', 'hailo1x_pci.o'))
    result = run(driver(dest, source_type='directory', directory=str(driver_tree)))
    assert result['failed'] is True and 'master' in result['msg'] and 'hailo1x_pci.ko' in result['msg']


def test_missing_directory_and_archive(tmp_path, dest):
    assert 'does not exist' in run(driver(dest, source_type='directory', directory=str(tmp_path / 'x')))['msg']
    assert 'does not exist' in run(driver(dest, source_type='archive', archive=str(tmp_path / 'x.tgz')))['msg']


def test_required_settings_per_source_type(dest):
    result = run(driver(dest, source_type='archive'))
    assert result['failed'] is True and 'archive' in result['msg']


def _tar(tmp_path, tree, name, top='hailort-drivers-4.23.0', mode='w:gz'):
    path = tmp_path / name
    with tarfile.open(str(path), mode) as archive:
        archive.add(str(tree), arcname=top)
    return path


def test_archive_with_one_top_directory_gives_the_same_bytes_as_the_tree(driver_tree, dest, tmp_path):
    from_dir = run(driver(tmp_path / 'd', source_type='directory', directory=str(driver_tree)))
    for mode, name in (('w:gz', 'src.tar.gz'), ('w:xz', 'src.tar.xz'), ('w', 'src.tar')):
        archive = _tar(tmp_path, driver_tree, name, mode=mode)
        result = run(driver(dest, source_type='archive', archive=str(archive)))
        assert result['failed'] is False, result['msg']
        assert result['sha256'] == from_dir['sha256']
    again = run(driver(dest, source_type='archive', archive=str(archive)))
    assert again['reused'] is True


def test_zip_archive(driver_tree, dest, tmp_path):
    path = tmp_path / 'src.zip'
    with zipfile.ZipFile(str(path), 'w') as archive:
        for parent, _dirs, files in os.walk(str(driver_tree)):
            for name in files:
                full = os.path.join(parent, name)
                archive.write(full, os.path.join('top', os.path.relpath(full, str(driver_tree))))
    result = run(driver(dest, source_type='archive', archive=str(path)))
    assert result['failed'] is False, result['msg']
    assert 'hailo_pci-4.23.0/common/hailo_ioctl_common.h' in members(result['tarball'])


def test_unsafe_archive_is_refused(driver_tree, dest, tmp_path):
    path = tmp_path / 'evil.tar'
    with tarfile.open(str(path), 'w') as archive:
        archive.add(str(driver_tree / 'README.md'), arcname='../outside.txt')
    result = run(driver(dest, source_type='archive', archive=str(path)))
    assert result['failed'] is True and 'outside its tree' in result['msg']
    assert not (tmp_path / 'outside.txt').exists()


def test_not_an_archive(dest, tmp_path):
    path = tmp_path / 'src.tar.gz'
    path.write_text('not an archive')
    result = run(driver(dest, source_type='archive', archive=str(path)))
    assert result['failed'] is True and 'neither a tar archive' in result['msg']


def test_check_mode_changes_nothing(driver_tree, dest):
    result = run(driver(dest, source_type='directory', directory=str(driver_tree)), check_mode=True)
    assert result['failed'] is False and result['changed'] is True and len(result['sha256']) == 64
    assert not dest.exists()
    real = run(driver(dest, source_type='directory', directory=str(driver_tree)))
    assert real['sha256'] == result['sha256']
    assert run(driver(dest, source_type='directory', directory=str(driver_tree)), check_mode=True)['changed'] is False


@needs_git
def test_check_mode_with_git_leaves_no_cache(driver_repo, dest):
    result = run(driver(dest, git_repo='file://%s' % driver_repo, git_ref='v4.23.0'), check_mode=True)
    assert result['failed'] is False, result['msg']
    assert not dest.exists()


def test_missing_patch_file(driver_tree, dest, tmp_path):
    result = run(driver(dest, source_type='directory', directory=str(driver_tree),
                        patches=[str(tmp_path / 'none.patch')]))
    assert result['failed'] is True and 'Patch file(s) not found' in result['msg']


@needs_patch
def test_patch_is_applied_and_part_of_the_identity(driver_tree, dest, tmp_path):
    patch = tmp_path / 'description.patch'
    patch.write_text(PCIE_PATCH)
    archive = _tar(tmp_path, driver_tree, 'src.tar.gz')
    plain = run(driver(dest, source_type='archive', archive=str(archive)))
    patched = run(driver(dest, source_type='archive', archive=str(archive), patches=[str(patch)]))
    assert patched['failed'] is False, patched['msg']
    assert patched['patches_applied'] == [str(patch)] and patched['reused'] is False
    assert patched['sha256'] != plain['sha256']
    assert b'Patched test fixture' in members(patched['tarball'])['hailo_pci-4.23.0/linux/pcie/src/pcie.c']
    again = run(driver(dest, source_type='archive', archive=str(archive), patches=[str(patch)]))
    assert again['reused'] is True and again['patches_applied'] == [str(patch)]


@needs_patch
def test_patch_already_in_the_source(driver_tree, dest, tmp_path):
    patch = tmp_path / 'description.patch'
    patch.write_text(PCIE_PATCH)
    subprocess.run(['patch', '-p1', '-d', str(driver_tree), '-i', str(patch)], check=True, capture_output=True)
    result = run(driver(dest, source_type='directory', directory=str(driver_tree), patches=[str(patch)]))
    assert result['patches_already_applied'] == [str(patch)] and result['patches_applied'] == []


@needs_patch
def test_patch_that_adds_the_lock_makes_the_fix_present(driver_tree, dest, tmp_path):
    memory = driver_tree / MEMORY
    original = memory.read_text()
    line = original[:original.index('        vma = find_vma(current->mm, addr_or_fd);')].count('\n') + 1
    lines = original.splitlines(True)
    patch = tmp_path / 'lock.patch'
    patch.write_text('--- a/%s\n+++ b/%s\n@@ -%d,3 +%d,5 @@\n %s+%s %s+%s %s' % (
        MEMORY, MEMORY, line - 1, line - 1, lines[line - 2], LOCKED.splitlines(True)[0], lines[line - 1],
        LOCKED.splitlines(True)[2], lines[line]))
    result = run(driver(dest, source_type='directory', directory=str(driver_tree), patches=[str(patch)]))
    assert result['failed'] is False, result.get('msg')
    assert result['fixes_applied'] == [] and result['fixes_already_present'] == ['find_vma_mmap_lock']


@needs_patch
def test_patch_that_does_not_apply(driver_tree, dest, tmp_path):
    patch = tmp_path / 'other.patch'
    patch.write_text(PCIE_PATCH.replace('Test fixture standing in', 'Something else entirely in'))
    result = run(driver(dest, source_type='directory', directory=str(driver_tree), patches=[str(patch)]))
    assert result['failed'] is True and 'does not apply' in result['msg'] and str(patch) in result['msg']
    assert listing(dest) == []


def test_patch_applying_after_a_good_dry_run_fails(driver_tree, dest, tmp_path):
    patch = tmp_path / 'description.patch'
    patch.write_text(PCIE_PATCH)

    def fake(argv, environ_update=None, **kwargs):
        assert environ_update == {'LC_ALL': 'C', 'LANG': 'C'}
        return (0, 'checking file\n', '') if '--dry-run' in argv else (1, '', 'patch: **** write error\n')

    with mock.patch.object(basic.AnsibleModule, 'run_command', side_effect=fake), \
            mock.patch.object(basic.AnsibleModule, 'get_bin_path', return_value='/usr/bin/patch'):
        result = run(driver(dest, source_type='directory', directory=str(driver_tree), patches=[str(patch)]))
    assert result['failed'] is True and 'failed after a successful dry run' in result['msg']
    assert 'write error' in result['msg']


def hailort_tree(tmp_path, version='4.23.0'):
    root = tmp_path / 'hailort-src'
    shutil.copytree(HAILORT, str(root))
    return root


def test_hailort_source(tmp_path, dest):
    root = hailort_tree(tmp_path)
    result = run({'project': 'hailort', 'version': '4.23.0', 'dest': str(dest), 'source_type': 'directory',
                  'directory': str(root)})
    assert result['failed'] is False, result['msg']
    assert result['top_dir'] == 'hailort-4.23.0'
    assert result['fixes_needed'] == result['fixes_applied'] == ['execute_cmake_jobs_ccache']
    assert 'hailort-4.23.0/hailort/libhailort/CMakeLists.txt' in members(result['tarball'])
    with tarfile.open(result['tarball']) as archive:
        fixed = archive.extractfile('hailort-4.23.0/hailort/cmake/execute_cmake.cmake').read().decode()
    assert 'hailo_open.hailo fix execute_cmake_jobs_ccache' in fixed
    assert 'hailo_open.hailo fix' not in (root / 'hailort' / 'cmake' / 'execute_cmake.cmake').read_text(), \
        'the given tree is left as it was'
    skipped = run({'project': 'hailort', 'version': '4.23.0', 'dest': str(dest), 'source_type': 'directory',
                   'directory': str(root), 'skip_fixes': ['execute_cmake_jobs_ccache']})
    assert skipped['fixes_skipped'] == ['execute_cmake_jobs_ccache'] and skipped['sha256'] != result['sha256']
    other = run({'project': 'hailort', 'version': '4.22.0', 'dest': str(dest), 'source_type': 'directory',
                 'directory': str(root)})
    assert other['failed'] is True and 'version 4.23.0, but hailo_version is 4.22.0' in other['msg']


def test_hailort_fix_that_cannot_apply_fails(tmp_path, dest):
    root = hailort_tree(tmp_path)
    (root / 'hailort' / 'cmake' / 'execute_cmake.cmake').write_text('# changed beyond recognition\n')
    result = run({'project': 'hailort', 'version': '4.23.0', 'dest': str(dest), 'source_type': 'directory',
                  'directory': str(root)})
    assert result['failed'] is True
    assert 'Built-in fix execute_cmake_jobs_ccache' in result['msg'] and 'skip_fixes' in result['msg']
    assert listing(dest) == []


def test_hailort_offline_needs_every_external(tmp_path, dest):
    root = hailort_tree(tmp_path)
    result = run({'project': 'hailort', 'version': '4.23.0', 'dest': str(dest), 'source_type': 'directory',
                  'directory': str(root), 'offline': True})
    assert result['failed'] is True and 'protobuf-src' in result['msg'] and 'prepare_externals.cmake' in result['msg']
    assert listing(dest) == []
    for name in ('protobuf', 'spdlog', 'readerwriterqueue', 'xxhash', 'eigen', 'cli11', 'json', 'dotwriter'):
        (root / 'hailort' / 'external' / (name + '-src')).mkdir(parents=True)
        (root / 'hailort' / 'external' / (name + '-src') / 'CMakeLists.txt').write_text('# fixture\n')
    ok = run({'project': 'hailort', 'version': '4.23.0', 'dest': str(dest), 'source_type': 'directory',
              'directory': str(root), 'offline': True})
    assert ok['failed'] is False, ok['msg']
    service = run({'project': 'hailort', 'version': '4.23.0', 'dest': str(dest), 'source_type': 'directory',
                   'directory': str(root), 'offline': True, 'service': True})
    assert service['failed'] is True and 'grpc-src' in service['msg']
