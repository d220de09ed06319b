# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Host-side facts around the Hailo stack: modprobe configuration, DKMS, modinfo, dpkg, firmware, libhailort."""

from __future__ import annotations

import glob
import hashlib
import os
import re

from ansible_collections.hailo_open.hailo.plugins.module_utils import _dkms as dkms

MODULE_NAME = 'hailo_pci'

# modprobe.d directories, highest precedence first (a file name in an earlier directory hides the same
# name in later ones; the remaining files are read in the lexical order of their names).
MODPROBE_DIRS = ('/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/usr/lib/modprobe.d',
                 '/lib/modprobe.d')

LIBHAILORT_DIRS = ('/usr/local/lib', '/usr/lib')
LIBHAILORT_MULTIARCH_GLOB = '/usr/lib/*-linux-gnu*'

# Debian packages (Raspberry Pi's archive) that clash with a build from source.
CONFLICTING_PACKAGES = ('hailo-all', 'hailo-dkms', 'hailort', 'hailofw', 'python3-hailort')

# dpkg package states in which files of the package are on disk.
_DPKG_PRESENT_STATES = ('installed', 'half-configured', 'unpacked', 'half-installed', 'triggers-awaited',
                        'triggers-pending')

_LIBHAILORT_RE = re.compile(r'^libhailort\.so\.(?P<version>\d+\.\d+\.\d+)$')


def normalise_module_name(name):
    return (name or '').replace('-', '_')


def modprobe_config_files(dirs=MODPROBE_DIRS):
    """The ``*.conf`` files modprobe reads, in the order it reads them."""
    chosen = {}
    for directory in dirs:
        try:
            names = os.listdir(directory)
        except (IOError, OSError):
            continue
        for name in names:
            if name.endswith('.conf') and name not in chosen:
                chosen[name] = os.path.join(directory, name)
    return [chosen[name] for name in sorted(chosen)]


def _logical_lines(text):
    pending = ''
    for line in (text or '').splitlines():
        if line.endswith('\\'):
            pending += line[:-1] + ' '
            continue
        yield pending + line
        pending = ''
    if pending:
        yield pending


def parse_modprobe_config(sources, module=MODULE_NAME):
    """What modprobe configuration says about ``module``.

    ``sources`` is a list of ``(path, text)`` in reading order. Returns ``{'options': {param: value},
    'option_sources': {param: path}, 'blacklisted': bool, 'install': command or None, 'files': [paths]}``;
    a later ``options`` value for the same parameter wins, as the kernel applies them in order.
    """
    result = {'options': {}, 'option_sources': {}, 'blacklisted': False, 'install': None, 'files': []}
    for path, text in sources:
        mentioned = False
        for line in _logical_lines(text):
            words = line.split('#', 1)[0].split()
            if len(words) < 2 or normalise_module_name(words[1]) != module:
                continue
            mentioned = True
            if words[0] == 'options':
                for option in words[2:]:
                    name, _sep, value = option.partition('=')
                    result['options'][name] = value
                    result['option_sources'][name] = path
            elif words[0] == 'blacklist':
                result['blacklisted'] = True
            elif words[0] == 'install':
                result['install'] = ' '.join(words[2:])
        if mentioned:
            result['files'].append(path)
    return result


def read_modprobe_config(dirs=MODPROBE_DIRS, module=MODULE_NAME):
    sources = []
    for path in modprobe_config_files(dirs):
        try:
            with open(path) as handle:
                sources.append((path, handle.read()))
        except (IOError, OSError):
            continue
    return parse_modprobe_config(sources, module)


def parse_dkms_status(text, module=MODULE_NAME):
    """The ``dkms status`` entries (dkms 2.x and 3.x formats, see ``dkms.parse_status``) of ``module``."""
    return [entry for entry in dkms.parse_status(text) if entry['module'] == module]


def parse_modinfo(text):
    """The first ``filename``, ``version``, ``srcversion`` and ``vermagic`` values of ``modinfo`` output."""
    fields = {'filename': None, 'version': None, 'srcversion': None, 'vermagic': None}
    for line in (text or '').splitlines():
        key, sep, value = line.partition(':')
        key = key.strip()
        if sep and key in fields and fields[key] is None:
            fields[key] = value.strip()
    return fields


def module_location(filename, modules_dir):
    """Where under ``/lib/modules/<release>`` a module file lives: 'updates', 'kernel', 'extra', other, or None."""
    if not filename or not modules_dir:
        return None
    relative = os.path.relpath(filename, modules_dir)
    if relative.startswith('..'):
        return None
    return relative.split(os.sep, 1)[0]


def is_dkms_path(filename):
    return bool(filename) and '/updates/dkms/' in filename


def parse_dpkg_query(text):
    """Parse ``dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n'`` into present packages.

    Returns ``[{'name', 'version', 'status'}]`` for packages whose files are on disk (config-files only
    and not-installed ones are left out).
    """
    present = []
    for line in (text or '').splitlines():
        parts = line.split('\t')
        if len(parts) != 3:
            continue
        name, status, version = (part.strip() for part in parts)
        state = status.split()[-1] if status.split() else ''
        if state in _DPKG_PRESENT_STATES:
            present.append({'name': name, 'version': version, 'status': status})
    return present


def default_library_dirs():
    """The system library directories where a libhailort may be: /usr/local/lib, /usr/lib and Debian's multiarch."""
    return list(LIBHAILORT_DIRS) + sorted(glob.glob(LIBHAILORT_MULTIARCH_GLOB))


def find_libhailort(dirs=None):
    """libhailort.so.X.Y.Z files: ``[{'path', 'version'}]``, in the order of ``dirs``."""
    if dirs is None:
        dirs = default_library_dirs()
    found = []
    for directory in dirs:
        try:
            names = sorted(os.listdir(directory))
        except (IOError, OSError):
            continue
        for name in names:
            match = _LIBHAILORT_RE.match(name)
            if match:
                found.append({'path': os.path.join(directory, name), 'version': match.group('version')})
    return found


def firmware_facts(path):
    """``{'path', 'present', 'size', 'sha256'}`` of a firmware file."""
    facts = {'path': path, 'present': False, 'size': None, 'sha256': None}
    try:
        digest = hashlib.sha256()
        size = 0
        with open(path, 'rb') as handle:
            for chunk in iter(lambda: handle.read(65536), b''):
                digest.update(chunk)
                size += len(chunk)
    except (IOError, OSError):
        return facts
    facts.update(present=True, size=size, sha256=digest.hexdigest())
    return facts
