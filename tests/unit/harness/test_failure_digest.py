# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/harness/failure-digest.py: what run-all.sh prints last about a failed stage, from logs shaped like the
real ones (molecule's box around ansible-playbook's default callback with result_format yaml, pytest's summary,
the harness's ERROR lines)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'tests', 'harness', 'failure-digest.py')
_spec = importlib.util.spec_from_file_location('failure_digest', SCRIPT)
failure_digest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(failure_digest)

GREEN, RED, DIM, RESET = '\x1b[0;32m', '\x1b[0;31m', '\x1b[2m', '\x1b[0m'

# A converge in molecule's box (ANSI colours as molecule writes them): an ignored failure, then a real one whose
# task name wraps at the box's width, then the recap.
MOLECULE_LOG = textwrap.dedent('''\
    INFO     arm64 ➜ converge: Executing
      {d}│{r} TASK [hailo_open.hailo.driver : Probe the firmware]
      {d}│{r}   ******
      {d}│{r} fatal: [hailo-pi-arm64]: FAILED! =>
      {d}│{r}     changed: false
      {d}│{r}     msg: no firmware
      {d}│{r} ...ignoring
      {d}│{r}
      {d}│{r} TASK [hailo_open.hailo.inference : Ask the service whether it is ready and
      {d}│{r}   send it the check image] ***
      {d}│{r} Thursday 03 December 2026  15:04:16 +0000 (0:00:23.787)       0:25:03.145
      {d}│{r} {red}fatal: [hailo-pi-arm64]: FAILED! =>{r}
      {d}│{r}     changed: false
      {d}│{r}     msg: 'the service did not answer within 300 s'
      {d}│{r}
      {d}│{r} PLAY RECAP *********************************************************************
      {d}│{r} hailo-pi-arm64             : ok=90   changed=40   unreachable=0    failed=1
''').format(d=DIM, r=RESET, red=RED)

PYTEST_LOG = textwrap.dedent('''\
    ........F.
    =================================== FAILURES ===================================
    _____________ test_the_check_classified_the_check_image _____________
    >       assert status['state'] == 'ready', status
    E       AssertionError: {'state': 'starting'}
    E       assert 'starting' == 'ready'
    tests/test_inference_arm64.py:20: AssertionError
    =========================== short test summary info ============================
    FAILED tests/test_inference_arm64.py::test_the_check_classified_the_check_image - AssertionError: {'state': ...
    1 failed, 18 passed in 12.20s
''')


def test_a_failed_task_with_its_wrapped_name_and_message_and_not_an_ignored_one():
    assert failure_digest.digest(MOLECULE_LOG.splitlines(True)) == [
        'TASK [hailo_open.hailo.inference : Ask the service whether it is ready and send it the check image]',
        "fatal: [hailo-pi-arm64]: FAILED! => changed: false msg: 'the service did not answer within 300 s'",
    ]


def test_failed_tests_and_their_assertions():
    assert failure_digest.digest(PYTEST_LOG.splitlines(True)) == [
        "E       AssertionError: {'state': 'starting'}",
        "E       assert 'starting' == 'ready'",
        "FAILED tests/test_inference_arm64.py::test_the_check_classified_the_check_image - AssertionError: "
        "{'state': ...",
    ]


def test_the_harness_error_lines_and_long_lines_cut():
    log = ['==> building the arm64 VM image\n', 'ERROR: building the arm64 VM image failed\n',
           'fatal: [node]: FAILED! => msg: ' + 'x' * 400 + '\n']
    lines = failure_digest.digest(log)
    assert lines[0] == 'ERROR: building the arm64 VM image failed'
    assert lines[1] == '(no task)'
    assert len(lines[2]) == failure_digest.WIDTH and lines[2].endswith('...')


def test_the_most_recent_lines_within_the_limit():
    log = ['TASK [t%d]\n' % i if j == 0 else 'fatal: [n]: FAILED! => msg: %d\n' % i
           for i in range(10) for j in range(2)]
    assert failure_digest.digest(log, max_lines=4) == [
        'TASK [t8]', 'fatal: [n]: FAILED! => msg: 8', 'TASK [t9]', 'fatal: [n]: FAILED! => msg: 9']


def test_a_log_without_a_failure_says_so(tmp_path):
    log = tmp_path / 'molecule-site.log'
    log.write_text('PLAY RECAP\nnode : ok=3 changed=0 failed=0\n')
    out = subprocess.run([sys.executable, SCRIPT, str(log)], capture_output=True, text=True, check=True).stdout
    assert out == '---- %s: no failed task or test found in it\n' % log


def test_the_command_prints_the_digest_indented(tmp_path):
    log = tmp_path / 'molecule-arm64.log'
    log.write_text(MOLECULE_LOG)
    out = subprocess.run([sys.executable, SCRIPT, str(log)], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        '---- %s: where it failed:' % log,
        '  TASK [hailo_open.hailo.inference : Ask the service whether it is ready and send it the check image]',
        "  fatal: [hailo-pi-arm64]: FAILED! => changed: false msg: 'the service did not answer within 300 s'",
    ]


def test_usage_without_a_log():
    result = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True)
    assert result.returncode == 1 and 'failure-digest.py LOG [MAX_LINES]' in result.stderr
