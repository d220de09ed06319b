# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailortcli_scan with run_command patched; command outputs come from data/hailortcli (see test_hailortcli.py)."""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils import basic
from ansible_collections.hailo_open.hailo.plugins.modules import hailortcli_scan
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

DATA = os.path.join(os.path.dirname(__file__), '..', 'data', 'hailortcli')
CLI = '/usr/local/bin/hailortcli'


def data(name):
    with open(os.path.join(DATA, name)) as handle:
        return handle.read()


@pytest.fixture
def commands(monkeypatch):
    """Map of argument tuple -> (rc, stdout, stderr); records every call."""
    table = {}
    calls = []

    def run_command(self, args, environ_update=None, **kwargs):
        calls.append((tuple(args[1:]), environ_update))
        return table[tuple(args[1:])]

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: CLI)
    table['calls'] = calls
    return table


def run(args=None):
    return run_module(hailortcli_scan.main, args)


def test_one_device_identified(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-one.stdout'), '')
    commands[('fw-control', 'identify', '-s', '0001:01:00.0')] = (0, data('identify-hailo8.stdout'), '')
    result = run()
    assert result['failed'] is False and result['changed'] is False
    assert result['hailortcli_version'] == '4.23.0'
    [device] = result['devices']
    assert (device['id'], device['architecture'], device['firmware_version']) == ('0001:01:00.0', 'HAILO8', '4.23.0')
    assert result['rc'] == 0 and result['stdout'] == data('identify-hailo8.stdout')
    assert all(env == {'LC_ALL': 'C', 'LANG': 'C', 'HAILORT_LOGGER_PATH': 'NONE'} for _args, env in commands['calls'])
    json.dumps(result)


def test_two_devices_each_identified_separately(commands):
    first, second = data('identify-two.stdout').split('\n\n', 1)
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-two.stdout'), '')
    commands[('fw-control', 'identify', '-s', '0001:03:00.0')] = (0, first + '\n\n', '')
    commands[('fw-control', 'identify', '-s', '0001:04:00.0')] = (0, second, '')
    result = run()
    assert [(d['id'], d['architecture']) for d in result['devices']] == [
        ('0001:03:00.0', 'HAILO8'), ('0001:04:00.0', 'HAILO8L')]


def test_no_device_is_not_a_failure(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-none.stdout'), '')
    result = run()
    assert result['failed'] is False and result['devices'] == []
    assert [args for args, _env in commands['calls']] == [('--version',), ('scan',)]


def test_identify_false_lists_only(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-two.stdout'), '')
    result = run({'identify': False})
    assert [(d['id'], d['identified']) for d in result['devices']] == [
        ('0001:03:00.0', False), ('0001:04:00.0', False)]


def test_silent_identify_fails(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-one.stdout'), '')
    commands[('fw-control', 'identify', '-s', '0001:01:00.0')] = (0, data('identify-empty.stdout'), '')
    result = run()
    assert result['failed'] is True
    assert 'printed no Device Architecture for 0001:01:00.0' in result['msg']
    assert result['devices'][0]['identified'] is False


def test_identify_failure_is_decoded(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-one.stdout'), '')
    commands[('fw-control', 'identify', '-s', '0001:01:00.0')] = (
        76, data('identify-driver-mismatch.stdout'), data('identify-driver-mismatch.stderr'))
    result = run()
    assert result['failed'] is True and result['rc'] == 76
    assert 'HAILO_INVALID_DRIVER_VERSION' in result['msg']
    assert result['status']['details'] == {'driver': '4.20.0', 'library': '4.23.0'}


def test_identify_failure_keeps_every_listed_device(commands):
    first, _second = data('identify-two.stdout').split('\n\n', 1)
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-two.stdout'), '')
    commands[('fw-control', 'identify', '-s', '0001:03:00.0')] = (0, first + '\n\n', '')
    commands[('fw-control', 'identify', '-s', '0001:04:00.0')] = (
        76, data('identify-driver-mismatch.stdout'), data('identify-driver-mismatch.stderr'))
    for fail_on_error in (True, False):
        result = run({'fail_on_error': fail_on_error})
        assert result['failed'] is fail_on_error
        assert [(d['id'], d['identified'], d['architecture']) for d in result['devices']] == [
            ('0001:03:00.0', True, 'HAILO8'), ('0001:04:00.0', False, None)]
        assert result['error']['status']['name'] == 'HAILO_INVALID_DRIVER_VERSION'
        assert result['error']['status']['kind'] == 'driver_library_mismatch'


def test_fail_on_error_false_reports_the_decoded_failure(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-one.stdout'), '')
    commands[('fw-control', 'identify', '-s', '0001:01:00.0')] = (
        74, '', data('run-out-of-devices.stderr'))
    result = run({'fail_on_error': False})
    assert result['failed'] is False and result['rc'] == 74
    assert result['error']['status']['name'] == 'HAILO_OUT_OF_PHYSICAL_DEVICES'
    assert 'exit code 74 (HAILO_OUT_OF_PHYSICAL_DEVICES)' in result['error']['msg']
    assert 'status' not in result
    assert [d['id'] for d in result['devices']] == ['0001:01:00.0']


def test_success_has_no_error(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, data('scan-none.stdout'), '')
    assert run({'fail_on_error': False})['error'] is None


def test_cli_library_mismatch(commands):
    commands[('--version',)] = (255, '', data('version-library-mismatch.stderr'))
    result = run()
    assert result['failed'] is True
    assert 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH' in result['msg']
    assert result['status']['details'] == {'library': '4.20.0', 'cli': '4.23.0'}


def test_unrecognised_scan_output_fails(commands):
    commands[('--version',)] = (0, data('version.stdout'), '')
    commands[('scan',)] = (0, 'something else\n', '')
    result = run()
    assert result['failed'] is True and 'unrecognised' in result['msg']


def test_missing_binary(commands, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: None)
    result = run()
    assert result['failed'] is True and 'hailortcli was not found in PATH and /usr/local/bin' in result['msg']
    result = run({'prefix': '/opt/nowhere'})
    assert result['failed'] is True and 'not found in /opt/nowhere/bin' in result['msg']
    result = run({'fail_on_error': False})
    assert result['failed'] is False and result['devices'] == []
    assert 'not found' in result['error']['msg'] and result['error']['status'] is None


def test_hailortcli_path_not_executable(commands, tmp_path):
    result = run({'hailortcli_path': str(tmp_path / 'hailortcli')})
    assert result['failed'] is True
    assert result['msg'] == 'hailortcli_path %s is not an executable file.' % (tmp_path / 'hailortcli')


def test_hailortcli_path_used(commands, tmp_path, monkeypatch):
    cli = tmp_path / 'hailortcli'
    cli.write_text('')
    cli.chmod(0o755)
    seen = []
    outputs = {'--version': data('version.stdout'), 'scan': data('scan-none.stdout')}

    def run_command(self, args, **kwargs):
        seen.append(args[0])
        return 0, outputs[args[1]], ''

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    result = run({'hailortcli_path': str(cli)})
    assert result['failed'] is False and seen == [str(cli), str(cli)]
