# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_baseline_app: build decisions and commands, and the parsing of the application's output and of the CMake,
compiler and dynamic loader messages (recorded from real runs: tests/unit/data/baseline)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _baseline_app as app
from ansible_collections.hailo_open.hailo.tests.unit.baseline_data import data

APP_SOURCE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'apps', 'hailo-baseline')


def test_parse_success():
    result = app.parse_output(0, data('ok-hailo8.stdout'))
    assert result['ok'] is True
    assert result['frames'] == 200
    assert 1000 < result['fps'] < 1310
    assert set(result['latency_ms']) == {'p50', 'p95', 'p99'}
    assert result['latency_ms']['p50'] <= result['latency_ms']['p99']
    assert result['devices'][0]['architecture'] == 'HAILO8'
    assert result['devices'][0]['serial_number'] == 'HLLWM2B225100123'
    assert result['model']['inputs'][0]['name'] == 'resnet_v1_50/input_layer1'
    assert result['status'] == {'name': 'HAILO_SUCCESS', 'code': 0, 'stage': None, 'message': None}


@pytest.mark.parametrize('name, status, code, stage', [
    ('no-device', 'HAILO_OUT_OF_PHYSICAL_DEVICES', 74, 'vdevice'),
    ('hef-incompatible', 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE', 93, 'configure'),
    ('hef-not-a-hef', 'HAILO_HEF_NOT_SUPPORTED', 92, 'model'),
    ('hef-missing', 'HAILO_OPEN_FILE_FAILURE', 13, 'model'),
])
def test_parse_hailo_failures(name, status, code, stage):
    with pytest.raises(app.BaselineAppError) as failure:
        app.parse_output(1, data(name + '.stdout'), data(name + '.stderr'))
    error = failure.value
    assert error.problem_id == 'baseline_app_failed'
    assert error.details['result']['status']['name'] == status
    assert error.details['result']['status']['code'] == code
    assert error.details['result']['status']['stage'] == stage
    assert status in error.message and ('(%d)' % code) in error.message
    if data(name + '.stderr'):
        assert error.details['errors'], 'the [HailoRT] [error] lines are kept'
        assert 'Last error:' in error.message


def test_parse_failure_keeps_identified_devices():
    with pytest.raises(app.BaselineAppError) as failure:
        app.parse_output(1, data('ok-hailo8l-hef-hailo8.stdout'))
    assert failure.value.details['result']['devices'][0]['architecture'] == 'HAILO8L'
    assert failure.value.details['result']['fps'] is None


def test_parse_usage_error():
    with pytest.raises(app.BaselineAppError) as failure:
        app.parse_output(app.EXIT_USAGE, data('usage.stdout'), data('usage.stderr'))
    assert failure.value.problem_id == 'baseline_app_failed'
    assert "--frames must be a positive integer, not '0'" in failure.value.message


def test_parse_loader_failure():
    with pytest.raises(app.BaselineAppError) as failure:
        app.parse_output(127, '', data('loader-missing-library.stderr'))
    assert failure.value.problem_id == 'baseline_app_runtime_mismatch'
    assert failure.value.details['wanted'] == '4.23.0'
    assert 'libhailort.so.4.23.0' in failure.value.message


def test_parse_version_mismatch_from_json():
    stdout = ('{"app":"hailo-baseline","app_version":"1.0.0","hailort":{"built_against":"4.23.0","library":"4.22.0"},'
              '"ok":false,"status":"HAILO_INVALID_OPERATION","code":6,"stage":"version","message":"libhailort 4.22.0 '
              'is loaded, but this program was built against HailoRT 4.23.0; rebuild it","devices":[],"model":null,'
              '"frames":0,"seconds":null,"fps":null,"latency_ms":{"p50":null,"p95":null,"p99":null}}\n')
    with pytest.raises(app.BaselineAppError) as failure:
        app.parse_output(3, stdout)
    assert failure.value.problem_id == 'baseline_app_runtime_mismatch'
    assert failure.value.details['found'] == ['4.22.0']


@pytest.mark.parametrize('stdout', ['', 'Segmentation fault\n', '{"not": "ours"}\n', '{broken json\n'])
def test_parse_garbage(stdout):
    with pytest.raises(app.BaselineAppError) as failure:
        app.parse_output(139, stdout, 'boom\n')
    assert failure.value.problem_id == 'baseline_app_failed'
    assert 'without its JSON result' in failure.value.message
    assert 'boom' in failure.value.message


def test_parse_ok_false_with_exit_zero_is_a_failure():
    stdout = data('no-device.stdout')
    with pytest.raises(app.BaselineAppError):
        app.parse_output(0, stdout)


def test_configure_failure_version_mismatch():
    error = app.explain_configure_failure(data('cmake-version-mismatch.out'), '4.22.0')
    assert error.problem_id == 'baseline_app_runtime_mismatch'
    assert error.details == {'wanted': '4.22.0', 'found': ['4.23.0']}
    assert 'found HailoRT 4.23.0, not 4.22.0' in error.message


def test_configure_failure_no_package():
    error = app.explain_configure_failure(data('cmake-missing.out'), '4.23.0')
    assert error.problem_id == 'baseline_app_runtime_mismatch'
    assert error.details == {'wanted': '4.23.0', 'found': []}


def test_configure_failure_other():
    error = app.explain_configure_failure('CMake Error: something else entirely\n', '4.23.0')
    assert error.problem_id == 'baseline_app_build_failed'
    assert 'something else entirely' in error.message


def test_build_failure_names_the_first_compiler_error():
    error = app.explain_build_failure(data('build-error.out'))
    assert error.problem_id == 'baseline_app_build_failed'
    assert 'First error: /var/cache/hailo/baseline/src/main.cpp:402:34: expected primary-expression' in error.message
    assert app.explain_build_failure('make: *** oops').message.startswith('Building the baseline application failed.')


def test_commands():
    assert app.configure_command('cmake', '/s', '/b', '4.23.0', '/opt/h') == [
        'cmake', '-S', '/s', '-B', '/b', '-DCMAKE_BUILD_TYPE=Release', '-DHAILORT_VERSION=4.23.0',
        '-DCMAKE_PREFIX_PATH=/opt/h']
    assert app.configure_command('cmake', '/s', '/b', '4.23.0')[-1] == '-DHAILORT_VERSION=4.23.0'
    assert app.build_command('cmake', '/b') == ['cmake', '--build', '/b', '--target', 'hailo-baseline']
    assert app.build_command('cmake', '/b', 2)[-2:] == ['-j', '2']
    assert app.run_command('/b/hailo-baseline', '/h.hef', 10) == ['/b/hailo-baseline', '--hef', '/h.hef',
                                                                  '--frames', '10']
    assert app.run_command('x', 'h', 1, 4, 500)[-4:] == ['--batch-size', '4', '--timeout-ms', '500']


def test_stamp_and_needs_build(tmp_path):
    stamp = app.build_stamp(APP_SOURCE, '4.23.0', '/usr/local')
    assert 'hailort=4.23.0' in stamp and 'prefix=/usr/local' in stamp
    assert stamp != app.build_stamp(APP_SOURCE, '4.22.0', '/usr/local')
    assert stamp != app.build_stamp(APP_SOURCE, '4.23.0', '/opt/hailo')
    build = tmp_path / 'build'
    assert app.needs_build(str(build), stamp)
    build.mkdir()
    (build / app.BINARY_NAME).write_text('binary')
    assert app.needs_build(str(build), stamp), 'no stamp: built by something else'
    (build / app.STAMP_NAME).write_text(stamp)
    assert not app.needs_build(str(build), stamp)
    assert app.needs_build(str(build), app.build_stamp(APP_SOURCE, '4.22.0', '/usr/local'))


def test_source_digest_follows_the_content(tmp_path):
    for name in app.SOURCE_FILES:
        (tmp_path / name).write_text('one')
    first = app.source_digest(str(tmp_path))
    (tmp_path / 'main.cpp').write_text('two')
    assert app.source_digest(str(tmp_path)) != first
    os.remove(str(tmp_path / 'main.cpp'))
    with pytest.raises(app.BaselineAppError) as failure:
        app.source_digest(str(tmp_path))
    assert failure.value.problem_id == 'baseline_app_build_failed'


@pytest.mark.parametrize('app_fps, benchmark_fps, tolerance, expected', [
    (1300.0, 1368.0, 0.25, (pytest.approx(0.0497, abs=1e-3), True)),
    (600.0, 1368.0, 0.25, (pytest.approx(0.5614, abs=1e-3), False)),
    (None, 1368.0, 0.25, (None, True)),
    (1300.0, 0, 0.25, (None, True)),
])
def test_compare_fps(app_fps, benchmark_fps, tolerance, expected):
    assert app.compare_fps(app_fps, benchmark_fps, tolerance) == expected
