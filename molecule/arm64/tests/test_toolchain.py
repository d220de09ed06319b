"""Verify the toolchain role (converged with the driver): packages, headers for every installed kernel, and the
published facts."""

import json
import os

TOOLCHAIN = ['build-essential', 'cmake', 'git', 'dkms', 'kmod', 'pciutils', 'ccache', 'python3-venv',
             'python3-pyudev']


def installed_releases(host):
    out = host.check_output("find /lib/modules -mindepth 2 -maxdepth 2 -name modules.builtin -printf '%h\\n'")
    return sorted(os.path.basename(line) for line in out.splitlines())


def installed_packages(host, names):
    # One dpkg-query for all packages: every command is slow under arm64 emulation.
    out = host.run("dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' %s" % ' '.join(names)).stdout
    return set(line.split()[0] for line in out.splitlines() if line.split()[1:2] == ['ii'])


def test_toolchain_packages_installed(host):
    assert installed_packages(host, TOOLCHAIN) == set(TOOLCHAIN)


def test_image_has_two_kernel_flavours(host):
    # Guards the test itself: "every installed kernel" means nothing with one kernel.
    assert len(installed_releases(host)) >= 2


def test_headers_for_every_installed_kernel(host):
    releases = installed_releases(host)
    wanted = ['linux-headers-%s' % release for release in releases]
    assert installed_packages(host, wanted) == set(wanted)
    for release in releases:
        assert host.file('/lib/modules/%s/build/Makefile' % release).exists, release


def test_published_facts_match_the_host(host):
    record = json.loads(host.file('/var/tmp/molecule-hailo-kernels.json').content_string)
    releases = installed_releases(host)
    assert [k['release'] for k in record['targets']] == releases
    running = host.check_output('uname -r')
    # The container runs the host's kernel, which is not installed here: it must not be targeted.
    assert running not in releases
    assert record['facts']['container'] == 'podman'
    assert any(running in note for note in record['facts']['notes'])
    arch = host.check_output('dpkg --print-architecture')
    assert record['facts']['architecture'] == arch
    assert record['facts']['distribution_release'] == 'trixie'
    for kernel in record['targets']:
        assert kernel['flavour'] == kernel['release'].split('-', 1)[1], kernel
        assert kernel['flavour'].startswith(arch)
        # Debian's generic arm64 and amd64 kernels use 4 KiB pages; arm64-16k uses 16 KiB, like the Pi's rpi-2712.
        assert kernel['page_size'] == (16384 if kernel['flavour'] == 'arm64-16k' else 4096), kernel
    if arch == 'arm64':
        assert 'arm64-16k' in [kernel['flavour'] for kernel in record['targets']]
        assert kernel['headers_path'] == host.file('/lib/modules/%s/build' % kernel['release']).linked_to
        assert kernel['headers_packages'][0] == 'linux-headers-%s' % kernel['release']
