"""Verify the hailort role on the emulated Pi: HailoRT compiled for arm64 and installed, and no build tree left."""

VERSION = '4.23.0'


def test_hailort_is_installed(check_hailort_installed):
    check_hailort_installed(VERSION)


def test_binaries_are_arm64(host):
    # The ELF header's machine field: 0xb7 is AArch64.
    machine = host.check_output("od -An -tx1 -j18 -N1 /usr/local/lib/libhailort.so.%s" % VERSION).strip()
    assert machine == 'b7'


def test_the_builder_keeps_its_ccache_but_no_build_tree_nor_source(host):
    assert not host.file('/var/cache/hailo_open.hailo/sources/hailort-%s.tar.gz' % VERSION).exists
    assert host.file('/var/cache/hailo_open.hailo/ccache').is_directory
    assert host.run('ls -d /var/cache/hailo_open.hailo/hailort-*').rc != 0
