# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Preparing a source tree once for a fleet: safe unpacking, reproducible packing, and the identity of the inputs.

A prepared source is a ``.tar.gz`` with one top-level directory (``hailo_pci-4.23.0/``, ``hailort-4.23.0/``) whose
bytes depend only on the files' paths, contents and executable bits: entries sorted by name, owner 0:0 without
names, modification time 0, gzip without name or time. The same tree therefore always gives the same sha256, on
any controller, and that sha256 identifies the build input (DKMS source, HailoRT build id).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import stat
import tarfile
import zipfile

# Bump when the preparation itself changes (packing, fixes), so that prepared sources are made again.
PREPARATION_REVISION = 1
IGNORED_NAMES = ('.git',)


class SourceError(Exception):
    """The source cannot be obtained or used; the message says why and what to do."""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _member_path_is_safe(name):
    normal = os.path.normpath(name)
    return not (normal.startswith(('/', '..')) or '/../' in normal or normal == '..')


def archive_kind(path):
    """``tar`` or ``zip`` by content (not by name); SourceError for anything else."""
    if zipfile.is_zipfile(path):
        return 'zip'
    try:
        if tarfile.is_tarfile(path):
            return 'tar'
    except (IOError, OSError) as exc:
        raise SourceError('Cannot read the source archive %s: %s' % (path, exc))
    raise SourceError('%s is neither a tar archive (.tar, .tar.gz, .tar.xz, .tar.bz2) nor a zip file.' % path)


def extract_archive(path, dest):
    """Unpack a tar or zip archive into ``dest`` (which must exist), refusing members that would leave it and
    special files. Returns the names at the top level of what was unpacked."""
    kind = archive_kind(path)
    if kind == 'zip':
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = [name for name in names if not _member_path_is_safe(name)]
            if bad:
                raise SourceError('The source archive %s has members outside its tree: %s' % (path, ', '.join(bad[:3])))
            archive.extractall(dest)
            for info in archive.infolist():
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    os.chmod(os.path.join(dest, info.filename), mode | stat.S_IRUSR | stat.S_IWUSR)
    else:
        with tarfile.open(path) as archive:
            members = archive.getmembers()
            for member in members:
                if not _member_path_is_safe(member.name):
                    raise SourceError('The source archive %s has a member outside its tree: %s' % (path, member.name))
                if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                    raise SourceError('The source archive %s has a special file: %s' % (path, member.name))
                if (member.issym() or member.islnk()) and (
                        os.path.isabs(member.linkname) or not _member_path_is_safe(
                            os.path.join(os.path.dirname(member.name), member.linkname))):
                    raise SourceError('The source archive %s has a link leaving its tree: %s -> %s'
                                      % (path, member.name, member.linkname))
            for member in members:
                member.mode = (member.mode | stat.S_IRUSR | stat.S_IWUSR) & 0o777
                member.uid = member.gid = 0
                member.uname = member.gname = ''
            # Python 3.12+ asks for an extraction filter; the checks above already did what 'tar' adds.
            extra = {'filter': 'tar'} if hasattr(tarfile, 'tar_filter') else {}
            archive.extractall(dest, members=members, numeric_owner=True, **extra)
    return sorted(os.listdir(dest))


def single_root(directory):
    """The tree inside an unpacked archive: its only top-level directory, or ``directory`` itself."""
    entries = [name for name in os.listdir(directory) if name not in IGNORED_NAMES]
    if len(entries) == 1 and os.path.isdir(os.path.join(directory, entries[0])) and \
            not os.path.islink(os.path.join(directory, entries[0])):
        return os.path.join(directory, entries[0])
    return directory


def copy_tree(source, dest):
    """Copy a source directory without its ``.git``; symlinks stay symlinks."""
    if not os.path.isdir(source):
        raise SourceError('The source directory %s does not exist.' % source)
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED_NAMES))


def _tree_entries(root):
    entries = []
    for parent, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_NAMES)
        for name in dirs + sorted(f for f in files if f not in IGNORED_NAMES):
            full = os.path.join(parent, name)
            entries.append((os.path.relpath(full, root), full))
    return sorted(entries)


def _normalised_info(arcname, full):
    info = tarfile.TarInfo(arcname)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ''
    mode = os.lstat(full).st_mode
    if stat.S_ISLNK(mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(full)
        info.mode = 0o777
    elif stat.S_ISDIR(mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    elif stat.S_ISREG(mode):
        info.size = os.path.getsize(full)
        info.mode = 0o755 if mode & stat.S_IXUSR else 0o644
    else:
        raise SourceError('%s is not a regular file, directory or symlink; it cannot be part of a source.' % full)
    return info


def pack_tree(root, top_dir, dest):
    """Pack ``root`` as ``top_dir/...`` (or, with ``top_dir`` None, as its bare relative paths) into the gzip'd tar
    ``dest``, reproducibly. Returns its sha256.

    The archive is written next to ``dest`` and renamed into place, so ``dest`` is never half-written.
    """
    tmp = dest + '.tmp'
    with open(tmp, 'wb') as raw:
        with gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0, compresslevel=6) as compressed:
            with tarfile.open(fileobj=compressed, mode='w', format=tarfile.PAX_FORMAT) as archive:
                if top_dir:
                    archive.addfile(_normalised_info(top_dir, root))
                for relative, full in _tree_entries(root):
                    info = _normalised_info(top_dir + '/' + relative if top_dir else relative, full)
                    if info.isreg():
                        with open(full, 'rb') as handle:
                            archive.addfile(info, handle)
                    else:
                        archive.addfile(info)
    os.replace(tmp, dest)
    return sha256_file(dest)


def inputs_document(project, version, origin, identity, options, patches):
    """What a prepared source was made from; equal documents give byte-identical tarballs."""
    return {
        'project': project,
        'version': version,
        'origin': origin,
        'identity': identity,
        'options': options,
        'patches': [{'path': path, 'sha256': sha256_file(path)} for path in patches],
        'preparation_revision': PREPARATION_REVISION,
    }


def read_json(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return None


def write_json(path, document):
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write('\n')
    os.replace(tmp, path)


def reusable(tarball, record, inputs):
    """Whether the tarball already made from ``inputs`` is still there, unchanged (its recorded sha256)."""
    if inputs.get('identity') is None or not record or record.get('inputs') != inputs:
        return False
    try:
        return sha256_file(tarball) == record.get('sha256')
    except (IOError, OSError):
        return False


def git_ref_is_commit(ref):
    return len(ref) >= 7 and all(c in '0123456789abcdef' for c in ref.lower())


def describe_origin(source_type, git_repo=None, git_ref=None, archive=None, directory=None):
    return {'git': '%s at %s' % (git_repo, git_ref), 'archive': archive, 'directory': directory}[source_type]


def text_of(data):
    if isinstance(data, bytes):
        return data.decode('utf-8', 'replace')
    return data or ''


def last_lines(text, count=5):
    """The last ``count`` non-empty lines of a command's output, on one line (for messages)."""
    lines = [line.strip() for line in text_of(text).splitlines() if line.strip()]
    return ' | '.join(lines[-count:])
