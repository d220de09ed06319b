# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""HailoRT's Python binding (``hailo_platform``, upstream ``hailort/libhailort/bindings/python``) built from source
for the node's own Python: which pybind11 to build it with, the commands, the wheel's name, and the check that the
installed binding imports.

HailoRT 4.17.0-4.23.0 pin pybind11 2.10.1 (``hailort/cmake/external/pybind11.cmake``, fetched into
``hailort/external/pybind11-src``). That release predates Python 3.12 and 3.13 (pybind11 added them in 2.11 and 2.13)
and NumPy 2 (2.12), and Debian 13 has Python 3.13 with NumPy 2.2. Checked against the real v4.23.0 tree on trixie:
with the pin, the binding builds and imports, but pybind11 2.10.1 reads NumPy 2's array descriptors with NumPy 1's
layout, so ``py::array::nbytes()`` and ``itemsize()`` are 0 - and ``_pyhailort`` sizes its inference buffers with
``nbytes()``. Built with Debian's pybind11 2.13.6, the sizes are right. For such a Python the binding is built with the
distribution's pybind11 instead (Debian's ``pybind11-dev``, 2.13.6 on trixie): a small CMake project in place of
``pybind11-src`` (``FETCHCONTENT_SOURCE_DIR_PYBIND11``) that imports the installed pybind11's targets and
functions, with the minimum version that Python needs. A Python for which no pybind11 is known to work is refused
before anything is built.
"""

from __future__ import annotations

import json
import os
import re

PINNED = 'pinned'
SYSTEM = 'system'
CHOICES = ('auto', PINNED, SYSTEM)
PINNED_VERSION = '2.10.1'

# Python (major, minor) -> (the pybind11 to use with 'auto', the lowest pybind11 release that supports it, why).
KNOWN_PYTHONS = {
    (3, 9): (PINNED, '2.6', 'supported by the pinned pybind11 2.10.1'),
    (3, 10): (PINNED, '2.8', 'supported by the pinned pybind11 2.10.1'),
    (3, 11): (PINNED, '2.10', 'supported by the pinned pybind11 2.10.1 (Debian 12 / Raspberry Pi OS bookworm)'),
    (3, 12): (SYSTEM, '2.11', 'needs pybind11 2.11 or newer (2.12 or newer with NumPy 2); HailoRT pins 2.10.1'),
    (3, 13): (SYSTEM, '2.13', 'needs pybind11 2.13 or newer: the pinned 2.10.1 builds and imports there, but with '
                              'NumPy 2 (Debian 13 has 2.2) it reads array sizes as 0, which breaks inference buffers; '
                              'Debian 13 / Raspberry Pi OS trixie have pybind11-dev 2.13.6'),
}

WHEEL_DIR = 'share/hailo_open/wheels'
BINDING_DIR = 'hailort/libhailort/bindings/python'
SHIM_DIR = 'pybind11-system'

_VERSION_RE = re.compile(r'^(\d+)\.(\d+)(?:\.\d+)?')


def parse_python_version(value):
    """``(major, minor)`` from ``'3.13'``, ``'3.13.5'`` or Ansible's ``ansible_facts['python']['version']``."""
    if isinstance(value, dict):
        try:
            return int(value['major']), int(value['minor'])
        except (KeyError, TypeError, ValueError):
            return None
    match = _VERSION_RE.match(str(value or ''))
    return (int(match.group(1)), int(match.group(2))) if match else None


def python_tag(version):
    """``cp313`` for (3, 13): the ABI tag of the wheel and part of the build target."""
    return 'cp%d%d' % version


def choose_pybind11(version, requested='auto'):
    """``{'pybind11', 'minimum', 'reason', 'python', 'tag'}`` for a Python ``(major, minor)``.

    ``requested`` is ``auto`` (the table), ``pinned`` (HailoRT's pin, only where it is known to work) or ``system``
    (the distribution's pybind11). Raises ValueError for a Python with no known-good pybind11.
    """
    if requested not in CHOICES:
        raise ValueError('hailort_pybind11 must be one of %s, not %r.' % (', '.join(CHOICES), requested))
    if version not in KNOWN_PYTHONS:
        raise ValueError(
            'No pybind11 is known to build HailoRT\'s Python binding for Python %s: HailoRT pins pybind11 %s, and '
            'the collection knows Python %s. Turn the binding off (hailort_python: false), or use a Python from that '
            'list.' % ('%d.%d' % version if version else 'unknown', PINNED_VERSION,
                       ', '.join('%d.%d' % known for known in sorted(KNOWN_PYTHONS))))
    default, minimum, reason = KNOWN_PYTHONS[version]
    choice = default if requested == 'auto' else requested
    if choice == PINNED and default == SYSTEM:
        raise ValueError('hailort_pybind11: pinned cannot build the binding for Python %d.%d: it %s.'
                         % (version[0], version[1], reason))
    return {'pybind11': choice, 'minimum': minimum if choice == SYSTEM else PINNED_VERSION,
            'reason': reason, 'python': '%d.%d' % version, 'tag': python_tag(version)}


def shim_cmakelists(minimum):
    """The CMake project put in place of pybind11-src to use the distribution's pybind11 (CMake 3.24+)."""
    return ('# Written by hailo_open.hailo: the distribution\'s pybind11 in place of the one HailoRT pins, whose\n'
            '# release predates this Python (see plugins/module_utils/_pyhailort.py).\n'
            'cmake_minimum_required(VERSION 3.24)\n'
            'project(pybind11_from_the_system NONE)\n'
            'find_package(pybind11 %s CONFIG REQUIRED GLOBAL)\n'
            'message(STATUS "hailo_open.hailo: pybind11 ${pybind11_VERSION} from ${pybind11_DIR}")\n' % minimum)


def wheel_name(version, tag, machine):
    """The wheel's file name as upstream's setup.py makes it: ``hailort-4.23.0-cp313-cp313-linux_aarch64.whl``."""
    return 'hailort-%s-%s-%s-linux_%s.whl' % (version, tag, tag, machine)


def binding_commands(tree, staging_prefix, python, choice, shim_dir=None, offline=False, wheel_dir=None):
    """The binding phase: ``[(argv, cwd)]`` - configure upstream's build directory with what setup.py cannot pass,
    then ``setup.py bdist_wheel``, which configures the same directory again (the cache keeps the settings)."""
    platform = os.path.join(tree, BINDING_DIR, 'platform')
    configure = ['cmake', '-S', os.path.join(tree, BINDING_DIR, 'src'), '-B', os.path.join(platform, 'build'),
                 '-DCMAKE_BUILD_TYPE=Release', '-DPYBIND11_PYTHON_VERSION=%s' % choice['python'],
                 '-DCMAKE_PREFIX_PATH=%s' % staging_prefix, '-DPYTHON_EXECUTABLE=%s' % python]
    if choice['pybind11'] == SYSTEM:
        configure.append('-DFETCHCONTENT_SOURCE_DIR_PYBIND11=%s' % shim_dir)
    if offline:
        configure.append('-DFETCHCONTENT_FULLY_DISCONNECTED=ON')
    return [(configure, platform), ([python, 'setup.py', 'bdist_wheel', '-d', wheel_dir], platform)]


def missing_build_requirements(python_include, has_setuptools, has_wheel):
    """What the builder's Python lacks to build the binding, as Debian package names."""
    missing = []
    if not python_include or not os.path.isfile(os.path.join(python_include, 'Python.h')):
        missing.append('python3-dev (Python.h)')
    if not has_setuptools:
        missing.append('python3-setuptools')
    if not has_wheel:
        missing.append('python3-wheel')
    return missing


# Run with the venv's python: what the installed binding says about itself.
IMPORT_CHECK = (
    'import json, sys\n'
    'result = {"python": "%d.%d.%d" % sys.version_info[:3], "version": None, "error": None}\n'
    'try:\n'
    '    import hailo_platform\n'
    '    result["version"] = getattr(hailo_platform, "__version__", None)\n'
    'except Exception as exc:\n'
    '    result["error"] = "%s: %s" % (type(exc).__name__, exc)\n'
    'print(json.dumps(result))\n'
)


def parse_import_check(rc, stdout, stderr=''):
    """``{'python', 'version', 'error'}`` from IMPORT_CHECK's output (a crash is an error too)."""
    for line in reversed((stdout or '').strip().splitlines()):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and 'version' in document:
            return {'python': document.get('python'), 'version': document.get('version'),
                    'error': document.get('error')}
    tail = ' '.join((stderr or stdout or '').strip().splitlines()[-3:])
    return {'python': None, 'version': None,
            'error': 'the import check exited with %s%s' % (rc, (': ' + tail) if tail else '')}
