# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_hailort_fixes: the execute_cmake_jobs_ccache fix on the HailoRT fixture's execute_cmake.cmake (written for this
project with the statements HailoRT 4.17-4.23 have; the fix was also checked against the real file, see
docs/hailort.md), and the fixture's child build with and without it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_fixes as fixes

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'hailort')
EXECUTE_CMAKE = os.path.join(FIXTURE, 'hailort', 'cmake', 'execute_cmake.cmake')


def fixture_text():
    with open(EXECUTE_CMAKE) as handle:
        return handle.read()


def test_applied_once_then_present():
    before = fixture_text()
    after, status = fixes.add_jobs_and_ccache(before)
    assert status == 'applied'
    assert 'env -i HOME=$ENV{HOME} PATH=/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin ' \
           '${hailo_open_kept_env} bash -l -c' in after
    assert 'foreach(hailo_open_name CCACHE_DIR CCACHE_DISABLE CMAKE_BUILD_PARALLEL_LEVEL)' in after
    assert 'set(cores "$ENV{CMAKE_BUILD_PARALLEL_LEVEL}")' in after
    assert '${hailo_open_launchers}' in after and 'find_program(HAILO_OPEN_CCACHE ccache)' in after
    # the original processor count stays for builds without a job limit
    assert 'execute_process(COMMAND grep -c ^processor /proc/cpuinfo OUTPUT_VARIABLE cores RESULT_VARIABLE result)' \
        in after
    assert fixes.add_jobs_and_ccache(after) == (after, 'present')


@pytest.mark.parametrize('remove, what', [
    ('bash -l -c', 'clean-environment command'),
    ('grep -c ^processor /proc/cpuinfo', 'processor count'),
    ('${execute_cmake_CONFIGURE_ARGS}', 'child configure arguments'),
])
def test_unrecognised_file_is_an_error(remove, what):
    with pytest.raises(fixes.FixError) as error:
        fixes.add_jobs_and_ccache(fixture_text().replace(remove, 'something else'))
    assert what in str(error.value)


def test_versions_and_plan(tmp_path):
    assert fixes.fixes_for_version('4.23.0') == ['execute_cmake_jobs_ccache']
    assert fixes.fixes_for_version('4.16.0') == [] and fixes.fixes_for_version('5.0.0') == []
    root = tmp_path / 'tree'
    (root / 'hailort' / 'cmake').mkdir(parents=True)
    (root / 'hailort' / 'cmake' / 'execute_cmake.cmake').write_text(fixture_text())
    plan = fixes.plan_builtin_fixes(str(root), '4.23.0')
    assert [(p['name'], p['status']) for p in plan] == [('execute_cmake_jobs_ccache', 'applied')]
    assert fixes.plan_builtin_fixes(str(root), '4.23.0', skip=['execute_cmake_jobs_ccache'])[0]['status'] == 'skipped'
    os.remove(str(root / 'hailort' / 'cmake' / 'execute_cmake.cmake'))
    with pytest.raises(fixes.FixError) as error:
        fixes.plan_builtin_fixes(str(root), '4.23.0')
    assert 'skip_fixes=[execute_cmake_jobs_ccache]' in str(error.value)


def test_plan_fails_when_the_file_is_not_recognised(tmp_path):
    path = tmp_path / 'hailort' / 'cmake' / 'execute_cmake.cmake'
    path.parent.mkdir(parents=True)
    path.write_text(fixture_text().replace('bash -l -c', 'something else'))
    with pytest.raises(fixes.FixError) as error:
        fixes.plan_builtin_fixes(str(tmp_path), '4.23.0')
    assert str(error.value).startswith(
        'Built-in fix execute_cmake_jobs_ccache (let the job limit and ccache reach the protobuf build HailoRT runs '
        'while it configures) is needed by HailoRT 4.23.0 but cannot be applied to %s: expected one clean-environment '
        'command' % path)
    assert str(error.value).endswith(
        'Check the source (a local patch may have changed it), or skip the fix on purpose with '
        'skip_fixes=[execute_cmake_jobs_ccache].')


@pytest.mark.skipif(shutil.which('cmake') is None or shutil.which('bash') is None, reason='needs cmake and bash')
@pytest.mark.parametrize('fixed', [False, True])
def test_child_build_gets_the_job_limit_and_ccache_only_with_the_fix(tmp_path, fixed):
    tree = tmp_path / 'hailort'
    scratch = {os.path.join(FIXTURE, 'build'), os.path.join(FIXTURE, 'hailort', 'external')}
    shutil.copytree(FIXTURE, str(tree), ignore=lambda directory, names: [
        name for name in names if os.path.join(directory, name) in scratch])
    if fixed:
        path = tree / 'hailort' / 'cmake' / 'execute_cmake.cmake'
        path.write_text(fixes.add_jobs_and_ccache(path.read_text())[0])
    env = dict(os.environ, CCACHE_DIR=str(tmp_path / 'ccache'), CMAKE_BUILD_PARALLEL_LEVEL='1')
    result = subprocess.run(['cmake', '-S', str(tree), '-B', str(tree / 'build'), '-DCMAKE_BUILD_TYPE=Release'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
                            check=False, timeout=300)
    assert result.returncode == 0, result.stdout
    record = dict(line.split('=', 1) for line in
                  (tree / 'hailort' / 'external' / 'protobuf-build' / 'fixture-child.txt').read_text().splitlines())
    jobs = [flag for flag in record['MAKEFLAGS'].split() if flag.startswith('-j')]
    if fixed:
        assert record['CCACHE_DIR'] == str(tmp_path / 'ccache')
        assert jobs == ['-j1']
        assert record['COMPILER_LAUNCHER'] == (shutil.which('ccache') or '')
    else:
        assert record['CCACHE_DIR'] == '' and record['COMPILER_LAUNCHER'] == ''
        assert jobs == ['-j%d' % len([line for line in open('/proc/cpuinfo') if line.startswith('processor')])]
