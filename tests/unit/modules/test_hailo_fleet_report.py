# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_fleet_report writing into a temporary directory: contents, escaping, idempotence, check mode."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _fleet_report as fleet_report
from ansible_collections.hailo_open.hailo.plugins.modules import hailo_fleet_report
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

FILES = ('fleet-report.json', 'fleet-report.html', 'fleet-report.md')


def run(args, check_mode=False):
    return run_module(hailo_fleet_report.main, args, check_mode=check_mode)


HOSTS = [
    {'hostname': 'pi-01', 'architecture': 'HAILO8', 'board_name': 'Hailo-8', 'kernel': '6.12.47+rpt-rpi-2712',
     'driver_version': '4.23.0', 'driver_versions_on_disk': {'6.12.47+rpt-rpi-2712': '4.23.0'},
     'firmware_version': '4.23.0', 'runtime_version': '4.23.0', 'pcie': {'gen': 3, 'width': 1, 'max_gen': 3},
     'model': 'resnet_v1_50', 'fps': 1371.2, 'fps_metric': 'hw_only', 'threshold': 1097.6, 'passed': True,
     'app_fps': 1299.7, 'app_p99_ms': 3.4, 'problems': [], 'status': 'ok'},
    {'hostname': 'pi-02', 'architecture': 'HAILO8L', 'fps': 98.0, 'threshold': 110.4,
     'problems': [{'id': 'driver_version_mismatch', 'severity': 'error', 'message': 'Driver 4.20.0 loaded.',
                   'fix': 'Reload the driver.', 'doc': 'docs/troubleshooting.md#driver_version_mismatch'}]},
    {'hostname': 'pi-03', 'status': 'unreachable', 'note': 'SSH timed out'},
]


def read(directory):
    return dict((name, (directory / name).read_text(encoding='utf-8')) for name in FILES)


def test_writes_three_files(tmp_path):
    dest = tmp_path / 'reports'
    result = run({'hosts': HOSTS, 'dest': str(dest), 'banner': 'SIMULATED FLEET'})
    assert result['failed'] is False and result['changed'] is True
    assert sorted(os.listdir(str(dest))) == sorted(FILES)
    assert result['paths'] == {'json': str(dest / 'fleet-report.json'), 'html': str(dest / 'fleet-report.html'),
                               'markdown': str(dest / 'fleet-report.md')}
    assert sorted(result['changed_files']) == sorted(result['paths'].values())
    assert result['summary'] == {'total': 3, 'ok': 1, 'warning': 0, 'failed': 1, 'unreachable': 1,
                                 'benchmark_passed': 1, 'benchmark_below_threshold': 1, 'benchmark_missing': 1,
                                 'problems': 1, 'problem_groups': [{'id': 'driver_version_mismatch',
                                                                    'severity': 'error', 'hosts': 1}]}
    files = read(dest)
    assert result['markdown'] == files['fleet-report.md']
    data = json.loads(files['fleet-report.json'])
    assert [host['hostname'] for host in data['hosts']] == ['pi-01', 'pi-02', 'pi-03']
    assert data['hosts'][1]['status'] == 'failed' and data['hosts'][1]['passed'] is False
    assert data['hosts'][0]['app_fps'] == 1299.7 and data['hosts'][1]['app_fps'] is None
    assert '1371.2 FPS / 1097.6; app 1299.7 FPS, p99 3.4 ms' in files['fleet-report.md']
    assert 'app 1299.7 FPS, p99 3.4 ms' in files['fleet-report.html']
    assert data['banner'] == 'SIMULATED FLEET' and data['generated_at'] is None
    assert 'SIMULATED FLEET' in files['fleet-report.html']
    assert '<a href="docs/troubleshooting.md#driver_version_mismatch">' in files['fleet-report.html']
    assert not [name for name in os.listdir(str(dest)) if name.startswith('.')]


def test_second_run_is_unchanged(tmp_path):
    args = {'hosts': HOSTS, 'dest': str(tmp_path)}
    assert run(args)['changed'] is True
    before = read(tmp_path)
    mtimes = [os.stat(str(tmp_path / name)).st_mtime_ns for name in FILES]
    second = run(dict(args, hosts=list(reversed(HOSTS))))
    assert second['changed'] is False and second['changed_files'] == []
    assert read(tmp_path) == before
    assert [os.stat(str(tmp_path / name)).st_mtime_ns for name in FILES] == mtimes


def test_only_changed_files_are_rewritten(tmp_path):
    run({'hosts': HOSTS, 'dest': str(tmp_path)})
    (tmp_path / 'fleet-report.md').write_text('edited by hand\n')
    result = run({'hosts': HOSTS, 'dest': str(tmp_path)})
    assert result['changed'] is True and result['changed_files'] == [str(tmp_path / 'fleet-report.md')]
    assert (tmp_path / 'fleet-report.md').read_text() == result['markdown']


def test_generated_at_changes_files(tmp_path):
    run({'hosts': HOSTS, 'dest': str(tmp_path)})
    result = run({'hosts': HOSTS, 'dest': str(tmp_path), 'generated_at': '2025-11-30 09:00 UTC'})
    assert result['changed'] is True and len(result['changed_files']) == 3
    assert 'generated 2025-11-30 09:00 UTC' in (tmp_path / 'fleet-report.html').read_text()


def test_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / 'reports'
    result = run({'hosts': HOSTS, 'dest': str(dest)}, check_mode=True)
    assert result['failed'] is False and result['changed'] is True and len(result['changed_files']) == 3
    assert not dest.exists()
    run({'hosts': HOSTS, 'dest': str(dest)})
    before = read(dest)
    result = run({'hosts': HOSTS[:1], 'dest': str(dest)}, check_mode=True)
    assert result['changed'] is True and read(dest) == before
    assert run({'hosts': HOSTS, 'dest': str(dest)}, check_mode=True)['changed'] is False


def test_hostile_input_is_escaped(tmp_path):
    hosts = [{'hostname': '<script>alert(1)</script>', 'kernel': '"><img src=x onerror=alert(1)>',
              'problems': [{'id': 'x"><script>alert(2)</script>', 'message': '<script>alert(3)</script> | pipe'}]}]
    result = run({'hosts': hosts, 'dest': str(tmp_path), 'title': '<script>t</script>'})
    files = read(tmp_path)
    assert files['fleet-report.html'].count('<script>') == 1 and '<img' not in files['fleet-report.html']
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in files['fleet-report.html']
    assert '<script>' not in files['fleet-report.md']
    assert json.loads(files['fleet-report.json'])['hosts'][0]['hostname'] == '<script>alert(1)</script>'
    assert result['summary']['failed'] == 1


def test_dest_is_a_file(tmp_path):
    target = tmp_path / 'file'
    target.write_text('x')
    result = run({'hosts': HOSTS, 'dest': str(target)})
    assert result['failed'] is True and 'is not a directory' in result['msg']


@pytest.mark.parametrize('hosts, words', [
    ([{'hostname': 'a'}, {'hostname': 'a'}], 'host a is listed twice'),
    ([{'hostname': 'a', 'status': 'broken'}], 'status'),
    ([{'hostname': 'a', 'colour': 'red'}], 'colour'),
    ([{'hostname': 'a', 'problems': [{'message': 'no id'}]}], 'id'),
])
def test_bad_host_entries(tmp_path, hosts, words):
    result = run({'hosts': hosts, 'dest': str(tmp_path)})
    assert result['failed'] is True and words in result['msg']
    assert os.listdir(str(tmp_path)) == []


def test_bad_troubleshooting_url(tmp_path):
    result = run({'hosts': HOSTS, 'dest': str(tmp_path), 'troubleshooting_url': 'javascript:alert(1)'})
    assert result['failed'] is True and 'relative path or an http(s) URL' in result['msg']


def test_missing_jinja2(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet_report, 'HAS_JINJA2', False)
    result = run({'hosts': HOSTS, 'dest': str(tmp_path)})
    assert result['failed'] is True and 'jinja2' in result['msg']


def test_unreachable_hosts_are_listed(tmp_path):
    dest = tmp_path / 'reports'
    result = run({'hosts': HOSTS[:2], 'unreachable': ['pi-04', 'pi-01'], 'dest': str(dest)})
    data = json.loads((dest / 'fleet-report.json').read_text(encoding='utf-8'))
    assert [(h['hostname'], h['status']) for h in data['hosts']] == [
        ('pi-01', 'ok'), ('pi-02', 'failed'), ('pi-04', 'unreachable')]
    assert result['summary']['unreachable'] == 1
