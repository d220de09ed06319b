# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""One run at a time on a host: an exclusive ``flock`` on a file under ``/run/lock``.

A run whose controller died (an operator's laptop closed mid-run) leaves its module running on the node; the next
run must wait for it rather than run ``dkms build`` into the same build directory at the same time. ``flock`` locks
belong to the open file: they end with the process that holds them, so no stale lock is ever left behind. The
holder writes its pid and what it does into the file, so that a waiter that gives up can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import time

LOCK_DIR = '/run/lock'


class LockTimeout(Exception):
    """The lock was still held after the timeout; the message names the holder."""


def lock_path(name, lock_dir=None):
    """The lock file for ``name`` (letters, digits and ``._+-``; the caller checks)."""
    return os.path.join(lock_dir or LOCK_DIR, 'hailo_open.hailo-%s.lock' % name)


def holder(path):
    """What the lock file says about its holder ("pid 123: dkms hailo_pci 4.23.0"), or ``None``."""
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except (IOError, OSError):
        return None
    return text or None


def acquire(path, what, timeout, poll=1.0, clock=time.monotonic, sleep=time.sleep):
    """Take the lock at ``path``, waiting up to ``timeout`` seconds (0: do not wait). Returns the open file
    descriptor (keep it open for as long as the lock is needed; closing it, or exiting, releases the lock) and
    the seconds waited. Raises LockTimeout naming the holder."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    start = clock()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError):
                waited = clock() - start
                if waited >= timeout:
                    raise LockTimeout('Another run holds %s (%s) and has not released it after %d seconds; wait for '
                                      'it to end, or stop that process.'
                                      % (path, holder(path) or 'holder unknown', timeout))
                sleep(min(poll, max(timeout - waited, 0.01)))
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.write(fd, ('pid %d: %s\n' % (os.getpid(), what)).encode())
    return fd, round(clock() - start, 1)
