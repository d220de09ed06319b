# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Judge a Hailo node from what hailo_device_facts, hailortcli_scan and hailo_benchmark found, and shape the
result as a row of the fleet report."""

from __future__ import annotations

import json

from ansible_collections.hailo_open.hailo.plugins.module_utils import _baseline_app as baseline_app
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_problems as hailo_problems

DOC_PAGE = 'docs/troubleshooting.md'


def finding(finding_id, severity, message, fix=None):
    return {'id': finding_id, 'severity': severity, 'message': message, 'fix': fix,
            'doc': '%s#%s' % (DOC_PAGE, finding_id)}


def _major_minor(version):
    parts = (version or '').split('.')
    return tuple(parts[:2]) if len(parts) >= 2 else None


def _failed(result):
    """Whether a module result registered by the role describes a failure.

    The role registers hailortcli_scan and hailo_benchmark with ``failed_when: false``, which turns ``failed`` into
    false: the decoded ``status`` and a non-zero ``rc`` still tell.
    """
    return bool(result.get('failed') or result.get('status') or result.get('rc') not in (None, 0))


def scan_error(scan):
    """The failure hailortcli_scan reported: its ``error`` (``fail_on_error=false``), or the failed result itself.

    Returns ``{'msg', 'status'}`` or None. A result registered with ``failed_when: false`` says ``failed: false``,
    so the decoded ``status`` or a non-zero ``rc`` counts as a failure too.
    """
    if scan.get('error'):
        return scan['error']
    if _failed(scan):
        return {'msg': scan.get('msg'), 'status': scan.get('status')}
    return None


def check_scan(scan, min_devices, facts=None):
    """Findings from hailortcli_scan's result: a failed hailortcli (decoded), or too few devices.

    A failed hailortcli is a finding of its own: ``driver_library_mismatch`` when libhailort refused the loaded
    driver (status 76), else ``hailortcli_failed`` with the decoded status. Device counts are not judged then:
    the devices ``scan`` listed before the failure are kept, but an absent list says nothing about the hardware.
    """
    error = scan_error(scan)
    if error:
        status = error.get('status') or {}
        if status.get('kind') == 'driver_library_mismatch' or status.get('name') == 'HAILO_INVALID_DRIVER_VERSION':
            details = status.get('details') or {}
            facts = facts or {}
            driver = details.get('driver') or (facts.get('driver') or {}).get('version')
            library = details.get('library') or (facts.get('runtime') or {}).get('hailortcli_version')
            return [hailo_problems.driver_library_mismatch(driver, library)]
        name = status.get('name')
        message = error.get('msg') or 'hailortcli failed.'
        fix = (status.get('explanation') if status.get('explanation') else
               'See the message; docs/troubleshooting.md lists the hailo status codes.')
        found = finding('hailortcli_failed', 'error', message, fix)
        found['status'] = {'name': name, 'code': status.get('rc')} if status else None
        return [found]
    findings = []
    devices = scan.get('devices') or []
    if len(devices) < min_devices:
        findings.append(finding(
            'too_few_devices', 'error',
            'hailortcli found %d device(s); at least %d expected.' % (len(devices), min_devices),
            'Check that hailo_pci is loaded and /dev/hailo0 exists (hailo_device_facts tells why not).'))
    return findings


def check_firmware(devices, expected_version):
    """The firmware running on each device must have the expected major.minor."""
    wanted = _major_minor(expected_version)
    findings = []
    for device in devices:
        running = device.get('firmware_version')
        if running and _major_minor(running) != wanted:
            findings.append(finding(
                'firmware_version_mismatch', 'error',
                'Device %s runs firmware %s; HailoRT %s needs firmware %s.x.'
                % (device.get('id'), running, expected_version, '.'.join(wanted)),
                'Install the matching hailo8_fw.bin, then reload hailo_pci (the old firmware keeps running until '
                'the module is reloaded or the board reset).'))
    return findings


def check_benchmark(benchmark):
    if not benchmark or benchmark.get('skipped'):
        return []
    error = benchmark.get('error') or (
        {'msg': benchmark.get('msg'), 'status': benchmark.get('status')}
        if _failed(benchmark) and benchmark.get('passed') is not False else None)
    if error:
        status = error.get('status') or {}
        found = finding('benchmark_failed', 'error', error.get('msg') or 'The benchmark failed.',
                        status.get('explanation') or 'See the message; docs/troubleshooting.md lists the hailo status codes.')
        found['status'] = {'name': status.get('name'), 'code': status.get('rc')} if status else None
        return [found]
    if benchmark.get('passed') is False:
        metric = benchmark.get('fps_metric')
        measured = (benchmark.get('fps') or {}).get(metric) or 0
        message = benchmark.get('msg') or '%s FPS %.1f is below the threshold %.1f.' % (
            metric, measured, benchmark.get('threshold') or 0)
        return [finding('benchmark_below_threshold', 'error', message,
                        'Check the PCIe link (generation, width) and that no other process uses the device.')]
    return []


BASELINE_FIXES = {
    'baseline_app_build_failed': 'Check that the toolchain role ran (cmake, g++) and read the first compiler error; '
                                 'the HailoRT headers the application needs come with the hailort role.',
    'baseline_app_runtime_mismatch': 'Re-run the hailort role so that the installed runtime is hailo_version; the '
                                     'validate role then rebuilds the application against it.',
    'baseline_app_failed': 'See the HailoRT status in the message; it is the same failure a user application '
                           'would hit.',
}


def check_baseline(baseline, benchmark, tolerance):
    """Findings from hailo_baseline_app's result (registered with ``fail_on_error=false``): its error, or a
    throughput too far from hailortcli's streaming FPS on the same HEF (a warning, beyond ``tolerance``)."""
    if not baseline or baseline.get('skipped'):
        return []
    error = baseline.get('error') or (
        {'id': 'baseline_app_failed', 'msg': baseline.get('msg') or 'The baseline application failed.'}
        if baseline.get('failed') else None)
    if error:
        problem_id = error.get('id') or 'baseline_app_failed'
        return [finding(problem_id, 'error', error.get('msg') or 'The baseline application failed.',
                        BASELINE_FIXES.get(problem_id))]
    streaming = ((benchmark or {}).get('fps') or {}).get('streaming')
    difference, within = baseline_app.compare_fps(baseline.get('fps'), streaming, tolerance)
    if not within:
        return [finding('baseline_fps_differs', 'warning',
                        'The baseline application ran at %.1f FPS, %.0f%% away from hailortcli\'s streaming %.1f FPS '
                        '(tolerance %.0f%%).' % (baseline['fps'], difference * 100, streaming, tolerance * 100),
                        'Compare batch sizes and check for other processes using the device; an application '
                        'that queues one frame at a time cannot reach the benchmark\'s rate on every model.')]
    return []


SERVICE_PROBLEMS = {
    'down': ('inference_service_down', 'The inference service did not answer: %s.',
             'See "journalctl -u hailo-inference" on the host; the service logs why it stopped.'),
    'not_ready': ('inference_not_ready', 'The inference service is not ready: %s.',
                  'A model that is not ready names its cause (no device, a missing or unreadable model file); the '
                  'service loads it again on its own once the cause is gone.'),
    'wrong_answer': ('inference_wrong_answer', 'The inference service answered wrongly: %s.',
                     'Check the model, its labels and its pre-processing settings (inference_models).'),
    'errors': ('inference_check_errors', 'The inference service failed requests: %s.',
               'See the error in the message and "journalctl -u hailo-inference".'),
}


def _compare_finding(text, service):
    """A finding for one ``hailo-inference compare`` report (JSON text), or None when it agrees."""
    try:
        report = json.loads(text)
    except ValueError:
        return finding('inference_compare_failed', 'warning', 'The comparison with the ONNX reference printed '
                       'no report: %r.' % (text[:200],), 'Run "hailo-inference compare" on the host to see why.')
    if 'top1_agreement' in report:
        value, minimum, what = report['top1_agreement'], service.get('compare_min_agreement', 0.9), 'top-1 agreement'
    else:
        value, minimum, what = report.get('mean_iou'), service.get('compare_min_iou', 0.5), 'mean IoU of matched boxes'
    if value is None or value >= minimum:
        return None
    return finding('inference_disagrees_with_reference', 'error',
                   'Model %s on the device: %s with its ONNX reference is %.2f over %d image(s), below %.2f.' % (
                       report.get('model'), what, value, report.get('images') or 0, minimum),
                   'Quantisation changed the answers more than allowed: check the HEF matches the ONNX '
                   '(same Model Zoo network) and the pre-processing settings of both.')


def check_service(service):
    """Findings from the inference role's inference_status: the probe's state and the comparisons."""
    if not service or service.get('skipped'):
        return []
    state = service.get('state')
    if state in SERVICE_PROBLEMS:
        problem_id, message, fix = SERVICE_PROBLEMS[state]
        return [finding(problem_id, 'error', message % (service.get('reason') or state), fix)]
    findings = []
    for text in service.get('compare') or []:
        found = _compare_finding(text, service)
        if found:
            findings.append(found)
    for error in service.get('compare_errors') or []:
        findings.append(finding('inference_compare_failed', 'warning',
                                'The comparison with the ONNX reference failed: %s' % (error or 'no message'),
                                'Run "hailo-inference compare" on the host to see why.'))
    return findings


def _pcie(facts):
    devices = [d for d in facts.get('pci_devices') or [] if d.get('supported', True)]
    if not devices:
        return None
    device = devices[0]
    return {'gen': device.get('current_link_gen'), 'width': device.get('current_link_width'),
            'max_gen': device.get('max_link_gen')}


def evaluate(facts, scan, benchmark, expected_version, min_devices=1, link_policy='warning', model=None,
             baseline=None, baseline_tolerance=0.25, service=None):
    """Return ``{'status', 'failures', 'notices', 'row'}`` for one host."""
    facts = facts or {}
    scan = scan or {}
    problems = list(facts.get('problems') or [])
    if link_policy == 'error':
        problems = [dict(p, severity='error') if p.get('id') == 'pcie_link_below_expected' else p for p in problems]
    elif link_policy == 'ignore':
        problems = [p for p in problems if p.get('id') != 'pcie_link_below_expected']
    devices = scan.get('devices') or []
    known = set(p.get('id') for p in problems)
    scan_findings = [f for f in check_scan(scan, min_devices, facts) if f['id'] not in known]
    findings = (problems + scan_findings + check_firmware(devices, expected_version) + check_benchmark(benchmark)
                + check_baseline(baseline, benchmark, baseline_tolerance) + check_service(service))
    failures = [f for f in findings if f.get('severity') == 'error']
    warnings = [f for f in findings if f.get('severity') != 'error']
    status = 'failed' if failures else ('warning' if warnings else 'ok')
    driver = facts.get('driver') or {}
    runtime = facts.get('runtime') or {}
    kernel = facts.get('kernel') or {}
    benchmark = benchmark or {}
    baseline = baseline or {}
    metric = benchmark.get('fps_metric')
    row = {
        'status': status,
        'architecture': next((d.get('architecture') for d in devices if d.get('architecture')), None),
        'board_name': next((d.get('board_name') for d in devices if d.get('board_name')), None),
        'kernel': kernel.get('release'),
        'driver_version': driver.get('version'),
        'driver_versions_on_disk': dict((k.get('release'), (k.get('module') or {}).get('version'))
                                        for k in driver.get('kernels') or [] if k.get('release')),
        'firmware_version': next((d.get('firmware_version') for d in devices if d.get('firmware_version')), None),
        'runtime_version': runtime.get('hailortcli_version'),
        'pcie': _pcie(facts),
        'model': model,
        'fps': (benchmark.get('fps') or {}).get(metric) if metric else None,
        'fps_metric': metric,
        'threshold': benchmark.get('threshold'),
        'passed': benchmark.get('passed'),
        'app_fps': baseline.get('fps'),
        'app_p99_ms': (baseline.get('latency_ms') or {}).get('p99'),
        'service_state': (service or {}).get('state'),
        'service_p50_ms': ((service or {}).get('latency_ms') or {}).get('p50'),
        'problems': [{'id': f['id'], 'severity': f['severity'], 'message': f['message']} for f in findings],
    }
    return {'status': status, 'failures': failures, 'notices': warnings, 'row': row}
