"""Verify the hailort role: one build per target, installed everywhere, and a clean version change."""

# The side effect moved the hosts from 4.23.0 to 4.22.0, from the offline bundle.
VERSION = '4.22.0'


def builds_here(host):
    # Only builders get a ccache; they keep it, and remove their build trees and source archives afterwards.
    return host.file('/var/cache/hailo_open.hailo/ccache').is_directory


def test_hailort_is_installed_and_previous_version_removed(host, check_hailort_installed):
    check_hailort_installed(VERSION)
    assert not host.file('/usr/local/lib/libhailort.so.4.23.0').exists


def test_only_the_first_host_compiled(host):
    if host.backend.get_hostname() == 'hailort-amd64-a':
        assert builds_here(host)
        assert host.run('ls /var/cache/hailo_open.hailo/sources/hailort-*').rc != 0
    else:
        assert not builds_here(host)


def test_no_build_tree_is_left_behind(host):
    assert host.run('ls -d /var/cache/hailo_open.hailo/hailort-*').rc != 0
