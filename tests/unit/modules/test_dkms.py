"""Unit tests for the dkms module. The module's code runs; dkms itself is a fake behind run_command that keeps
a DKMS tree in memory (add/build/unbuild/install/remove/status like DKMS 3.2), and the installed kernels and the
make.log directory are faked at the boundary."""

import os
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.hailo_open.hailo.plugins.module_utils import _dkms as dkms_utils
from ansible_collections.hailo_open.hailo.plugins.modules import dkms as dkms_module
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

K1 = '6.12.117+deb13-arm64'
K2 = '6.12.47+rpt-rpi-2712'
ARCH = 'aarch64'


class FakeDkms(object):
    """Just enough of DKMS: a tree {version: {kernel: 'built'|'installed'}} for one module."""

    def __init__(self, tree=None, log_dir=None, fail_build=(), fail_install=(), version_text='dkms-3.2.2',
                 dkms2_format=False, broken=(), fail_status=False, fail_add=False, write_log=True):
        self.tree = dict((v, dict(k)) for v, k in (tree or {}).items())
        self.broken = set(broken)
        self.log_dir = log_dir
        self.fail_build = set(fail_build)
        self.fail_install = set(fail_install)
        self.version_text = version_text
        self.dkms2_format = dkms2_format
        self.fail_status = fail_status
        self.fail_add = fail_add
        self.write_log = write_log
        self.calls = []

    def mutating_calls(self):
        return [c for c in self.calls if c[1] not in ('status', '--version')]

    def status(self):
        lines = []
        for version in sorted(self.tree):
            if version in self.broken:
                lines.append('hailo_pci/%s: broken' % version)
                continue
            kernels = self.tree[version]
            if not kernels:
                lines.append(('hailo_pci, %s: added' if self.dkms2_format else 'hailo_pci/%s: added') % version)
            for kernel in sorted(kernels):
                fmt = 'hailo_pci, %s, %s, %s: %s' if self.dkms2_format else 'hailo_pci/%s, %s, %s: %s'
                lines.append(fmt % (version, kernel, ARCH, kernels[kernel]))
        return '\n'.join(lines) + ('\n' if lines else '')

    def __call__(self, argv, environ_update=None, **kwargs):
        assert environ_update == {'LC_ALL': 'C', 'LANG': 'C'}
        assert argv[0] == '/usr/sbin/dkms'
        self.calls.append(list(argv))
        action = argv[1]
        if action == '--version':
            return 0, self.version_text + '\n', ''
        if action == 'status':
            if self.fail_status:
                return 1, '', 'dkms: permission denied'
            return 0, self.status(), ''
        if action == 'add':
            if self.fail_add:
                return 3, '', 'Error! Bad conf file.'
            if len(argv) == 3:  # dkms add SOURCE_DIR: the version comes from its dkms.conf
                with open(os.path.join(argv[2], 'dkms.conf')) as conf:
                    version = dkms_utils.parse_dkms_conf(conf.read())['PACKAGE_VERSION']
            else:
                version = argv[argv.index('-v') + 1]
            assert version not in self.tree
            self.tree[version] = {}
            return 0, 'Creating symlink /var/lib/dkms/hailo_pci/%s/source -> /usr/src/hailo_pci-%s\n' % (
                version, version), ''
        version = argv[argv.index('-v') + 1]
        if action == 'remove' and '--all' in argv:
            del self.tree[version]
            return 0, 'Deleting module hailo_pci/%s completely from the DKMS tree.\n' % version, ''
        kernel = argv[argv.index('-k') + 1]
        kernels = self.tree[version]
        if action == 'build':
            if kernel in kernels and '--force' not in argv:
                return 0, 'Module hailo_pci/%s already built for kernel %s (%s), skip.\n' % (version, kernel, ARCH), ''
            if kernel in self.fail_build and not self.write_log:
                return 10, '', 'Error! Your kernel headers for kernel %s cannot be found.' % kernel
            if kernel in self.fail_build:
                build_dir = os.path.join(self.log_dir, 'hailo_pci', version, 'build')
                os.makedirs(build_dir, exist_ok=True)
                with open(os.path.join(build_dir, 'make.log'), 'w') as log:
                    log.write('DKMS (dkms-3.2.2) make.log for hailo_pci/%s for kernel %s (%s)\n' % (version, kernel,
                                                                                                  ARCH))
                    for i in range(60):
                        log.write('make line %d\n' % i)
                    log.write('error: implicit declaration of function del_timer_sync\n')
                kernels.pop(kernel, None)
                return 10, '', ('Error! Bad return status for module build on kernel: %s (%s)\nConsult '
                                '/var/lib/dkms/hailo_pci/%s/build/make.log for more information.' % (kernel, ARCH,
                                                                                                     version))
            kernels[kernel] = 'built'
            return 0, 'Building module(s)... done.\n', ''
        if action == 'install':
            if kernel in self.fail_install:
                return 6, '', 'Error! Installation aborted.'
            assert '--force' in argv
            for other in self.tree.values():
                if other.get(kernel) == 'installed':
                    other[kernel] = 'built'
            kernels[kernel] = 'installed'
            return 0, 'Installing /lib/modules/%s/updates/dkms/hailo_pci.ko.xz\n' % kernel, ''
        if action == 'unbuild':
            kernels.pop(kernel, None)
            return 0, '', ''
        if action == 'remove':
            kernels.pop(kernel, None)
            if not kernels:
                del self.tree[version]
            return 0, '', ''
        raise AssertionError('unexpected dkms call %r' % argv)


def run(args, fake, kernels=(K1, K2), check_mode=False, tmp_path=None, make_log_root=None):
    real_make_log_paths = dkms_utils.make_log_paths
    real_acquire = dkms_module.locks.acquire
    log_root = make_log_root or fake.log_dir or '/nonexistent'
    held = []

    def acquire(*args, **kwargs):
        fd, waited = real_acquire(*args, **kwargs)
        held.append(fd)
        return fd, waited

    with mock.patch.object(basic.AnsibleModule, 'run_command', side_effect=fake, autospec=False), \
            mock.patch.object(basic.AnsibleModule, 'get_bin_path', return_value='/usr/sbin/dkms'), \
            mock.patch.object(dkms_module.kernel_utils, 'installed_kernels',
                              return_value=[{'release': k} for k in kernels]), \
            mock.patch.object(dkms_module.dkms_utils, 'make_log_paths',
                              side_effect=lambda n, v, k, a=None: real_make_log_paths(n, v, k, a, dkms_tree=log_root)), \
            mock.patch.object(dkms_module.locks, 'acquire', side_effect=acquire):
        try:
            return run_module(dkms_module.main, args, check_mode=check_mode)
        finally:
            # The module's process would exit here, and its lock with it.
            for fd in held:
                os.close(fd)


@pytest.fixture(autouse=True)
def lock_dir(tmp_path, monkeypatch):
    """The module's lock under the test's own directory."""
    directory = tmp_path / 'lock'
    monkeypatch.setattr(dkms_module.locks, 'LOCK_DIR', str(directory))
    return directory


@pytest.fixture
def source(tmp_path):
    """/usr/src/hailo_pci-4.23.0 stand-in with a dkms.conf."""
    src = tmp_path / 'src' / 'hailo_pci-4.23.0'
    src.mkdir(parents=True)
    (src / 'dkms.conf').write_text('PACKAGE_NAME="hailo_pci"\nPACKAGE_VERSION="4.23.0"\n')
    return str(src)


def cmd(*words):
    return ' '.join(words)


def test_fresh_install_adds_builds_and_installs_every_kernel(source):
    fake = FakeDkms()
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake)
    assert result['failed'] is False
    assert result['changed'] is True
    assert result['commands'] == [
        'dkms add %s' % source,
        cmd('dkms build -m hailo_pci -v 4.23.0 -k', K1),
        cmd('dkms install -m hailo_pci -v 4.23.0 -k', K1, '--force'),
        cmd('dkms build -m hailo_pci -v 4.23.0 -k', K2),
        cmd('dkms install -m hailo_pci -v 4.23.0 -k', K2, '--force'),
    ]
    assert result['kernels'] == {
        K1: {'before': 'absent', 'after': 'installed', 'notes': []},
        K2: {'before': 'absent', 'after': 'installed', 'notes': []},
    }
    assert result['failed_kernels'] == []
    assert fake.tree == {'4.23.0': {K1: 'installed', K2: 'installed'}}


def test_default_source_dir_uses_plain_add(tmp_path):
    fake = FakeDkms()
    src = '/usr/src/hailo_pci-4.23.0'
    with mock.patch.object(dkms_module, 'check_source') as check:
        result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'present'}, fake)
    check.assert_called_once_with(mock.ANY, 'hailo_pci', '4.23.0', src)
    assert result['commands'] == ['dkms add -m hailo_pci -v 4.23.0']
    assert result['kernels'][K1] == {'before': 'absent', 'after': 'added', 'notes': []}


def test_second_run_changes_nothing(source):
    fake = FakeDkms({'4.23.0': {K1: 'installed', K2: 'installed'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake)
    assert result['changed'] is False
    assert result['commands'] == []
    assert fake.mutating_calls() == []
    assert result['kernels'][K2] == {'before': 'installed', 'after': 'installed', 'notes': []}


def test_dkms2_status_format_is_understood(source):
    fake = FakeDkms({'4.23.0': {K1: 'installed', K2: 'installed'}}, dkms2_format=True)
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake)
    assert result['changed'] is False
    assert result['kernels'][K1]['before'] == 'installed'


def test_check_mode_reports_and_runs_nothing(source):
    fake = FakeDkms({'4.23.0': {K1: 'built'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake, check_mode=True)
    assert result['changed'] is True
    assert result['commands'] == [
        cmd('dkms install -m hailo_pci -v 4.23.0 -k', K1, '--force'),
        cmd('dkms build -m hailo_pci -v 4.23.0 -k', K2),
        cmd('dkms install -m hailo_pci -v 4.23.0 -k', K2, '--force'),
    ]
    assert result['kernels'] == {
        K1: {'before': 'built', 'after': 'installed', 'notes': []},
        K2: {'before': 'added', 'after': 'installed', 'notes': []},
    }
    assert fake.mutating_calls() == []
    assert fake.tree == {'4.23.0': {K1: 'built'}}


@pytest.mark.parametrize('tree, state, commands, after', [
    ({}, 'present', ['dkms add SRC'], 'added'),
    ({'4.23.0': {}}, 'present', [], 'added'),
    ({'4.23.0': {}}, 'built', [cmd('dkms build -m hailo_pci -v 4.23.0 -k', K1)], 'built'),
    ({'4.23.0': {K1: 'built'}}, 'built', [], 'built'),
    ({'4.23.0': {K1: 'installed'}}, 'built', [], 'installed'),
    ({'4.23.0': {K1: 'built'}}, 'installed', [cmd('dkms install -m hailo_pci -v 4.23.0 -k', K1, '--force')],
     'installed'),
])
def test_state_transitions_on_one_kernel(source, tree, state, commands, after):
    fake = FakeDkms(tree)
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': state, 'kernels': [K1], 'source_dir': source},
                 fake)
    assert result['failed'] is False
    assert result['commands'] == [c.replace('SRC', source) for c in commands]
    assert result['changed'] is bool(commands)
    assert result['kernels'] == {K1: {'before': tree.get('4.23.0', {}).get(K1, 'added' if tree else 'absent'),
                                      'after': after, 'notes': []}}


def test_force_rebuilds_with_dkms3(source):
    fake = FakeDkms({'4.23.0': {K1: 'installed'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'kernels': [K1], 'force': True, 'source_dir': source},
                 fake)
    assert result['changed'] is True
    assert result['commands'] == [
        cmd('dkms build -m hailo_pci -v 4.23.0 -k', K1, '--force'),
        cmd('dkms install -m hailo_pci -v 4.23.0 -k', K1, '--force'),
    ]
    assert ['/usr/sbin/dkms', '--version'] in fake.calls


def test_force_with_dkms2_unbuilds_then_builds(source):
    fake = FakeDkms({'4.23.0': {K1: 'built'}}, version_text='dkms: 2.8.4', dkms2_format=True)
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'kernels': [K1], 'force': True, 'state': 'built',
                  'source_dir': source}, fake)
    assert result['commands'] == [
        cmd('dkms unbuild -m hailo_pci -v 4.23.0 -k', K1),
        cmd('dkms build -m hailo_pci -v 4.23.0 -k', K1),
    ]
    assert result['kernels'][K1]['after'] == 'built'


def test_arch_is_passed(source):
    fake = FakeDkms({'4.23.0': {}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'kernels': [K1], 'state': 'built', 'arch': ARCH,
                  'source_dir': source}, fake)
    assert result['commands'] == [cmd('dkms build -m hailo_pci -v 4.23.0 -k', K1, '-a', ARCH)]


def test_build_failure_on_one_kernel_keeps_going(source, tmp_path):
    fake = FakeDkms({'4.22.0': {K1: 'installed', K2: 'installed'}}, log_dir=str(tmp_path / 'dkms'),
                    fail_build=[K1])
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source, 'remove_other_versions': True},
                 fake)
    assert result['failed'] is True
    assert result['failed_kernels'] == [K1]
    # the other kernel was still built and installed ...
    assert fake.tree['4.23.0'] == {K2: 'installed'}
    assert result['kernels'][K2] == {'before': 'absent', 'after': 'installed', 'notes': []}
    assert result['kernels'][K1] == {'before': 'absent', 'after': 'added', 'notes': []}
    # ... the failed kernel keeps its old driver, and no other version is removed
    assert fake.tree['4.22.0'] == {K1: 'installed', K2: 'built'}
    assert result['removed_versions'] == []
    assert not any('remove' in c for c in result['commands'])
    assert cmd('dkms install -m hailo_pci -v 4.23.0 -k', K1, '--force') not in result['commands']
    msg = result['msg']
    assert msg.startswith('hailo_pci/4.23.0 failed for kernel(s) %s.' % K1)
    assert 'error: implicit declaration of function del_timer_sync' in msg
    assert 'Bad return status for module build' in msg
    failure = result['failures'][K1]
    assert failure['make_log'] == str(tmp_path / 'dkms' / 'hailo_pci' / '4.23.0' / 'build' / 'make.log')
    tail = failure['make_log_tail'].splitlines()
    assert len(tail) == 40
    assert tail[0] == 'make line 21'
    assert 'make line 20' not in msg


def test_stale_make_log_of_another_kernel_is_not_shown(source, tmp_path):
    # A build that fails before make runs (no headers) leaves the previous failed kernel's log in build/.
    build_dir = tmp_path / 'dkms' / 'hailo_pci' / '4.23.0' / 'build'
    build_dir.mkdir(parents=True)
    (build_dir / 'make.log').write_text('DKMS (dkms-3.2.2) make.log for hailo_pci/4.23.0 for kernel %s (%s)\n'
                                        'stale failure\n' % (K2, ARCH))
    fake = FakeDkms({'4.23.0': {}}, fail_build=[K1], write_log=False)
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'kernels': [K1], 'source_dir': source}, fake,
                 make_log_root=str(tmp_path / 'dkms'))
    assert result['failed_kernels'] == [K1]
    assert result['failures'][K1]['make_log'] is None
    assert 'stale failure' not in result['msg']
    assert 'kernel headers for kernel %s cannot be found' % K1 in result['msg']


def test_install_failure_is_reported_without_make_log(source):
    fake = FakeDkms({'4.23.0': {K1: 'built'}}, fail_install=[K1])
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake)
    assert result['failed_kernels'] == [K1]
    assert 'make_log' not in result['failures'][K1]
    assert result['failures'][K1]['rc'] == 6
    assert 'Installation aborted' in result['msg']
    assert fake.tree['4.23.0'] == {K1: 'built', K2: 'installed'}
    assert result['kernels'][K1] == {'before': 'built', 'after': 'built', 'notes': []}


def test_finished_build_log_under_kernel_dir_is_found(tmp_path):
    log_dir = tmp_path / 'hailo_pci' / '4.23.0' / K1 / ARCH / 'log'
    log_dir.mkdir(parents=True)
    (log_dir / 'make.log').write_text('DKMS (dkms-3.2.2) make.log for hailo_pci/4.23.0 for kernel %s (%s)\nok\n'
                                      % (K1, ARCH))
    real = dkms_utils.make_log_paths
    holder = mock.Mock(arch=None)
    holder.name = 'hailo_pci'
    holder.version = '4.23.0'
    with mock.patch.object(dkms_module.dkms_utils, 'make_log_paths',
                           side_effect=lambda n, v, k, a=None: real(n, v, k, a, dkms_tree=str(tmp_path))):
        found = dkms_module.Dkms.make_log(holder, K1)
    assert found['make_log'] == str(log_dir / 'make.log')
    assert found['make_log_tail'].endswith('ok')


def test_remove_other_versions_after_everything_is_installed(source):
    fake = FakeDkms({'4.22.0': {K1: 'installed', K2: 'installed'}, '4.21.0': {}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source, 'remove_other_versions': True},
                 fake)
    assert result['failed'] is False
    assert result['removed_versions'] == ['4.21.0', '4.22.0']
    assert result['commands'][-2:] == ['dkms remove -m hailo_pci -v 4.21.0 --all',
                                       'dkms remove -m hailo_pci -v 4.22.0 --all']
    last_install = max(i for i, c in enumerate(result['commands']) if ' install ' in c)
    first_remove = min(i for i, c in enumerate(result['commands']) if ' remove ' in c)
    assert last_install < first_remove
    assert fake.tree == {'4.23.0': {K1: 'installed', K2: 'installed'}}


def test_remove_other_versions_needs_state_installed():
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'built', 'remove_other_versions': True},
                 FakeDkms())
    assert result['failed'] is True
    assert 'remove_other_versions needs state=installed' in result['msg']


def test_absent_removes_everything():
    fake = FakeDkms({'4.23.0': {K1: 'installed', '6.1.0-old-arm64': 'built'}, '4.22.0': {K1: 'built'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'absent'}, fake)
    assert result['commands'] == ['dkms remove -m hailo_pci -v 4.23.0 --all']
    assert result['changed'] is True
    assert set(result['kernels']) == {K1, K2, '6.1.0-old-arm64'}
    assert result['kernels']['6.1.0-old-arm64'] == {'before': 'built', 'after': 'absent', 'notes': []}
    assert result['kernels'][K1]['after'] == 'absent'
    assert fake.tree == {'4.22.0': {K1: 'built'}}


def test_absent_for_some_kernels_only():
    fake = FakeDkms({'4.23.0': {K1: 'installed', K2: 'installed'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'absent', 'kernels': [K2]}, fake)
    assert result['commands'] == [cmd('dkms remove -m hailo_pci -v 4.23.0 -k', K2)]
    assert result['kernels'] == {K2: {'before': 'installed', 'after': 'added', 'notes': []}}
    assert fake.tree == {'4.23.0': {K1: 'installed'}}


def test_absent_check_mode_predicts():
    fake = FakeDkms({'4.23.0': {K1: 'installed', K2: 'installed'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'absent', 'kernels': [K2]}, fake,
                 check_mode=True)
    assert result['kernels'] == {K2: {'before': 'installed', 'after': 'added', 'notes': []}}
    assert fake.mutating_calls() == []


def test_absent_when_already_absent():
    fake = FakeDkms({'4.22.0': {K1: 'installed'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'absent'}, fake)
    assert result['changed'] is False
    assert result['commands'] == []
    assert result['kernels'][K1] == {'before': 'absent', 'after': 'absent', 'notes': []}


def test_broken_version_is_refused_unless_absent(source):
    fake = FakeDkms({'4.23.0': {}}, broken=['4.23.0'])
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake)
    assert result['failed'] is True
    assert 'broken' in result['msg'] and source in result['msg']
    assert fake.mutating_calls() == []
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'absent'}, fake)
    assert result['commands'] == ['dkms remove -m hailo_pci -v 4.23.0 --all']


def test_missing_dkms_conf(tmp_path):
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': str(tmp_path)}, FakeDkms())
    assert result['failed'] is True
    assert '%s/dkms.conf does not exist' % tmp_path in result['msg']


def test_dkms_conf_of_another_version(tmp_path):
    (tmp_path / 'dkms.conf').write_text('PACKAGE_NAME=hailo_pci\nPACKAGE_VERSION=4.22.0\n')
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': str(tmp_path)}, FakeDkms())
    assert result['failed'] is True
    assert 'PACKAGE_VERSION=4.22.0 (expected 4.23.0)' in result['msg']


def test_dkms_conf_is_not_needed_when_already_added(tmp_path):
    fake = FakeDkms({'4.23.0': {}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'built', 'kernels': [K1],
                  'source_dir': str(tmp_path / 'gone')}, fake)
    assert result['failed'] is False
    assert result['commands'] == [cmd('dkms build -m hailo_pci -v 4.23.0 -k', K1)]


def test_add_failure_stops(source):
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, FakeDkms(fail_add=True))
    assert result['failed'] is True
    assert result['msg'].startswith('dkms add %s failed (rc 3): Error! Bad conf file.' % source)
    assert result['commands'] == ['dkms add %s' % source]


def test_status_failure():
    result = run({'name': 'hailo_pci', 'version': '4.23.0'}, FakeDkms(fail_status=True))
    assert result['failed'] is True
    assert result['msg'] == 'dkms status failed (rc 1): dkms: permission denied'


def test_no_installed_kernel():
    result = run({'name': 'hailo_pci', 'version': '4.23.0'}, FakeDkms(), kernels=())
    assert result['failed'] is True
    assert 'No installed kernel' in result['msg']


@pytest.mark.parametrize('args, word', [
    ({'name': 'hailo pci', 'version': '4.23.0'}, 'name'),
    ({'name': 'hailo_pci', 'version': '4.23.0/x'}, 'version'),
    ({'name': 'hailo_pci', 'version': '4.23.0', 'arch': 'aarch64; rm'}, 'arch'),
    ({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'loaded'}, 'state'),
    ({'version': '4.23.0'}, 'name'),
])
def test_bad_arguments(args, word):
    fake = FakeDkms()
    result = run(args, fake)
    assert result['failed'] is True
    assert word in result['msg']
    assert fake.mutating_calls() == []


def test_explicit_kernel_list_is_deduplicated(source):
    fake = FakeDkms({'4.23.0': {}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'state': 'built', 'kernels': [K2, K2],
                  'source_dir': source}, fake)
    assert result['commands'] == [cmd('dkms build -m hailo_pci -v 4.23.0 -k', K2)]
    assert list(result['kernels']) == [K2]


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b'pid %d: dkms installed hailo_pci 4.23.0\\n' % os.getpid())
print('held', flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(lock_dir, seconds):
    """Another run holding the module's lock (a killed controller's module still building) for ``seconds``."""
    import subprocess
    import sys
    lock_dir.mkdir(exist_ok=True)
    path = str(lock_dir / 'hailo_open.hailo-dkms-hailo_pci.lock')
    proc = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, path, str(seconds)], stdout=subprocess.PIPE,
                            universal_newlines=True)
    assert proc.stdout.readline().strip() == 'held'
    return proc


def test_waits_for_another_run_that_holds_the_lock(source, lock_dir):
    holder = hold_lock(lock_dir, 1.5)
    fake = FakeDkms({'4.23.0': {K1: 'installed', K2: 'installed'}})
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source}, fake)
    holder.wait()
    assert result['failed'] is False
    assert result['lock_waited'] >= 1.0
    assert fake.calls, 'dkms ran only after the lock was released'
    # The lock file now names this run.
    assert 'dkms installed hailo_pci 4.23.0' in (lock_dir / 'hailo_open.hailo-dkms-hailo_pci.lock').read_text()


def test_lock_timeout_names_the_holder_and_changes_nothing(source, lock_dir):
    holder = hold_lock(lock_dir, 30)
    try:
        fake = FakeDkms()
        result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source, 'lock_timeout': 0}, fake)
    finally:
        holder.kill()
        holder.wait()
    assert result['failed'] is True
    assert 'Another run holds' in result['msg']
    assert 'pid %d: dkms installed hailo_pci 4.23.0' % holder.pid in result['msg']
    assert fake.calls == []


def test_check_mode_does_not_wait_for_the_lock(source, lock_dir):
    holder = hold_lock(lock_dir, 30)
    try:
        fake = FakeDkms({'4.23.0': {K1: 'installed', K2: 'installed'}})
        result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source, 'lock_timeout': 0}, fake,
                     check_mode=True)
    finally:
        holder.kill()
        holder.wait()
    assert result['failed'] is False
    assert result['lock_waited'] == 0


def test_negative_lock_timeout(source):
    fake = FakeDkms()
    result = run({'name': 'hailo_pci', 'version': '4.23.0', 'source_dir': source, 'lock_timeout': -1}, fake)
    assert result['failed'] is True
    assert 'lock_timeout must be 0 or more' in result['msg']
    assert fake.calls == []
