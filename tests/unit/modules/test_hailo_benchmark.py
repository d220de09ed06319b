# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_benchmark with run_command patched: the fake hailortcli writes the CSV file it is asked for."""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.hailo_open.hailo.plugins.modules import hailo_benchmark

DATA = os.path.join(os.path.dirname(__file__), '..', 'data', 'hailortcli')
CLI = '/usr/local/bin/hailortcli'


def data(name):
    with open(os.path.join(DATA, name)) as handle:
        return handle.read()


class Exit(Exception):
    pass


class FakeCli(object):
    """What the next benchmark run returns: exit code, stdout, stderr and the CSV file it writes (None: none)."""

    def __init__(self):
        self.rc, self.stdout, self.stderr, self.csv = 0, data('benchmark.stdout'), '', data('benchmark.csv')
        self.calls = []

    def run_command(self, module, args, environ_update=None, cwd=None, **kwargs):
        self.calls.append({'args': list(args), 'env': environ_update, 'cwd': cwd,
                           'cwd_existed': bool(cwd) and os.path.isdir(cwd)})
        if self.csv is not None and '--csv' in args:
            with open(args[args.index('--csv') + 1], 'w') as handle:
                handle.write(self.csv)
        return self.rc, self.stdout, self.stderr


@pytest.fixture
def cli(monkeypatch):
    fake = FakeCli()
    warnings = []

    def exit_json(self, **result):
        # As Ansible's task executor does: a result without 'failed' fails when it carries a non-zero 'rc'.
        failed = result.pop('failed', 'rc' in result and result['rc'] not in (0, '0'))
        raise Exit(dict(result, failed=failed, warnings=warnings))

    def fail_json(self, **result):
        raise Exit(dict(result, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, 'run_command',
                        lambda self, args, **kwargs: fake.run_command(self, args, **kwargs))
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, message: warnings.append(message))
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: CLI)
    return fake


@pytest.fixture
def hef(tmp_path):
    path = tmp_path / 'resnet_v1_50.hef'
    path.write_bytes(b'not a real HEF')
    return str(path)


def run(args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(Exit) as caught:
            hailo_benchmark.main()
    return caught.value.args[0]


def test_csv_results(cli, hef):
    result = run({'hef': hef})
    assert result['failed'] is False and result['changed'] is False
    assert result['source'] == 'csv' and result['net_name'] == 'resnet_v1_50'
    assert result['fps'] == {'hw_only': 1372.01, 'streaming': 1368.02}
    assert result['latency_ms'] == {'hw': 4.51204, 'overall': 5.2341}
    assert result['power'] == {'min': 1.7012, 'average': 1.82123, 'max': 2.0473, 'units': 'W'}
    assert result['frames'] == {'hw_only': 20580, 'streaming': 20520}
    assert [network['net_name'] for network in result['networks']] == ['resnet_v1_50', 'yolov8s']
    assert result['threshold'] is None and result['passed'] is None and result['fps_metric'] == 'hw_only'
    assert result['rc'] == 0 and result['stdout'] == data('benchmark.stdout')
    json.dumps(result)


def test_command_line_environment_and_temporary_directory(cli, hef):
    run({'hef': hef, 'time': 5, 'batch_size': 8, 'device_id': '0001:01:00.0'})
    [call] = cli.calls
    args = call['args']
    assert args[:9] == [CLI, 'benchmark', hef, '-t', '5', '--batch-size', '8', '-s', '0001:01:00.0']
    assert args[9] == '--csv' and os.path.dirname(args[10]) == call['cwd']
    assert call['env'] == {'LC_ALL': 'C', 'LANG': 'C', 'HAILORT_LOGGER_PATH': 'NONE'}
    assert call['cwd_existed'] and not os.path.exists(call['cwd'])


def test_defaults_and_no_device_id(cli, hef):
    run({'hef': hef})
    args = cli.calls[0]['args']
    assert args[3:7] == ['-t', '15', '--batch-size', '1'] and '-s' not in args


def test_csv_without_power(cli, hef):
    cli.csv = data('benchmark-hailo8l-slow.csv')
    result = run({'hef': hef})
    assert result['power'] is None and result['source'] == 'csv'
    assert result['fps'] == {'hw_only': 101.3, 'streaming': 96.4}


def test_summary_fallback_when_no_csv(cli, hef):
    cli.csv = None
    result = run({'hef': hef})
    assert result['failed'] is False and result['source'] == 'summary'
    assert result['net_name'] is None and result['frames'] == {'hw_only': None, 'streaming': None}
    assert result['fps'] == {'hw_only': 1372.01, 'streaming': 1368.02}
    assert result['latency_ms'] == {'hw': 4.51204, 'overall': 5.2341}
    assert result['power'] == {'min': None, 'average': 1.82123, 'max': 2.0473, 'units': 'W'}


def test_summary_fallback_when_csv_unreadable(cli, hef):
    cli.csv = 'garbage\n'
    cli.stdout = data('benchmark-no-latency.stdout')
    result = run({'hef': hef})
    assert result['source'] == 'summary' and result['power'] is None
    assert result['fps'] == {'hw_only': 1372010.0, 'streaming': 503}
    assert result['latency_ms'] == {'hw': None, 'overall': None}


def test_neither_csv_nor_summary_fails(cli, hef):
    cli.csv, cli.stdout = None, 'Starting Measurements...\n'
    result = run({'hef': hef})
    assert result['failed'] is True and 'could not be read' in result['msg'] and 'Summary' in result['msg']


def test_above_threshold_passes(cli, hef):
    result = run({'hef': hef, 'min_fps': 1097.6})
    assert result['failed'] is False and result['passed'] is True and result['threshold'] == 1097.6


def test_threshold_equal_passes(cli, hef):
    result = run({'hef': hef, 'min_fps': 1372.01})
    assert result['passed'] is True


def test_below_threshold_fails_naming_metric_measured_and_threshold(cli, hef):
    cli.csv = data('benchmark-hailo8l-slow.csv')
    result = run({'hef': hef, 'min_fps': 110.4})
    assert result['failed'] is True and result['passed'] is False
    assert result['msg'].startswith('hw_only FPS 101.3 is below the threshold of 110.4 FPS (92 % of it)')
    assert result['fps']['hw_only'] == 101.3


def test_streaming_metric(cli, hef):
    cli.csv = data('benchmark-hailo8l-slow.csv')
    result = run({'hef': hef, 'min_fps': 100, 'fps_metric': 'streaming'})
    assert result['failed'] is True and result['msg'].startswith('streaming FPS 96.4 is below the threshold of 100')
    result = run({'hef': hef, 'min_fps': 90, 'fps_metric': 'streaming'})
    assert result['failed'] is False and result['passed'] is True and result['fps_metric'] == 'streaming'


def test_below_threshold_without_failing_warns(cli, hef):
    cli.csv = data('benchmark-hailo8l-slow.csv')
    result = run({'hef': hef, 'min_fps': 110.4, 'fail_below_threshold': False})
    assert result['failed'] is False and result['passed'] is False and result['changed'] is False
    assert len(result['warnings']) == 1 and 'below the threshold' in result['warnings'][0]


def test_threshold_on_a_missing_metric_fails(cli, hef):
    cli.csv = data('benchmark.csv').replace('1372.01', '')
    result = run({'hef': hef, 'min_fps': 100})
    assert result['failed'] is True and 'reported no hw_only FPS' in result['msg']


def test_check_mode_does_not_run(cli, hef):
    result = run({'hef': hef, 'min_fps': 100, 'time': 10}, check_mode=True)
    assert result['failed'] is False and result['skipped'] is True and result['changed'] is False
    assert cli.calls == []
    assert result['passed'] is None and result['rc'] is None and 'about 30 s' in result['msg']
    assert result['cmd'][:2] == [CLI, 'benchmark']


def test_check_mode_still_checks_the_hef(cli, tmp_path):
    result = run({'hef': str(tmp_path / 'missing.hef')}, check_mode=True)
    assert result['failed'] is True and 'does not exist' in result['msg']


@pytest.mark.parametrize('rc, stderr, name, words', [
    (93, data('run-hef-incompatible.stderr'), 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE',
     ['The device is a HAILO8L and the HEF was compiled for HAILO8', 'use the hailo8l HEF']),
    (74, data('run-out-of-devices.stderr'), 'HAILO_OUT_OF_PHYSICAL_DEVICES', ['another process holds it']),
    (76, data('identify-driver-mismatch.stderr'), 'HAILO_INVALID_DRIVER_VERSION',
     ['same major.minor.revision', '/sys/module/hailo_pci/version']),
    (26, data('benchmark-invalid-hef.stderr'), 'HAILO_INVALID_HEF', ['not a valid HEF']),
    (255, data('version-library-mismatch.stderr'), 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH',
     ['different releases']),
])
def test_decoded_failures(cli, hef, rc, stderr, name, words):
    cli.rc, cli.stdout, cli.stderr, cli.csv = rc, '', stderr, None
    result = run({'hef': hef, 'min_fps': 100})
    assert result['failed'] is True and result['rc'] == rc and result['stderr'] == stderr
    assert result['status']['name'] == name and name in result['msg']
    assert result['msg'].startswith('"hailortcli benchmark %s" failed with exit code %d' % (hef, rc))
    for word in words:
        assert word in result['msg']
    assert result['passed'] is None
    json.dumps(result)


def test_incompatible_hef_details(cli, hef):
    cli.rc, cli.stderr, cli.csv = 93, data('run-hef-incompatible.stderr'), None
    result = run({'hef': hef})
    assert result['status']['kind'] == 'hef_not_compatible'
    assert result['status']['details'] == {'device_arch': 'HAILO8L', 'hef_arch': 'HAILO8'}


def test_missing_hailortcli(cli, hef, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: None)
    result = run({'hef': hef})
    assert result['failed'] is True and 'hailortcli was not found' in result['msg'] and cli.calls == []


def test_hailortcli_path_not_executable(cli, hef, tmp_path):
    result = run({'hef': hef, 'hailortcli_path': str(tmp_path / 'hailortcli')})
    assert result['failed'] is True and 'is not an executable file' in result['msg']


def test_hailortcli_path_used(cli, hef, tmp_path):
    binary = tmp_path / 'hailortcli'
    binary.write_text('')
    binary.chmod(0o755)
    result = run({'hef': hef, 'hailortcli_path': str(binary)})
    assert result['failed'] is False and cli.calls[0]['args'][0] == str(binary)


def test_missing_hef(cli, tmp_path):
    result = run({'hef': str(tmp_path / 'yolov8s.hef')})
    assert result['failed'] is True and cli.calls == []
    assert 'The HEF file %s does not exist' % (tmp_path / 'yolov8s.hef') in result['msg']


def test_hef_is_a_directory(cli, tmp_path):
    result = run({'hef': str(tmp_path)})
    assert result['failed'] is True and 'not a file' in result['msg']


@pytest.mark.parametrize('args, words', [
    ({'time': 0}, 'time must be a positive integer'),
    ({'batch_size': -1}, 'batch_size must be a positive integer'),
    ({'min_fps': 0}, 'min_fps must be above 0'),
])
def test_bad_numbers(cli, hef, args, words):
    result = run(dict(args, hef=hef))
    assert result['failed'] is True and words in result['msg'] and cli.calls == []


def test_fail_on_error_false_describes_the_failure(cli, hef, tmp_path):
    cli.rc, cli.stdout, cli.stderr, cli.csv = 93, '', data('run-hef-incompatible.stderr'), None
    result = run({'hef': hef, 'min_fps': 100, 'fail_on_error': False})
    assert result['failed'] is False and result['rc'] == 93
    assert result['error']['status']['name'] == 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE'
    assert result['error']['msg'].startswith('"hailortcli benchmark %s" failed with exit code 93' % hef)
    missing = run({'hef': str(tmp_path / 'none.hef'), 'fail_on_error': False})
    assert missing['failed'] is False and missing['error']['status'] is None
    assert 'does not exist' in missing['error']['msg'] and missing['rc'] is None


def test_success_has_no_error(cli, hef):
    assert run({'hef': hef, 'min_fps': 100, 'fail_on_error': False})['error'] is None


def test_prefix_is_the_only_place_looked_at(cli, hef, tmp_path):
    (tmp_path / 'bin').mkdir()
    binary = tmp_path / 'bin' / 'hailortcli'
    binary.write_text('')
    binary.chmod(0o755)
    result = run({'hef': hef, 'prefix': str(tmp_path)})
    assert result['failed'] is False and cli.calls[0]['args'][0] == str(binary)
    binary.unlink()
    result = run({'hef': hef, 'prefix': str(tmp_path)})
    assert result['failed'] is True and 'not found in %s/bin' % tmp_path in result['msg']


def test_recent_result_is_reused_while_nothing_changed(cli, hef, tmp_path, monkeypatch):
    state = str(tmp_path / 'state' / 'last.json')
    args = {'hef': hef, 'min_fps': 100, 'max_age': 3600, 'state_file': state, 'fingerprint': 'drv 4.23.0'}
    first = run(args)
    assert first['cached'] is False and len(cli.calls) == 1 and os.path.isfile(state)
    second = run(args)
    assert second['cached'] is True and len(cli.calls) == 1
    assert second['fps'] == first['fps'] and second['measured_at'] == first['measured_at']
    assert second['passed'] is True and second['rc'] == 0 and second['failed'] is False
    # anything that could change the figure measures again
    assert run(dict(args, fingerprint='drv 4.22.0'))['cached'] is False and len(cli.calls) == 2
    assert run(dict(args, time=5))['cached'] is False and len(cli.calls) == 3
    with open(hef, 'ab') as handle:
        handle.write(b'x')
    assert run(args)['cached'] is False and len(cli.calls) == 4
    # and so does age
    assert run(args)['cached'] is True
    real_time = hailo_benchmark.time.time
    monkeypatch.setattr(hailo_benchmark.time, 'time', lambda: real_time() + 7200)
    assert run(args)['cached'] is False and len(cli.calls) == 5


def test_failures_and_check_mode_are_not_recorded(cli, hef, tmp_path):
    state = str(tmp_path / 'last.json')
    args = {'hef': hef, 'max_age': 3600, 'state_file': state, 'fail_on_error': False}
    cli.rc, cli.stdout, cli.stderr, cli.csv = 74, '', data('run-out-of-devices.stderr'), None
    assert run(args)['error'] is not None and not os.path.exists(state)
    cli.rc, cli.stdout, cli.stderr, cli.csv = 0, data('benchmark.stdout'), '', data('benchmark.csv')
    run(args, check_mode=True)
    assert not os.path.exists(state)


def test_max_age_needs_a_state_file(cli, hef):
    result = run({'hef': hef, 'max_age': 60})
    assert result['failed'] is True and 'state_file' in result['msg']
