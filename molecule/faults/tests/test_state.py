"""Both nodes' end state after the interrupted runs, the lost host and the full disks: the driver installed by DKMS
for every kernel and nothing half-installed beside it, no interrupted dpkg, no partial file, HailoRT working."""

import pytest

WANTED = '4.23.0'


def test_dkms_installed_the_wanted_version_for_every_kernel_and_nothing_else(host):
    releases = host.check_output('ls /lib/modules').split()
    lines = [line for line in host.check_output('dkms status hailo_pci').splitlines() if line.strip()]
    assert sorted(lines) == sorted('hailo_pci/%s, %s, x86_64: installed' % (WANTED, release) for release in releases)
    assert host.check_output('ls /usr/src').split().count('hailo_pci-%s' % WANTED) == 1
    assert [name for name in host.check_output('ls /usr/src').split() if name.startswith('hailo_pci')] == [
        'hailo_pci-%s' % WANTED]


def test_dpkg_is_not_left_interrupted(host):
    assert host.check_output('dpkg --audit') == ''


@pytest.mark.parametrize('path', ['/usr/src', '/var/cache/hailo_open.hailo', '/usr/local', '/lib/firmware/hailo',
                                  '/etc/modprobe.d', '/etc/udev/rules.d'])
def test_no_partial_files(host, path):
    # Ansible writes each file next to its destination first (.ansible_tmp*) and renames it.
    leftovers = host.check_output("find %s \\( -name '.ansible_tmp*' -o -name '*.partial' -o -name '*.tmp' \\) "
                                  "-print" % path)
    assert leftovers == ''


def test_hailort_installed_and_its_artifact_whole(host):
    assert WANTED in host.check_output('/usr/local/bin/hailortcli --version')
    for artifact in host.check_output('ls /var/cache/hailo_open.hailo/artifacts').split():
        assert host.run('tar -tzf /var/cache/hailo_open.hailo/artifacts/%s >/dev/null' % artifact).rc == 0, artifact
