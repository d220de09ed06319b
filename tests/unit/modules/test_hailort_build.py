# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailort_build: a real detached build runner, with a stand-in ``cmake`` on PATH that behaves like CMake's
configure / build / install steps (the HailoRT fixture itself is built in molecule)."""

from __future__ import annotations

import os
import signal
import tarfile
import time

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build
from ansible_collections.hailo_open.hailo.plugins.module_utils import _source as source
from ansible_collections.hailo_open.hailo.plugins.modules import hailort_build as module
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

FAKE_CMAKE = r'''#!/bin/sh
# Stand-in for cmake: configure (-S/-B), build (--build) with [ NN%] lines, install (--install, honours DESTDIR).
case "$1" in
  -S) echo "-- Configuring done (CMAKE_BUILD_PARALLEL_LEVEL=$CMAKE_BUILD_PARALLEL_LEVEL)"; mkdir -p "$4"
      echo "$*" > "$4/configured-with" ;;
  --build)
    echo "[ 50%] Building CXX object hailort/libhailort/src/CMakeFiles/libhailort.dir/device.cpp.o"
    if [ -n "$FAKE_SLEEP" ]; then sleep "$FAKE_SLEEP"; fi
    if [ -n "$FAKE_FAIL" ]; then echo "device.cpp:1: error: expected ';'"; exit 2; fi
    echo "[100%] Linking CXX executable hailortcli" ;;
  --install)
    mkdir -p "$DESTDIR/opt/hailort/bin" "$DESTDIR/opt/hailort/lib"
    echo cli > "$DESTDIR/opt/hailort/bin/hailortcli"; chmod 755 "$DESTDIR/opt/hailort/bin/hailortcli"
    echo lib > "$DESTDIR/opt/hailort/lib/libhailort.so.4.23.0"
    ln -sf libhailort.so.4.23.0 "$DESTDIR/opt/hailort/lib/libhailort.so" ;;
esac
'''


# Stand-in for the builder's python3: answers the requirements probe (FAKE_NO_HEADERS: no Python.h) and makes the
# wheel that setup.py bdist_wheel -d DIR would make (FAKE_WHEEL: its name; FAKE_SETUP_FAIL: fails).
FAKE_PYTHON = r'''#!/bin/sh
if [ "$1" = "-c" ]; then
  include="$(dirname "$0")/include"
  [ -n "$FAKE_NO_HEADERS" ] && include=/nonexistent
  echo "[\"$include\", true, true]"; exit 0
fi
if [ "$1" = "setup.py" ] && [ "$2" = "bdist_wheel" ]; then
  [ -n "$FAKE_SETUP_FAIL" ] && { echo "error: command 'c++' failed"; exit 1; }
  mkdir -p "$4"; echo wheel > "$4/${FAKE_WHEEL:-hailort-4.23.0-cp313-cp313-linux_x86_64.whl}"; exit 0
fi
exit 2
'''

BINDING = {'version': '3.13', 'pybind11': 'system', 'minimum': '2.13',
           'wheel': 'hailort-4.23.0-cp313-cp313-linux_x86_64.whl'}


@pytest.fixture
def env(tmp_path, monkeypatch):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'cmake').write_text(FAKE_CMAKE)
    (bin_dir / 'cmake').chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (bin_dir, os.environ['PATH']))
    (bin_dir / 'python3').write_text(FAKE_PYTHON)
    (bin_dir / 'python3').chmod(0o755)
    (bin_dir / 'include').mkdir()
    (bin_dir / 'include' / 'Python.h').write_text('')
    for name in ('FAKE_SLEEP', 'FAKE_FAIL', 'FAKE_NO_HEADERS', 'FAKE_WHEEL', 'FAKE_SETUP_FAIL'):
        monkeypatch.delenv(name, raising=False)
    tree = tmp_path / 'tree'
    (tree / 'hailort').mkdir(parents=True)
    (tree / 'CMakeLists.txt').write_text('project(fixture)\n')
    platform = tree / 'hailort' / 'libhailort' / 'bindings' / 'python' / 'platform'
    platform.mkdir(parents=True)
    (platform / 'setup.py').write_text('# fixture\n')
    archive = str(tmp_path / 'hailort-4.23.0.tar.gz')
    sha = source.pack_tree(str(tree), 'hailort-4.23.0', archive)
    return {'work': str(tmp_path / 'work'), 'source': archive, 'sha': sha, 'python': str(bin_dir / 'python3')}


def start(env, **args):
    return run_module(module.main, dict({
        'state': 'started', 'work_dir': env['work'], 'source': env['source'], 'source_sha256': env['sha'],
        'cmake_args': ['-DCMAKE_BUILD_TYPE=Release'], 'prefix': '/opt/hailort', 'jobs': 2,
        'artifact': 'hailort-4.23.0-x86_64-trixie-abc.tar.gz'}, **args))


def wait(env, seconds=20, **args):
    return run_module(module.main, dict({'state': 'finished', 'work_dir': env['work'], 'wait': seconds}, **args))


def until_finished(env, **args):
    for _attempt in range(30):
        result = wait(env, **args)
        if result['finished']:
            return result
    raise AssertionError('the build did not finish')


def test_build_runs_detached_and_packs_the_artifact(env):
    started = start(env)
    assert started['failed'] is False and started['changed'] is True and started['reused'] is False
    done = until_finished(env)
    assert done['rc'] == 0 and done['phase'] == 'packing' and done['progress'].endswith('finished')
    assert done['artifact'] == os.path.join(env['work'], 'hailort-4.23.0-x86_64-trixie-abc.tar.gz')
    assert source.sha256_file(done['artifact']) == done['artifact_sha256']
    with tarfile.open(done['artifact']) as archive:
        assert sorted(archive.getnames()) == ['bin', 'bin/hailortcli', 'lib', 'lib/libhailort.so',
                                              'lib/libhailort.so.4.23.0']
    with open(os.path.join(env['work'], 'build', 'configured-with')) as handle:
        configured = handle.read()
    assert '-DCMAKE_BUILD_TYPE=Release' in configured and '-DCMAKE_INSTALL_PREFIX=/opt/hailort' in configured
    with open(done['log']) as handle:
        log = handle.read()
    assert '==> hailo_open.hailo: building' in log and '[100%] Linking' in log


def test_same_inputs_reuse_the_finished_build_and_other_inputs_rebuild(env):
    start(env)
    first = until_finished(env)
    again = start(env)
    assert again['changed'] is False and again['reused'] is True
    assert until_finished(env)['artifact_sha256'] == first['artifact_sha256']
    other = start(env, jobs=1)
    assert other['changed'] is True and other['reused'] is False
    assert until_finished(env)['rc'] == 0


def test_a_failed_build_reports_its_phase_and_log(env, monkeypatch):
    monkeypatch.setenv('FAKE_FAIL', '1')
    start(env)
    done = until_finished(env)
    assert done['failed'] is False and done['rc'] == 2 and done['phase'] == 'building'
    assert "error: expected ';'" in done['log_tail'] and 'failed in the building phase' in done['progress']
    assert 'artifact' not in done
    monkeypatch.delenv('FAKE_FAIL')
    assert start(env)['changed'] is True  # a failed build is started again
    assert until_finished(env)['rc'] == 0


def test_progress_while_building_then_a_killed_runner_is_noticed(env, monkeypatch):
    monkeypatch.setenv('FAKE_SLEEP', '30')
    start(env)
    running = None
    for _attempt in range(20):
        running = wait(env, seconds=1)
        if running['phase'] == 'building':
            break
    assert running['finished'] is False and running['rc'] is None
    assert '[ 50%] Building CXX object' in running['progress']
    status = hailort_build.read_status(os.path.join(env['work'], hailort_build.STATUS_FILE))
    assert start(env)['reused'] is True  # a running build is waited for, not started twice
    os.killpg(status['pgid'], signal.SIGKILL)
    time.sleep(0.5)
    dead = until_finished(env)
    assert dead['rc'] == -1 and 'ended without a result' in dead['log_tail']
    monkeypatch.delenv('FAKE_SLEEP')
    assert start(env)['changed'] is True
    assert until_finished(env)['rc'] == 0


def test_timeout_stops_the_build(env, monkeypatch):
    monkeypatch.setenv('FAKE_SLEEP', '30')
    start(env)
    done = until_finished(env, timeout=2, seconds=5)
    assert done['rc'] == -2 and 'timeout of 2 s' in done['log_tail']


def test_check_mode_starts_nothing(env):
    result = run_module(module.main, {'state': 'started', 'work_dir': env['work'], 'source': env['source'],
                                      'source_sha256': env['sha'], 'artifact': 'a.tar.gz'}, check_mode=True)
    assert result['changed'] is True and not os.path.exists(env['work'])


def test_bad_inputs(env, tmp_path):
    missing = start(env, source=str(tmp_path / 'none.tar.gz'))
    assert missing['failed'] is True and 'does not exist on the host' in missing['msg']
    assert 'jobs must be 1 or more' in start(env, jobs=0)['msg']
    never = wait(env, seconds=0)
    assert never['failed'] is True and 'No build was started' in never['msg']


@pytest.mark.parametrize('status, log, text', [
    ({'started': 100, 'phase': 'configuring'}, '', '20 s - configuring (HailoRT downloads its dependencies and builds'),
    ({'started': 100, 'phase': 'configuring', 'inputs': {'cmake_args': ['-DHAILO_OFFLINE_COMPILATION=ON']}}, '',
     '20 s - configuring (HailoRT builds protobuf\'s compiler from the bundled sources'),
    ({'started': 100, 'phase': 'building'}, '[ 12%] Building x\n[ 13%] Linking y\n', '20 s - [ 13%] Linking y'),
    ({'started': 100, 'phase': 'building'}, 'no step yet\n', '20 s - building'),
    ({'started': 100, 'phase': 'installing', 'finished': True, 'rc': 1}, '', '20 s - failed in the installing phase'),
])
def test_progress_text(status, log, text):
    assert hailort_build.progress_text(status, log, 120).startswith(text)


@pytest.mark.parametrize('now, interval, deadline', [
    (100.0, 60, 160.0),     # just started: the first report a full interval after the start
    (165.0, 60, 220.0),     # a status check that took 5 s still reports at 120 s after the start
    (159.5, 60, 220.0),     # too close to 60 s after the start (margin 1 s): the next one
    (130.0, 0, 130.0),      # no interval: return at once
])
def test_report_deadline_keeps_reports_on_a_fixed_grid(now, interval, deadline):
    assert hailort_build.report_deadline(100.0, now, interval) == deadline


def test_the_job_limit_reaches_every_phase_through_the_environment(env):
    start(env, jobs=3)
    until_finished(env)
    with open(os.path.join(env['work'], hailort_build.LOG_FILE)) as log:
        assert 'Configuring done (CMAKE_BUILD_PARALLEL_LEVEL=3)' in log.read()


def test_classify():
    inputs = hailort_build.build_inputs('a' * 64, ['-DX=1'], '/usr/local', 2, 'art.tar.gz')
    assert hailort_build.classify(None, inputs) == 'none'
    assert hailort_build.classify({'inputs': dict(inputs, jobs=1)}, inputs) == 'none'
    assert hailort_build.classify({'inputs': inputs, 'finished': False, 'pid': os.getpid()}, inputs) == 'running'
    assert hailort_build.classify({'inputs': inputs, 'finished': False, 'pid': 2 ** 22 + 1}, inputs) == 'dead'
    done = {'inputs': inputs, 'finished': True, 'rc': 0, 'artifact_sha256': 'b' * 64}
    assert hailort_build.classify(done, inputs, 'b' * 64) == 'done'
    assert hailort_build.classify(done, inputs, 'c' * 64) == 'none'
    assert hailort_build.classify(dict(done, rc=2), inputs) == 'failed'


def test_binding_phase_puts_the_wheel_into_the_artifact(env):
    binding = dict(BINDING, python=env['python'])
    assert start(env, python_binding=binding)['changed'] is True
    done = until_finished(env)
    assert done['rc'] == 0, done.get('log_tail')
    with tarfile.open(done['artifact']) as archive:
        names = archive.getnames()
    assert 'share/hailo_open/wheels/hailort-4.23.0-cp313-cp313-linux_x86_64.whl' in names
    with open(os.path.join(env['work'], hailort_build.LOG_FILE)) as log:
        text = log.read()
    assert '==> hailo_open.hailo: binding' in text
    assert '-DFETCHCONTENT_SOURCE_DIR_PYBIND11=%s/pybind11-system' % env['work'] in text
    with open(os.path.join(env['work'], 'pybind11-system', 'CMakeLists.txt')) as shim:
        assert 'find_package(pybind11 2.13 CONFIG REQUIRED GLOBAL)' in shim.read()
    # the binding is part of the build's identity: without it, it is another build
    assert start(env)['changed'] is True


@pytest.mark.parametrize('variable, words', [
    ('FAKE_NO_HEADERS', 'missing python3-dev (Python.h)'),
    ('FAKE_SETUP_FAIL', "error: command 'c++' failed"),
    ('FAKE_WHEEL', 'the binding built, but not the wheel hailort-4.23.0-cp313-cp313-linux_x86_64.whl'),
    ('NO_BINDING', 'the source has no Python binding'),
    ('PINNED_OFFLINE', 'needs hailort/external/pybind11-src in the bundle'),
])
def test_binding_failures_fail_the_build_with_a_reason(env, monkeypatch, variable, words):
    monkeypatch.setenv(variable, 'hailort-4.23.0-py3-none-any.whl' if variable == 'FAKE_WHEEL' else '1')
    if variable == 'NO_BINDING':
        tree = os.path.dirname(env['source'])
        other = os.path.join(tree, 'bare')
        os.makedirs(os.path.join(other, 'hailort'))
        env = dict(env, source=os.path.join(tree, 'bare.tar.gz'))
        env['sha'] = source.pack_tree(other, 'hailort-4.23.0', env['source'])
    binding = dict(BINDING, python=env['python'])
    if variable == 'PINNED_OFFLINE':
        binding.update(pybind11='pinned', minimum='2.10.1', offline=True)
    start(env, python_binding=binding)
    done = until_finished(env)
    assert done['rc'] != 0 and done['phase'] == 'binding'
    assert words in done['log_tail']
    assert 'artifact' not in done
