# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Parsing of ``dkms status`` and planning of the dkms commands that bring a module to a wanted state.

Pure functions only: the dkms module runs the commands.

``dkms status`` line formats (one line per module version and kernel):

* DKMS 3.x: ``hailo_pci/4.23.0, 6.12.117+deb13-amd64, x86_64: installed``
* DKMS 2.x: ``hailo_pci, 4.23.0, 6.1.0-28-arm64, aarch64: installed``
* added to the tree but built for no kernel: ``hailo_pci/4.23.0: added`` (2.x: ``hailo_pci, 4.23.0: added``)
* source gone from /usr/src: ``hailo_pci/4.23.0: broken``
* weak-installed (RHEL-style weak-modules only): ``hailo_pci, 4.23.0, 5.14.0-1, x86_64: installed-weak from 5.14.0-0``
* notes in parentheses after the state: DKMS 3 ``(Original modules exist)``, ``(Differences between built and
  installed modules)``, ``(Built modules are missing in the kernel modules folder)``; DKMS 2
  ``(original_module exists)``, ``(WARNING! Diff between built and installed module!)``.
"""

from __future__ import annotations

import os
import re

STATES = ('present', 'built', 'installed', 'absent')

# What each per-kernel dkms state satisfies, by rank: absent < added < built < installed.
_RANK = {'absent': 0, 'added': 1, 'built': 2, 'installed': 3, 'installed-weak': 3}
_WANTED_RANK = {'present': 1, 'built': 2, 'installed': 3}

_STATUS_RE = re.compile(
    r'^(?P<module>[^\s/,:]+)(?:/|,[ \t]*)(?P<version>[^\s,:]+)'
    r'(?:,[ \t]*(?P<kernel>[^\s,:]+),[ \t]*(?P<arch>[^\s,:]+))?'
    r':[ \t]*(?P<state>[A-Za-z][A-Za-z-]*)(?P<rest>.*)$')
_WEAK_FROM_RE = re.compile(r'^\s*from\s+(?P<kernel>\S+)')
_NOTE_RE = re.compile(r'\(([^()]*)\)')
_DKMS_VERSION_RE = re.compile(r'(\d+)\.(\d+)(?:\.(\d+))?')

_CONF_LINE_RE = re.compile(r'^\s*(?P<key>PACKAGE_NAME|PACKAGE_VERSION)\s*=\s*(?P<value>.*?)\s*$', re.MULTILINE)


def parse_status(text):
    """Parse ``dkms status`` output into a list of entries.

    Each entry: ``{'module', 'version', 'kernel' (None for added/broken), 'arch' (or None), 'state',
    'weak_from' (or None), 'notes' (list of the parenthesised remarks)}``. Lines that are not status lines
    (errors, warnings, blank lines) are ignored.
    """
    entries = []
    for line in (text or '').splitlines():
        match = _STATUS_RE.match(line.strip())
        if not match:
            continue
        rest = match.group('rest')
        weak = _WEAK_FROM_RE.match(rest)
        entries.append({
            'module': match.group('module'),
            'version': match.group('version'),
            'kernel': match.group('kernel'),
            'arch': match.group('arch'),
            'state': match.group('state'),
            'weak_from': weak.group('kernel') if weak else None,
            'notes': [note.strip() for note in _NOTE_RE.findall(rest)],
        })
    return entries


def parse_dkms_version(text):
    """(major, minor) of ``dkms --version`` output (``dkms-3.2.2``, ``dkms: 2.8.4``), or None."""
    match = _DKMS_VERSION_RE.search(text or '')
    return (int(match.group(1)), int(match.group(2))) if match else None


def versions_in_tree(entries, name):
    """Versions of module ``name`` that DKMS knows, in order of appearance."""
    versions = []
    for entry in entries:
        if entry['module'] == name and entry['version'] not in versions:
            versions.append(entry['version'])
    return versions


def kernel_state(entries, name, version, kernel, arch=None):
    """The state of ``name``/``version`` for one kernel.

    One of ``absent`` (DKMS does not know the version), ``broken`` (its source is gone), ``added`` (known,
    not built for this kernel), ``built``, ``installed`` or ``installed-weak``.
    """
    mine = [e for e in entries if e['module'] == name and e['version'] == version]
    if not mine:
        return 'absent'
    if any(e['state'] == 'broken' for e in mine):
        return 'broken'
    best = 'added'
    for entry in mine:
        if entry['kernel'] != kernel or (arch and entry['arch'] and entry['arch'] != arch):
            continue
        if _RANK.get(entry['state'], 0) > _RANK[best]:
            best = entry['state']
    return best


def kernel_notes(entries, name, version, kernel):
    """Parenthesised notes DKMS printed for ``name``/``version`` on ``kernel``."""
    notes = []
    for entry in entries:
        if entry['module'] == name and entry['version'] == version and entry['kernel'] == kernel:
            notes.extend(entry['notes'])
    return notes


def _base(action, name, version):
    return ['dkms', action, '-m', name, '-v', version]


def _with_kernel(argv, kernel, arch):
    argv = argv + ['-k', kernel]
    if arch:
        argv += ['-a', arch]
    return argv


def plan_kernel(entries, name, version, state, kernel, arch=None, force=False, dkms_major=3):
    """The dkms commands that bring ``name``/``version`` to ``state`` on one kernel (present/built/installed).

    ``dkms add`` is not part of it (see plan_add). Returns a list of argv lists; empty when nothing is to do.
    ``dkms install`` always gets ``--force``: the collection wants exactly this version, also when the kernel
    ships its own hailo_pci or another version is installed (DKMS refuses to install a module that is "not
    newer" than the one it finds without it).
    """
    if state == 'present':
        return []
    current = kernel_state(entries, name, version, kernel, arch)
    wanted = _WANTED_RANK[state]
    commands = []
    needs_build = force or _RANK.get(current, 0) < _RANK['built']
    if needs_build:
        if force and _RANK.get(current, 0) >= _RANK['built']:
            if dkms_major >= 3:
                commands.append(_with_kernel(_base('build', name, version), kernel, arch) + ['--force'])
            else:
                commands.append(_with_kernel(_base('unbuild', name, version), kernel, arch))
                commands.append(_with_kernel(_base('build', name, version), kernel, arch))
        else:
            commands.append(_with_kernel(_base('build', name, version), kernel, arch))
    # A forced rebuild of an installed module is installed again, so that the installed file is the new build.
    reinstall = force and _RANK.get(current, 0) >= _RANK['installed']
    if reinstall or (wanted >= _RANK['installed'] and (needs_build or _RANK.get(current, 0) < _RANK['installed'])):
        commands.append(_with_kernel(_base('install', name, version), kernel, arch) + ['--force'])
    return commands


def plan_add(entries, name, version):
    """``[['dkms', 'add', ...]]`` when DKMS does not know the version yet, else ``[]``."""
    if kernel_state(entries, name, version, None) == 'absent':
        return [_base('add', name, version)]
    return []


def plan_absent(entries, name, version, kernels=None, arch=None):
    """dkms commands that remove ``name``/``version``.

    Without ``kernels``: ``dkms remove --all`` when DKMS knows the version at all. With ``kernels``: one
    ``dkms remove -k`` per listed kernel the version is built or installed for (the version stays added).
    """
    mine = [e for e in entries if e['module'] == name and e['version'] == version]
    if not mine:
        return []
    if kernels is None:
        return [_base('remove', name, version) + ['--all']]
    commands = []
    for kernel in kernels:
        if _RANK.get(kernel_state(entries, name, version, kernel, arch), 0) >= _RANK['built']:
            commands.append(_with_kernel(_base('remove', name, version), kernel, arch))
    return commands


def plan_remove_others(entries, name, version):
    """``dkms remove --all`` for every other version of ``name`` DKMS knows."""
    return [_base('remove', name, other) + ['--all'] for other in versions_in_tree(entries, name) if other != version]


def make_log_paths(name, version, kernel, arch=None, dkms_tree='/var/lib/dkms'):
    """Where DKMS leaves the make log of a build, most specific first.

    A failed build leaves it in ``<tree>/<name>/<version>/build/make.log``; DKMS 3 moves the log of a
    finished build to ``<tree>/<name>/<version>/<kernel>/<arch>/log/make.log``.
    """
    base = os.path.join(dkms_tree, name, version)
    paths = [os.path.join(base, 'build', 'make.log')]
    if arch:
        paths.append(os.path.join(base, kernel, arch, 'log', 'make.log'))
    else:
        paths.append(os.path.join(base, kernel, '*', 'log', 'make.log'))
    return paths


def log_is_for_kernel(text, kernel):
    """Whether a make.log belongs to a build for ``kernel``.

    DKMS starts the log with ``DKMS (dkms-3.2.2) make.log for hailo_pci/4.23.0 for kernel <release> (<arch>)``
    (2.x: ``DKMS make.log for hailo_pci-4.23.0 for kernel <release> (<arch>)``). A log without that header line
    is taken as belonging to it.
    """
    for line in (text or '').splitlines()[:5]:
        if line.startswith('DKMS') and 'make.log for' in line:
            return (' for kernel %s ' % kernel) in (line + ' ')
    return True


def tail(text, lines=40):
    """The last ``lines`` lines of ``text``."""
    return '\n'.join((text or '').rstrip('\n').splitlines()[-lines:])


def parse_dkms_conf(text):
    """PACKAGE_NAME and PACKAGE_VERSION of a dkms.conf (quotes removed), as a dict; missing keys are absent."""
    values = {}
    for match in _CONF_LINE_RE.finditer(text or ''):
        value = match.group('value')
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        values[match.group('key')] = value
    return values


def predicted_state(before, state, removed):
    """The per-kernel state expected after the planned commands ran (for check mode)."""
    if state == 'absent':
        return 'absent' if removed == 'all' else ('added' if removed else before)
    if before == 'broken':
        return before
    wanted = {'present': 'added', 'built': 'built', 'installed': 'installed'}[state]
    return wanted if _RANK[wanted] > _RANK.get(before, 0) else before
