"""Unit tests for plugins/module_utils/_platform.py."""

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _platform as platform

# /etc/os-release of Raspberry Pi OS (trixie, 64-bit) and Debian 12, as shipped.
PI_OS_TRIXIE = '''PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.1
ID=debian
HOME_URL="https://www.debian.org/"
'''
UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'
BULLSEYE = 'PRETTY_NAME="Raspbian GNU/Linux 11 (bullseye)"\nID=raspbian\nID_LIKE=debian\nVERSION_ID="11"\n'


def test_parse_os_release():
    parsed = platform.parse_os_release(PI_OS_TRIXIE + '# comment\n\nBROKEN LINE\nQUOTE="unbalanced\n')
    assert parsed['ID'] == 'debian'
    assert parsed['VERSION_ID'] == '13'
    assert parsed['PRETTY_NAME'] == 'Debian GNU/Linux 13 (trixie)'
    assert parsed['QUOTE'] == '"unbalanced'
    assert 'BROKEN LINE' not in parsed


def test_read_os_release_prefers_etc(tmp_path):
    (tmp_path / 'usr/lib').mkdir(parents=True)
    (tmp_path / 'usr/lib/os-release').write_text(FEDORA)
    assert platform.read_os_release(str(tmp_path))['ID'] == 'fedora'
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc/os-release').write_text(PI_OS_TRIXIE)
    assert platform.read_os_release(str(tmp_path))['ID'] == 'debian'
    assert platform.read_os_release(str(tmp_path / 'nothing')) == {}


@pytest.mark.parametrize('text, machine, expected', [
    (PI_OS_TRIXIE, 'aarch64', ('trixie', 'arm64')),
    ('ID=debian\nVERSION_ID="12"\n', 'x86_64', ('bookworm', 'amd64')),
    ('ID=raspbian\nVERSION_ID="12"\n', 'aarch64', ('bookworm', 'arm64')),
])
def test_check_platform_supported(text, machine, expected):
    assert platform.check_platform(platform.parse_os_release(text), machine) == expected


@pytest.mark.parametrize('text, machine, pattern', [
    (UBUNTU, 'aarch64', r"Unsupported distribution 'Ubuntu 24\.04\.1 LTS' \(it is Debian-like"),
    (FEDORA, 'x86_64', r"Unsupported distribution 'fedora 40': hailo_open\.hailo supports Debian 12"),
    (BULLSEYE, 'aarch64', r"Unsupported release 'Raspbian GNU/Linux 11 \(bullseye\)'.*12 \(bookworm\), 13 \(trixie\)"),
    (PI_OS_TRIXIE, 'armv7l', r"Unsupported architecture 'armv7l'.*64-bit OS"),
    ('', 'aarch64', r"Unsupported distribution 'unknown "),
])
def test_check_platform_unsupported(text, machine, pattern):
    with pytest.raises(ValueError, match=pattern):
        platform.check_platform(platform.parse_os_release(text), machine)


def test_is_raspberry_pi_os(tmp_path):
    assert platform.is_raspberry_pi_os(str(tmp_path)) is False
    (tmp_path / 'etc/apt/sources.list.d').mkdir(parents=True)
    (tmp_path / 'etc/apt/sources.list.d/debian.sources').write_text('')
    assert platform.is_raspberry_pi_os(str(tmp_path)) is False
    (tmp_path / 'etc/apt/sources.list.d/raspi.sources').write_text('')
    assert platform.is_raspberry_pi_os(str(tmp_path)) is True
    (tmp_path / 'etc/apt/sources.list.d/raspi.sources').unlink()
    (tmp_path / 'etc/rpi-issue').write_text('Raspberry Pi reference 2025-10-01\n')
    assert platform.is_raspberry_pi_os(str(tmp_path)) is True


def test_detect_container(tmp_path):
    assert platform.detect_container(str(tmp_path), environ={}) is None
    assert platform.detect_container(str(tmp_path), environ={'container': 'lxc'}) == 'lxc'
    (tmp_path / 'run/systemd').mkdir(parents=True)
    (tmp_path / 'run/systemd/container').write_text('systemd-nspawn\n')
    assert platform.detect_container(str(tmp_path), environ={}) == 'systemd-nspawn'
    (tmp_path / '.dockerenv').write_text('')
    assert platform.detect_container(str(tmp_path), environ={}) == 'docker'
    (tmp_path / 'run/.containerenv').write_text('')
    assert platform.detect_container(str(tmp_path), environ={}) == 'podman'
