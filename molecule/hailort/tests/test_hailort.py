"""Verify the hailort role: one build per target, installed everywhere, and a clean version change."""

import json

# The side effect moved the hosts from 4.23.0 to 4.22.0, from the offline bundle.
VERSION = '4.22.0'


def builds_here(host):
    # Only builders get the prepared source; they keep it and ccache, and remove their build trees afterwards.
    return host.run('ls /var/cache/hailo_open.hailo/sources/hailort-4.23.0.tar.gz').rc == 0


def test_hailortcli_is_the_wanted_version(host):
    assert host.check_output('/usr/local/bin/hailortcli --version') == 'HailoRT-CLI version %s' % VERSION


def test_library_is_installed_and_previous_version_removed(host):
    assert host.file('/usr/local/lib/libhailort.so.%s' % VERSION).exists
    assert host.file('/usr/local/lib/libhailort.so').linked_to == '/usr/local/lib/libhailort.so.%s' % VERSION
    assert not host.file('/usr/local/lib/libhailort.so.4.23.0').exists
    assert 'libhailort.so.%s' % VERSION in host.check_output('ldconfig -p')


def test_manifest(host):
    manifest = json.loads(host.file('/usr/local/share/hailo_open.hailo/hailort.manifest.json').content_string)
    assert manifest['version'] == VERSION
    assert 'bin/hailortcli' in manifest['files']


def test_only_the_first_host_compiled(host):
    if host.backend.get_hostname() == 'hailort-amd64-a':
        assert builds_here(host)
        assert host.file('/var/cache/hailo_open.hailo/ccache').is_directory
    else:
        assert not builds_here(host)


def test_no_build_tree_is_left_behind(host):
    assert host.run('ls -d /var/cache/hailo_open.hailo/hailort-*').rc != 0
