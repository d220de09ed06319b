# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysfs reading (plain-sysfs enumeration on a temporary tree) and the host-side parsers."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_host as hailo_host
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_sysfs as hailo_sysfs


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


@pytest.fixture
def sys_root(tmp_path):
    root = tmp_path / 'sys'
    device = root / 'devices' / 'pci0001:00' / '0001:00:00.0' / '0001:01:00.0'
    write(str(device / 'vendor'), '0x1e60\n')
    write(str(device / 'device'), '0x2864\n')
    write(str(device / 'current_link_speed'), '5.0 GT/s PCIe\n')
    write(str(device / 'current_link_width'), '1\n')
    write(str(device / 'max_link_speed'), '8.0 GT/s PCIe\n')
    write(str(device / 'max_link_width'), '4\n')
    os.makedirs(str(root / 'bus' / 'pci' / 'drivers' / 'hailo'))
    os.symlink('../../../../bus/pci/drivers/hailo', str(device / 'driver'))
    bridge = root / 'devices' / 'pci0001:00' / '0001:00:00.0'
    write(str(bridge / 'vendor'), '0x14e4\n')
    os.makedirs(str(root / 'bus' / 'pci' / 'devices'))
    os.symlink(str(device), str(root / 'bus' / 'pci' / 'devices' / '0001:01:00.0'))
    os.symlink(str(bridge), str(root / 'bus' / 'pci' / 'devices' / '0001:00:00.0'))
    chardev = device / 'hailo_chardev' / 'hailo0'
    write(str(chardev / 'board_location'), '0001:01:00.0')  # no trailing newline, as the driver writes it
    write(str(chardev / 'device_id'), '1e60:2864')
    write(str(chardev / 'accelerator_type'), '0')
    write(str(chardev / 'uevent'), 'MAJOR=509\nMINOR=0\nDEVNAME=hailo0\n')
    os.makedirs(str(root / 'class' / 'hailo_chardev'))
    os.symlink(str(chardev), str(root / 'class' / 'hailo_chardev' / 'hailo0'))
    return root


def test_enumerate_sysfs(sys_root):
    result = hailo_sysfs.enumerate_devices(use_pyudev=False, sys_root=str(sys_root))
    assert result['enumeration'] == 'sysfs'
    [device] = result['pci_devices']
    assert device['address'] == '0001:01:00.0'
    assert (device['vendor_id'], device['device_id'], device['family'], device['supported']) == \
        ('0x1e60', '0x2864', 'hailo8', True)
    assert device['driver'] == 'hailo'
    assert (device['current_link_gen'], device['current_link_width']) == (2, 1)
    assert (device['max_link_gen'], device['max_link_width']) == (3, 4)
    [node] = result['nodes']
    assert (node['name'], node['board_location'], node['device_id'], node['accelerator_type']) == \
        ('hailo0', '0001:01:00.0', '1e60:2864', '0')
    assert node['device_node'] == '/dev/hailo0'


def test_enumerate_sysfs_empty_tree(tmp_path):
    assert hailo_sysfs.enumerate_sysfs(str(tmp_path)) == ([], [])


def test_unbound_device_has_no_driver(sys_root):
    os.unlink(str(sys_root / 'bus' / 'pci' / 'devices' / '0001:01:00.0' / 'driver'))
    assert hailo_sysfs.enumerate_sysfs(str(sys_root))[0][0]['driver'] is None


@pytest.mark.parametrize('speed, generation', [
    ('2.5 GT/s PCIe', 1), ('5.0 GT/s PCIe', 2), ('8.0 GT/s PCIe', 3), ('16.0 GT/s PCIe', 4), ('5 GT/s', 2),
    ('Unknown', None), ('', None), (None, None), ('7.0 GT/s', None),
])
def test_link_generation(speed, generation):
    assert hailo_sysfs.link_generation(speed) == generation


@pytest.mark.parametrize('device_id, family, supported', [
    ('0x2864', 'hailo8', True), ('0x45C4', 'hailo10h', False), ('0x43a2', 'hailo15l', False),
    ('0x26a2', 'unknown', False), (None, 'unknown', False),
])
def test_pci_family(device_id, family, supported):
    result = hailo_sysfs.pci_family(device_id)
    assert (result[0], result[2]) == (family, supported)


def test_read_attr_with_and_without_newline(tmp_path):
    write(str(tmp_path / 'a'), '0001:01:00.0')
    write(str(tmp_path / 'b'), '0x1e60\n')
    assert hailo_sysfs.read_attr(str(tmp_path / 'a')) == '0001:01:00.0'
    assert hailo_sysfs.read_attr(str(tmp_path / 'b')) == '0x1e60'
    assert hailo_sysfs.read_attr(str(tmp_path / 'missing')) is None


def test_describe_node(tmp_path):
    path = tmp_path / 'hailo0'
    write(str(path), '')
    os.chmod(str(path), 0o640)
    node = hailo_sysfs.describe_node(str(path))
    assert (node['exists'], node['char_device'], node['mode']) == (True, False, '0640')
    assert node['uid'] == os.getuid()
    assert hailo_sysfs.describe_node(str(tmp_path / 'none'))['exists'] is False


def test_describe_node_unknown_ids(tmp_path, monkeypatch):
    path = tmp_path / 'hailo0'
    write(str(path), '')

    def unknown(number):
        raise KeyError(number)

    monkeypatch.setattr(hailo_sysfs.pwd, 'getpwuid', unknown)
    monkeypatch.setattr(hailo_sysfs.grp, 'getgrgid', unknown)
    node = hailo_sysfs.describe_node(str(path))
    assert (node['owner'], node['group']) == (str(os.getuid()), str(os.getgid()))


def test_loaded_driver(tmp_path):
    module = tmp_path / 'module' / 'hailo_pci'
    write(str(module / 'version'), '4.23.0\n')
    write(str(module / 'parameters' / 'force_desc_page_size'), '4096\n')
    write(str(module / 'parameters' / 'no_power_mode'), 'N\n')
    assert hailo_sysfs.loaded_driver(str(tmp_path)) == {
        'loaded': True, 'version': '4.23.0', 'parameters': {'force_desc_page_size': '4096', 'no_power_mode': 'N'}}


def test_driver_not_loaded(tmp_path):
    assert hailo_sysfs.loaded_driver(str(tmp_path)) == {'loaded': False, 'version': None, 'parameters': {}}


# --- modprobe configuration ---------------------------------------------------------------------------------

def test_modprobe_config_files_precedence(tmp_path):
    etc, lib = tmp_path / 'etc', tmp_path / 'lib'
    write(str(etc / 'hailo_pci.conf'), 'options hailo_pci force_desc_page_size=4096\n')
    write(str(lib / 'hailo_pci.conf'), 'options hailo_pci force_desc_page_size=16384\n')
    write(str(lib / 'aaa.conf'), '')
    write(str(lib / 'notes.txt'), 'options hailo_pci o_dbg=1\n')
    files = hailo_host.modprobe_config_files([str(etc), str(tmp_path / 'missing'), str(lib)])
    assert files == [str(lib / 'aaa.conf'), str(etc / 'hailo_pci.conf')]
    config = hailo_host.read_modprobe_config([str(etc), str(lib)])
    assert config['options'] == {'force_desc_page_size': '4096'}
    assert config['files'] == [str(etc / 'hailo_pci.conf')]


def test_parse_modprobe_config_later_lines_win_and_continuations():
    config = hailo_host.parse_modprobe_config([
        ('/a.conf', '# options hailo_pci force_desc_page_size=1\noptions hailo-pci force_desc_page_size=16384 \\\n'
                    '  no_power_mode=Y\noptions other_mod x=1\n'),
        ('/b.conf', 'options hailo_pci force_desc_page_size=4096  # Pi 5\nblacklist hailo_pci\n'
                    'install hailo_pci /bin/false\n'),
    ])
    assert config['options'] == {'force_desc_page_size': '4096', 'no_power_mode': 'Y'}
    assert config['option_sources'] == {'force_desc_page_size': '/b.conf', 'no_power_mode': '/a.conf'}
    assert config['blacklisted'] is True
    assert config['install'] == '/bin/false'
    assert config['files'] == ['/a.conf', '/b.conf']


def test_parse_modprobe_config_nothing_about_hailo():
    config = hailo_host.parse_modprobe_config([('/x.conf', 'options snd_hda_intel power_save=1\nblacklist pcspkr\n')])
    assert config == {'options': {}, 'option_sources': {}, 'blacklisted': False, 'install': None, 'files': []}


# --- dkms, modinfo, dpkg --------------------------------------------------------------------------------------

def test_parse_dkms_status_all_formats():
    text = '\n'.join([
        'hailo_pci/4.23.0, 6.12.117+deb13-amd64, x86_64: installed',
        'hailo_pci/4.23.0, 6.12.47+rpt-rpi-2712, aarch64: installed (WARNING! Diff between built and installed module!)',
        'hailo_pci, 4.20.0, 6.1.0-28-arm64, aarch64: installed (original_module exists)',
        'hailo_pci/4.23.0: added',
        'hailo_pci, 4.19.0: added',
        'other/1.0, 6.12.117+deb13-amd64, x86_64: installed',
        'Error! Could not locate dkms.conf file.',
    ])
    entries = hailo_host.parse_dkms_status(text)
    assert [(e['version'], e['kernel'], e['arch'], e['state']) for e in entries] == [
        ('4.23.0', '6.12.117+deb13-amd64', 'x86_64', 'installed'),
        ('4.23.0', '6.12.47+rpt-rpi-2712', 'aarch64', 'installed'),
        ('4.20.0', '6.1.0-28-arm64', 'aarch64', 'installed'),
        ('4.23.0', None, None, 'added'),
        ('4.19.0', None, None, 'added'),
    ]
    assert entries[1]['notes'] == ['WARNING! Diff between built and installed module!']
    assert entries[2]['notes'] == ['original_module exists']
    assert entries[0]['notes'] == []


def test_parse_modinfo():
    text = ('filename:       /lib/modules/6.12.117+deb13-arm64/updates/dkms/hailo_pci.ko.xz\nversion:        4.23.0\n'
            'license:        GPL v2\nsrcversion:     0123ABC\nvermagic:       6.12.117+deb13-arm64 SMP mod_unload aarch64\n'
            'parm:           force_desc_page_size:Determines the maximum DMA descriptor page size (int)\n')
    assert hailo_host.parse_modinfo(text) == {
        'filename': '/lib/modules/6.12.117+deb13-arm64/updates/dkms/hailo_pci.ko.xz', 'version': '4.23.0',
        'srcversion': '0123ABC', 'vermagic': '6.12.117+deb13-arm64 SMP mod_unload aarch64'}
    assert hailo_host.parse_modinfo('')['filename'] is None


@pytest.mark.parametrize('filename, location', [
    ('/lib/modules/6.1.0-rpi/updates/dkms/hailo_pci.ko.xz', 'updates'),
    ('/lib/modules/6.1.0-rpi/kernel/drivers/media/pci/hailo/hailo_pci.ko.xz', 'kernel'),
    ('/lib/modules/6.1.0-rpi/extra/hailo_pci.ko', 'extra'),
    ('/opt/hailo_pci.ko', None),
    (None, None),
])
def test_module_location(filename, location):
    assert hailo_host.module_location(filename, '/lib/modules/6.1.0-rpi') == location


def test_is_dkms_path():
    assert hailo_host.is_dkms_path('/lib/modules/r/updates/dkms/hailo_pci.ko.xz')
    assert not hailo_host.is_dkms_path('/lib/modules/r/kernel/drivers/misc/hailo_pci.ko')
    assert not hailo_host.is_dkms_path(None)


def test_parse_dpkg_query():
    text = ('hailo-all\tinstall ok installed\t4.20.0\n'
            'hailort\tdeinstall ok config-files\t4.19.0\n'
            'hailo-dkms\tinstall ok unpacked\t4.20.0\n'
            'hailofw\tunknown ok not-installed\t\n'
            'garbage line\n')
    assert [(p['name'], p['version']) for p in hailo_host.parse_dpkg_query(text)] == [
        ('hailo-all', '4.20.0'), ('hailo-dkms', '4.20.0')]


def test_find_libhailort(tmp_path):
    local, lib = tmp_path / 'local', tmp_path / 'lib'
    for path in (local / 'libhailort.so.4.23.0', local / 'libhailort.so', lib / 'libhailort.so.4.20.0',
                 lib / 'libhailort.so.4.20'):
        write(str(path), '')
    assert hailo_host.find_libhailort([str(local), str(lib), str(tmp_path / 'none')]) == [
        {'path': str(local / 'libhailort.so.4.23.0'), 'version': '4.23.0'},
        {'path': str(lib / 'libhailort.so.4.20.0'), 'version': '4.20.0'}]


def test_firmware_facts(tmp_path):
    path = tmp_path / 'hailo8_fw.bin'
    path.write_bytes(b'abc')
    assert hailo_host.firmware_facts(str(path)) == {
        'path': str(path), 'present': True, 'size': 3,
        'sha256': 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'}
    assert hailo_host.firmware_facts(str(tmp_path / 'none'))['present'] is False
