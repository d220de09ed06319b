"""Verify the hailort role: one build per architecture, installed everywhere, and a clean version change."""

import json

import pytest


def builds_here(host):
    # Only builders get the prepared source; they keep it and ccache, and remove their build trees afterwards.
    return host.run('ls /var/cache/hailo_open.hailo/sources/hailort-4.23.0.tar.gz').rc == 0


def expected_version(host):
    # The side effect moved the amd64 hosts to 4.22.0 from the offline bundle; arm64 stayed at 4.23.0.
    return '4.22.0' if host.backend.get_hostname().startswith('hailort-amd64') else '4.23.0'


def test_hailortcli_is_the_wanted_version(host):
    assert host.check_output('/usr/local/bin/hailortcli --version') == 'HailoRT-CLI version %s' % expected_version(host)


def test_library_is_installed_and_previous_version_removed(host):
    version = expected_version(host)
    assert host.file('/usr/local/lib/libhailort.so.%s' % version).exists
    assert host.file('/usr/local/lib/libhailort.so').linked_to == '/usr/local/lib/libhailort.so.%s' % version
    if version == '4.22.0':
        assert not host.file('/usr/local/lib/libhailort.so.4.23.0').exists
    assert 'libhailort.so.%s' % version in host.check_output('ldconfig -p')


def test_manifest(host):
    manifest = json.loads(host.file('/usr/local/share/hailo_open.hailo/hailort.manifest.json').content_string)
    assert manifest['version'] == expected_version(host)
    assert 'bin/hailortcli' in manifest['files']


@pytest.mark.parametrize('name', ['hailort-amd64-a', 'hailort-arm64-a'])
def test_only_the_first_host_of_each_architecture_compiled(host, name):
    if host.backend.get_hostname() == name:
        assert builds_here(host)
        assert host.file('/var/cache/hailo_open.hailo/ccache').is_directory
    elif host.backend.get_hostname()[:13] == name[:13]:
        assert not builds_here(host)


def test_no_build_tree_is_left_behind(host):
    assert host.run('ls -d /var/cache/hailo_open.hailo/hailort-*').rc != 0
