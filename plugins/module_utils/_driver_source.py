# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Inspection and repair of a hailort-drivers (Hailo PCIe driver, 4.x) source tree.

Nothing here runs commands or writes files: the functions read a tree and compute new file contents, so
that the hailo_source module can decide, report and write.
"""

from __future__ import annotations

import os
import re

from ansible_collections.hailo_open.hailo.plugins.module_utils import _builtin_fixes as builtin_fixes

VERSION_HEADER = 'common/hailo_ioctl_common.h'
PCIE_KBUILD = 'linux/pcie/Kbuild'
VDMA_MEMORY = 'linux/vdma/memory.c'
MODULE_NAME = 'hailo_pci'
VERSION_RE = re.compile(r'^\d+\.\d+\.\d+$')

FIND_VMA_MMAP_LOCK = 'find_vma_mmap_lock'

# Which built-in fixes each upstream release needs. hailort-drivers calls find_vma() in
# hailo_vdma_buffer_map() on every buffer mapping since 4.20.0; 4.20.0, 4.20.1 and 4.21.0 do it without the
# mmap read lock, 4.22.0 takes it, 4.23.0 dropped it again (open upstream PR hailort-drivers#44). Kernels
# with lockdep/mmap-lock assertions (6.12+) then warn on every mapping, and the device can wedge under load.
# Up to 4.19.0 the call only exists under HAILO_SUPPORT_MMIO_DMA_MAPPING, which the PCIe build never sets.
FIXES_BY_VERSION = {
    '4.20.0': (FIND_VMA_MMAP_LOCK,),
    '4.20.1': (FIND_VMA_MMAP_LOCK,),
    '4.21.0': (FIND_VMA_MMAP_LOCK,),
    '4.23.0': (FIND_VMA_MMAP_LOCK,),
}

_DEFINE_RE = re.compile(
    r'^[ \t]*#[ \t]*define[ \t]+HAILO_DRV_VER_(?P<part>MAJOR|MINOR|REVISION)[ \t]+\(?[ \t]*(?P<value>\d+)[ \t]*\)?'
    r'[ \t]*(?://.*|/\*.*)?$', re.MULTILINE)
_OBJ_M_RE = re.compile(r'^[ \t]*obj-m[ \t]*[:+]?=[ \t]*(?P<objects>[^\n#]*)', re.MULTILINE)


class DriverSourceError(Exception):
    """The tree cannot be used: not hailort-drivers, wrong version, or a fix cannot be applied."""


def builtin_fix_names():
    """Every built-in fix, sorted."""
    return sorted(BUILTIN_FIXES)


def fixes_for_version(version):
    """Names of the built-in fixes a driver release needs (empty for releases that need none)."""
    return list(FIXES_BY_VERSION.get(version, ()))


def parse_version_header(text):
    """The driver version 'major.minor.revision' that hailo_ioctl_common.h defines, or None.

    Returns None unless each of HAILO_DRV_VER_MAJOR/MINOR/REVISION is defined exactly once as a number.
    """
    parts = {}
    for match in _DEFINE_RE.finditer(text or ''):
        part = match.group('part')
        if part in parts:
            return None
        parts[part] = int(match.group('value'))
    if len(parts) != 3:
        return None
    return '%d.%d.%d' % (parts['MAJOR'], parts['MINOR'], parts['REVISION'])


def kbuild_modules(text):
    """Module names that a Kbuild file's obj-m lines build (``hailo_pci.o`` -> ``hailo_pci``)."""
    modules = []
    for match in _OBJ_M_RE.finditer(text or ''):
        for obj in match.group('objects').split():
            if obj.endswith('.o'):
                modules.append(obj[:-2])
    return modules


def _read(path):
    with open(path) as handle:
        return handle.read()


def inspect_tree(root):
    """Check that ``root`` is a buildable hailort-drivers 4.x tree and return ``{'version', 'modules'}``.

    Raises DriverSourceError with a sentence naming what is wrong.
    """
    if not os.path.isdir(root):
        raise DriverSourceError('Driver source directory %s does not exist.' % root)
    header = os.path.join(root, VERSION_HEADER)
    kbuild = os.path.join(root, PCIE_KBUILD)
    missing = [rel for rel, full in ((VERSION_HEADER, header), (PCIE_KBUILD, kbuild)) if not os.path.isfile(full)]
    if missing:
        raise DriverSourceError(
            '%s is not a hailort-drivers source tree: %s missing. Point the path at a checkout of '
            'https://github.com/hailo-ai/hailort-drivers (branch hailo8, tag v4.x).' % (root, ' and '.join(missing)))
    try:
        header_text = _read(header)
        kbuild_text = _read(kbuild)
    except (IOError, OSError, UnicodeDecodeError) as exc:
        raise DriverSourceError('Cannot read the driver source in %s: %s' % (root, exc))
    version = parse_version_header(header_text)
    if version is None:
        raise DriverSourceError(
            '%s does not define HAILO_DRV_VER_MAJOR, HAILO_DRV_VER_MINOR and HAILO_DRV_VER_REVISION as numbers '
            '(once each); cannot tell the driver version.' % header)
    modules = kbuild_modules(kbuild_text)
    built = ', '.join('%s.ko' % m for m in modules) or 'no module'
    if int(version.split('.')[0]) >= 5 or 'hailo1x_pci' in modules:
        raise DriverSourceError(
            '%s holds hailort-drivers %s (builds %s): that is the 5.x line for Hailo-10H/Hailo-15 from the master '
            'branch, not the Hailo-8 driver. Check out branch hailo8 at the wanted v4.x tag.' % (root, version, built))
    if MODULE_NAME not in modules:
        raise DriverSourceError('%s does not build %s.ko (%s builds %s); this is not a hailort-drivers PCIe source tree.'
                                % (root, MODULE_NAME, PCIE_KBUILD, built))
    return {'version': version, 'modules': modules}


def check_version(version, expected):
    """Raise DriverSourceError unless the tree's version is the expected one."""
    if version != expected:
        raise DriverSourceError(
            'The driver source says version %s (%s) but version %s is expected. The driver, firmware and HailoRT '
            'must all be the same version: check out tag v%s, or change the expected version.'
            % (version, VERSION_HEADER, expected, expected))


# --- built-in fix: mmap read lock around find_vma() -------------------------------------------------------

# A find_vma() call and its mm argument; the statement is located separately.
_FIND_VMA_CALL_RE = re.compile(r'\bfind_vma\s*\(\s*(?P<mm>[^,()]+?)\s*,')
# A whole statement on its own line(s): optional "lhs = ", the call, the semicolon, nothing else after it.
_STATEMENT_RE_TEMPLATE = (r'(?P<indent>[ \t]*)(?:[A-Za-z_][\w.>\-\[\]]*\s*=\s*)?find_vma\s*\(\s*%s\s*,[^;{}]*\)'
                          r'\s*;[ \t]*(?:/\*[^\n]*\*/|//[^\n]*)?(?:\n|$)')


def _lock_patterns(mm):
    mm_re = re.escape(mm)
    mm_member = r'(?:\(\s*%s\s*\)|%s)\s*->\s*(?:mmap_sem|mmap_lock)' % (mm_re, mm_re)
    lock = re.compile(r'\bmmap_(?:read|write)_lock(?:_killable)?\s*\(\s*%s\s*\)|\bdown_(?:read|write)'
                      r'(?:_killable)?\s*\(\s*&\s*%s\s*\)' % (mm_re, mm_member))
    unlock = re.compile(r'\bmmap_(?:read|write)_unlock\s*\(\s*%s\s*\)|\bup_(?:read|write)\s*\(\s*&\s*%s\s*\)'
                        % (mm_re, mm_member))
    return lock, unlock


_COMMENT_OR_STRING_RE = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.DOTALL)


def _strip_comments(text):
    """Blank out C comments (keeping offsets and newlines) so that commented-out code is not counted.

    String and character literals are kept as they are, so that a "//" or "/*" inside one is not a comment.
    """
    def blank(match):
        token = match.group(0)
        if token[0] in '"\'':
            return token
        return re.sub(r'[^\n]', ' ', token)
    return _COMMENT_OR_STRING_RE.sub(blank, text)


def find_vma_calls(text):
    """Every find_vma() call in C source, as dicts.

    Keys: ``offset`` (of the call), ``line`` (1-based), ``mm`` (the mm argument as written), ``locked``
    (whether the mmap lock of that mm is held at the call: more lock than unlock calls between the start
    of the enclosing function and the call), and ``statement`` (``(start, end, indent)`` of the line(s)
    holding the call when it is a statement of its own, which can be wrapped; else None).
    """
    code = _strip_comments(text)
    calls = []
    for match in _FIND_VMA_CALL_RE.finditer(code):
        offset = match.start()
        mm = match.group('mm').strip()
        # Kernel style ends every function with a "}" in column 0: the enclosing function starts after the last one.
        function_start = code.rfind('\n}', 0, offset)
        function_start = 0 if function_start < 0 else function_start + 2
        lock, unlock = _lock_patterns(mm)
        body = code[function_start:offset]
        depth = len(lock.findall(body)) - len(unlock.findall(body))
        line_start = code.rfind('\n', 0, offset) + 1
        statement = re.compile(_STATEMENT_RE_TEMPLATE % re.escape(mm)).match(code, line_start)
        wrappable = None
        if statement and statement.start() == line_start and offset < statement.end():
            wrappable = (statement.start(), statement.end(), statement.group('indent'))
        calls.append({
            'offset': offset,
            'line': code.count('\n', 0, offset) + 1,
            'mm': mm,
            'locked': depth > 0,
            'statement': wrappable,
        })
    return calls


def add_find_vma_mmap_lock(text):
    """Hold the mmap read lock around every unlocked find_vma() statement, as hailort-drivers 4.22.0 does.

    Each unlocked statement ``vma = find_vma(MM, addr);`` gets ``mmap_read_lock(MM);`` on the line before
    and ``mmap_read_unlock(MM);`` on the line after, with the statement's indentation. Returns
    ``(new_text, 'applied')``, or ``(text, 'present')`` when every call already runs under the lock.
    Raises DriverSourceError when there is no find_vma() call, or an unlocked one that is not a statement
    of its own (the source changed shape: the fix must be reviewed, not guessed).
    """
    calls = find_vma_calls(text)
    if not calls:
        raise DriverSourceError('no find_vma() call found')
    unlocked = [call for call in calls if not call['locked']]
    if not unlocked:
        return text, 'present'
    odd = [call for call in unlocked if call['statement'] is None]
    if odd:
        raise DriverSourceError('find_vma() on line(s) %s is not a statement of its own'
                                % ', '.join(str(call['line']) for call in odd))
    pieces = []
    position = 0
    for call in unlocked:
        start, end, indent = call['statement']
        statement = text[start:end]
        if not statement.endswith('\n'):
            statement += '\n'
        pieces.append(text[position:start])
        mm = call['mm']
        pieces.append('%smmap_read_lock(%s);\n%s%smmap_read_unlock(%s);\n' % (indent, mm, statement, indent, mm))
        position = end
    pieces.append(text[position:])
    return ''.join(pieces), 'applied'


BUILTIN_FIXES = {
    FIND_VMA_MMAP_LOCK: {
        'path': VDMA_MEMORY,
        'transform': add_find_vma_mmap_lock,
        'description': 'take mmap_read_lock around find_vma() in hailo_vdma_buffer_map()',
    },
}


def plan_builtin_fixes(root, version, skip=()):
    """What the built-in fixes for ``version`` would do to the tree at ``root``.

    Returns a list of dicts ``{'name', 'path' (relative), 'status' ('applied'|'present'|'skipped'),
    'before', 'after'}`` (``before``/``after`` are the file's text, equal unless status is 'applied').
    Raises DriverSourceError when a needed fix cannot find what it has to change.
    """
    try:
        return builtin_fixes.plan_builtin_fixes(root, fixes_for_version(version), BUILTIN_FIXES, skip,
                                                transform_errors=(DriverSourceError,))
    except builtin_fixes.BuiltinFixError as failure:
        if failure.stage == builtin_fixes.READ:
            raise DriverSourceError('Built-in fix %s for driver %s cannot read %s: %s'
                                    % (failure.name, version, failure.path, failure.cause))
        raise DriverSourceError(
            'Built-in fix %s (%s) is needed by driver %s but cannot be applied to %s: %s. Building this source '
            'as it is would give a driver with a known bug. Check the source (a local patch may have changed '
            'it), or skip the fix on purpose with skip_fixes=[%s].'
            % (failure.name, failure.fix['description'], version, failure.path, failure.cause, failure.name))


def patch_commands(root, patch_file):
    """The patch(1) command lines to check, reverse-check and apply a -p1 patch to ``root``."""
    base = ['patch', '-p1', '--batch', '--no-backup-if-mismatch', '-d', root, '-i', patch_file]
    return {
        'check': base + ['--forward', '--dry-run'],
        'check_reverse': base + ['--reverse', '--dry-run'],
        'apply': base + ['--forward'],
    }
