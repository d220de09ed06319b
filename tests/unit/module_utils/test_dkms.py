"""Unit tests for module_utils/_dkms.py: dkms status parsing and command planning."""

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _dkms as dkms

K1 = '6.12.117+deb13-arm64'
K2 = '6.12.47+rpt-rpi-2712'

DKMS3 = """hailo_pci/4.23.0, 6.12.117+deb13-arm64, aarch64: installed
hailo_pci/4.23.0, 6.12.47+rpt-rpi-2712, aarch64: built
hailo_pci/4.22.0: added
"""
DKMS2 = """hailo_pci, 4.23.0, 6.1.0-28-arm64, aarch64: installed
hailo_pci, 4.22.0: added
"""


def test_parse_dkms3_kernel_lines_and_added_line():
    entries = dkms.parse_status(DKMS3)
    assert entries == [
        {'module': 'hailo_pci', 'version': '4.23.0', 'kernel': K1, 'arch': 'aarch64', 'state': 'installed',
         'weak_from': None, 'notes': []},
        {'module': 'hailo_pci', 'version': '4.23.0', 'kernel': K2, 'arch': 'aarch64', 'state': 'built',
         'weak_from': None, 'notes': []},
        {'module': 'hailo_pci', 'version': '4.22.0', 'kernel': None, 'arch': None, 'state': 'added',
         'weak_from': None, 'notes': []},
    ]


def test_parse_dkms2_format():
    entries = dkms.parse_status(DKMS2)
    assert [(e['module'], e['version'], e['kernel'], e['arch'], e['state']) for e in entries] == [
        ('hailo_pci', '4.23.0', '6.1.0-28-arm64', 'aarch64', 'installed'),
        ('hailo_pci', '4.22.0', None, None, 'added'),
    ]


@pytest.mark.parametrize('line, notes', [
    ('hailo_pci/4.23.0, 6.12.117+deb13-amd64, x86_64: installed (Original modules exist)', ['Original modules exist']),
    ('hailo_pci/4.23.0, 6.12.117+deb13-amd64, x86_64: installed (Differences between built and installed modules)',
     ['Differences between built and installed modules']),
    ('hailo_pci, 4.23.0, 6.1.0-28-amd64, x86_64: installed (original_module exists) '
     '(WARNING! Diff between built and installed module!)',
     ['original_module exists', 'WARNING! Diff between built and installed module!']),
    ('hailo_pci/4.23.0, 6.12.117+deb13-amd64, x86_64: built (Built modules are missing in the kernel modules folder)',
     ['Built modules are missing in the kernel modules folder']),
])
def test_parse_warning_suffixes(line, notes):
    (entry,) = dkms.parse_status(line)
    assert entry['notes'] == notes
    assert entry['state'] in ('installed', 'built')
    assert entry['kernel'].startswith('6.')


def test_parse_installed_weak():
    (entry,) = dkms.parse_status('hailo_pci, 4.23.0, 5.14.0-2.el9, x86_64: installed-weak from 5.14.0-1.el9\n')
    assert entry['state'] == 'installed-weak'
    assert entry['weak_from'] == '5.14.0-1.el9'
    assert entry['kernel'] == '5.14.0-2.el9'


def test_parse_broken_and_noise():
    text = ('Error! Could not locate dkms.conf file.\nFile: /var/lib/dkms/hailo_pci/4.21.0/source/dkms.conf does '
            'not exist.\nhailo_pci/4.21.0: broken\n\nDeprecated feature: REMAKE_INITRD\n')
    entries = dkms.parse_status(text)
    assert [(e['version'], e['state'], e['kernel']) for e in entries] == [('4.21.0', 'broken', None)]


def test_parse_empty():
    assert dkms.parse_status('') == []
    assert dkms.parse_status(None) == []


def test_parse_several_modules():
    text = 'nvidia/550.54.14, 6.12.117+deb13-amd64, x86_64: installed\n' + DKMS3
    entries = dkms.parse_status(text)
    assert dkms.versions_in_tree(entries, 'hailo_pci') == ['4.23.0', '4.22.0']
    assert dkms.versions_in_tree(entries, 'nvidia') == ['550.54.14']


@pytest.mark.parametrize('version, kernel, arch, state', [
    ('4.23.0', K1, None, 'installed'),
    ('4.23.0', K2, None, 'built'),
    ('4.23.0', '6.12.1-other', None, 'added'),
    ('4.22.0', K1, None, 'added'),
    ('4.20.0', K1, None, 'absent'),
    ('4.23.0', K1, 'aarch64', 'installed'),
    ('4.23.0', K1, 'x86_64', 'added'),
])
def test_kernel_state(version, kernel, arch, state):
    assert dkms.kernel_state(dkms.parse_status(DKMS3), 'hailo_pci', version, kernel, arch) == state


def test_kernel_state_broken_and_other_module():
    entries = dkms.parse_status('hailo_pci/4.21.0: broken\nother/4.23.0, %s, aarch64: installed\n' % K1)
    assert dkms.kernel_state(entries, 'hailo_pci', '4.21.0', K1) == 'broken'
    assert dkms.kernel_state(entries, 'hailo_pci', '4.23.0', K1) == 'absent'


def test_kernel_state_installed_weak_counts_as_installed():
    entries = dkms.parse_status('hailo_pci, 4.23.0, %s, aarch64: installed-weak from 6.12.1\n' % K1)
    assert dkms.kernel_state(entries, 'hailo_pci', '4.23.0', K1) == 'installed-weak'
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'installed', K1) == []


def test_kernel_notes():
    entries = dkms.parse_status(DKMS3 + 'hailo_pci/4.21.0, %s, aarch64: installed (Original modules exist)\n' % K2)
    assert dkms.kernel_notes(entries, 'hailo_pci', '4.21.0', K2) == ['Original modules exist']
    assert dkms.kernel_notes(entries, 'hailo_pci', '4.23.0', K2) == []


BUILD = ['dkms', 'build', '-m', 'hailo_pci', '-v', '4.23.0', '-k']
INSTALL = ['dkms', 'install', '-m', 'hailo_pci', '-v', '4.23.0', '-k']


@pytest.mark.parametrize('status, state, kernel, expected', [
    # nothing known yet: build, then install
    ('', 'installed', K1, [BUILD + [K1], INSTALL + [K1, '--force']]),
    ('hailo_pci/4.23.0: added', 'installed', K1, [BUILD + [K1], INSTALL + [K1, '--force']]),
    ('hailo_pci/4.23.0: added', 'built', K1, [BUILD + [K1]]),
    ('hailo_pci/4.23.0: added', 'present', K1, []),
    # built: install only
    (DKMS3, 'installed', K2, [INSTALL + [K2, '--force']]),
    (DKMS3, 'built', K2, []),
    # installed: nothing, whatever is wanted
    (DKMS3, 'installed', K1, []),
    (DKMS3, 'built', K1, []),
    (DKMS3, 'present', K1, []),
])
def test_plan_kernel(status, state, kernel, expected):
    assert dkms.plan_kernel(dkms.parse_status(status), 'hailo_pci', '4.23.0', state, kernel) == expected


def test_plan_kernel_force_dkms3_rebuilds_with_force():
    entries = dkms.parse_status(DKMS3)
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'installed', K1, force=True) == [
        BUILD + [K1, '--force'], INSTALL + [K1, '--force']]
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'built', K2, force=True) == [BUILD + [K2, '--force']]
    # an installed module rebuilt by force is installed again, even when only "built" is wanted
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'built', K1, force=True) == [
        BUILD + [K1, '--force'], INSTALL + [K1, '--force']]


def test_plan_kernel_force_dkms2_unbuilds_first():
    entries = dkms.parse_status(DKMS3)
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'built', K2, force=True, dkms_major=2) == [
        ['dkms', 'unbuild', '-m', 'hailo_pci', '-v', '4.23.0', '-k', K2], BUILD + [K2]]
    # unbuild also uninstalls: an installed module is installed again
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'built', K1, force=True, dkms_major=2) == [
        ['dkms', 'unbuild', '-m', 'hailo_pci', '-v', '4.23.0', '-k', K1], BUILD + [K1], INSTALL + [K1, '--force']]


def test_plan_kernel_force_when_not_built_is_a_plain_build():
    entries = dkms.parse_status('hailo_pci/4.23.0: added')
    assert dkms.plan_kernel(entries, 'hailo_pci', '4.23.0', 'built', K1, force=True) == [BUILD + [K1]]


def test_plan_kernel_passes_arch():
    assert dkms.plan_kernel([], 'hailo_pci', '4.23.0', 'built', K1, arch='aarch64') == [
        BUILD + [K1, '-a', 'aarch64']]


def test_plan_add():
    assert dkms.plan_add([], 'hailo_pci', '4.23.0') == [['dkms', 'add', '-m', 'hailo_pci', '-v', '4.23.0']]
    assert dkms.plan_add(dkms.parse_status(DKMS3), 'hailo_pci', '4.22.0') == []
    assert dkms.plan_add(dkms.parse_status(DKMS3), 'hailo_pci', '4.23.0') == []


def test_plan_absent():
    entries = dkms.parse_status(DKMS3)
    assert dkms.plan_absent(entries, 'hailo_pci', '4.23.0') == [
        ['dkms', 'remove', '-m', 'hailo_pci', '-v', '4.23.0', '--all']]
    assert dkms.plan_absent(entries, 'hailo_pci', '4.20.0') == []
    assert dkms.plan_absent(entries, 'hailo_pci', '4.23.0', kernels=[K2, '6.1.0-1-arm64']) == [
        ['dkms', 'remove', '-m', 'hailo_pci', '-v', '4.23.0', '-k', K2]]
    # added only: nothing to remove per kernel
    assert dkms.plan_absent(entries, 'hailo_pci', '4.22.0', kernels=[K1]) == []


def test_plan_remove_others():
    entries = dkms.parse_status(DKMS3 + 'hailo_pci/4.21.0: broken\n')
    assert dkms.plan_remove_others(entries, 'hailo_pci', '4.23.0') == [
        ['dkms', 'remove', '-m', 'hailo_pci', '-v', '4.22.0', '--all'],
        ['dkms', 'remove', '-m', 'hailo_pci', '-v', '4.21.0', '--all']]
    assert dkms.plan_remove_others(dkms.parse_status('hailo_pci/4.23.0: added'), 'hailo_pci', '4.23.0') == []


@pytest.mark.parametrize('text, expected', [
    ('dkms-3.2.2\n', (3, 2)),
    ('dkms: 2.8.4\n', (2, 8)),
    ('dkms-3.0.10', (3, 0)),
    ('', None),
    ('unknown', None),
])
def test_parse_dkms_version(text, expected):
    assert dkms.parse_dkms_version(text) == expected


def test_make_log_paths():
    assert dkms.make_log_paths('hailo_pci', '4.23.0', K1, 'aarch64') == [
        '/var/lib/dkms/hailo_pci/4.23.0/build/make.log',
        '/var/lib/dkms/hailo_pci/4.23.0/%s/aarch64/log/make.log' % K1]
    assert dkms.make_log_paths('hailo_pci', '4.23.0', K1, dkms_tree='/t')[1] == '/t/hailo_pci/4.23.0/%s/*/log/make.log' % K1


def test_log_is_for_kernel():
    log3 = 'DKMS (dkms-3.2.2) make.log for hailo_pci/4.23.0 for kernel %s (aarch64)\nThu Jan  1\n' % K1
    log2 = 'DKMS make.log for hailo_pci-4.23.0 for kernel %s (aarch64)\n' % K2
    assert dkms.log_is_for_kernel(log3, K1) is True
    assert dkms.log_is_for_kernel(log3, K2) is False
    assert dkms.log_is_for_kernel(log3, '6.12.117+deb13') is False
    assert dkms.log_is_for_kernel(log2, K2) is True
    assert dkms.log_is_for_kernel('make: *** [Makefile] Error 2\n', K1) is True


def test_tail():
    text = '\n'.join('line %d' % i for i in range(100)) + '\n'
    assert dkms.tail(text, 3) == 'line 97\nline 98\nline 99'
    assert dkms.tail('one\n', 40) == 'one'
    assert dkms.tail(None) == ''


def test_parse_dkms_conf():
    conf = 'PACKAGE_NAME="hailo_pci"\nPACKAGE_VERSION=4.23.0\n  MAKE[0]="make"\n# PACKAGE_NAME=commented\n'
    assert dkms.parse_dkms_conf(conf) == {'PACKAGE_NAME': 'hailo_pci', 'PACKAGE_VERSION': '4.23.0'}
    assert dkms.parse_dkms_conf("PACKAGE_NAME='x'") == {'PACKAGE_NAME': 'x'}
    assert dkms.parse_dkms_conf('') == {}


@pytest.mark.parametrize('before, state, removed, expected', [
    ('absent', 'installed', None, 'installed'),
    ('added', 'built', None, 'built'),
    ('installed', 'built', None, 'installed'),
    ('absent', 'present', None, 'added'),
    ('built', 'present', None, 'built'),
    ('broken', 'installed', None, 'broken'),
    ('installed', 'absent', 'all', 'absent'),
    ('installed', 'absent', True, 'added'),
    ('installed', 'absent', False, 'installed'),
])
def test_predicted_state(before, state, removed, expected):
    assert dkms.predicted_state(before, state, removed) == expected
