# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Built-in fixes for known problems of the HailoRT source (4.x), applied by hailo_source to the versions that need
them, like the driver's (see _driver_source.py). Nothing here runs commands or writes files.

``execute_cmake_jobs_ccache``: HailoRT 4.17.0-4.23.0 build protobuf's compiler in a child CMake at configure time
(``hailort/cmake/execute_cmake.cmake``, called with PARALLEL_BUILD from ``cmake/external/protobuf.cmake``). The
child runs under ``env -i HOME=... PATH=... bash -l -c``, and its build uses ``-j<number of processor lines in
/proc/cpuinfo>``. So the role's job limit (chosen from the builder's memory) does not reach the largest C++ build of
the whole tree - a 4-core Pi with 2 GB compiles protobuf with 4 jobs regardless - and neither does ccache (its
directory is not passed, and the child sets no compiler launcher), so a rebuild with a warm cache still compiles
protobuf from scratch. The fix passes ``CCACHE_DIR``, ``CCACHE_DISABLE`` and ``CMAKE_BUILD_PARALLEL_LEVEL`` through
the clean environment, uses ``CMAKE_BUILD_PARALLEL_LEVEL`` (when set) as the child's job count, and gives the child
ccache as its compiler launcher when ccache is installed and not disabled. Without those variables the file
behaves as upstream's.
"""

from __future__ import annotations

import re

from ansible_collections.hailo_open.hailo.plugins.module_utils import _builtin_fixes as builtin_fixes

EXECUTE_CMAKE = 'hailort/cmake/execute_cmake.cmake'
EXECUTE_CMAKE_JOBS_CCACHE = 'execute_cmake_jobs_ccache'
MARKER = 'hailo_open.hailo fix %s' % EXECUTE_CMAKE_JOBS_CCACHE

# Every 4.x release the collection builds has the same execute_cmake.cmake statements (checked against the tags).
FIXES_BY_VERSION = dict((version, (EXECUTE_CMAKE_JOBS_CCACHE,)) for version in (
    '4.17.0', '4.17.1', '4.18.0', '4.19.0', '4.20.0', '4.20.1', '4.21.0', '4.22.0', '4.23.0'))

_CLEAN_ENV_RE = re.compile(
    r'^(?P<indent>[ \t]*)execute_process\(COMMAND env -i (?P<env>HOME=\$ENV\{HOME\} PATH=\S+) bash -l -c ',
    re.MULTILINE)
_CORES_RE = re.compile(
    r'^(?P<indent>[ \t]*)(?P<line>execute_process\(COMMAND grep -c \^processor /proc/cpuinfo '
    r'OUTPUT_VARIABLE (?P<out>\w+) RESULT_VARIABLE (?P<rc>\w+)\))[ \t]*$', re.MULTILINE)
_CHILD_CONFIGURE_RE = re.compile(r'^(?P<indent>[ \t]*)\$\{execute_cmake_CONFIGURE_ARGS\}[ \t]*$', re.MULTILINE)
_PARSE_RE = re.compile(r'^(?P<indent>[ \t]*)cmake_parse_arguments\(execute_cmake\b[^\n]*$', re.MULTILINE)


class FixError(Exception):
    """A needed fix cannot find what it has to change."""


def _one(regex, text, what):
    matches = list(regex.finditer(text))
    if len(matches) != 1:
        raise FixError('expected one %s in %s, found %d' % (what, EXECUTE_CMAKE, len(matches)))
    return matches[0]


def add_jobs_and_ccache(text):
    """Return ``(new_text, status)``: status ``'present'`` when the fix is already in, else ``'applied'``."""
    if MARKER in text:
        return text, 'present'
    clean = _one(_CLEAN_ENV_RE, text, 'clean-environment command (env -i HOME=... PATH=... bash -l -c)')
    cores = _one(_CORES_RE, text, 'processor count (grep -c ^processor /proc/cpuinfo)')
    child = _one(_CHILD_CONFIGURE_RE, text, 'child configure arguments (${execute_cmake_CONFIGURE_ARGS})')
    parse = _one(_PARSE_RE, text, 'cmake_parse_arguments(execute_cmake ...)')

    edits = []
    indent = clean.group('indent')
    edits.append((clean.start(), clean.end(), '\n'.join([
        '%s# %s: keep ccache\'s settings and the job limit in the clean environment' % (indent, MARKER),
        '%sset(hailo_open_kept_env "")' % indent,
        '%sforeach(hailo_open_name CCACHE_DIR CCACHE_DISABLE CMAKE_BUILD_PARALLEL_LEVEL)' % indent,
        '%s    if(DEFINED ENV{${hailo_open_name}})' % indent,
        '%s        list(APPEND hailo_open_kept_env "${hailo_open_name}=$ENV{${hailo_open_name}}")' % indent,
        '%s    endif()' % indent,
        '%sendforeach()' % indent,
        '%sexecute_process(COMMAND env -i %s ${hailo_open_kept_env} bash -l -c ' % (indent, clean.group('env')),
    ])))
    indent = cores.group('indent')
    edits.append((cores.start(), cores.end(), '\n'.join([
        '%sif(DEFINED ENV{CMAKE_BUILD_PARALLEL_LEVEL})  # %s: the job limit of the build' % (indent, MARKER),
        '%s    set(%s "$ENV{CMAKE_BUILD_PARALLEL_LEVEL}")' % (indent, cores.group('out')),
        '%s    set(%s 0)' % (indent, cores.group('rc')),
        '%selse()' % indent,
        '%s    %s' % (indent, cores.group('line')),
        '%sendif()' % indent,
    ])))
    indent = child.group('indent')
    edits.append((child.end(), child.end(), '\n%s${hailo_open_launchers}  # %s' % (indent, MARKER)))
    indent = parse.group('indent')
    edits.append((parse.end(), parse.end(), '\n'.join([
        '',
        '%s# %s: the child build compiles through ccache too' % (indent, MARKER),
        '%sfind_program(HAILO_OPEN_CCACHE ccache)' % indent,
        '%sset(hailo_open_launchers "")' % indent,
        '%sif(HAILO_OPEN_CCACHE AND NOT "$ENV{CCACHE_DISABLE}")' % indent,
        '%s    list(APPEND hailo_open_launchers "-DCMAKE_C_COMPILER_LAUNCHER=${HAILO_OPEN_CCACHE}"' % indent,
        '%s        "-DCMAKE_CXX_COMPILER_LAUNCHER=${HAILO_OPEN_CCACHE}")' % indent,
        '%sendif()' % indent,
    ])))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, 'applied'


BUILTIN_FIXES = {
    EXECUTE_CMAKE_JOBS_CCACHE: {
        'path': EXECUTE_CMAKE,
        'transform': add_jobs_and_ccache,
        'description': 'let the job limit and ccache reach the protobuf build HailoRT runs while it configures',
    },
}


def builtin_fix_names():
    return sorted(BUILTIN_FIXES)


def fixes_for_version(version):
    return list(FIXES_BY_VERSION.get(version, ()))


def plan_builtin_fixes(root, version, skip=()):
    """Like _driver_source.plan_builtin_fixes, for a HailoRT tree: ``[{'name', 'path', 'status', 'before', 'after'}]``.

    Raises FixError when a needed fix cannot be applied.
    """
    try:
        return builtin_fixes.plan_builtin_fixes(root, fixes_for_version(version), BUILTIN_FIXES, skip,
                                                transform_errors=(FixError,))
    except builtin_fixes.BuiltinFixError as failure:
        raise FixError(
            'Built-in fix %s (%s) is needed by HailoRT %s but cannot be applied to %s: %s. Check the source '
            '(a local patch may have changed it), or skip the fix on purpose with skip_fixes=[%s].'
            % (failure.name, failure.fix['description'], version, failure.path, failure.cause, failure.name))
