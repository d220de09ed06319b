# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Discovery of the kernels installed on a host and what is needed to build modules for them.

A "kernel" here is a release for which a kernel package left a complete module tree:
``/lib/modules/<release>/modules.builtin`` exists. Directories that only hold left-over
``updates/dkms`` modules of a removed kernel are not kernels.
"""

from __future__ import annotations

import fcntl
import os
import re

# Kernel releases look like:
#   6.12.47+rpt-rpi-2712       Raspberry Pi OS (trixie/bookworm), flavour rpi-2712
#   6.12.117+deb13-arm64       Debian 13, flavour arm64
#   6.12.117+deb13-cloud-amd64 Debian 13, flavour cloud-amd64
#   6.1.0-28-arm64             Debian 12, flavour arm64
_DEBIAN_ABI_RE = re.compile(r'^\d+\.\d+(?:\.\d+)?(?:-\d+|\+[a-z0-9.~]+)-(?P<flavour>[a-z0-9][a-z0-9-]*)$')

# Page sizes of flavours whose .config may not be on disk (no /boot/config-<release>).
_FLAVOUR_PAGE_SIZES = {
    'rpi-2712': 16384,
    'rpi-v8': 4096,
    'rpi-v7': 4096,
    'rpi-v7l': 4096,
    'rpi-v6': 4096,
    'rpi-2712-rt': 16384,
    # Debian's generic arm64 kernels: 4 KiB pages, except the 16k flavour (linux-image-arm64-16k), the closest
    # stand-in for the Pi 5's rpi-2712.
    'arm64': 4096,
    'rt-arm64': 4096,
    'arm64-16k': 16384,
    'amd64': 4096,
    'cloud-amd64': 4096,
    'rt-amd64': 4096,
}

_CONFIG_PAGE_SIZES = (
    ('CONFIG_ARM64_64K_PAGES', 65536),
    ('CONFIG_ARM64_16K_PAGES', 16384),
    ('CONFIG_ARM64_4K_PAGES', 4096),
    ('CONFIG_X86_64', 4096),
    ('CONFIG_X86', 4096),
)

RASPBERRY_PI_FLAVOURS = frozenset(('rpi-2712', 'rpi-v8', 'rpi-v7', 'rpi-v7l', 'rpi-v6', 'rpi-2712-rt'))


def kernel_flavour(release):
    """Return the flavour of a kernel release ('rpi-2712', 'arm64', 'cloud-amd64'), or None."""
    match = _DEBIAN_ABI_RE.match(release or '')
    return match.group('flavour') if match else None


def page_size_from_config(text):
    """Return the page size in bytes that a kernel .config selects, or None when it does not say."""
    enabled = set()
    for line in (text or '').splitlines():
        line = line.strip()
        if line.endswith('=y'):
            enabled.add(line[:-2])
    for option, size in _CONFIG_PAGE_SIZES:
        if option in enabled:
            return size
    return None


def kernel_page_size(release, boot_dir='/boot'):
    """Page size of an installed kernel: from /boot/config-<release>, else from its flavour, else None."""
    try:
        with open(os.path.join(boot_dir, 'config-%s' % release)) as config:
            size = page_size_from_config(config.read())
    except (IOError, OSError):
        size = None
    if size is None:
        size = _FLAVOUR_PAGE_SIZES.get(kernel_flavour(release) or '')
    if size is None and (kernel_flavour(release) or '').endswith(('amd64', '686', '686-pae')):
        size = 4096
    return size


def headers_path(release, modules_root='/lib/modules'):
    """The resolved headers directory for a kernel (``<modules>/<release>/build``) when it holds a Makefile."""
    build = os.path.join(modules_root, release, 'build')
    if os.path.isfile(os.path.join(build, 'Makefile')):
        return os.path.realpath(build)
    return None


def _release_sort_key(release):
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', release)]


def installed_kernels(modules_root='/lib/modules', boot_dir='/boot'):
    """List the kernels installed on this host, sorted by release."""
    try:
        entries = os.listdir(modules_root)
    except (IOError, OSError):
        return []
    kernels = []
    for release in sorted(entries, key=_release_sort_key):
        modules_dir = os.path.join(modules_root, release)
        if not os.path.isfile(os.path.join(modules_dir, 'modules.builtin')):
            continue
        kernels.append({
            'release': release,
            'flavour': kernel_flavour(release),
            'page_size': kernel_page_size(release, boot_dir),
            'modules_dir': modules_dir,
            'headers_path': headers_path(release, modules_root),
        })
    return kernels


def headers_packages(kernel, raspberry_pi_os=False):
    """Debian packages that provide headers for ``kernel`` (a dict from installed_kernels).

    The exact ``linux-headers-<release>`` package always comes first. On Raspberry Pi OS the
    flavour's meta-package (``linux-headers-rpi-2712``) follows, so that headers for kernels
    installed by later upgrades are pulled in by apt together with the kernel.
    """
    packages = ['linux-headers-%s' % kernel['release']]
    flavour = kernel.get('flavour')
    if raspberry_pi_os and flavour in RASPBERRY_PI_FLAVOURS:
        packages.append('linux-headers-%s' % flavour)
    return packages


def select_target_kernels(kernels, running_release, in_container, requested=None):
    """Decide which kernels to build for.

    Returns ``(targets, notes)``: the list of kernel dicts to target and human-readable notes on
    what was decided and why. ``requested`` (a list of releases) restricts the targets; every
    requested release must be installed. Raises ValueError with an actionable message otherwise.
    """
    notes = []
    by_release = dict((k['release'], k) for k in kernels)
    if requested:
        missing = [r for r in requested if r not in by_release]
        if missing:
            raise ValueError(
                'Requested kernel(s) %s are not installed on this host (installed: %s). Install the kernel '
                'package first or remove it from the requested list.'
                % (', '.join(missing), ', '.join(sorted(by_release)) or 'none'))
        targets = [by_release[r] for r in requested]
    else:
        targets = list(kernels)
    if running_release not in by_release:
        if in_container:
            notes.append('Running kernel %s is the container host\'s and is not installed here; targeting the '
                         'installed kernels only.' % running_release)
        else:
            notes.append('Running kernel %s has no module tree under /lib/modules (package removed?); it is not '
                         'targeted.' % running_release)
    if not targets:
        raise ValueError(
            'No installed kernel found under /lib/modules (no modules.builtin in any release directory). '
            'Install a kernel image package (on a Raspberry Pi 5: linux-image-rpi-2712).')
    return targets, notes


def parse_apt_policy(text):
    """Parse ``apt-cache policy PKG...`` into ``{package: {'installed': v|None, 'candidate': v|None}}``.

    Packages apt does not know are simply absent from the output (apt prints at most a note on stderr).
    """
    result = {}
    current = None
    for line in (text or '').splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(':'):
            current = line.rstrip()[:-1]
            result[current] = {'installed': None, 'candidate': None}
            continue
        if current is None:
            continue
        stripped = line.strip()
        for key, field in (('Installed:', 'installed'), ('Candidate:', 'candidate')):
            if stripped.startswith(key):
                value = stripped[len(key):].strip()
                result[current][field] = None if value in ('', '(none)') else value
    return result


def plan_headers(targets, policy, raspberry_pi_os=False):
    """Decide which header packages to install for ``targets``.

    Returns ``(to_install, unavailable)``: package names for apt, and for each kernel that has no
    headers and no installable package, ``{'release': ..., 'packages_tried': [...]}``.
    A kernel whose headers are already present (``headers_path``) never fails the plan, even when
    its package is not in the archive (headers installed by hand from a .deb).
    """
    to_install = []
    unavailable = []
    for kernel in targets:
        packages = headers_packages(kernel, raspberry_pi_os)
        usable = [p for p in packages if (policy.get(p) or {}).get('candidate') or (policy.get(p) or {}).get('installed')]
        if packages[0] not in usable and not kernel.get('headers_path'):
            unavailable.append({'release': kernel['release'], 'packages_tried': packages})
            continue
        for package in usable:
            if package not in to_install:
                to_install.append(package)
    return to_install, unavailable


def headers_unavailable_message(unavailable):
    """One actionable sentence for the kernels ``plan_headers`` found no headers for, or None."""
    if not unavailable:
        return None
    kernels = '; '.join('kernel %s (tried %s)' % (k['release'], ', '.join(k['packages_tried'])) for k in unavailable)
    return ('No kernel headers can be installed for %s. Without headers no driver can be built for that kernel. '
            'Upgrade the system (apt full-upgrade) so that kernel and headers come from the same archive, remove '
            'the old kernel package, or leave the kernel out with toolchain_kernels.' % kernels)


def apt_lists_present(lists_dir='/var/lib/apt/lists'):
    """Whether apt has downloaded any package lists (fresh images and containers have none)."""
    try:
        return any('_Packages' in name for name in os.listdir(lists_dir))
    except (IOError, OSError):
        return False


def dpkg_interrupted(dpkg_dir='/var/lib/dpkg'):
    """Whether an earlier dpkg run was interrupted (killed, or its host lost power) and nobody finished it: dpkg's
    journal in ``updates/`` has entries (file names of digits only) and no dpkg holds its lock now. apt then refuses
    to install anything until ``dpkg --configure -a`` runs. A dpkg that is still running (a run whose controller
    died left its apt going) is not interrupted: apt waits for its lock instead."""
    try:
        pending = any(name.isdigit() for name in os.listdir(os.path.join(dpkg_dir, 'updates')))
    except (IOError, OSError):
        return False
    if not pending:
        return False
    try:
        # Opened, never created: facts change nothing on the host (no lock file, no dpkg holding it).
        fd = os.open(os.path.join(dpkg_dir, 'lock'), os.O_RDWR)
    except (IOError, OSError):
        return True
    try:
        # dpkg holds fcntl (POSIX) locks; take it for a moment only to see whether anybody has it.
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (IOError, OSError):
        return False
    finally:
        os.close(fd)
    return True


def newer_kernel_installed(kernels, running_release):
    """The newest installed release of the running kernel's flavour when it is newer than the running one, else None.

    After an upgrade the new kernel is installed next to the running one; booting it needs a reboot.
    """
    flavour = kernel_flavour(running_release)
    if flavour is None:
        return None
    same_flavour = [k['release'] for k in kernels if k.get('flavour') == flavour]
    if not same_flavour:
        return None
    newest = max(same_flavour, key=_release_sort_key)
    if _release_sort_key(newest) > _release_sort_key(running_release):
        return newest
    return None


def default_boot_kernel(kernels, root='/'):
    """The installed release Debian boots by default, or None.

    Debian's kernel packages (linux-base's linux-update-symlinks) point the ``/vmlinuz`` link (``/boot/vmlinuz``
    with ``link_in_boot``) at the newest installed kernel, of any flavour; boot loaders and direct-kernel boots
    follow it. A link to a kernel that is not installed does not count.
    """
    installed = set(kernel['release'] for kernel in kernels)
    for link in ('vmlinuz', 'boot/vmlinuz'):
        try:
            name = os.path.basename(os.readlink(os.path.join(root, link)))
        except (IOError, OSError):
            continue
        if name.startswith('vmlinuz-') and name[len('vmlinuz-'):] in installed:
            return name[len('vmlinuz-'):]
    return None


def next_boot_kernel(kernels, running_release, default_release=None, raspberry_pi_os=False):
    """The kernel the next boot runs when it is not the running one, else None.

    On Raspberry Pi OS the firmware boots the newest kernel of the board's flavour (kernel_2712.img), whatever
    ``/vmlinuz`` says. Elsewhere Debian's default link decides when it names an installed kernel
    (default_boot_kernel); without one, the newest kernel of the running flavour is what an upgrade installed.
    """
    if default_release and not raspberry_pi_os:
        return None if default_release == running_release else default_release
    return newer_kernel_installed(kernels, running_release)
