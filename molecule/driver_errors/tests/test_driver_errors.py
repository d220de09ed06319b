"""Each bad input fails with a message a person can act on, and the host was not changed."""

import json

import pytest


@pytest.fixture(scope='module')
def messages(host):
    return json.loads(host.file('/var/tmp/molecule-driver-errors.json').content_string)


def test_malformed_version(messages):
    assert 'must look like 4.23.0' in messages['malformed_version']
    assert '"4.23"' in messages['malformed_version']


def test_firmware_checksum_mismatch(messages):
    msg = messages['firmware_checksum']
    assert '0' * 64 in msg
    assert 'Nothing was changed on the hosts' in msg


def test_unreachable_source(messages):
    msg = messages['unreachable_source']
    assert 'file:///nonexistent/hailort-drivers.git' in msg
    assert 'Nothing was changed on the hosts' in msg


def test_source_header_disagrees_with_version(messages):
    msg = messages['header_mismatch']
    assert '4.21.0' in msg and '4.20.0' in msg


@pytest.mark.parametrize('path', [
    '/usr/src/hailo_pci-4.23.0', '/usr/src/hailo_pci-4.21.0', '/etc/modprobe.d/hailo_pci.conf',
    '/etc/udev/rules.d/60-hailo.rules', '/lib/firmware/hailo/hailo8_fw.bin', '/var/cache/hailo_open.hailo',
])
def test_host_unchanged(host, path):
    assert not host.file(path).exists


def test_no_group_created(host):
    assert not host.group('hailo').exists
