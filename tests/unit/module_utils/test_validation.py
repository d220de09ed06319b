"""Unit tests for plugins/module_utils/_validation.py."""

import json
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
    ids = (set(re.findall(r"finding\(\s*'([a-z_]+)'", source)) | set(validation.BASELINE_FIXES)
           | set(problem[0] for problem in validation.SERVICE_PROBLEMS.values()))
    assert ids == {'hailortcli_failed', 'too_few_devices', 'firmware_version_mismatch', 'benchmark_failed',
                   'benchmark_below_threshold', 'baseline_fps_differs', 'baseline_app_build_failed',
                   'baseline_app_runtime_mismatch', 'baseline_app_failed', 'inference_service_down',
                   'inference_not_ready', 'inference_wrong_answer', 'inference_check_errors',
                   'inference_compare_failed', 'inference_disagrees_with_reference'}
    for finding_id in ids:
        assert re.search(r'^#+ .*%s' % finding_id, doc, re.MULTILINE), finding_id


def test_below_threshold_message_without_module_message():
    below = dict(BENCH, fps={'hw_only': 500.0}, passed=False)
    verdict = validation.evaluate(FACTS, SCAN, below, '4.23.0')
    assert verdict['failures'][0]['message'] == 'hw_only FPS 500.0 is below the threshold 1097.6.'


# What the role really hands to hailo_validation: the modules' own results, run here on the real upstream output
# samples. A result registered with ``failed_when: false`` says ``failed: false`` even when the module failed.
DATA = os.path.join(os.path.dirname(__file__), '..', 'data', 'hailortcli')


def _data(name):
    with open(os.path.join(DATA, name)) as handle:
        return handle.read()


def _scan_result(monkeypatch, identify, fail_on_error):
    from ansible.module_utils import basic
    from ansible_collections.hailo_open.hailo.plugins.modules import hailortcli_scan
    from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module
    outputs = {('--version',): (0, _data('version.stdout'), ''), ('scan',): (0, _data('scan-one.stdout'), ''),
               ('fw-control', 'identify', '-s', '0001:01:00.0'): identify}
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kw: outputs[tuple(args[1:])])
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, *a, **kw: '/usr/local/bin/hailortcli')
    return run_module(hailortcli_scan.main, {'fail_on_error': fail_on_error})


DRIVER_MISMATCH = (76, _data('identify-driver-mismatch.stdout'), _data('identify-driver-mismatch.stderr'))


@pytest.mark.parametrize('fail_on_error', [True, False])
def test_driver_library_mismatch_through_the_module_result(monkeypatch, fail_on_error):
    scan = _scan_result(monkeypatch, DRIVER_MISMATCH, fail_on_error)
    scan['failed'] = False  # what failed_when: false registers
    verdict = validation.evaluate(FACTS, scan, None, '4.23.0')
    [failure] = verdict['failures']
    assert failure['id'] == 'driver_library_mismatch'
    assert 'libhailort 4.23.0 refuses the loaded hailo_pci driver 4.20.0' in failure['message']
    assert 'modprobe -r hailo_pci' in failure['fix']
    assert 'too_few_devices' not in [f['id'] for f in verdict['failures']]


def test_driver_library_mismatch_is_reported_once_when_the_facts_see_it_too(monkeypatch):
    facts = dict(FACTS, problems=[{'id': 'driver_library_mismatch', 'severity': 'error', 'message': 'from facts'}])
    scan = _scan_result(monkeypatch, DRIVER_MISMATCH, False)
    ids = [f['id'] for f in validation.evaluate(facts, scan, None, '4.23.0')['failures']]
    assert ids == ['driver_library_mismatch']


def test_other_hailortcli_failures_keep_their_decoded_status(monkeypatch):
    scan = _scan_result(monkeypatch, (74, '', _data('run-out-of-devices.stderr')), False)
    verdict = validation.evaluate(FACTS, scan, None, '4.23.0')
    [failure] = verdict['failures']
    assert failure['id'] == 'hailortcli_failed'
    assert failure['status'] == {'name': 'HAILO_OUT_OF_PHYSICAL_DEVICES', 'code': 74}
    assert 'another process' in failure['fix']
    assert 'found 0 device' not in failure['message']


def test_benchmark_failure_registered_with_failed_false_is_a_finding():
    broken = {'failed': False, 'rc': 93, 'passed': None, 'msg': 'HEF format is not compatible with device',
              'status': {'rc': 93, 'name': 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE', 'explanation': 'Use the 8L HEF.'}}
    [failure] = validation.evaluate(FACTS, SCAN, broken, '4.23.0')['failures']
    assert failure['id'] == 'benchmark_failed' and failure['fix'] == 'Use the 8L HEF.'
    missing_hef = {'failed': False, 'rc': None, 'passed': None,
                   'error': {'msg': 'The HEF file /x.hef does not exist', 'status': None}}
    [failure] = validation.evaluate(FACTS, SCAN, missing_hef, '4.23.0')['failures']
    assert failure['id'] == 'benchmark_failed' and 'does not exist' in failure['message']


APP = {'fps': 1300.0, 'latency_ms': {'p50': 2.9, 'p95': 3.0, 'p99': 3.4}, 'error': None}


def test_baseline_app_in_the_row():
    verdict = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', baseline=APP)
    assert verdict['status'] == 'ok'
    assert verdict['row']['app_fps'] == 1300.0 and verdict['row']['app_p99_ms'] == 3.4
    assert validation.evaluate(FACTS, SCAN, BENCH, '4.23.0')['row']['app_fps'] is None


@pytest.mark.parametrize('problem_id', sorted(validation.BASELINE_FIXES))
def test_baseline_app_errors_fail_the_node(problem_id):
    failed = {'fps': None, 'error': {'id': problem_id, 'msg': 'what happened', 'details': {}}}
    verdict = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', baseline=failed)
    assert [f['id'] for f in verdict['failures']] == [problem_id]
    assert verdict['failures'][0]['fix'] == validation.BASELINE_FIXES[problem_id]
    crashed = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', baseline={'failed': True, 'msg': 'module crashed'})
    assert [f['id'] for f in crashed['failures']] == ['baseline_app_failed']


def test_baseline_app_fps_far_from_the_benchmark_is_a_warning():
    slow = dict(APP, fps=600.0)
    verdict = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', baseline=slow)
    assert verdict['status'] == 'warning'
    assert [f['id'] for f in verdict['notices']] == ['baseline_fps_differs']
    assert '600.0 FPS, 55% away from hailortcli\'s streaming 1340.0 FPS (tolerance 25%)' in verdict['notices'][0]['message']
    assert validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', baseline=slow, baseline_tolerance=0.6)['status'] == 'ok'
    # nothing to compare with: no warning
    assert validation.evaluate(FACTS, SCAN, None, '4.23.0', baseline=slow)['status'] == 'ok'
    assert validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', baseline={'skipped': True})['status'] == 'ok'


SERVICE = {'state': 'ready', 'reason': '', 'latency_ms': {'p50': 4.2, 'p90': 5.0, 'max': 6.0},
           'compare_min_agreement': 0.9, 'compare_min_iou': 0.5}


def test_service_ready_is_in_the_row():
    verdict = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0', service=SERVICE)
    assert verdict['status'] == 'ok'
    assert verdict['row']['service_state'] == 'ready' and verdict['row']['service_p50_ms'] == 4.2
    assert validation.evaluate(FACTS, SCAN, BENCH, '4.23.0')['row']['service_state'] is None


@pytest.mark.parametrize('state, problem_id', [
    ('down', 'inference_service_down'), ('not_ready', 'inference_not_ready'),
    ('wrong_answer', 'inference_wrong_answer'), ('errors', 'inference_check_errors')])
def test_service_states_fail_the_node(state, problem_id):
    verdict = validation.evaluate(FACTS, SCAN, BENCH, '4.23.0',
                                  service=dict(SERVICE, state=state, reason='yolov8n: no device'))
    assert verdict['status'] == 'failed' and [f['id'] for f in verdict['failures']] == [problem_id]
    assert 'yolov8n: no device' in verdict['failures'][0]['message']


def test_service_comparisons():
    agree = json.dumps({'model': 'resnet_v1_50', 'task': 'classification', 'images': 4, 'top1_agreement': 1.0})
    disagree = json.dumps({'model': 'resnet_v1_50', 'task': 'classification', 'images': 4, 'top1_agreement': 0.5})
    boxes = json.dumps({'model': 'yolov8n', 'task': 'detection', 'images': 2, 'mean_iou': 0.3})
    assert validation.check_service(dict(SERVICE, compare=[agree])) == []
    found = validation.check_service(dict(SERVICE, compare=[disagree, boxes, 'Traceback'],
                                          compare_errors=['hailo-inference: no device']))
    assert [f['id'] for f in found] == ['inference_disagrees_with_reference', 'inference_disagrees_with_reference',
                                        'inference_compare_failed', 'inference_compare_failed']
    assert 'top-1 agreement with its ONNX reference is 0.50 over 4 image(s), below 0.90' in found[0]['message']
    assert 'mean IoU of matched boxes with its ONNX reference is 0.30 over 2 image(s), below 0.50' in (
        found[1]['message'])
    assert found[3]['message'].endswith('hailo-inference: no device')
    assert validation.check_service(None) == [] and validation.check_service({'skipped': True}) == []
