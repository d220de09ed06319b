# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_device_facts in-process: options, subsets and the command-driven facts (run_command patched).

Devices, nodes and the loaded module are tested against simulated sysfs in test_hailo_device_facts_umockdev.py.
"""

from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.modules import hailo_device_facts
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

DATA = os.path.join(os.path.dirname(__file__), '..', 'data', 'hailortcli')
RELEASE = '6.12.117+deb13-arm64'
MODINFO = ('filename:       /lib/modules/%s/updates/dkms/hailo_pci.ko.xz\nversion:        4.23.0\n'
           'srcversion:     ABC\n' % RELEASE)
BINARIES = {'modinfo': '/usr/sbin/modinfo', 'dkms': '/usr/sbin/dkms', 'hailortcli': '/usr/local/bin/hailortcli',
            'dpkg-query': '/usr/bin/dpkg-query'}


@pytest.fixture
def host(monkeypatch):
    """Commands keyed by their first two words; ``host['bins']`` decides which binaries exist."""
    state = {'bins': dict(BINARIES), 'calls': [], 'outputs': {}}

    def run_command(self, args, environ_update=None, **kwargs):
        state['calls'].append(list(args))
        hailortcli = os.path.basename(args[0]) == 'hailortcli'
        assert environ_update == (commands.HAILORTCLI_ENV if hailortcli else commands.C_LOCALE)
        return state['outputs'][os.path.basename(args[0])]

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                        lambda self, name, required=False, opt_dirs=None: state['bins'].get(name))
    monkeypatch.setattr(hailo_device_facts.kernel_utils, 'installed_kernels', lambda: [
        {'release': RELEASE, 'flavour': 'arm64', 'page_size': 4096, 'modules_dir': '/lib/modules/' + RELEASE,
         'headers_path': None}])
    state['outputs'] = {
        'modinfo': (0, MODINFO, ''),
        'dkms': (0, 'hailo_pci/4.23.0, %s, aarch64: installed\n' % RELEASE, ''),
        'hailortcli': (0, 'HailoRT-CLI version 4.23.0\n', ''),
        'dpkg-query': (1, 'hailort\tinstall ok installed\t4.20.0\n',
                       'dpkg-query: no packages found matching hailo-all\n'),
    }
    return state


def run(args):
    return run_module(hailo_device_facts.main, args)


def test_command_driven_facts(host):
    result = run({'gather_subset': ['driver', 'dkms', 'runtime', 'packages'], 'expected_version': '4.23.0'})
    facts = result['ansible_facts']['hailo']
    assert result['failed'] is False and result['changed'] is False
    assert facts['gather_subset'] == ['dkms', 'driver', 'packages', 'runtime']
    assert 'pci_devices' not in facts and 'firmware' not in facts
    [kernel] = facts['driver']['kernels']
    assert kernel['module'] == {'filename': '/lib/modules/%s/updates/dkms/hailo_pci.ko.xz' % RELEASE,
                                'version': '4.23.0', 'srcversion': 'ABC', 'location': 'updates', 'dkms': True}
    assert kernel['running'] is (RELEASE == os.uname()[2])
    assert facts['dkms']['entries'][0]['kernel'] == RELEASE
    assert facts['runtime']['hailortcli_version'] == '4.23.0'
    assert facts['packages']['conflicting'] == [
        {'name': 'hailort', 'version': '4.20.0', 'status': 'install ok installed'}]
    assert 'conflicting_vendor_packages' in [p['id'] for p in facts['problems']]
    assert ['/usr/sbin/modinfo', '-k', RELEASE, 'hailo_pci'] in host['calls']
    assert ['/usr/sbin/dkms', 'status', '-m', 'hailo_pci'] in host['calls']


def test_module_not_built_for_kernel(host):
    host['outputs']['modinfo'] = (1, '', 'modinfo: ERROR: Module hailo_pci not found.\n')
    facts = run({'gather_subset': ['driver']})['ansible_facts']['hailo']
    assert facts['driver']['kernels'][0]['module'] == {'filename': None, 'version': None, 'srcversion': None,
                                                       'location': None, 'dkms': False}
    assert 'driver_not_built_for_kernel' in [p['id'] for p in facts['problems']]


def test_builtin_module_has_no_file(host):
    host['outputs']['modinfo'] = (0, 'filename:       (builtin)\nversion:        4.18.0\n', '')
    module = run({'gather_subset': ['driver']})['ansible_facts']['hailo']['driver']['kernels'][0]['module']
    assert module['filename'] is None and module['version'] is None


def test_missing_tools_are_reported_not_fatal(host):
    host['bins'] = {}
    facts = run({'gather_subset': ['driver', 'dkms', 'runtime', 'packages']})['ansible_facts']['hailo']
    assert facts['driver']['modinfo_available'] is False
    assert facts['driver']['kernels'][0]['module'] is None
    assert facts['dkms'] == {'available': False, 'entries': [], 'error': None}
    assert facts['runtime']['hailortcli_path'] is None
    assert 'not found' in facts['runtime']['error']
    assert facts['packages'] == {'available': False, 'conflicting': []}
    assert host['calls'] == []


def test_dkms_failure_is_kept(host):
    host['outputs']['dkms'] = (3, '', 'Error! something\n')
    assert run({'gather_subset': ['dkms']})['ansible_facts']['hailo']['dkms']['error'] == 'Error! something'


def test_cli_library_mismatch_in_runtime(host):
    with open(os.path.join(DATA, 'version-library-mismatch.stderr')) as handle:
        host['outputs']['hailortcli'] = (255, '', handle.read())
    facts = run({'gather_subset': ['runtime']})['ansible_facts']['hailo']
    assert (facts['runtime']['hailortcli_version'], facts['runtime']['library_version']) == ('4.23.0', '4.20.0')
    assert 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH' in facts['runtime']['error']
    assert [p['id'] for p in facts['problems']] == ['runtime_version_mismatch']


def test_runtime_other_failure(host):
    host['outputs']['hailortcli'] = (139, '', 'Segmentation fault\n')
    runtime = run({'gather_subset': ['runtime']})['ansible_facts']['hailo']['runtime']
    assert runtime['hailortcli_version'] is None and 'exit code 139' in runtime['error']


def test_hailortcli_path_option(host, tmp_path):
    cli = tmp_path / 'hailortcli'
    cli.write_text('')
    cli.chmod(0o755)
    facts = run({'gather_subset': ['runtime'], 'hailortcli_path': str(cli)})['ansible_facts']['hailo']
    assert facts['runtime']['hailortcli_path'] == str(cli)
    missing = run({'gather_subset': ['runtime'], 'hailortcli_path': str(tmp_path / 'nope')})
    runtime = missing['ansible_facts']['hailo']['runtime']
    assert runtime['error'] == 'hailortcli_path %s is not an executable file.' % (tmp_path / 'nope')
    assert [p['id'] for p in missing['ansible_facts']['hailo']['problems']] == ['runtime_missing']


def test_prefix_option_looks_only_under_the_prefix(host, tmp_path):
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'lib' / 'libhailort.so.4.23.0').write_text('')
    cli = tmp_path / 'bin' / 'hailortcli'
    cli.write_text('')
    cli.chmod(0o755)
    facts = run({'gather_subset': ['runtime'], 'prefix': str(tmp_path)})['ansible_facts']['hailo']
    assert facts['runtime']['hailortcli_path'] == str(cli)
    assert facts['runtime']['prefix'] == str(tmp_path)
    assert facts['runtime']['libhailort'][0] == {'path': str(tmp_path / 'lib' / 'libhailort.so.4.23.0'),
                                                 'version': '4.23.0'}
    cli.unlink()
    # PATH has a hailortcli (the fixture's get_bin_path), but with a prefix only the prefix counts.
    facts = run({'gather_subset': ['runtime'], 'prefix': str(tmp_path)})['ansible_facts']['hailo']
    assert facts['runtime']['hailortcli_path'] is None
    assert 'not found in %s/bin' % tmp_path in facts['runtime']['error']


def test_prefix_and_path_are_exclusive(host, tmp_path):
    result = run({'prefix': str(tmp_path), 'hailortcli_path': str(tmp_path / 'bin' / 'hailortcli')})
    assert result['failed'] is True and 'mutually exclusive' in result['msg']


def test_target_kernels_make_a_missing_build_an_error(host):
    host['outputs']['modinfo'] = (1, '', 'modinfo: ERROR: Module hailo_pci not found.')
    facts = run({'gather_subset': ['driver'], 'expected_version': '4.23.0'})['ansible_facts']['hailo']
    # the only installed kernel is not the running one here: a warning, unless it is a target
    assert [(p['id'], p['severity']) for p in facts['problems']] == [('driver_not_built_for_kernel', 'warning')]
    facts = run({'gather_subset': ['driver'], 'expected_version': '4.23.0',
                 'target_kernels': [RELEASE]})['ansible_facts']['hailo']
    assert [(p['id'], p['severity']) for p in facts['problems']] == [('driver_not_built_for_kernel', 'error')]


@pytest.mark.parametrize('version', ['4.23', 'v4.23.0', '4.23.0-rc1'])
def test_expected_version_is_validated(host, version):
    result = run({'expected_version': version})
    assert result['failed'] is True and 'major.minor.revision' in result['msg']


def test_unknown_subset_fails(host):
    result = run({'gather_subset': ['pci', 'gpu']})
    assert result['failed'] is True and "Unknown gather_subset 'gpu'" in result['msg']


@pytest.mark.parametrize('requested, expected', [
    (['all'], ['dkms', 'driver', 'firmware', 'nodes', 'packages', 'pci', 'runtime']),
    (['!packages', '!dkms'], ['driver', 'firmware', 'nodes', 'pci', 'runtime']),
    (['all', '!runtime'], ['dkms', 'driver', 'firmware', 'nodes', 'packages', 'pci']),
    (['!all'], []),
    (['!all', 'firmware'], ['firmware']),
    (['pci', 'nodes'], ['nodes', 'pci']),
])
def test_resolve_subsets(requested, expected):
    assert hailo_device_facts.resolve_subsets(requested) == expected


def test_minimal_gathering(host):
    facts = run({'gather_subset': ['!all']})['ansible_facts']['hailo']
    assert sorted(facts) == ['gather_subset', 'kernel', 'problems']
    assert facts['kernel']['page_size'] == os.sysconf('SC_PAGE_SIZE')
    assert facts['problems'] == []


def test_firmware_subset(host, tmp_path):
    facts = run({'gather_subset': ['firmware'], 'firmware_path': str(tmp_path / 'fw.bin')})['ansible_facts']['hailo']
    assert facts['firmware']['present'] is False
    assert [p['id'] for p in facts['problems']] == ['firmware_missing']


@pytest.mark.parametrize('output, version, problems', [
    ((0, '{"python": "3.13.5", "version": "4.23.0", "error": null}\n', ''), '4.23.0', []),
    ((0, '{"python": "3.13.5", "version": "4.22.0", "error": null}\n', ''), '4.22.0',
     ['python_binding_version_mismatch']),
    ((0, '{"python": "3.13.5", "version": null, "error": "ImportError: libhailort.so.4.23.0: cannot open shared '
         'object file"}\n', ''), None, ['python_binding_missing']),
    ((-11, '', 'Fatal Python error: Segmentation fault\n'), None, ['python_binding_missing']),
])
def test_python_binding_in_the_venv(host, tmp_path, output, version, problems):
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'bin' / 'python').write_text('')
    host['outputs']['python'] = output
    facts = run({'gather_subset': ['runtime'], 'python_venv': str(venv),
                 'expected_version': '4.23.0'})['ansible_facts']['hailo']
    binding = facts['runtime']['python_binding']
    assert binding['venv'] == str(venv) and binding['version'] == version
    assert host['calls'][-1][:2] == [str(venv / 'bin' / 'python'), '-c']
    assert [p['id'] for p in facts['problems']] == problems


def test_python_binding_without_a_venv(host, tmp_path):
    facts = run({'gather_subset': ['runtime'], 'python_venv': str(tmp_path / 'none')})['ansible_facts']['hailo']
    assert 'no virtual environment at' in facts['runtime']['python_binding']['error']
    assert [p['id'] for p in facts['problems']] == ['python_binding_missing']
    assert 'python_binding' not in run({'gather_subset': ['runtime']})['ansible_facts']['hailo']['runtime']
