# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The collection's C++ baseline application (apps/hailo-baseline): when to build it, how, and what its run said.

The application prints ONE JSON object (see apps/hailo-baseline/README.md) and exits 0 (success), 1 (a HailoRT
call failed; the object names the status), 2 (bad command line) or 3 (the loaded libhailort is not the version
it was built against). Failures that happen before it can print are recognised from their text: the dynamic
loader not finding ``libhailort.so.<version>`` (exit 127), CMake not finding the HailoRT package of the wanted
version, a compiler error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli

BINARY_NAME = 'hailo-baseline'
STAMP_NAME = 'hailo-baseline.stamp'
SOURCE_FILES = ('CMakeLists.txt', 'main.cpp')

EXIT_HAILO_FAILURE = 1
EXIT_USAGE = 2
EXIT_VERSION_MISMATCH = 3
EXIT_NOT_LOADABLE = 127

# glibc's ld.so: "<program>: error while loading shared libraries: libhailort.so.4.23.0: cannot open shared
# object file: No such file or directory"
_LOADER_RE = re.compile(r'error while loading shared libraries: (?P<library>[^:\s]+): (?P<reason>[^\n]+)')
_SONAME_VERSION_RE = re.compile(r'libhailort\.so\.(?P<version>\d+\.\d+\.\d+)')
# CMake's find_package(HailoRT <v> EXACT REQUIRED), package missing or of another version.
_CMAKE_VERSION_RE = re.compile(
    r'Could not find a configuration file for package "HailoRT" that\s+(?:is\s+)?exactly\s+matches\s+requested\s+'
    r'version\s+"(?P<wanted>[^"]+)"\.')
_CMAKE_FOUND_VERSION_RE = re.compile(r'HailoRTConfig\.cmake, version: (?P<version>\S+)')
_CMAKE_MISSING_RE = re.compile(r'Could not find a package configuration file provided by "HailoRT"|'
                               r'By not providing "FindHailoRT\.cmake"')
_COMPILER_ERROR_RE = re.compile(r'^(?P<where>[^\s:]+:\d+:\d+): (?:fatal )?error: (?P<message>.+)$', re.M)


class BaselineAppError(Exception):
    """A failure with a problem id: ``args`` are (id, message, details)."""

    def __init__(self, problem_id, message, details=None):
        super(BaselineAppError, self).__init__(problem_id, message, details or {})
        self.problem_id = problem_id
        self.message = message
        self.details = details or {}


def source_digest(source_dir):
    """sha256 over the application's source files (name and content, in a fixed order)."""
    digest = hashlib.sha256()
    for name in SOURCE_FILES:
        path = os.path.join(source_dir, name)
        if not os.path.isfile(path):
            raise BaselineAppError('baseline_app_build_failed',
                                   'The baseline application source %s has no %s.' % (source_dir, name))
        digest.update(name.encode('utf-8') + b'\0')
        with open(path, 'rb') as handle:
            digest.update(handle.read())
        digest.update(b'\0')
    return digest.hexdigest()


def build_stamp(source_dir, hailort_version, prefix):
    """What a build is for: the source, the HailoRT version and the prefix it is found in."""
    return 'source=%s\nhailort=%s\nprefix=%s\n' % (source_digest(source_dir), hailort_version, prefix or '')


def needs_build(build_dir, stamp):
    """Whether the binary is missing or was built from another source, version or prefix."""
    binary = os.path.join(build_dir, BINARY_NAME)
    stamp_path = os.path.join(build_dir, STAMP_NAME)
    if not os.path.isfile(binary) or not os.path.isfile(stamp_path):
        return True
    with open(stamp_path) as handle:
        return handle.read() != stamp


def configure_command(cmake, source_dir, build_dir, hailort_version, prefix=None):
    command = [cmake, '-S', source_dir, '-B', build_dir, '-DCMAKE_BUILD_TYPE=Release',
               '-DHAILORT_VERSION=%s' % hailort_version]
    if prefix:
        command.append('-DCMAKE_PREFIX_PATH=%s' % prefix)
    return command


def build_command(cmake, build_dir, jobs=None):
    command = [cmake, '--build', build_dir, '--target', BINARY_NAME]
    if jobs:
        command += ['-j', str(jobs)]
    return command


def run_command(binary, hef, frames, batch_size=None, timeout_ms=None):
    command = [binary, '--hef', hef, '--frames', str(frames)]
    if batch_size:
        command += ['--batch-size', str(batch_size)]
    if timeout_ms:
        command += ['--timeout-ms', str(timeout_ms)]
    return command


def _tail(text, lines=15):
    return '\n'.join((text or '').strip().splitlines()[-lines:])


def explain_configure_failure(output, hailort_version):
    """A BaselineAppError for a failed ``cmake -S ... -B ...`` of the application."""
    match = _CMAKE_VERSION_RE.search(output or '')
    if match:
        # "The following configuration files were considered but not accepted: <path>, version: <v>"
        found = sorted(set(_CMAKE_FOUND_VERSION_RE.findall(output[match.end():])))
        message = ('CMake found HailoRT %s, not %s: the installed runtime is of another version than the one '
                   'the application is built for.' % (', '.join(found), match.group('wanted'))) if found else (
            'CMake found no HailoRT %s package.' % match.group('wanted'))
        return BaselineAppError('baseline_app_runtime_mismatch', message,
                                {'wanted': match.group('wanted'), 'found': found})
    if _CMAKE_MISSING_RE.search(output or ''):
        return BaselineAppError('baseline_app_runtime_mismatch',
                                'CMake found no HailoRT package (HailoRTConfig.cmake) for HailoRT %s: is the runtime '
                                'installed, and in the prefix given?' % hailort_version,
                                {'wanted': hailort_version, 'found': []})
    return BaselineAppError('baseline_app_build_failed',
                            'Configuring the baseline application failed:\n%s' % _tail(output))


def explain_build_failure(output):
    """A BaselineAppError for a failed ``cmake --build`` (the first compiler error when there is one)."""
    match = _COMPILER_ERROR_RE.search(output or '')
    first = (' First error: %s: %s' % (match.group('where'), match.group('message'))) if match else ''
    return BaselineAppError('baseline_app_build_failed',
                            'Building the baseline application failed.%s\n%s' % (first, _tail(output)))


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def parse_output(rc, stdout, stderr=''):
    """The result of one run: the application's JSON object, normalised, or a BaselineAppError.

    Returns ``{'ok', 'fps', 'latency_ms', 'frames', 'seconds', 'devices', 'model', 'hailort', 'status'}`` where
    ``status`` is ``{'name', 'code', 'stage', 'message'}``. A run that failed (exit status not 0, or ``ok`` false)
    raises BaselineAppError with id ``baseline_app_failed`` (a HailoRT call failed), or
    ``baseline_app_runtime_mismatch`` (another libhailort than the one it was built for, or none).
    """
    loader = _LOADER_RE.search(stderr or '')
    if rc == EXIT_NOT_LOADABLE or loader:
        library = loader.group('library') if loader else None
        wanted = _SONAME_VERSION_RE.search(library or '')
        raise BaselineAppError(
            'baseline_app_runtime_mismatch',
            'The baseline application cannot start: %s (%s). It was built against a HailoRT that is no longer '
            'installed; the validate role rebuilds it for the installed version.' % (
                library or 'a shared library is missing', loader.group('reason') if loader else 'exit 127'),
            {'wanted': wanted.group('version') if wanted else None, 'found': []})
    document = None
    for line in reversed((stdout or '').strip().splitlines()):
        line = line.strip()
        if line.startswith('{'):
            try:
                document = json.loads(line)
            except ValueError:
                document = None
            break
    if not isinstance(document, dict) or document.get('app') != BINARY_NAME:
        raise BaselineAppError('baseline_app_failed',
                               'The baseline application exited with %s without its JSON result.%s' % (
                                   rc, (' stderr: %s' % _tail(stderr, 5)) if (stderr or '').strip() else ''))
    hailort = document.get('hailort') or {}
    status = {'name': document.get('status'), 'code': document.get('code'), 'stage': document.get('stage'),
              'message': document.get('message')}
    latency = document.get('latency_ms') or {}
    result = {
        'ok': document.get('ok') is True and rc == 0,
        'fps': _number(document.get('fps')),
        'latency_ms': dict((key, _number(latency.get(key))) for key in ('p50', 'p95', 'p99')),
        'frames': document.get('frames'),
        'seconds': _number(document.get('seconds')),
        'devices': document.get('devices') or [],
        'model': document.get('model'),
        'hailort': {'built_against': hailort.get('built_against'), 'library': hailort.get('library')},
        'status': status,
    }
    if result['ok']:
        return result
    if rc == EXIT_VERSION_MISMATCH or status['stage'] == 'version':
        raise BaselineAppError('baseline_app_runtime_mismatch', status['message'] or 'libhailort version differs.',
                               {'wanted': hailort.get('built_against'), 'found': [hailort.get('library')],
                                'result': result})
    name = status['name']
    explanation = hailortcli.explain_status(name)
    errors = [entry['message'] for entry in hailortcli.parse_log_lines(stderr)
              if entry['level'] in ('error', 'critical')]
    message = 'The baseline application failed at %s: %s with %s (%s). %s' % (
        status['stage'] or 'an unknown stage', status['message'] or 'a HailoRT call', name, status['code'],
        explanation)
    if errors:
        message += ' Last error: %s' % errors[-1]
    raise BaselineAppError('baseline_app_failed', message, {'result': result, 'explanation': explanation,
                                                            'errors': errors})


def compare_fps(app_fps, benchmark_fps, tolerance):
    """Relative difference of the application's FPS from hailortcli's, and whether it is within ``tolerance``.

    Returns ``(difference, within)``; ``(None, True)`` when either figure is missing or zero.
    """
    if not app_fps or not benchmark_fps:
        return None, True
    difference = abs(app_fps - benchmark_fps) / benchmark_fps
    return difference, difference <= tolerance
