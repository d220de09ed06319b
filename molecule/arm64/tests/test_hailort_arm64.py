"""Verify the hailort role on the emulated Pi: HailoRT compiled for arm64 and installed, and no build tree left."""

import json

VERSION = '4.23.0'


def test_hailortcli_runs_and_is_the_wanted_version(host):
    assert host.check_output('/usr/local/bin/hailortcli --version') == 'HailoRT-CLI version %s' % VERSION


def test_binaries_are_arm64(host):
    # The ELF header's machine field: 0xb7 is AArch64.
    machine = host.check_output("od -An -tx1 -j18 -N1 /usr/local/lib/libhailort.so.%s" % VERSION).strip()
    assert machine == 'b7'


def test_library_is_installed_and_known_to_the_loader(host):
    assert host.file('/usr/local/lib/libhailort.so').linked_to == '/usr/local/lib/libhailort.so.%s' % VERSION
    assert 'libhailort.so.%s' % VERSION in host.check_output('ldconfig -p')


def test_manifest(host):
    manifest = json.loads(host.file('/usr/local/share/hailo_open.hailo/hailort.manifest.json').content_string)
    assert manifest['version'] == VERSION
    assert 'bin/hailortcli' in manifest['files']


def test_the_builder_keeps_its_source_and_ccache_but_no_build_tree(host):
    assert host.file('/var/cache/hailo_open.hailo/sources/hailort-%s.tar.gz' % VERSION).exists
    assert host.file('/var/cache/hailo_open.hailo/ccache').is_directory
    assert host.run('ls -d /var/cache/hailo_open.hailo/hailort-*').rc != 0
