# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The one way the collection's modules run command-line tools.

* ``find_tool`` finds a system tool (``modinfo``, ``dkms``, ``patch``, ...), also in the sbin directories that a
  non-login PATH may lack.
* ``find_hailortcli`` finds ``hailortcli`` the same way in every module: an explicit path, else the HailoRT
  installation prefix the roles installed into (``hailo_prefix``), else PATH and ``/usr/local/bin``.
* ``run`` runs a command in the C locale (output is parsed, so it must not be translated).
* ``Hailortcli`` runs ``hailortcli`` with ``HAILORT_LOGGER_PATH=NONE`` (so that it writes no ``hailort.log`` into
  the working directory), remembers the last run, and turns a failure into the decoded hailo_status.
* ``release_error`` and ``positive_int_error`` are the argument checks the modules share.
"""

from __future__ import annotations

import os
import re

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli

C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}
HAILORTCLI_ENV = dict(C_LOCALE, HAILORT_LOGGER_PATH='NONE')
SBIN_DIRS = ['/usr/sbin', '/sbin']
DEFAULT_PREFIX = '/usr/local'

# A Hailo release as the collection takes it: major.minor.revision.
RELEASE_RE = re.compile(r'^\d+\.\d+\.\d+$')

NO_RUN = {'rc': None, 'stdout': '', 'stderr': ''}


def is_release(version):
    """Whether ``version`` is a release number of the form ``4.23.0``."""
    return isinstance(version, str) and bool(RELEASE_RE.match(version))


# The Hailo-8 / Hailo-8L releases the collection builds: the 4.x line from 4.17.0 (5.x is for Hailo-10/15).
SUPPORTED_RELEASES = ((4, 17, 0), (5, 0, 0))


def release_error(name, version, supported=False):
    """The message for a value of ``name`` that is not a release number (or, with ``supported``, not one of the
    Hailo-8 releases this collection builds), or None when it is fine."""
    if version is None:
        return None
    if not is_release(version):
        return '%s must look like 4.23.0 (major.minor.revision), got %r.' % (name, version)
    lowest, beyond = SUPPORTED_RELEASES
    if supported and not lowest <= tuple(int(part) for part in version.split('.')) < beyond:
        return ('%s %s is not a Hailo-8 release this collection builds: use 4.17.0 or newer of the 4.x line (branch '
                'hailo8); 5.x is for Hailo-10H/Hailo-15 and has no Hailo-8 driver.' % (name, version))
    return None


def positive_int_error(params, names):
    """The message for the first of ``names`` whose value in ``params`` is set (not None) but below 1, or None when
    all are fine."""
    for name in names:
        if params[name] is not None and params[name] < 1:
            return '%s must be a positive integer, not %s.' % (name, params[name])
    return None


def find_tool(module, name, sbin=False, required=False):
    """Path of a system tool, or None (or a failure with ``required``)."""
    return module.get_bin_path(name, required=required, opt_dirs=SBIN_DIRS if sbin else [])


def hailortcli_search(path=None, prefix=None):
    """Where ``find_hailortcli`` looks, in order, as a sentence for messages."""
    if path:
        return path
    if prefix:
        return os.path.join(prefix, 'bin')
    return 'PATH and %s/bin' % DEFAULT_PREFIX


def find_hailortcli(module, path=None, prefix=None):
    """Path of the hailortcli to use, or None.

    ``path`` (an explicit file) wins; else only ``<prefix>/bin/hailortcli`` when a prefix is given, so that another
    installation elsewhere on PATH is never taken for the one the roles installed; else PATH and /usr/local/bin.
    """
    if path:
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    if prefix:
        candidate = os.path.join(prefix, 'bin', 'hailortcli')
        return candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else None
    return module.get_bin_path('hailortcli', opt_dirs=[os.path.join(DEFAULT_PREFIX, 'bin')])


def library_dirs(prefix=None):
    """Directories that hold HailoRT's libraries for ``prefix`` (``lib`` and Debian's multiarch ``lib/<triplet>``)."""
    if not prefix:
        return []
    lib = os.path.join(prefix, 'lib')
    dirs = [lib]
    try:
        dirs += sorted(os.path.join(lib, name) for name in os.listdir(lib) if '-linux-gnu' in name)
    except (IOError, OSError):
        pass
    return dirs


def run(module, argv, env=None, **kwargs):
    """Run ``argv`` in the C locale (plus ``env``); returns ``(rc, stdout, stderr)``."""
    environ = dict(C_LOCALE)
    environ.update(env or {})
    return module.run_command(argv, environ_update=environ, **kwargs)


class Hailortcli(object):
    """Runs one hailortcli binary and keeps what the last command returned."""

    def __init__(self, module, path):
        self.module = module
        self.path = path
        self.last = dict(NO_RUN)

    def run(self, args, **kwargs):
        rc, out, err = run(self.module, [self.path] + list(args), env=HAILORTCLI_ENV, **kwargs)
        self.last = {'rc': rc, 'stdout': out, 'stderr': err}
        return rc, out, err

    def failure(self):
        """The decoded failure of the last command (see ``_hailortcli.decode_failure``)."""
        return hailortcli.decode_failure(self.last['rc'], self.last['stdout'], self.last['stderr'])

    def message(self, args, failure=None):
        """A sentence for the failed ``hailortcli ARGS``."""
        return hailortcli.format_failure('hailortcli ' + ' '.join(args), failure or self.failure())

    def run_or_fail(self, args, **result):
        """Run; on a non-zero exit fail the module with the decoded status. Returns stdout."""
        rc, out, _err = self.run(args)
        if rc != 0:
            failure = self.failure()
            self.module.fail_json(msg=self.message(args, failure), status=failure, **dict(result, **self.last))
        return out


def missing_hailortcli(path=None, prefix=None):
    """The message for a hailortcli that ``find_hailortcli`` did not find."""
    if path:
        return 'hailortcli_path %s is not an executable file.' % path
    return ('hailortcli was not found in %s: install HailoRT (the hailo_open.hailo.hailort role)%s.'
            % (hailortcli_search(path, prefix), ' or set prefix' if not prefix else ' with this prefix'))


def require_hailortcli(module, path=None, prefix=None, **result):
    """A ``Hailortcli`` for the binary ``find_hailortcli`` finds; fails the module with a clear message if none."""
    found = find_hailortcli(module, path, prefix)
    if not found:
        module.fail_json(msg=missing_hailortcli(path, prefix), **dict(NO_RUN, **result))
    return Hailortcli(module, found)
