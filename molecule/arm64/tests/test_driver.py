"""Verify the driver role: DKMS built hailo_pci 4.23.0 for every installed kernel under updates/, the fix for
the find_vma() lock was applied, and modprobe options, udev rule, group and firmware are in place."""

import hashlib
import os

import pytest

VERSION = '4.23.0'
FIRMWARE = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'fixtures', 'www', 'hailo8_fw.4.23.0.bin')


def installed_releases(host):
    out = host.check_output("find /lib/modules -mindepth 2 -maxdepth 2 -name modules.builtin -printf '%h\\n'")
    return sorted(os.path.basename(line) for line in out.splitlines())


def test_dkms_installed_for_every_kernel(host):
    status = host.check_output('dkms status hailo_pci')
    releases = installed_releases(host)
    assert len(releases) >= 2
    for release in releases:
        assert 'hailo_pci/%s, %s, ' % (VERSION, release) in status, status
    lines = [line for line in status.splitlines() if line.strip()]
    assert len(lines) == len(releases), status
    assert all(line.endswith(': installed') for line in lines), status


def test_modinfo_finds_the_dkms_module_for_every_kernel(host):
    for release in installed_releases(host):
        assert host.check_output('modinfo -k %s -F version hailo_pci' % release) == VERSION
        filename = host.check_output('modinfo -k %s -F filename hailo_pci' % release)
        assert filename.startswith('/lib/modules/%s/updates/dkms/hailo_pci.ko' % release), filename


def test_source_is_the_fixed_fixture(host):
    memory = host.file('/usr/src/hailo_pci-%s/linux/vdma/memory.c' % VERSION).content_string
    assert 'mmap_read_lock(' in memory and 'mmap_read_unlock(' in memory
    dkms_conf = host.file('/usr/src/hailo_pci-%s/dkms.conf' % VERSION).content_string
    assert 'PACKAGE_VERSION="%s"' % VERSION in dkms_conf
    assert 'DEST_MODULE_LOCATION[0]="/updates/dkms"' in dkms_conf
    assert 'AUTOINSTALL="yes"' in dkms_conf


def test_modprobe_options(host):
    conf = host.file('/etc/modprobe.d/hailo_pci.conf')
    assert conf.mode == 0o644
    assert 'options hailo_pci force_desc_page_size=4096' in conf.content_string.splitlines()


def test_udev_rule_gives_the_group_access(host):
    rule = host.file('/etc/udev/rules.d/60-hailo.rules').content_string
    rules = [line for line in rule.splitlines() if line.strip() and not line.startswith('#')]
    assert rules == ['SUBSYSTEM=="hailo_chardev", GROUP="hailo", MODE="0660"']
    assert host.group('hailo').exists


def test_firmware_is_the_served_file(host):
    with open(FIRMWARE, 'rb') as handle:
        expected = hashlib.sha256(handle.read()).hexdigest()
    firmware = host.file('/lib/firmware/hailo/hailo8_fw.bin')
    assert firmware.sha256sum == expected
    assert firmware.mode == 0o644


@pytest.mark.parametrize('path', ['/usr/src/hailo_pci-%s/.hailo_open.source-sha256' % VERSION])
def test_source_identity_recorded(host, path):
    assert len(host.file(path).content_string.strip()) == 64


def test_pcie_settings_added_and_the_rest_kept(host):
    config = host.file('/boot/firmware/config.txt').content_string.splitlines()
    assert 'dtparam=audio=on' in config and 'camera_auto_detect=1' in config
    block = config[config.index('# BEGIN hailo_open.hailo PCIe settings'):]
    assert block[:5] == ['# BEGIN hailo_open.hailo PCIe settings', '[all]', 'dtparam=pciex1', 'dtparam=pciex1_gen=3',
                         '# END hailo_open.hailo PCIe settings']

