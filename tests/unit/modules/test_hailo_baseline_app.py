# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_baseline_app with run_command patched: cmake "builds" by writing the binary, the application prints what
the real one printed (tests/unit/data/baseline). The real build and run are in tests/unit/fixtures."""

from __future__ import annotations

import os
import shutil

import pytest

from ansible.module_utils import basic
from ansible_collections.hailo_open.hailo.plugins.modules import hailo_baseline_app
from ansible_collections.hailo_open.hailo.tests.unit.baseline_data import data
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

APP_SOURCE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'apps', 'hailo-baseline')


class Fake(object):
    def __init__(self):
        self.calls = []
        self.configure = (0, '-- Configuring done\n', '')
        self.build = (0, '[100%] Built target hailo-baseline\n', '')
        self.run = (0, data('ok-hailo8.stdout'), '')

    def run_command(self, args, environ_update=None, **kwargs):
        args = list(args)
        self.calls.append({'args': args, 'env': environ_update})
        if '-S' in args:
            return self.configure
        if '--build' in args:
            if self.build[0] == 0:
                with open(os.path.join(args[args.index('--build') + 1], 'hailo-baseline'), 'w') as handle:
                    handle.write('#!/bin/false\n')
            return self.build
        return self.run


@pytest.fixture
def fake(monkeypatch):
    fake = Fake()
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kw: fake.run_command(args, **kw))
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **kw: '/usr/bin/' + name)
    return fake


@pytest.fixture
def args(tmp_path):
    source = tmp_path / 'src'
    shutil.copytree(APP_SOURCE, str(source))
    hef = tmp_path / 'resnet_v1_50.hef'
    hef.write_text('HAILO-OPEN-FIXTURE-HEF\narch=hailo8\n')
    return {'source': str(source), 'build_dir': str(tmp_path / 'build'), 'hailort_version': '4.23.0',
            'prefix': '/usr/local', 'hef': str(hef), 'frames': 200}


def run(args, **kwargs):
    return run_module(hailo_baseline_app.main, args, **kwargs)


def test_builds_once_then_runs(fake, args):
    result = run(args)
    assert result['failed'] is False, result
    assert result['changed'] is True and result['built'] is True
    assert [c['args'][1] for c in fake.calls[:2]] == ['-S', '--build']
    assert '-DHAILORT_VERSION=4.23.0' in fake.calls[0]['args']
    assert '-DCMAKE_PREFIX_PATH=/usr/local' in fake.calls[0]['args']
    assert fake.calls[2]['args'] == [result['binary'], '--hef', args['hef'], '--frames', '200', '--timeout-ms', '10000']
    assert fake.calls[2]['env']['HAILORT_LOGGER_PATH'] == 'NONE'
    assert result['fps'] > 1000 and result['latency_ms']['p99'] > 0
    assert result['result']['devices'][0]['architecture'] == 'HAILO8'

    fake.calls = []
    again = run(args)
    assert again['changed'] is False and again['built'] is False
    assert len(fake.calls) == 1, 'no rebuild when nothing changed'


def test_rebuilds_for_another_version_from_scratch(fake, args):
    run(args)
    stale = os.path.join(args['build_dir'], 'stale-file')
    open(stale, 'w').close()
    fake.calls = []
    fake.configure = (1, data('cmake-version-mismatch.out'), '')
    result = run(dict(args, hailort_version='4.22.0'))
    assert result['failed'] is True
    assert result['error']['id'] == 'baseline_app_runtime_mismatch'
    assert 'found HailoRT 4.23.0, not 4.22.0' in result['msg']
    assert not os.path.exists(stale), 'the build directory is emptied before a rebuild'
    assert not os.path.exists(result['binary']), 'no binary of the old build is left to run'


def test_compile_error_leaves_no_binary_and_is_retried(fake, args):
    fake.build = (2, data('build-error.out'), '')
    result = run(dict(args, fail_on_error=False))
    assert result['failed'] is False
    assert result['error']['id'] == 'baseline_app_build_failed'
    assert 'First error:' in result['error']['msg']
    assert not os.path.exists(result['binary'])
    fake.build = (0, '', '')
    assert run(args)['built'] is True


def test_run_failure_is_returned_or_fails(fake, args):
    fake.run = (1, data('hef-incompatible.stdout'), data('hef-incompatible.stderr'))
    result = run(dict(args, fail_on_error=False))
    assert result['failed'] is False
    assert result['error']['id'] == 'baseline_app_failed'
    assert result['result']['status']['name'] == 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE'
    assert result['rc'] == 1
    failed = run(args)
    assert failed['failed'] is True
    assert 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE' in failed['msg']


def test_missing_hef(fake, args):
    result = run(dict(args, hef='/nonexistent/model.hef'))
    assert result['failed'] is True
    assert result['msg'] == 'The HEF file /nonexistent/model.hef does not exist.'


def test_build_only_without_hef(fake, args):
    result = run(dict(args, hef=None))
    assert result['built'] is True and 'cmd' not in result and result['fps'] is None


def test_check_mode_neither_builds_nor_runs(fake, args):
    result = run(args, check_mode=True)
    assert result['changed'] is True and result['skipped'] is True
    assert fake.calls == []
    assert not os.path.exists(args['build_dir'])


def test_missing_source_file(fake, args):
    os.remove(os.path.join(args['source'], 'main.cpp'))
    result = run(args)
    assert result['failed'] is True
    assert result['error']['id'] == 'baseline_app_build_failed'


@pytest.mark.parametrize('override, message', [
    ({'hailort_version': '4.23'}, 'hailort_version must look like 4.23.0'),
    ({'frames': 0}, 'frames must be a positive integer, not 0.'),
    ({'timeout_ms': -1}, 'timeout_ms must be a positive integer, not -1.'),
    ({'batch_size': 70000}, 'batch_size must be at most 65535, not 70000.'),
])
def test_bad_arguments(fake, args, override, message):
    result = run(dict(args, **override))
    assert result['failed'] is True
    assert message in result['msg']
    assert fake.calls == []


def test_check_mode_before_the_source_was_copied(fake, args):
    shutil.rmtree(args['source'])
    result = run(args, check_mode=True)
    assert result['failed'] is False and result['changed'] is True and result['skipped'] is True


def test_recent_result_is_reused_until_something_changes(fake, args, tmp_path):
    state = str(tmp_path / 'state' / 'baseline.json')
    cached_args = dict(args, max_age=3600, state_file=state, fingerprint='driver=4.23.0')
    first = run(cached_args)
    assert first['cached'] is False and first['built'] is True and os.path.isfile(state)
    fake.calls = []
    again = run(cached_args)
    assert again['cached'] is True and fake.calls == []
    assert again['fps'] == first['fps'] and again['result'] == first['result']
    other = run(dict(cached_args, fingerprint='driver=4.22.0'))
    assert other['cached'] is False and len(fake.calls) == 1
    assert run(dict(cached_args, max_age=0))['cached'] is False


def test_a_failed_run_is_not_recorded(fake, args, tmp_path):
    state = str(tmp_path / 'baseline.json')
    fake.run = (1, data('no-device.stdout'), data('no-device.stderr'))
    result = run(dict(args, max_age=3600, state_file=state, fail_on_error=False))
    assert result['error']['id'] == 'baseline_app_failed' and not os.path.exists(state)


def test_max_age_needs_a_state_file(fake, args):
    result = run(dict(args, max_age=60))
    assert result['failed'] is True and 'max_age needs state_file' in result['msg']
