# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problem rules: a healthy host has none; each broken variant raises exactly the expected ids."""

from __future__ import annotations

import copy
import os
import re

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_problems as hailo_problems

DOCS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'docs', 'troubleshooting.md')
RUNNING = '6.12.47+rpt-rpi-2712'
OTHER = '6.12.47+rpt-rpi-v8'


def healthy():
    return {
        'kernel': {'release': RUNNING, 'page_size': 16384},
        'pci_devices': [{'address': '0001:01:00.0', 'vendor_id': '0x1e60', 'device_id': '0x2864', 'family': 'hailo8',
                         'description': 'Hailo-8', 'supported': True, 'driver': 'hailo',
                         'current_link_speed': '8.0 GT/s PCIe', 'current_link_width': 1, 'current_link_gen': 3,
                         'max_link_speed': '8.0 GT/s PCIe', 'max_link_width': 4, 'max_link_gen': 3}],
        'nodes': [{'name': 'hailo0', 'board_location': '0001:01:00.0', 'device_id': '1e60:2864',
                   'accelerator_type': '0', 'device_node': '/dev/hailo0',
                   'node': {'path': '/dev/hailo0', 'exists': True, 'char_device': True, 'owner': 'root',
                            'group': 'hailo', 'uid': 0, 'gid': 990, 'mode': '0660'}}],
        'driver': {
            'loaded': True, 'version': '4.23.0', 'parameters': {'force_desc_page_size': '4096'},
            'modprobe': {'options': {'force_desc_page_size': '4096'}, 'option_sources': {}, 'blacklisted': False,
                         'install': None, 'files': ['/etc/modprobe.d/hailo_pci.conf']},
            'modinfo_available': True,
            'kernels': [
                {'release': RUNNING, 'flavour': 'rpi-2712', 'page_size': 16384, 'headers_path': '/usr/src/h',
                 'running': True,
                 'module': {'filename': '/lib/modules/%s/updates/dkms/hailo_pci.ko.xz' % RUNNING,
                            'version': '4.23.0', 'srcversion': 'X', 'location': 'updates', 'dkms': True}},
                {'release': OTHER, 'flavour': 'rpi-v8', 'page_size': 4096, 'headers_path': '/usr/src/h8',
                 'running': False,
                 'module': {'filename': '/lib/modules/%s/updates/dkms/hailo_pci.ko.xz' % OTHER,
                            'version': '4.23.0', 'srcversion': 'X', 'location': 'updates', 'dkms': True}},
            ],
        },
        'dkms': {'available': True, 'error': None, 'entries': [
            {'module': 'hailo_pci', 'version': '4.23.0', 'kernel': RUNNING, 'arch': 'aarch64', 'state': 'installed',
             'notes': []},
            {'module': 'hailo_pci', 'version': '4.23.0', 'kernel': OTHER, 'arch': 'aarch64', 'state': 'installed',
             'notes': []}]},
        'firmware': {'path': '/lib/firmware/hailo/hailo8_fw.bin', 'present': True, 'size': 10, 'sha256': 'x'},
        'runtime': {'hailortcli_path': '/usr/local/bin/hailortcli', 'hailortcli_version': '4.23.0',
                    'library_version': None, 'error': None,
                    'libhailort': [{'path': '/usr/local/lib/libhailort.so.4.23.0', 'version': '4.23.0'}]},
        'packages': {'available': True, 'conflicting': []},
    }


def ids(facts, **options):
    options.setdefault('expected_version', '4.23.0')
    return [p['id'] for p in hailo_problems.find_problems(facts, **options)]


def severities(facts, **options):
    options.setdefault('expected_version', '4.23.0')
    return [(p['id'], p['severity']) for p in hailo_problems.find_problems(facts, **options)]


def test_healthy_host_has_no_problems():
    assert ids(healthy()) == []


def test_nothing_gathered_has_no_problems():
    assert ids({}) == []


def test_problem_shape():
    facts = healthy()
    facts['pci_devices'] = []
    [found] = hailo_problems.find_problems(facts)
    assert found == {'id': 'no_device_on_pci', 'severity': 'error', 'message': found['message'],
                     'fix': found['fix'], 'doc': 'docs/troubleshooting.md#no_device_on_pci'}
    assert 'dtparam=pciex1' in found['fix']


def _no_device(f):
    f['pci_devices'] = []


def _unsupported(f):
    f['pci_devices'].append(dict(f['pci_devices'][0], address='0001:02:00.0', device_id='0x45c4',
                                 family='hailo10h', supported=False, driver=None))


def _driver_not_loaded(f):
    f['driver'].update(loaded=False, version=None, parameters={})
    f['pci_devices'][0]['driver'] = None
    f['nodes'] = []


def _probe_failed_without_firmware(f):
    f['pci_devices'][0]['driver'] = None
    f['nodes'] = []
    f['firmware'].update(present=False, size=None, sha256=None)


def _other_driver(f):
    f['pci_devices'][0]['driver'] = 'vfio-pci'
    f['nodes'] = []


def _no_chardev(f):
    f['nodes'] = []


def _node_file_missing(f):
    f['nodes'][0]['node'].update(exists=False)


def _node_permissions(f):
    f['nodes'][0]['node'].update(group='root', mode='0660')


def _driver_version(f):
    f['driver']['version'] = '4.20.0'


def _runtime_version(f):
    f['runtime']['hailortcli_version'] = '4.20.0'
    f['runtime']['libhailort'][0]['version'] = '4.20.0'


def _disk_version_other_kernel(f):
    f['driver']['kernels'][1]['module']['version'] = '4.20.0'


def _runtime_not_installed(f):
    f['runtime'].update(hailortcli_path=None, hailortcli_version=None, libhailort=[],
                        error='hailortcli was not found in /opt/hailort/bin: install HailoRT.')


def _binding_does_not_import(f):
    f['runtime']['python_binding'] = {
        'venv': '/opt/hailo_open/venv', 'python': '3.13.5', 'version': None,
        'error': "ModuleNotFoundError: No module named 'hailo_platform'"}


def _binding_venv_missing(f):
    f['runtime']['python_binding'] = {'venv': '/opt/hailo_open/venv', 'python': None, 'version': None,
                                      'error': 'no virtual environment at /opt/hailo_open/venv (no bin/python)'}


def _binding_of_another_version(f):
    f['runtime']['python_binding'] = {'venv': '/opt/hailo_open/venv', 'python': '3.13.5', 'version': '4.22.0',
                                      'error': None}


def _runtime_does_not_run(f):
    f['runtime'].update(hailortcli_version=None, error='"hailortcli --version" failed with exit code 127: '
                        'libhailort.so.4.23.0: cannot open shared object file')


def _outside_updates(f):
    f['driver']['kernels'][1]['module'].update(filename='/lib/modules/%s/extra/hailo_pci.ko' % OTHER,
                                               location='extra', dkms=False)


def _cli_library(f):
    f['runtime']['library_version'] = '4.20.0'


def _stray_library(f):
    f['runtime']['libhailort'].append({'path': '/usr/lib/aarch64-linux-gnu/libhailort.so.4.20.0',
                                       'version': '4.20.0'})


def _no_force(f):
    f['driver']['modprobe']['options'] = {}
    f['driver']['parameters'] = {'force_desc_page_size': '0'}


def _force_only_at_runtime(f):
    f['driver']['modprobe']['options'] = {}


def _force_configured_not_loaded(f):
    f['driver']['parameters'] = {'force_desc_page_size': '0'}


def _force_not_loaded_module(f):
    _driver_not_loaded(f)
    f['driver']['modprobe']['options'] = {'force_desc_page_size': '16384'}


def _force_other_16k_kernel(f):
    f['kernel'] = {'release': OTHER, 'page_size': 4096}
    f['driver']['kernels'][0]['running'] = False
    f['driver']['kernels'][1]['running'] = True
    f['driver']['modprobe']['options'] = {}
    f['driver']['parameters'] = {'force_desc_page_size': '0'}


def _in_tree_only(f):
    f['driver']['kernels'][1]['module'].update(
        filename='/lib/modules/%s/kernel/drivers/media/pci/hailo/hailo_pci.ko.xz' % OTHER, location='kernel',
        dkms=False)
    f['dkms']['entries'].pop()


def _in_tree_shadows(f):
    f['driver']['kernels'][0]['module'].update(
        filename='/lib/modules/%s/kernel/drivers/media/pci/hailo/hailo_pci.ko.xz' % RUNNING, location='kernel',
        dkms=False)


def _not_built(f):
    f['driver']['kernels'][1]['module'] = {'filename': None, 'version': None, 'srcversion': None,
                                           'location': None, 'dkms': False}
    f['driver']['kernels'][1]['headers_path'] = None


def _blacklisted(f):
    f['driver']['modprobe']['blacklisted'] = True


def _install_false(f):
    f['driver']['modprobe']['install'] = '/bin/false'


def _dkms_warning(f):
    f['dkms']['entries'][0]['notes'] = ['WARNING! Diff between built and installed module!']


def _gen2(f):
    f['pci_devices'][0].update(current_link_speed='5.0 GT/s PCIe', current_link_gen=2)


def _packages(f):
    f['packages']['conflicting'] = [{'name': 'hailo-all', 'version': '4.20.0', 'status': 'install ok installed'}]


CASES = [
    (_no_device, [('no_device_on_pci', 'error')]),
    (_unsupported, [('pci_device_unsupported', 'error')]),
    (_driver_not_loaded, [('driver_not_loaded', 'error')]),
    (_probe_failed_without_firmware, [('pci_no_driver_bound', 'error'), ('firmware_missing', 'error')]),
    (_other_driver, [('pci_no_driver_bound', 'error')]),
    (_no_chardev, [('device_node_missing', 'error')]),
    (_node_file_missing, [('device_node_missing', 'error')]),
    (_node_permissions, [('device_node_permissions', 'error')]),
    # the loaded driver is older than expected, than the module on disk and than HailoRT
    (_driver_version, [('driver_version_mismatch', 'error'), ('driver_disk_version_mismatch', 'warning'),
                       ('driver_library_mismatch', 'error')]),
    (_disk_version_other_kernel, [('driver_disk_version_mismatch', 'warning')]),
    # hailortcli differs from the loaded driver and from the expected version
    (_runtime_version, [('driver_library_mismatch', 'error'), ('runtime_version_mismatch', 'error')]),
    (_runtime_not_installed, [('runtime_missing', 'error')]),
    (_runtime_does_not_run, [('runtime_missing', 'error')]),
    (_binding_does_not_import, [('python_binding_missing', 'error')]),
    (_binding_venv_missing, [('python_binding_missing', 'error')]),
    (_binding_of_another_version, [('python_binding_version_mismatch', 'error')]),
    (_cli_library, [('runtime_version_mismatch', 'error')]),
    (_stray_library, [('runtime_version_mismatch', 'warning')]),
    (_no_force, [('page_size_16k_without_force', 'error')]),
    (_force_only_at_runtime, [('page_size_16k_without_force', 'warning')]),
    (_force_configured_not_loaded, [('page_size_16k_without_force', 'error')]),
    (_force_not_loaded_module, [('driver_not_loaded', 'error'), ('page_size_16k_without_force', 'error')]),
    (_force_other_16k_kernel, [('page_size_16k_without_force', 'warning')]),
    (_in_tree_only, [('driver_in_tree_only', 'warning')]),
    (_in_tree_shadows, [('driver_in_tree_shadows_dkms', 'error')]),
    (_not_built, [('driver_not_built_for_kernel', 'warning')]),
    (_outside_updates, [('driver_outside_updates', 'warning')]),
    (_blacklisted, [('driver_blacklisted', 'error')]),
    (_install_false, [('driver_blacklisted', 'error')]),
    (_dkms_warning, [('dkms_status_warning', 'warning')]),
    (_gen2, [('pcie_link_below_expected', 'warning')]),
    (_packages, [('conflicting_vendor_packages', 'warning')]),
]


@pytest.mark.parametrize('mutate, expected', CASES, ids=[case[0].__name__.strip('_') for case in CASES])
def test_rule(mutate, expected):
    facts = healthy()
    mutate(facts)
    assert severities(facts) == expected


def test_every_problem_id_is_exercised():
    exercised = set(problem_id for _mutate, expected in CASES for problem_id, _severity in expected)
    assert exercised == set(hailo_problems.PROBLEM_IDS)


def test_every_problem_id_has_a_documented_section():
    with open(DOCS) as handle:
        headings = set(re.findall(r'^## (\S+)\s*$', handle.read(), re.M))
    assert set(hailo_problems.PROBLEM_IDS) <= headings


def test_running_kernel_not_built_is_an_error_and_mentions_headers():
    facts = healthy()
    facts['driver']['kernels'][0]['module'] = {'filename': None, 'version': None, 'srcversion': None,
                                               'location': None, 'dkms': False}
    facts['driver']['kernels'][0]['headers_path'] = None
    [found] = hailo_problems.find_problems(facts, expected_version='4.23.0')
    assert (found['id'], found['severity']) == ('driver_not_built_for_kernel', 'error')
    assert 'headers are not installed' in found['message']


@pytest.mark.parametrize('mutate, problem_id', [
    (_disk_version_other_kernel, 'driver_disk_version_mismatch'),
    (_outside_updates, 'driver_outside_updates'),
    (_in_tree_only, 'driver_in_tree_only'),
    (_not_built, 'driver_not_built_for_kernel'),
])
def test_a_target_kernel_is_judged_like_the_running_one(mutate, problem_id):
    facts = healthy()
    mutate(facts)
    assert severities(facts) == [(problem_id, 'warning')]
    assert severities(facts, target_kernels=[OTHER]) == [(problem_id, 'error')]
    assert severities(facts, target_kernels=['9.9.9-unrelated']) == [(problem_id, 'warning')]


def test_driver_library_mismatch_names_both_versions():
    facts = healthy()
    _driver_version(facts)
    [found] = [p for p in hailo_problems.find_problems(facts) if p['id'] == 'driver_library_mismatch']
    assert 'libhailort 4.23.0 refuses the loaded hailo_pci driver 4.20.0' in found['message']
    assert 'modprobe -r hailo_pci' in found['fix']


def test_without_expected_version_only_consistency_is_checked():
    facts = healthy()
    _disk_version_other_kernel(facts)
    assert ids(facts, expected_version=None) == []
    _driver_version(facts)
    _runtime_version(facts)
    assert ids(facts, expected_version=None) == ['driver_disk_version_mismatch']


def test_unsupported_device_on_a_5x_stack_is_not_reported():
    facts = healthy()
    _unsupported(facts)
    assert 'pci_device_unsupported' not in ids(facts, expected_version='5.1.0')


def test_world_accessible_node_is_fine_and_group_check_can_be_disabled():
    facts = healthy()
    facts['nodes'][0]['node'].update(group='root', mode='0666')
    assert ids(facts) == []
    facts['nodes'][0]['node'].update(mode='0600')
    assert ids(facts, expected_group='') == []
    assert ids(facts, expected_group='video') == ['device_node_permissions']


def test_link_check_threshold():
    facts = healthy()
    _gen2(facts)
    assert ids(facts, expected_link_gen=2) == []
    assert ids(facts, expected_link_gen=0) == []


def test_4k_kernel_needs_no_force_option():
    facts = healthy()
    _force_other_16k_kernel(facts)
    facts['driver']['kernels'][0]['page_size'] = 4096
    assert ids(facts) == []


@pytest.mark.parametrize('value', ['4096', '2048'])
def test_valid_force_values(value):
    facts = healthy()
    facts['driver']['modprobe']['options'] = {'force_desc_page_size': value}
    facts['driver']['parameters'] = {'force_desc_page_size': value}
    assert ids(facts) == []


@pytest.mark.parametrize('value', ['16384', '3000', 'abc', '0'])
def test_invalid_force_values(value):
    facts = healthy()
    facts['driver']['modprobe']['options'] = {'force_desc_page_size': value}
    facts['driver']['parameters'] = {'force_desc_page_size': value}
    assert ids(facts) == ['page_size_16k_without_force']


def test_sections_not_gathered_are_not_judged():
    facts = healthy()
    _probe_failed_without_firmware(facts)
    del facts['firmware']
    assert ids(facts) == ['pci_no_driver_bound']
    del facts['driver']
    assert ids(facts) == []


def test_rules_do_not_modify_facts():
    facts = healthy()
    _no_force(facts)
    before = copy.deepcopy(facts)
    hailo_problems.find_problems(facts, expected_version='4.23.0')
    assert facts == before
