# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Decisions for building HailoRT from source: parallelism, build identity, builders, CMake arguments, progress,
and installing a built tree from an artifact with a manifest of its files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile

# Memory per compiler process of a Release (-O3) HailoRT 4.23.0 build, measured on amd64 with g++ 14: median 215 MB,
# largest 813 MB (hailortcli's run_command.cpp), the Python binding's pyhailort.cpp (with LTO) 1.18 GB
# (docs/hailort.md). 1.5 GiB per job leaves room for the largest unit and the OS, so a 2 GB Pi builds with one job
# and a 4 GB Pi with two.
MEMORY_PER_JOB_MIB = 1536

# The CMake options of HailoRT 4.x that the collection exposes, with upstream's names.
CMAKE_OPTIONS = ('HAILO_BUILD_SERVICE', 'HAILO_BUILD_EXAMPLES', 'HAILO_BUILD_GSTREAMER', 'HAILO_OFFLINE_COMPILATION',
                 'HAILO_BUILD_UT', 'HAILO_COMPILE_WARNING_AS_ERROR')

_PROGRESS_RE = re.compile(r'^\[\s*(?P<percent>\d{1,3})%\]\s*(?P<step>.*\S)')


def build_jobs(cores, mem_total_mib, requested=0, mem_per_job_mib=MEMORY_PER_JOB_MIB):
    """Return ``(jobs, reason)``: how many compiler processes to run, limited by cores AND memory."""
    if requested and requested > 0:
        return int(requested), 'set by the user'
    cores = max(1, int(cores or 1))
    by_memory = max(1, int(mem_total_mib or 0) // mem_per_job_mib)
    jobs = min(cores, by_memory)
    if by_memory < cores:
        reason = '%d of %d cores: %d MiB of memory allows %d jobs at %d MiB each' % (
            jobs, cores, mem_total_mib, by_memory, mem_per_job_mib)
    else:
        reason = 'one job per core (%d)' % cores
    return jobs, reason


def build_id(version, source_sha256, cmake_options, prefix, target):
    """A short identity of a build: the same inputs give the same id, any change gives another."""
    document = json.dumps({'version': version, 'source': source_sha256, 'options': cmake_options,
                           'prefix': prefix, 'target': target}, sort_keys=True)
    return hashlib.sha256(document.encode('utf-8')).hexdigest()[:16]


def cmake_arguments(options, extra=None):
    """``-D`` arguments for HailoRT's CMake: Release always (every install rule is Release-only)."""
    unknown = sorted(set(options) - set(CMAKE_OPTIONS))
    if unknown:
        raise ValueError('Unknown HailoRT CMake option(s): %s (known: %s)' % (', '.join(unknown), ', '.join(CMAKE_OPTIONS)))
    args = ['-DCMAKE_BUILD_TYPE=Release']
    for name in CMAKE_OPTIONS:
        if name in options:
            args.append('-D%s=%s' % (name, 'ON' if options[name] else 'OFF'))
    for arg in extra or []:
        if arg.startswith('-DCMAKE_BUILD_TYPE='):
            raise ValueError('CMAKE_BUILD_TYPE cannot be changed: HailoRT installs nothing unless it is Release.')
        args.append(arg)
    return args


def choose_builders(hosts, explicit=None):
    """Map each build target ("arm64-trixie") to the host that builds for it.

    ``hosts`` is a list of ``{'name', 'target'}`` in play order. With ``explicit`` (a host name), that host builds
    for its own target; the first host of every other target builds for that one.
    """
    builders = {}
    if explicit:
        for host in hosts:
            if host['name'] == explicit:
                builders[host['target']] = explicit
                break
        else:
            raise ValueError('hailort_builder %r is not one of the play hosts (%s).'
                             % (explicit, ', '.join(h['name'] for h in hosts)))
    for host in hosts:
        builders.setdefault(host['target'], host['name'])
    return builders


def parse_progress(log_text):
    """The last ``[ NN%] step`` line of a CMake/Make build log: ``(percent, step)`` or ``(None, None)``."""
    percent, step = None, None
    for line in (log_text or '').splitlines():
        match = _PROGRESS_RE.match(line.strip())
        if match:
            percent, step = int(match.group('percent')), match.group('step')
    return percent, step


def _safe_members(archive):
    members = []
    for member in archive.getmembers():
        name = os.path.normpath(member.name)
        if name in ('.', ''):
            continue
        if name.startswith(('/', '..')) or '/../' in name:
            raise ValueError('Unsafe path in artifact: %r' % member.name)
        if not (member.isfile() or member.isdir() or member.issym()):
            raise ValueError('Unsupported member type in artifact: %r' % member.name)
        if member.issym() and (member.linkname.startswith('/') or '..' in member.linkname.split('/')):
            raise ValueError('Symlink leaving the artifact: %r -> %r' % (member.name, member.linkname))
        members.append((name, member))
    return members


def artifact_files(path):
    """The files and symlinks (not directories) an artifact installs, relative to the prefix, sorted."""
    with tarfile.open(path) as archive:
        return sorted(name for name, member in _safe_members(archive) if not member.isdir())


def read_manifest(path):
    try:
        with open(path) as handle:
            manifest = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def plan_install(manifest, wanted_build_id, new_files, prefix):
    """What installing an artifact changes: ``(needed, stale_files)``.

    Not needed when the manifest names the same build and every file it lists exists. Stale files are those of
    the previous manifest that the new artifact does not install (a previous version's ``libhailort.so.X``).
    """
    old_files = (manifest or {}).get('files') or []
    complete = all(os.path.lexists(os.path.join(prefix, name)) for name in old_files)
    needed = not manifest or manifest.get('build_id') != wanted_build_id or not complete
    stale = sorted(set(old_files) - set(new_files))
    return needed, stale


def make_dirs(path, prefix, created):
    """makedirs that records, relative to prefix, every directory it creates."""
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory, 0o755)
        created.append(os.path.relpath(directory, prefix))


def install_artifact(path, prefix):
    """Extract an artifact into ``prefix``: each file is unpacked next to its destination and renamed into place,
    so a failure never leaves a half-written file. Returns ``(installed_files, created_dirs)``, relative to prefix."""
    installed, created = [], []
    with tarfile.open(path) as archive:
        members = _safe_members(archive)
        for name, member in members:
            dest = os.path.join(prefix, name)
            if member.isdir():
                make_dirs(dest, prefix, created)
                continue
            parent = os.path.dirname(dest)
            make_dirs(parent, prefix, created)
            tmp_dir = tempfile.mkdtemp(prefix='.hailo_open-', dir=parent)
            try:
                tmp = os.path.join(tmp_dir, os.path.basename(dest))
                if member.issym():
                    os.symlink(member.linkname, tmp)
                else:
                    source = archive.extractfile(member)
                    with open(tmp, 'wb') as handle:
                        shutil.copyfileobj(source, handle)
                    os.chmod(tmp, member.mode & 0o7777 or 0o644)
                os.replace(tmp, dest)
            finally:
                shutil.rmtree(tmp_dir, ignore_errors=True)
            installed.append(name)
    return sorted(installed), sorted(created)


def remove_files(prefix, names, dirs=()):
    """Remove installed files, then those of ``dirs`` (directories an install created) that are left empty.
    Directories that existed before the install are never removed."""
    removed = []
    for name in sorted(names, reverse=True):
        path = os.path.join(prefix, name)
        if os.path.lexists(path):
            os.remove(path)
            removed.append(name)
    for name in sorted(dirs, key=lambda d: d.count('/'), reverse=True):
        path = os.path.join(prefix, name)
        if os.path.isdir(path) and not os.listdir(path):
            os.rmdir(path)
    return sorted(removed)


# HailoRT 4.x keeps its version in hailort/libhailort/CMakeLists.txt:
#   set(HAILORT_MAJOR_VERSION    4)
#   set(HAILORT_MINOR_VERSION    23)
#   set(HAILORT_REVISION_VERSION 0)
VERSION_FILE = 'hailort/libhailort/CMakeLists.txt'
_VERSION_PART_RE = re.compile(r'^\s*set\s*\(\s*HAILORT_(MAJOR|MINOR|REVISION)_VERSION\s+(\d+)\s*\)', re.MULTILINE | re.IGNORECASE)

# FetchContent SOURCE_DIRs (hailort/external/<name>-src) a default build needs, and those of optional parts.
EXTERNALS = ('protobuf', 'spdlog', 'readerwriterqueue', 'xxhash', 'eigen', 'cli11', 'json', 'dotwriter')
SERVICE_EXTERNALS = ('grpc',)


def parse_source_version(text):
    """``major.minor.revision`` from the text of hailort/libhailort/CMakeLists.txt, or None."""
    parts = dict((name.upper(), value) for name, value in _VERSION_PART_RE.findall(text or ''))
    if set(parts) != {'MAJOR', 'MINOR', 'REVISION'}:
        return None
    return '%s.%s.%s' % (parts['MAJOR'], parts['MINOR'], parts['REVISION'])


def missing_externals(tree, service=False):
    """Externals an offline build needs that ``hailort/external`` of ``tree`` lacks."""
    names = EXTERNALS + (SERVICE_EXTERNALS if service else ())
    return [name for name in names if not os.path.isdir(os.path.join(tree, 'hailort', 'external', name + '-src'))]


def check_source(tree, expected_version, offline=False, service=False):
    """Return the tree's version, or raise ValueError with an actionable message."""
    if not os.path.isfile(os.path.join(tree, VERSION_FILE)):
        raise ValueError('%s is not a HailoRT source tree (no %s).' % (tree, VERSION_FILE))
    try:
        with open(os.path.join(tree, VERSION_FILE)) as handle:
            version = parse_source_version(handle.read())
    except (IOError, OSError):
        version = None
    if version is None:
        raise ValueError('%s does not state a HailoRT version (HAILORT_MAJOR/MINOR/REVISION_VERSION in %s).'
                         % (tree, VERSION_FILE))
    if version != expected_version:
        raise ValueError('The HailoRT source is version %s, but hailo_version is %s. Driver, firmware and runtime must '
                         'be the same release: check out tag v%s (branch hailo8) or set hailo_version to %s.'
                         % (version, expected_version, expected_version, version))
    if offline:
        missing = missing_externals(tree, service)
        if missing:
            raise ValueError(
                'Offline build (HAILO_OFFLINE_COMPILATION=ON) but hailort/external lacks %s. Make the offline '
                'bundle on a connected machine: clone the tag, run '
                '"cmake -DCMAKE_GENERATOR=\'Unix Makefiles\' -P hailort/prepare_externals.cmake" in it, check that '
                'hailort/external/*-src exist, and tar the whole tree (see docs/hailort.md).' % ', '.join(n + '-src' for n in missing))
    return version


# --- the build runner: one build per work directory, detached from the Ansible connection ----------------------

STATUS_FILE = 'build.status.json'
LOG_FILE = 'build.log'
PHASES = ('unpacking', 'configuring', 'building', 'installing', 'binding', 'packing')
_PHASE_HINTS = {
    'unpacking': 'unpacking the source',
    'configuring': 'configuring (HailoRT downloads its dependencies and builds protobuf\'s compiler while it '
                   'configures)',
    'configuring offline': 'configuring (HailoRT builds protobuf\'s compiler from the bundled sources while it '
                           'configures)',
    'installing': 'installing into the staging directory',
    'binding': 'building the Python binding (hailo_platform wheel) against the staged runtime',
    'packing': 'packing the artifact',
}


def work_paths(work_dir):
    """The files and directories of a build's work directory."""
    return {
        'src': os.path.join(work_dir, 'src'),
        'build': os.path.join(work_dir, 'build'),
        'staging': os.path.join(work_dir, 'staging'),
        'log': os.path.join(work_dir, LOG_FILE),
        'status': os.path.join(work_dir, STATUS_FILE),
    }


def build_commands(paths, cmake_args, prefix, jobs):
    """The commands of the configure, build and install phases: ``[(phase, argv, extra_env)]``."""
    return [
        ('configuring', ['cmake', '-S', paths['src'], '-B', paths['build']] + list(cmake_args)
         + ['-DCMAKE_INSTALL_PREFIX=%s' % prefix], {}),
        ('building', ['cmake', '--build', paths['build'], '--parallel', str(int(jobs))], {}),
        ('installing', ['cmake', '--install', paths['build']], {'DESTDIR': paths['staging']}),
    ]


def build_inputs(source_sha256, cmake_args, prefix, jobs, artifact, python_binding=None):
    """What a build is made of; a status recorded for other inputs belongs to another build."""
    inputs = {'source_sha256': source_sha256, 'cmake_args': list(cmake_args), 'prefix': prefix, 'jobs': int(jobs),
              'artifact': artifact}
    if python_binding:
        inputs['python_binding'] = dict(python_binding)
    return inputs


def read_status(path):
    status = read_manifest(path)
    return status if status and 'inputs' in status else None


def process_alive(pid):
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    # A zombie of our own is not alive; /proc tells (Linux only, as the builds are).
    try:
        with open('/proc/%d/stat' % int(pid)) as handle:
            return handle.read().split(')', 1)[1].split()[0] != 'Z'
    except (IOError, OSError, IndexError):
        return True


def classify(status, inputs, artifact_sha256=None):
    """What a recorded status means for a build of ``inputs``: ``none``, ``running``, ``done``, ``failed`` or
    ``dead`` (the runner ended without recording a result: killed, host rebooted)."""
    if not status or status.get('inputs') != inputs:
        return 'none'
    if not status.get('finished'):
        return 'running' if process_alive(status.get('pid')) else 'dead'
    if status.get('rc') == 0:
        return 'done' if artifact_sha256 is not None and artifact_sha256 == status.get('artifact_sha256') else 'none'
    return 'failed'


def progress_text(status, log_text, now):
    """One line for a progress report: elapsed seconds and the current step."""
    elapsed = int(now - (status.get('started') or now))
    phase = status.get('phase') or 'unpacking'
    if status.get('finished'):
        return '%d s - %s' % (elapsed, 'finished' if status.get('rc') == 0 else 'failed in the %s phase' % phase)
    percent, step = parse_progress(log_text) if phase == 'building' else (None, None)
    if percent is not None:
        return '%d s - [%3d%%] %s' % (elapsed, percent, step)
    if phase == 'configuring' and '-DHAILO_OFFLINE_COMPILATION=ON' in (status.get('inputs') or {}).get('cmake_args', ()):
        phase = 'configuring offline'
    return '%d s - %s' % (elapsed, _PHASE_HINTS.get(phase, phase))


def report_deadline(started, now, interval, margin=1.0):
    """When a wait that reports progress every ``interval`` seconds should return: the next multiple of
    ``interval`` after ``started`` that is at least ``margin`` seconds away. Reports then arrive on a fixed grid
    whatever the time between two waits (a module start costs seconds, more on a slow or emulated host); a wait
    that starts too late for the next report skips to the one after."""
    if interval <= 0:
        return now
    elapsed = max(0.0, now - started)
    steps = int((elapsed + margin) // interval) + 1
    return started + steps * interval


def tail(text, lines=40):
    return '\n'.join((text or '').splitlines()[-lines:])
