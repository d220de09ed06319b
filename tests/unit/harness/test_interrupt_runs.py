# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/harness/interrupt-runs.py, the fault tests' driver: its parsers against ansible-playbook's real output
(the default callback with result_format yaml, as the scenarios run it), and its kill and event runs against a
stand-in playbook that prints task banners."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'tests', 'harness', 'interrupt-runs.py')
_spec = importlib.util.spec_from_file_location('interrupt_runs', SCRIPT)
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

# Output of a site.yml run in which fault-b's container was stopped (ansible-core 2.19, callback_result_format=yaml),
# shortened; the firmware task's failure is one the playbook ignores.
OUTPUT = textwrap.dedent('''\
    TASK [hailo_open.hailo.toolchain : Install the build toolchain and kernel headers] ***
    Thursday 03 December 2026  14:52:14 +0000 (0:00:02.110)       0:00:12.000 *****
    changed: [fault-a]
    fatal: [fault-b]: FAILED! =>
        changed: false
        module_stderr: ''
        module_stdout: ''
        msg: 'Module result deserialization failed: No start of json char found'
        rc: 137
    ok: [fault-d]

    TASK [hailo_open.hailo.driver : Download the firmware] *************************
    fatal: [fault-a -> localhost]: FAILED! =>
        msg: Request failed
    ...ignoring

    TASK [hailo_open.hailo.driver : Build and install with DKMS hailo_pci 4.23.0] ***
    fatal: [fault-c]: UNREACHABLE! =>
        changed: false
        msg: 'Failed to connect to the host via ssh: Connection timed out'
        unreachable: true

    TASK [hailo_open.hailo.validate : Write the fleet report (JSON, HTML, Markdown)] ***
    ok: [fault-a -> localhost]

    PLAY RECAP *********************************************************************
    fault-a                    : ok=66   changed=1    unreachable=0    failed=0    skipped=71   rescued=0    ignored=1
    fault-b                    : ok=6    changed=0    unreachable=0    failed=1    skipped=2    rescued=0    ignored=0
    fault-c                    : ok=30   changed=0    unreachable=1    failed=0    skipped=2    rescued=0    ignored=0
    ''').splitlines()


def test_parse_point():
    assert harness.parse_point('driver : Build and install with DKMS hailo_pci@2') == (
        'driver : Build and install with DKMS hailo_pci', 2.0)
    assert harness.parse_point('hailort : Wait for the build@1.5') == ('hailort : Wait for the build', 1.5)
    # Without a delay (or with an @ that is part of the name) the whole text is the task.
    assert harness.parse_point('validate : Write the fleet report') == ('validate : Write the fleet report', 0.0)
    assert harness.parse_point('a@b') == ('a@b', 0.0)


def test_recap():
    assert harness.recap(OUTPUT) == {
        'fault-a': {'ok': 66, 'changed': 1, 'unreachable': 0, 'failed': 0},
        'fault-b': {'ok': 6, 'changed': 0, 'unreachable': 0, 'failed': 1},
        'fault-c': {'ok': 30, 'changed': 0, 'unreachable': 1, 'failed': 0},
    }
    assert harness.recap(['PLAY RECAP ***', 'nothing here']) == {}


def test_fatals_skip_ignored_failures_and_keep_the_result():
    found = harness.fatals(OUTPUT)
    assert [(f['host'], f['kind']) for f in found] == [('fault-b', 'failed'), ('fault-c', 'unreachable')]
    assert 'rc: 137' in found[0]['result'] and found[0]['result'].endswith('rc: 137')  # not fault-d's line
    assert 'Connection timed out' in found[1]['result']


def test_a_long_result_is_kept_whole():
    lines = ['fatal: [n]: FAILED! =>', '    msg: |-'] + ['        line %d' % n for n in range(300)] + [
        '', '        No space left on device', '', 'PLAY RECAP ***']
    found = harness.fatals(lines)
    assert len(found) == 1 and found[0]['result'].endswith('No space left on device')


def test_changed_tasks():
    assert harness.changed_tasks(OUTPUT) == [
        ['TASK [hailo_open.hailo.toolchain : Install the build toolchain and kernel headers]', 'fault-a']]


# A stand-in for ansible-playbook: prints banners one second apart and a recap; its child processes must die with
# it: one in its process group, one in a session of its own (as Ansible's workers are: they call setsid).
PLAYBOOK = textwrap.dedent('''\
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)
    open(sys.argv[1] + '.worker', 'w').write(str(worker.pid))
    open(sys.argv[1], 'w').write(str(child.pid))
    for name in ('toolchain : Install', 'driver : Build', 'validate : Report'):
        print('TASK [hailo_open.hailo.%s] ***' % name, flush=True)
        time.sleep(1)
        print('changed: [node]', flush=True)
    print('PLAY RECAP ***')
    print('node                       : ok=3    changed=3    unreachable=0    failed=0    skipped=0')
    child.kill()
    worker.kill()
    ''')


@pytest.fixture
def playbook(tmp_path):
    path = tmp_path / 'playbook.py'
    path.write_text(PLAYBOOK)
    return [sys.executable, str(path), str(tmp_path / 'child.pid')], tmp_path / 'child.pid'


def alive(pid, wait=5.0):
    """Whether pid lives on, once SIGKILL has had up to `wait` seconds to take effect."""
    deadline = time.time() + wait
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    return _alive(pid)


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().split(') ')[1][0] != 'Z'
    except OSError:
        return False


def test_run_kills_the_whole_process_group_at_the_point(playbook):
    command, child_pid = playbook
    result = harness.run(command, kill_at=('driver : Build', 0.2))
    assert result['rc'] == -9
    assert result['killed_at'] is not None and result['task'] == 'TASK [hailo_open.hailo.driver : Build]'
    assert result['recap'] == {}
    assert result['changed'] == [['TASK [hailo_open.hailo.toolchain : Install]', 'node']]
    assert not alive(int(child_pid.read_text()))
    assert not alive(int((child_pid.parent / 'child.pid.worker').read_text()))


def test_descendants_walks_the_parent_ids(tmp_path):
    # pid: (command name, parent); names with spaces and parentheses as /proc shows them.
    table = {1: ('init', 0), 10: ('ansible-playboo', 1), 11: ('ansible-playboo', 10), 12: ('a (b) c', 11),
             13: ('sh', 10), 20: ('other', 1)}
    for pid, (name, parent) in table.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / 'stat').write_text('%d (%s) S %d %d 0 0\n' % (pid, name, parent, pid))
    (tmp_path / 'self').mkdir()
    assert sorted(harness.descendants(10, str(tmp_path))) == [11, 12, 13]
    assert harness.descendants(20, str(tmp_path)) == []


def test_run_to_the_end_and_an_event(playbook, tmp_path):
    command, dummy = playbook
    marker = tmp_path / 'event'
    result = harness.run(command, event=('validate : Report', 0, 'touch %s' % marker))
    assert result['rc'] == 0 and result['killed_at'] is None
    assert result['event']['rc'] == 0 and marker.exists()
    assert result['recap'] == {'node': {'ok': 3, 'changed': 3, 'unreachable': 0, 'failed': 0}}
    assert len(result['changed']) == 3


def test_main_records_points_and_runs(playbook, tmp_path):
    command, dummy = playbook
    record = tmp_path / 'record.json'
    proc = subprocess.run([sys.executable, SCRIPT, '--record', str(record), '--point', 'driver : Build@0',
                           '--point', 'not a task@0', '--final', '1', '--'] + command,
                          stdout=subprocess.PIPE, universal_newlines=True)
    data = json.loads(record.read_text())
    # A point that no run reaches fails the harness (the test would not test what it says).
    assert proc.returncode == 1
    assert [run['reached'] for run in data['interrupted']] == [True, False]
    assert 'NOT REACHED' in proc.stdout
    assert len(data['runs']) == 1 and data['runs'][0]['rc'] == 0
