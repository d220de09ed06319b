"""Unit tests for the hailo_driver_source module, on the fixture driver tree copied to tmp_path. Patch files
are applied by the real patch(1) where it is installed; failures of patch are faked through run_command."""

import contextlib
import os
import shutil
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.hailo_open.hailo.plugins.modules import hailo_driver_source
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'hailort-drivers')
MEMORY = 'linux/vdma/memory.c'
LOCKED = ('        mmap_read_lock(current->mm);\n        vma = find_vma(current->mm, addr_or_fd);\n'
          '        mmap_read_unlock(current->mm);\n')
HAVE_PATCH = shutil.which('patch') is not None
needs_patch = pytest.mark.skipif(not HAVE_PATCH, reason='patch(1) is not installed')

# A patch of our own, against the fixture tree: changes the module description in pcie.c.
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
def tree(tmp_path):
    root = tmp_path / 'hailo_pci-4.23.0'
    shutil.copytree(FIXTURE, str(root))
    return root


@pytest.fixture
def pcie_patch(tmp_path):
    path = tmp_path / 'description.patch'
    path.write_text(PCIE_PATCH)
    return str(path)


def run(args, check_mode=False, diff=False, run_command=None):
    with contextlib.ExitStack() as stack:
        if run_command is not None:
            stack.enter_context(mock.patch.object(basic.AnsibleModule, 'run_command', side_effect=run_command))
            stack.enter_context(mock.patch.object(basic.AnsibleModule, 'get_bin_path', return_value='/usr/bin/patch'))
        return run_module(hailo_driver_source.main, args, check_mode=check_mode, diff=diff)


def snapshot(root):
    files = {}
    for directory, dummy, names in os.walk(str(root)):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, 'rb') as handle:
                files[os.path.relpath(path, str(root))] = handle.read()
    return files


def test_fix_is_applied_then_found_present(tree):
    memory = tree / MEMORY
    mode = 0o640
    os.chmod(str(memory), mode)
    result = run({'path': str(tree), 'expected_version': '4.23.0'})
    assert result['failed'] is False
    assert result['changed'] is True
    assert result['version'] == '4.23.0'
    assert result['fixes_needed'] == ['find_vma_mmap_lock']
    assert result['fixes_applied'] == ['find_vma_mmap_lock']
    assert result['fixes_already_present'] == []
    assert result['patches_applied'] == []
    assert LOCKED in memory.read_text()
    assert os.stat(str(memory)).st_mode & 0o777 == mode
    assert 'diff' not in result

    again = run({'path': str(tree), 'expected_version': '4.23.0'})
    assert again['changed'] is False
    assert again['fixes_applied'] == []
    assert again['fixes_already_present'] == ['find_vma_mmap_lock']


def test_check_mode_changes_nothing_and_diff_shows_the_fix(tree):
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.23.0'}, check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['fixes_applied'] == ['find_vma_mmap_lock']
    assert snapshot(tree) == before
    (diff,) = result['diff']
    assert diff['before_header'] == str(tree / MEMORY)
    assert LOCKED not in diff['before']
    assert LOCKED in diff['after']


def test_version_mismatch_fails_and_changes_nothing(tree):
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.22.0'})
    assert result['failed'] is True
    assert 'says version 4.23.0' in result['msg']
    assert 'version 4.22.0 is expected' in result['msg']
    assert result['version'] == '4.23.0'
    assert snapshot(tree) == before


def test_version_without_fixes_is_left_alone(tree):
    header = tree / 'common' / 'hailo_ioctl_common.h'
    header.write_text(header.read_text().replace('HAILO_DRV_VER_MINOR 23', 'HAILO_DRV_VER_MINOR 22'))
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.22.0'})
    assert result['failed'] is False
    assert result['changed'] is False
    assert result['fixes_needed'] == []
    assert snapshot(tree) == before


def test_builtin_fixes_off(tree):
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'builtin_fixes': False})
    assert result['changed'] is False
    assert result['fixes_needed'] == []
    assert result['fixes_applied'] == []
    assert snapshot(tree) == before


def test_skip_fixes(tree):
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'skip_fixes': ['find_vma_mmap_lock']})
    assert result['changed'] is False
    assert result['fixes_skipped'] == ['find_vma_mmap_lock']
    assert snapshot(tree) == before


def test_unknown_fix_name_is_refused(tree):
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'skip_fixes': ['nope']})
    assert result['failed'] is True
    assert 'skip_fixes' in result['msg']


def test_missing_pattern_fails(tree):
    memory = tree / MEMORY
    memory.write_text(memory.read_text().replace('        vma = find_vma(current->mm, addr_or_fd);\n',
                                                 '        if (!(vma = find_vma(current->mm, addr_or_fd)))\n'
                                                 '            return ERR_PTR(-EFAULT);\n'))
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.23.0'})
    assert result['failed'] is True
    assert 'find_vma_mmap_lock' in result['msg']
    assert 'not a statement of its own' in result['msg']
    assert 'skip_fixes' in result['msg']
    assert snapshot(tree) == before


@pytest.mark.parametrize('version', ['4.23', 'v4.23.0', '4.23.0-rc1', ''])
def test_bad_expected_version(tree, version):
    result = run({'path': str(tree), 'expected_version': version})
    assert result['failed'] is True
    assert 'expected_version must look like 4.23.0' in result['msg']


def test_not_a_driver_tree(tmp_path):
    result = run({'path': str(tmp_path), 'expected_version': '4.23.0'})
    assert result['failed'] is True
    assert 'is not a hailort-drivers source tree' in result['msg']


def test_master_tree_is_named(tree):
    header = tree / 'common' / 'hailo_ioctl_common.h'
    header.write_text(header.read_text().replace('HAILO_DRV_VER_MAJOR 4', 'HAILO_DRV_VER_MAJOR 5')
                      .replace('HAILO_DRV_VER_MINOR 23', 'HAILO_DRV_VER_MINOR 3'))
    kbuild = tree / 'linux' / 'pcie' / 'Kbuild'
    kbuild.write_text(kbuild.read_text().replace('hailo_pci.o', 'hailo1x_pci.o'))
    result = run({'path': str(tree), 'expected_version': '4.23.0'})
    assert result['failed'] is True
    assert 'master' in result['msg'] and 'hailo1x_pci.ko' in result['msg']


def test_missing_patch_file(tree, tmp_path):
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [str(tmp_path / 'none.patch')]})
    assert result['failed'] is True
    assert 'Patch file(s) not found' in result['msg']


@needs_patch
def test_patch_is_applied_once(tree, pcie_patch):
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [pcie_patch]})
    assert result['failed'] is False, result.get('msg')
    assert result['patches_applied'] == [pcie_patch]
    assert result['fixes_applied'] == ['find_vma_mmap_lock']
    assert 'Patched test fixture' in (tree / 'linux/pcie/src/pcie.c').read_text()
    assert not list(tree.rglob('*.orig')) and not list(tree.rglob('*.rej'))

    again = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [pcie_patch]})
    assert again['changed'] is False
    assert again['patches_applied'] == []
    assert again['patches_already_applied'] == [pcie_patch]
    assert (tree / 'linux/pcie/src/pcie.c').read_text().count('Patched test fixture') == 1


@needs_patch
def test_patch_in_check_mode(tree, pcie_patch):
    before = snapshot(tree)
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [pcie_patch]}, check_mode=True)
    assert result['patches_applied'] == [pcie_patch]
    assert result['changed'] is True
    assert snapshot(tree) == before


@needs_patch
def test_patch_that_adds_the_lock_makes_the_fix_present(tree, tmp_path):
    memory = tree / MEMORY
    original = memory.read_text()
    fixed = original.replace('        vma = find_vma(current->mm, addr_or_fd);\n', LOCKED)
    line = original[:original.index('        vma = find_vma(current->mm, addr_or_fd);')].count('\n') + 1
    patch = tmp_path / 'lock.patch'
    patch.write_text('--- a/%s\n+++ b/%s\n@@ -%d,3 +%d,5 @@\n%s+%s %s+%s%s' % (
        MEMORY, MEMORY, line - 1, line - 1,
        ' ' + original.splitlines(True)[line - 2],
        LOCKED.splitlines(True)[0], original.splitlines(True)[line - 1], LOCKED.splitlines(True)[2],
        ' ' + original.splitlines(True)[line]))
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [str(patch)]})
    assert result['failed'] is False, result.get('msg')
    assert result['patches_applied'] == [str(patch)]
    assert result['fixes_applied'] == []
    assert result['fixes_already_present'] == ['find_vma_mmap_lock']
    assert memory.read_text() == fixed


@needs_patch
def test_patch_that_does_not_apply(tree, tmp_path):
    patch = tmp_path / 'other.patch'
    patch.write_text(PCIE_PATCH.replace('Test fixture standing in', 'Something else entirely in'))
    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [str(patch)]})
    assert result['failed'] is True
    assert 'does not apply' in result['msg'] and str(patch) in result['msg']
    assert result['patches_applied'] == []


def test_patch_commands_through_run_command(tree, pcie_patch):
    calls = []

    def fake(argv, environ_update=None, **kwargs):
        calls.append(argv)
        assert environ_update == {'LC_ALL': 'C', 'LANG': 'C'}
        if '--reverse' in argv:
            return 0, 'patching file linux/pcie/src/pcie.c\n', ''
        return 1, 'Reversed (or previously applied) patch detected!  Skipping patch.\n', ''

    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [pcie_patch]}, run_command=fake)
    assert result['patches_already_applied'] == [pcie_patch]
    assert calls == [
        ['/usr/bin/patch', '-p1', '--batch', '--no-backup-if-mismatch', '-d', str(tree), '-i', pcie_patch,
         '--forward', '--dry-run'],
        ['/usr/bin/patch', '-p1', '--batch', '--no-backup-if-mismatch', '-d', str(tree), '-i', pcie_patch,
         '--reverse', '--dry-run'],
    ]


def test_apply_failing_after_dry_run(tree, pcie_patch):
    def fake(argv, environ_update=None, **kwargs):
        if '--dry-run' in argv:
            return 0, 'checking file linux/pcie/src/pcie.c\n', ''
        return 1, '', 'patch: **** write error\n'

    result = run({'path': str(tree), 'expected_version': '4.23.0', 'patches': [pcie_patch]}, run_command=fake)
    assert result['failed'] is True
    assert 'failed after a successful dry run' in result['msg']
    assert 'write error' in result['msg']
