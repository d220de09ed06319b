"""Unit tests for plugins/module_utils/_validation.py."""

import os
import re

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _validation as validation

FACTS = {
    'kernel': {'release': '6.12.47+rpt-rpi-2712', 'page_size': 16384},
    'pci_devices': [{'address': '0001:01:00.0', 'supported': True, 'current_link_gen': 3, 'current_link_width': 1,
                     'max_link_gen': 3}],
    'driver': {'loaded': True, 'version': '4.23.0',
               'kernels': [{'release': '6.12.47+rpt-rpi-2712', 'module': {'version': '4.23.0'}},
                           {'release': '6.12.47+rpt-rpi-v8', 'module': {}}]},
    'runtime': {'hailortcli_version': '4.23.0'},
    'problems': [],
}
DEVICE = {'id': '0001:01:00.0', 'architecture': 'HAILO8', 'firmware_version': '4.23.0', 'board_name': 'Hailo-8'}
SCAN = {'failed': False, 'devices': [DEVICE]}
BENCH = {'fps': {'hw_only': 1350.0, 'streaming': 1340.0}, 'fps_metric': 'hw_only', 'threshold': 1097.6,
         'passed': True}


def test_healthy_node():
    verdict = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', model='resnet_v1_50')
    assert verdict['status'] == 'ok' and verdict['failures'] == [] and verdict['notices'] == []
    row = verdict['row']
    assert row['architecture'] == 'HAILO8' and row['fps'] == 1350.0 and row['passed'] is True
    assert row['pcie'] == {'gen': 3, 'width': 1, 'max_gen': 3}
    assert row['driver_versions_on_disk'] == {'6.12.47+rpt-rpi-2712': '4.23.0', '6.12.47+rpt-rpi-v8': None}
    assert row['model'] == 'resnet_v1_50' and row['runtime_version'] == '4.23.0'


def test_scan_failure_and_no_devices():
    failed = validation.evaluate(FACTS, {'failed': True, 'msg': 'HAILO_INVALID_DRIVER_VERSION(76)'}, None, '4.23.0')
    assert [f['id'] for f in failed['failures']] == ['hailortcli_failed']
    assert 'HAILO_INVALID_DRIVER_VERSION' in failed['failures'][0]['message']
    empty = validation.evaluate(FACTS, {'failed': False, 'devices': []}, None, '4.23.0', min_devices=1)
    assert [f['id'] for f in empty['failures']] == ['too_few_devices']
    two = validation.evaluate(FACTS, SCAN, None, '4.23.0', min_devices=2)
    assert 'found 1 device(s); at least 2' in two['failures'][0]['message']


def test_firmware_major_minor():
    old = dict(DEVICE, firmware_version='4.22.0')
    verdict = validation.evaluate(FACTS, {'devices': [old]}, None, '4.23.0')
    assert [f['id'] for f in verdict['failures']] == ['firmware_version_mismatch']
    patch = dict(DEVICE, firmware_version='4.23.1')
    assert validation.evaluate(FACTS, {'devices': [patch]}, None, '4.23.0')['status'] == 'ok'


def test_benchmark_results():
    below = dict(BENCH, passed=False, failed=True, msg='hw_only FPS 500.0 is below the threshold 1097.6')
    verdict = validation.evaluate(FACTS, SCAN, below, '4.23.0')
    assert [f['id'] for f in verdict['failures']] == ['benchmark_below_threshold']
    broken = {'failed': True, 'msg': 'HEF format is not compatible with device'}
    assert [f['id'] for f in validation.evaluate(FACTS, SCAN, broken, '4.23.0')['failures']] == ['benchmark_failed']
    assert validation.evaluate(FACTS, SCAN, {'skipped': True}, '4.23.0')['status'] == 'ok'


@pytest.mark.parametrize('policy, status', [('warning', 'warning'), ('error', 'failed'), ('ignore', 'ok')])
def test_link_policy(policy, status):
    facts = dict(FACTS, problems=[{'id': 'pcie_link_below_expected', 'severity': 'warning', 'message': 'Gen2'}])
    verdict = validation.evaluate(facts, SCAN, BENCH, '4.23.0', link_policy=policy)
    assert verdict['status'] == status


def test_error_problems_from_facts_fail_the_node():
    facts = dict(FACTS, problems=[{'id': 'driver_version_mismatch', 'severity': 'error', 'message': 'x'},
                                  {'id': 'conflicting_vendor_packages', 'severity': 'warning', 'message': 'y'}])
    verdict = validation.evaluate(facts, SCAN, BENCH, '4.23.0')
    assert verdict['status'] == 'failed'
    assert [p['id'] for p in verdict['row']['problems']] == ['driver_version_mismatch', 'conflicting_vendor_packages']


def test_every_finding_id_has_a_troubleshooting_section():
    doc = open(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'docs', 'troubleshooting.md')).read()
    source = open(validation.__file__).read()
    ids = set(re.findall(r"finding\(\s*'([a-z_]+)'", source))
    assert ids == {'hailortcli_failed', 'too_few_devices', 'firmware_version_mismatch', 'benchmark_failed',
                   'benchmark_below_threshold'}
    for finding_id in ids:
        assert re.search(r'^#+ .*%s' % finding_id, doc, re.MULTILINE), finding_id


def test_below_threshold_message_without_module_message():
    below = dict(BENCH, fps={'hw_only': 500.0}, passed=False)
    verdict = validation.evaluate(FACTS, SCAN, below, '4.23.0')
    assert verdict['failures'][0]['message'] == 'hw_only FPS 500.0 is below the threshold 1097.6.'
