"""Unit tests for plugins/module_utils/_kernels.py."""

import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _kernels as kernels

# `apt-cache policy` output as apt 3.0 (trixie) prints it, for one known and one installed package;
# unknown packages produce no lines at all.
APT_POLICY = """linux-headers-6.12.117+deb13-arm64:
  Installed: (none)
  Candidate: 6.12.117-1
  Version table:
     6.12.117-1 500
        500 http://mirror.example/debian trixie/main arm64 Packages
linux-headers-6.12.117+deb13-rt-arm64:
  Installed: 6.12.117-1
  Candidate: 6.12.117-1
  Version table:
 *** 6.12.117-1 500
        500 http://mirror.example/debian trixie/main arm64 Packages
        100 /var/lib/dpkg/status
linux-headers-rpi-2712:
  Installed: (none)
  Candidate: (none)
  Version table:
"""


@pytest.mark.parametrize('release, flavour', [
    ('6.12.47+rpt-rpi-2712', 'rpi-2712'),
    ('6.12.47+rpt-rpi-v8', 'rpi-v8'),
    ('6.12.117+deb13-arm64', 'arm64'),
    ('6.12.117+deb13-cloud-amd64', 'cloud-amd64'),
    ('6.1.0-28-arm64', 'arm64'),
    ('6.1.0-28-rt-amd64', 'rt-amd64'),
    ('6.6.31+rpt-rpi-2712', 'rpi-2712'),
    ('6.12.0', None),
    ('custom', None),
    ('', None),
])
def test_kernel_flavour(release, flavour):
    assert kernels.kernel_flavour(release) == flavour


@pytest.mark.parametrize('text, size', [
    ('CONFIG_ARM64=y\nCONFIG_ARM64_16K_PAGES=y\nCONFIG_ARM64_PAGE_SHIFT=14\n', 16384),
    ('CONFIG_ARM64=y\nCONFIG_ARM64_4K_PAGES=y\n', 4096),
    ('CONFIG_ARM64_64K_PAGES=y\n', 65536),
    ('CONFIG_X86_64=y\n', 4096),
    ('# CONFIG_ARM64_16K_PAGES is not set\nCONFIG_ARM64_4K_PAGES=y\n', 4096),
    ('CONFIG_ARM64_16K_PAGES=m\n', None),
    ('', None),
    (None, None),
])
def test_page_size_from_config(text, size):
    assert kernels.page_size_from_config(text) == size


def make_kernel(root, release, config=None, headers=False, builtin=True):
    modules = root / 'lib/modules' / release
    modules.mkdir(parents=True)
    if builtin:
        (modules / 'modules.builtin').write_text('')
    if config is not None:
        boot = root / 'boot'
        boot.mkdir(exist_ok=True)
        (boot / ('config-%s' % release)).write_text(config)
    if headers:
        src = root / 'usr/src' / ('linux-headers-%s' % release)
        src.mkdir(parents=True)
        (src / 'Makefile').write_text('')
        os.symlink(str(src), str(modules / 'build'))


def test_installed_kernels_lists_complete_trees_sorted(tmp_path):
    make_kernel(tmp_path, '6.12.47+rpt-rpi-v8', config='CONFIG_ARM64_4K_PAGES=y\n')
    make_kernel(tmp_path, '6.12.47+rpt-rpi-2712', headers=True)
    make_kernel(tmp_path, '6.9.1+rpt-rpi-2712')
    # Left-over updates/dkms of a removed kernel: not a kernel.
    make_kernel(tmp_path, '6.6.20+rpt-rpi-2712', builtin=False)
    result = kernels.installed_kernels(str(tmp_path / 'lib/modules'), str(tmp_path / 'boot'))
    assert [k['release'] for k in result] == ['6.9.1+rpt-rpi-2712', '6.12.47+rpt-rpi-2712', '6.12.47+rpt-rpi-v8']
    by_release = dict((k['release'], k) for k in result)
    assert by_release['6.12.47+rpt-rpi-2712'] == {
        'release': '6.12.47+rpt-rpi-2712',
        'flavour': 'rpi-2712',
        'page_size': 16384,  # no config file: from the flavour
        'modules_dir': str(tmp_path / 'lib/modules/6.12.47+rpt-rpi-2712'),
        'headers_path': str(tmp_path / 'usr/src/linux-headers-6.12.47+rpt-rpi-2712'),
    }
    assert by_release['6.12.47+rpt-rpi-v8']['page_size'] == 4096
    assert by_release['6.12.47+rpt-rpi-v8']['headers_path'] is None


def test_page_size_config_wins_over_flavour_and_unknown_stays_none(tmp_path):
    make_kernel(tmp_path, '6.12.1+rpt-rpi-2712', config='CONFIG_ARM64_4K_PAGES=y\n')
    make_kernel(tmp_path, '6.12.1-custom')
    make_kernel(tmp_path, '6.12.117+deb13-cloud-amd64')
    result = dict((k['release'], k['page_size'])
                  for k in kernels.installed_kernels(str(tmp_path / 'lib/modules'), str(tmp_path / 'boot')))
    assert result == {'6.12.1+rpt-rpi-2712': 4096, '6.12.1-custom': None, '6.12.117+deb13-cloud-amd64': 4096}


def test_debian_arm64_flavours_without_config(tmp_path):
    # Debian trixie ships a 16 KiB-page arm64 kernel, the closest stand-in for the Pi 5's rpi-2712.
    make_kernel(tmp_path, '6.12.117+deb13-arm64-16k')
    make_kernel(tmp_path, '6.12.117+deb13-arm64')
    result = dict((k['release'], (k['flavour'], k['page_size']))
                  for k in kernels.installed_kernels(str(tmp_path / 'lib/modules'), str(tmp_path / 'boot')))
    assert result == {'6.12.117+deb13-arm64-16k': ('arm64-16k', 16384), '6.12.117+deb13-arm64': ('arm64', 4096)}


def test_installed_kernels_without_module_root(tmp_path):
    assert kernels.installed_kernels(str(tmp_path / 'missing')) == []


def test_headers_path_needs_a_makefile(tmp_path):
    (tmp_path / '6.1/build').mkdir(parents=True)
    assert kernels.headers_path('6.1', str(tmp_path)) is None
    (tmp_path / '6.1/build/Makefile').write_text('')
    assert kernels.headers_path('6.1', str(tmp_path)) == str(tmp_path / '6.1/build')


@pytest.mark.parametrize('kernel, pi_os, packages', [
    ({'release': '6.12.47+rpt-rpi-2712', 'flavour': 'rpi-2712'}, True,
     ['linux-headers-6.12.47+rpt-rpi-2712', 'linux-headers-rpi-2712']),
    ({'release': '6.12.47+rpt-rpi-2712', 'flavour': 'rpi-2712'}, False, ['linux-headers-6.12.47+rpt-rpi-2712']),
    ({'release': '6.12.117+deb13-arm64', 'flavour': 'arm64'}, True, ['linux-headers-6.12.117+deb13-arm64']),
    ({'release': 'custom', 'flavour': None}, True, ['linux-headers-custom']),
])
def test_headers_packages(kernel, pi_os, packages):
    assert kernels.headers_packages(kernel, pi_os) == packages


KERNELS = [
    {'release': '6.12.117+deb13-amd64', 'flavour': 'amd64'},
    {'release': '6.12.117+deb13-cloud-amd64', 'flavour': 'cloud-amd64'},
]


def test_select_all_installed_kernels_on_a_real_host():
    targets, notes = kernels.select_target_kernels(KERNELS, '6.12.117+deb13-amd64', False)
    assert targets == KERNELS
    assert notes == []


def test_select_in_container_skips_the_foreign_running_kernel_with_a_note():
    targets, notes = kernels.select_target_kernels(KERNELS, '6.1.0-40-amd64', True)
    assert targets == KERNELS
    assert len(notes) == 1 and '6.1.0-40-amd64' in notes[0] and 'container' in notes[0]


def test_select_on_a_host_whose_running_kernel_was_removed():
    targets, notes = kernels.select_target_kernels(KERNELS, '6.1.0-40-amd64', False)
    assert targets == KERNELS
    assert 'no module tree' in notes[0]


def test_select_requested_subset():
    targets, _ = kernels.select_target_kernels(KERNELS, '6.12.117+deb13-amd64', False, ['6.12.117+deb13-cloud-amd64'])
    assert targets == [KERNELS[1]]


def test_select_requested_kernel_not_installed():
    with pytest.raises(ValueError, match=r'9\.9\.9-x-arm64 are not installed.*installed: 6\.12\.117\+deb13-amd64'):
        kernels.select_target_kernels(KERNELS, '6.12.117+deb13-amd64', False, ['9.9.9-x-arm64'])


def test_select_without_any_kernel():
    with pytest.raises(ValueError, match='No installed kernel'):
        kernels.select_target_kernels([], '6.1.0-40-amd64', True)


def test_parse_apt_policy():
    policy = kernels.parse_apt_policy(APT_POLICY)
    assert policy == {
        'linux-headers-6.12.117+deb13-arm64': {'installed': None, 'candidate': '6.12.117-1'},
        'linux-headers-6.12.117+deb13-rt-arm64': {'installed': '6.12.117-1', 'candidate': '6.12.117-1'},
        'linux-headers-rpi-2712': {'installed': None, 'candidate': None},
    }
    assert kernels.parse_apt_policy('') == {}
    assert kernels.parse_apt_policy('N: Unable to locate package foo\n') == {}


def test_plan_headers():
    policy = kernels.parse_apt_policy(APT_POLICY)
    targets = [
        {'release': '6.12.117+deb13-arm64', 'flavour': 'arm64', 'headers_path': None},
        {'release': '6.12.117+deb13-rt-arm64', 'flavour': 'rt-arm64', 'headers_path': '/usr/src/x'},
        # Headers installed by hand, no package in the archive: fine.
        {'release': '6.12.9-custom-arm64', 'flavour': 'custom-arm64', 'headers_path': '/usr/src/y'},
        # No headers and nothing to install: unavailable.
        {'release': '6.12.1+rpt-rpi-2712', 'flavour': 'rpi-2712', 'headers_path': None},
    ]
    to_install, unavailable = kernels.plan_headers(targets, policy, raspberry_pi_os=True)
    assert to_install == ['linux-headers-6.12.117+deb13-arm64', 'linux-headers-6.12.117+deb13-rt-arm64']
    assert unavailable == [{'release': '6.12.1+rpt-rpi-2712',
                            'packages_tried': ['linux-headers-6.12.1+rpt-rpi-2712', 'linux-headers-rpi-2712']}]


def test_plan_headers_pi_os_adds_flavour_metapackage_when_available():
    policy = {'linux-headers-6.12.47+rpt-rpi-2712': {'installed': None, 'candidate': '1:6.12.47-1+rpt1'},
              'linux-headers-rpi-2712': {'installed': None, 'candidate': '1:6.12.47-1+rpt1'}}
    to_install, unavailable = kernels.plan_headers(
        [{'release': '6.12.47+rpt-rpi-2712', 'flavour': 'rpi-2712', 'headers_path': None}], policy, True)
    assert to_install == ['linux-headers-6.12.47+rpt-rpi-2712', 'linux-headers-rpi-2712']
    assert unavailable == []


def test_headers_unavailable_message():
    assert kernels.headers_unavailable_message([]) is None
    msg = kernels.headers_unavailable_message([{'release': '6.1.9-x-arm64', 'packages_tried': ['linux-headers-6.1.9-x-arm64']}])
    assert 'kernel 6.1.9-x-arm64 (tried linux-headers-6.1.9-x-arm64)' in msg
    assert 'toolchain_kernels' in msg


def test_apt_lists_present(tmp_path):
    assert kernels.apt_lists_present(str(tmp_path / 'none')) is False
    (tmp_path / 'lock').write_text('')
    assert kernels.apt_lists_present(str(tmp_path)) is False
    (tmp_path / 'mirror_dists_trixie_main_binary-arm64_Packages').write_text('')
    assert kernels.apt_lists_present(str(tmp_path)) is True


@pytest.mark.parametrize('releases, running, newer', [
    (['6.12.47+rpt-rpi-2712', '6.12.47+rpt-rpi-v8'], '6.12.47+rpt-rpi-2712', None),
    (['6.12.47+rpt-rpi-2712', '6.12.50+rpt-rpi-2712', '6.12.50+rpt-rpi-v8'], '6.12.47+rpt-rpi-2712',
     '6.12.50+rpt-rpi-2712'),
    # Numeric, not lexical, order: 6.12.100 is newer than 6.12.99.
    (['6.12.99+deb13-arm64', '6.12.100+deb13-arm64'], '6.12.99+deb13-arm64', '6.12.100+deb13-arm64'),
    # Running the newest already; an older one is still installed.
    (['6.12.9+rpt-rpi-2712', '6.12.47+rpt-rpi-2712'], '6.12.47+rpt-rpi-2712', None),
    # Only another flavour is newer: booting it is not what the next reboot does.
    (['6.12.47+rpt-rpi-2712', '6.12.50+rpt-rpi-v8'], '6.12.47+rpt-rpi-2712', None),
    # A container runs a foreign kernel.
    (['6.12.117+deb13-amd64'], '6.1.0-40-cloud-amd64', None),
    (['6.12.117+deb13-amd64'], 'custom', None),
])
def test_newer_kernel_installed(releases, running, newer):
    kernels_list = [{'release': r, 'flavour': kernels.kernel_flavour(r)} for r in releases]
    assert kernels.newer_kernel_installed(kernels_list, running) == newer


def test_default_boot_kernel(tmp_path):
    installed = [{'release': '6.12.117+deb13-amd64'}, {'release': '6.12.117+deb13-cloud-amd64'}]
    assert kernels.default_boot_kernel(installed, str(tmp_path)) is None
    (tmp_path / 'boot').mkdir()
    (tmp_path / 'boot' / 'vmlinuz').symlink_to('vmlinuz-6.12.117+deb13-amd64')
    assert kernels.default_boot_kernel(installed, str(tmp_path)) == '6.12.117+deb13-amd64'
    # /vmlinuz (Debian's default place) comes first; the link need not resolve, only name an installed kernel.
    (tmp_path / 'vmlinuz').symlink_to('boot/vmlinuz-6.12.117+deb13-cloud-amd64')
    assert kernels.default_boot_kernel(installed, str(tmp_path)) == '6.12.117+deb13-cloud-amd64'
    # A link to a kernel that is no longer installed, or to something else, does not count.
    assert kernels.default_boot_kernel(installed[:1], str(tmp_path)) == '6.12.117+deb13-amd64'
    (tmp_path / 'vmlinuz').unlink()
    (tmp_path / 'vmlinuz').symlink_to('boot/bzImage')
    (tmp_path / 'boot' / 'vmlinuz').unlink()
    assert kernels.default_boot_kernel(installed, str(tmp_path)) is None


@pytest.mark.parametrize('running, default, pi_os, expected', [
    # Debian: the default link decides, across flavours.
    ('6.12.117+deb13-amd64', '6.12.117+deb13-cloud-amd64', False, '6.12.117+deb13-cloud-amd64'),
    ('6.12.117+deb13-amd64', '6.12.117+deb13-amd64', False, None),
    # No link: the newest kernel of the running flavour.
    ('6.12.47+rpt-rpi-2712', None, False, '6.12.50+rpt-rpi-2712'),
    # Raspberry Pi OS: the firmware boots the board's flavour, whatever /vmlinuz says.
    ('6.12.47+rpt-rpi-2712', '6.12.50+rpt-rpi-v8', True, '6.12.50+rpt-rpi-2712'),
    ('6.12.50+rpt-rpi-2712', '6.12.50+rpt-rpi-v8', True, None),
])
def test_next_boot_kernel(running, default, pi_os, expected):
    releases = ['6.12.117+deb13-amd64', '6.12.117+deb13-cloud-amd64', '6.12.47+rpt-rpi-2712', '6.12.50+rpt-rpi-2712',
                '6.12.50+rpt-rpi-v8']
    kernels_list = [{'release': r, 'flavour': kernels.kernel_flavour(r)} for r in releases]
    assert kernels.next_boot_kernel(kernels_list, running, default, pi_os) == expected


HOLD_DPKG_LOCK = (
    'import fcntl, os, sys, time\n'
    'fd = os.open(sys.argv[1], os.O_RDWR)\n'
    'fcntl.lockf(fd, fcntl.LOCK_EX)\n'
    'print("held", flush=True)\n'
    'time.sleep(30)\n'
)


def test_dpkg_interrupted(tmp_path):
    import subprocess
    import sys
    assert kernels.dpkg_interrupted(str(tmp_path / 'none')) is False
    updates = tmp_path / 'updates'
    updates.mkdir()
    assert kernels.dpkg_interrupted(str(tmp_path)) is False
    # dpkg's own temporary file is not a journal entry.
    (updates / 'tmp.i').write_text('')
    assert kernels.dpkg_interrupted(str(tmp_path)) is False
    (updates / '0003').write_text('Package: linux-headers-6.12.57+deb13-amd64\nStatus: install ok unpacked\n')
    assert kernels.dpkg_interrupted(str(tmp_path)) is True
    assert not (tmp_path / 'lock').exists()  # facts create nothing
    (tmp_path / 'lock').write_text('')
    assert kernels.dpkg_interrupted(str(tmp_path)) is True
    # A dpkg still running (it holds its lock, a POSIX lock of another process) is not an interrupted one.
    holder = subprocess.Popen([sys.executable, '-c', HOLD_DPKG_LOCK, str(tmp_path / 'lock')],
                              stdout=subprocess.PIPE, universal_newlines=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        assert kernels.dpkg_interrupted(str(tmp_path)) is False
    finally:
        holder.kill()
        holder.wait()
    assert kernels.dpkg_interrupted(str(tmp_path)) is True
