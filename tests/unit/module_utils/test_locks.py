"""Unit tests for _locks: real flock locks on files under a temporary directory; a second open file description
stands for another process (flock locks of two descriptions conflict even within one process)."""

import fcntl
import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _locks as locks


class Clock(object):
    """A fake monotonic clock that sleeping advances."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_lock_path():
    assert locks.lock_path('dkms-hailo_pci') == '/run/lock/hailo_open.hailo-dkms-hailo_pci.lock'
    assert locks.lock_path('x', lock_dir='/tmp/l') == '/tmp/l/hailo_open.hailo-x.lock'


def test_acquire_free_lock_records_the_holder(tmp_path):
    path = str(tmp_path / 'sub' / 'a.lock')
    fd, waited = locks.acquire(path, 'dkms installed hailo_pci 4.23.0', timeout=0)
    try:
        assert waited == 0
        assert locks.holder(path) == 'pid %d: dkms installed hailo_pci 4.23.0' % os.getpid()
        other = os.open(path, os.O_RDWR)
        with pytest.raises(OSError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(other)
    finally:
        os.close(fd)


def test_a_longer_record_is_replaced_whole(tmp_path):
    path = tmp_path / 'a.lock'
    path.write_text('pid 999999: a much longer description of an earlier holder\n')
    fd, dummy = locks.acquire(str(path), 'short', timeout=0)
    os.close(fd)
    assert path.read_text() == 'pid %d: short\n' % os.getpid()


def test_held_lock_waits_then_times_out_naming_the_holder(tmp_path):
    path = str(tmp_path / 'a.lock')
    held, dummy = locks.acquire(path, 'dkms installed hailo_pci 4.23.0', timeout=0)
    clock = Clock()
    try:
        with pytest.raises(locks.LockTimeout) as err:
            locks.acquire(path, 'second', timeout=5, poll=2, clock=clock, sleep=clock.sleep)
    finally:
        os.close(held)
    assert clock.sleeps == [2, 2, 1]
    assert str(err.value) == ('Another run holds %s (pid %d: dkms installed hailo_pci 4.23.0) and has not released '
                              'it after 5 seconds; wait for it to end, or stop that process.' % (path, os.getpid()))


def test_lock_released_while_waiting_is_taken(tmp_path):
    path = str(tmp_path / 'a.lock')
    held, dummy = locks.acquire(path, 'first', timeout=0)
    clock = Clock()

    def sleep(seconds):
        clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            os.close(held)   # the other run ends (or dies): its lock ends with it

    fd, waited = locks.acquire(path, 'second', timeout=60, poll=1, clock=clock, sleep=sleep)
    os.close(fd)
    assert waited == 3
    assert locks.holder(path) == 'pid %d: second' % os.getpid()


def test_unknown_holder(tmp_path):
    path = str(tmp_path / 'a.lock')
    other = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        with pytest.raises(locks.LockTimeout, match=r'\(holder unknown\)'):
            locks.acquire(path, 'second', timeout=0)
    finally:
        os.close(other)
    assert locks.holder(str(tmp_path / 'missing.lock')) is None
