# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_device_facts, run unmodified as a subprocess against simulated devices (umockdev).

``umockdev-run --device tests/fixtures/umockdev/<name>.umockdev`` gives the module a private /sys holding the
fake PCI functions and hailo_chardev devices, and /dev nodes for them. The umockdev record format can only
describe devices under /sys/devices, so the state of the hailo_pci module (/sys/module/hailo_pci/version and
parameters/) is written into the testbed's sys directory ($UMOCKDEV_DIR/sys) by a shell prologue before the
module starts. The firmware file is outside /sys and /dev: tests point firmware_path at a temporary file.
Owner and mode of umockdev's fake /dev nodes are those of the test run, so the group check is disabled here
(expected_group: '') and covered by the rule tests.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'umockdev')
MODULE = 'ansible_collections.hailo_open.hailo.plugins.modules.hailo_device_facts'
UMOCKDEV_RUN = shutil.which('umockdev-run')
# Facts and problems that depend on the kernels, modprobe configuration and page size of the machine running
# the tests, not on the simulated device.
HOST_DEPENDENT = {'driver_not_built_for_kernel', 'driver_in_tree_only', 'driver_in_tree_shadows_dkms',
                  'driver_disk_version_mismatch', 'page_size_16k_without_force', 'driver_blacklisted'}
LOADED_4_23 = {'version': '4.23.0', 'parameters': {'force_desc_page_size': '4096', 'no_power_mode': 'N'}}


@pytest.fixture(autouse=True)
def need_umockdev():
    if UMOCKDEV_RUN is None:
        pytest.skip('umockdev-run is not installed (Debian package umockdev)')


def module_prologue(module):
    if module is None:
        return ''
    base = '"$UMOCKDEV_DIR/sys/module/hailo_pci'
    lines = ['mkdir -p %s/parameters"' % base,
             'printf %%s %s > %s/version"' % (shlex.quote(module['version']), base)]
    for name, value in module['parameters'].items():
        lines.append('printf "%%s\\n" %s > %s/parameters/%s"' % (shlex.quote(value), base, name))
    return ' && '.join(lines) + ' && '


def run_facts(tmp_path, fixture, module=None, firmware=True, pyudev=True, **args):
    firmware_path = tmp_path / 'hailo8_fw.bin'
    if firmware:
        firmware_path.write_bytes(b'not a real firmware')
    module_args = {'gather_subset': ['pci', 'nodes', 'driver', 'firmware'], 'expected_group': '',
                   'firmware_path': str(firmware_path)}
    module_args.update(args)
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': module_args}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    if not pyudev:
        shim = tmp_path / 'no-pyudev' / 'pyudev'
        shim.mkdir(parents=True)
        (shim / '__init__.py').write_text('raise ImportError("pyudev hidden by the test")\n')
        env['PYTHONPATH'] = str(shim.parent) + os.pathsep + env['PYTHONPATH']
    command = [UMOCKDEV_RUN]
    if fixture:
        command += ['--device', os.path.join(FIXTURES, fixture + '.umockdev')]
    command += ['--', 'sh', '-c', module_prologue(module) + 'exec "$@"', 'sh',
                sys.executable, '-m', MODULE, str(args_file)]
    process = subprocess.run(command, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=120, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    return json.loads(process.stdout)


def problems(result):
    return [p['id'] for p in result['ansible_facts']['hailo']['problems'] if p['id'] not in HOST_DEPENDENT]


def test_healthy_hailo8_on_pi5_gen3(tmp_path):
    result = run_facts(tmp_path, 'hailo8-pi5-gen3', module=LOADED_4_23, expected_version='4.23.0')
    facts = result['ansible_facts']['hailo']
    assert result['changed'] is False
    assert facts['enumeration'] == 'pyudev'
    assert facts['pci_devices'] == [{
        'address': '0001:01:00.0', 'vendor_id': '0x1e60', 'device_id': '0x2864', 'family': 'hailo8',
        'description': facts['pci_devices'][0]['description'], 'supported': True, 'driver': 'hailo',
        'current_link_speed': '8.0 GT/s PCIe', 'current_link_width': 1, 'current_link_gen': 3,
        'max_link_speed': '8.0 GT/s PCIe', 'max_link_width': 4, 'max_link_gen': 3}]
    [node] = facts['nodes']
    assert (node['name'], node['board_location'], node['device_id'], node['accelerator_type']) == \
        ('hailo0', '0001:01:00.0', '1e60:2864', '0')
    assert node['device_node'] == '/dev/hailo0'
    assert node['node']['exists'] is True and node['node']['char_device'] is True
    assert facts['driver']['loaded'] is True and facts['driver']['version'] == '4.23.0'
    assert facts['driver']['parameters'] == {'force_desc_page_size': '4096', 'no_power_mode': 'N'}
    assert facts['firmware']['present'] is True and facts['firmware']['size'] == 19
    assert problems(result) == []


def test_hailo8l_in_domain_0000(tmp_path):
    facts = run_facts(tmp_path, 'hailo8l', module=LOADED_4_23)['ansible_facts']['hailo']
    assert [d['address'] for d in facts['pci_devices']] == ['0000:01:00.0']
    assert facts['pci_devices'][0]['family'] == 'hailo8'
    assert [n['board_location'] for n in facts['nodes']] == ['0000:01:00.0']


def test_two_devices(tmp_path):
    result = run_facts(tmp_path, 'two-devices', module=LOADED_4_23)
    facts = result['ansible_facts']['hailo']
    assert [(d['address'], d['driver']) for d in facts['pci_devices']] == [
        ('0001:03:00.0', 'hailo'), ('0001:04:00.0', 'hailo')]
    assert [(n['name'], n['board_location'], n['device_node']) for n in facts['nodes']] == [
        ('hailo0', '0001:03:00.0', '/dev/hailo0'), ('hailo1', '0001:04:00.0', '/dev/hailo1')]
    assert problems(result) == []


def test_device_without_driver_module(tmp_path):
    result = run_facts(tmp_path, 'pci-no-driver')
    facts = result['ansible_facts']['hailo']
    assert facts['pci_devices'][0]['driver'] is None
    assert facts['nodes'] == []
    assert facts['driver']['loaded'] is False
    assert problems(result) == ['driver_not_loaded']


def test_firmware_missing(tmp_path):
    result = run_facts(tmp_path, 'firmware-missing', module=LOADED_4_23, firmware=False)
    facts = result['ansible_facts']['hailo']
    assert facts['firmware']['present'] is False
    assert problems(result) == ['pci_no_driver_bound', 'firmware_missing']
    assert 'missing, which makes the probe fail' in result['ansible_facts']['hailo']['problems'][0]['message']


def test_gen2_link(tmp_path):
    result = run_facts(tmp_path, 'gen2-link', module=LOADED_4_23)
    device = result['ansible_facts']['hailo']['pci_devices'][0]
    assert (device['current_link_speed'], device['current_link_gen']) == ('5.0 GT/s PCIe', 2)
    assert problems(result) == ['pcie_link_below_expected']
    assert problems(run_facts(tmp_path, 'gen2-link', module=LOADED_4_23, expected_link_gen=2)) == []


def test_hailo10h_is_unsupported(tmp_path):
    result = run_facts(tmp_path, 'hailo10h')
    assert result['ansible_facts']['hailo']['pci_devices'][0]['family'] == 'hailo10h'
    assert problems(result) == ['pci_device_unsupported']


def test_loaded_driver_of_another_version(tmp_path):
    module = {'version': '4.20.0', 'parameters': {'force_desc_page_size': '4096'}}
    result = run_facts(tmp_path, 'hailo8-pi5-gen3', module=module, expected_version='4.23.0')
    assert problems(result) == ['driver_version_mismatch']


def test_no_device_at_all(tmp_path):
    result = run_facts(tmp_path, None)
    facts = result['ansible_facts']['hailo']
    assert facts['pci_devices'] == [] and facts['nodes'] == []
    assert problems(result) == ['no_device_on_pci']


@pytest.mark.parametrize('fixture', ['hailo8-pi5-gen3', 'two-devices', 'pci-no-driver'])
def test_sysfs_fallback_matches_pyudev(tmp_path, fixture):
    with_pyudev = run_facts(tmp_path, fixture, module=LOADED_4_23)
    without = run_facts(tmp_path, fixture, module=LOADED_4_23, pyudev=False)
    assert without['ansible_facts']['hailo']['enumeration'] == 'sysfs'
    assert 'Failed to import the required Python library (pyudev)' in json.dumps(without['warnings'])
    for key in ('pci_devices', 'nodes', 'driver', 'problems'):
        assert without['ansible_facts']['hailo'][key] == with_pyudev['ansible_facts']['hailo'][key]
