# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""What kind of host this is: distribution, architecture, container, Raspberry Pi OS."""

from __future__ import annotations

import os
import shlex

# Debian releases (by VERSION_ID) the collection supports, with their code names.
SUPPORTED_RELEASES = {'12': 'bookworm', '13': 'trixie'}
SUPPORTED_MACHINES = {'aarch64': 'arm64', 'x86_64': 'amd64'}
# Distribution ids that are Debian for our purposes. Raspberry Pi OS 64-bit says ID=debian,
# the 32-bit edition ID=raspbian (which is armhf and fails the architecture check).
DEBIAN_IDS = ('debian', 'raspbian')


def parse_os_release(text):
    """Parse os-release(5) text into a dict of its keys."""
    result = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value]
        result[key] = words[0] if words else ''
    return result


def read_os_release(root='/'):
    for path in ('etc/os-release', 'usr/lib/os-release'):
        try:
            with open(os.path.join(root, path)) as handle:
                return parse_os_release(handle.read())
        except (IOError, OSError):
            continue
    return {}


def is_raspberry_pi_os(root='/'):
    """Raspberry Pi OS leaves /etc/rpi-issue and configures Raspberry Pi's apt archive."""
    if os.path.exists(os.path.join(root, 'etc/rpi-issue')):
        return True
    sources = os.path.join(root, 'etc/apt/sources.list.d')
    try:
        names = os.listdir(sources)
    except (IOError, OSError):
        return False
    return any(name.startswith('raspi') for name in names)


def check_platform(os_release, machine):
    """Return (release_codename, debian_arch) or raise ValueError with an actionable message."""
    distro = os_release.get('ID', 'unknown')
    like = os_release.get('ID_LIKE', '').split()
    version = os_release.get('VERSION_ID', '')
    pretty = os_release.get('PRETTY_NAME') or '%s %s' % (distro, version)
    if distro not in DEBIAN_IDS:
        hint = ' (it is Debian-like, but only Debian and Raspberry Pi OS are tested)' if 'debian' in like else ''
        raise ValueError(
            'Unsupported distribution %r%s: hailo_open.hailo supports Debian 12 (bookworm), Debian 13 (trixie) '
            'and Raspberry Pi OS based on them.' % (pretty, hint))
    if version not in SUPPORTED_RELEASES:
        raise ValueError(
            'Unsupported release %r: hailo_open.hailo supports Debian / Raspberry Pi OS %s.'
            % (pretty, ', '.join('%s (%s)' % (v, n) for v, n in sorted(SUPPORTED_RELEASES.items()))))
    if machine not in SUPPORTED_MACHINES:
        raise ValueError(
            'Unsupported architecture %r on %s: hailo_open.hailo supports aarch64 (arm64; a Raspberry Pi 5 needs the '
            '64-bit OS) and x86_64 (amd64).' % (machine, pretty))
    return SUPPORTED_RELEASES[version], SUPPORTED_MACHINES[machine]


def detect_container(root='/', environ=None):
    """Return the container engine's name when this host is a container, else None."""
    if os.path.exists(os.path.join(root, 'run/.containerenv')):
        return 'podman'
    if os.path.exists(os.path.join(root, '.dockerenv')):
        return 'docker'
    for path in ('run/systemd/container', 'run/host/container-manager'):
        try:
            with open(os.path.join(root, path)) as handle:
                name = handle.read().strip()
        except (IOError, OSError):
            continue
        if name:
            return name
    env = os.environ if environ is None else environ
    if env.get('container'):
        return env['container']
    return None
