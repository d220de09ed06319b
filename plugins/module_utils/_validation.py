# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Judge a Hailo node from what hailo_device_facts, hailortcli_scan and hailo_benchmark found, and shape the
result as a row of the fleet report."""

from __future__ import annotations

DOC_PAGE = 'docs/troubleshooting.md'


def finding(finding_id, severity, message, fix=None):
    return {'id': finding_id, 'severity': severity, 'message': message, 'fix': fix,
            'doc': '%s#%s' % (DOC_PAGE, finding_id)}


def _major_minor(version):
    parts = (version or '').split('.')
    return tuple(parts[:2]) if len(parts) >= 2 else None


def check_scan(scan, min_devices):
    """Findings from hailortcli_scan's result (a failed scan, too few devices, unidentified devices)."""
    findings = []
    if scan.get('failed'):
        findings.append(finding('hailortcli_failed', 'error', scan.get('msg') or 'hailortcli failed.',
                                'See the message; docs/troubleshooting.md lists the hailo status codes.'))
        return findings
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
    if benchmark.get('failed') and benchmark.get('passed') is not False:
        return [finding('benchmark_failed', 'error', benchmark.get('msg') or 'The benchmark failed.',
                        'See the message; docs/troubleshooting.md lists the hailo status codes.')]
    if benchmark.get('passed') is False:
        metric = benchmark.get('fps_metric')
        measured = (benchmark.get('fps') or {}).get(metric) or 0
        message = benchmark.get('msg') or '%s FPS %.1f is below the threshold %.1f.' % (
            metric, measured, benchmark.get('threshold') or 0)
        return [finding('benchmark_below_threshold', 'error', message,
                        'Check the PCIe link (generation, width) and that no other process uses the device.')]
    return []


def _pcie(facts):
    devices = [d for d in facts.get('pci_devices') or [] if d.get('supported', True)]
    if not devices:
        return None
    device = devices[0]
    return {'gen': device.get('current_link_gen'), 'width': device.get('current_link_width'),
            'max_gen': device.get('max_link_gen')}


def evaluate(facts, scan, benchmark, expected_version, min_devices=1, link_policy='warning', model=None):
    """Return ``{'status', 'failures', 'notices', 'row'}`` for one host."""
    facts = facts or {}
    scan = scan or {}
    problems = list(facts.get('problems') or [])
    if link_policy == 'error':
        problems = [dict(p, severity='error') if p.get('id') == 'pcie_link_below_expected' else p for p in problems]
    elif link_policy == 'ignore':
        problems = [p for p in problems if p.get('id') != 'pcie_link_below_expected']
    devices = scan.get('devices') or []
    findings = problems + check_scan(scan, min_devices) + check_firmware(devices, expected_version) + \
        check_benchmark(benchmark)
    failures = [f for f in findings if f.get('severity') == 'error']
    warnings = [f for f in findings if f.get('severity') != 'error']
    status = 'failed' if failures else ('warning' if warnings else 'ok')
    driver = facts.get('driver') or {}
    runtime = facts.get('runtime') or {}
    kernel = facts.get('kernel') or {}
    benchmark = benchmark or {}
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
        'problems': [{'id': f['id'], 'severity': f['severity'], 'message': f['message']} for f in findings],
    }
    return {'status': status, 'failures': failures, 'notices': warnings, 'row': row}
