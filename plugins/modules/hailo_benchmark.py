#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_benchmark
short_description: Measure a HEF's throughput on a Hailo-8/8L with hailortcli benchmark and check it against a threshold
version_added: 1.0.0
description:
  - Runs C(hailortcli benchmark <hef> -t <time> --batch-size <batch_size> --csv <file>) in a temporary directory
    with C(LC_ALL=C) and C(HAILORT_LOGGER_PATH=NONE), and returns the FPS, latencies, power and frame counts.
  - The benchmark runs three phases of O(time) seconds each (HW-only FPS, streaming FPS with power, latency), plus
    the time to load the HEF; the default 15 s therefore takes about 50 s.
  - Results are read from the CSV file the CLI writes; when it is missing or unreadable, from the C(Summary) block
    of its standard output (which names no network and has no frame counts nor minimum power).
  - With O(min_fps), the FPS chosen by O(fps_metric) must reach it, or the module fails
    (unless O(fail_below_threshold=false)). The message names the metric, the measured FPS and the threshold.
  - A failing benchmark fails the module (with O(fail_on_error=false), returns RV(error) instead) with the
    hailo_status name of the exit code and what to do, for example
    C(HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE) (93) for a HEF compiled for the other architecture,
    C(HAILO_OUT_OF_PHYSICAL_DEVICES) (74) when another process holds the device, C(HAILO_INVALID_DRIVER_VERSION) (76)
    for a driver of another release, C(HAILO_INVALID_HEF) (26) for a malformed HEF, and exit code 255 when
    hailortcli and libhailort are from different releases.
  - The module never reports a change.
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: partial
    description: Can run in check mode, where the benchmark is not run.
    details: >-
      The benchmark loads a network onto the device and keeps it busy for about three times O(time), so it is not
      run in check mode: the module then returns C(skipped=true), a message and null results. O(hef) and
      C(hailortcli) are still checked.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
extends_documentation_fragment:
  - hailo_open.hailo._hailortcli
options:
  hef:
    description:
      - Path of the HEF file on the target. It must be compiled for the device's architecture
        (M(hailo_open.hailo.hailo_model_info) picks the Model Zoo HEF by the identified architecture).
    type: path
    required: true
  time:
    description:
      - Seconds per measurement phase (C(-t)). There are three phases.
    type: int
    default: 15
  batch_size:
    description:
      - Inference batch size (C(--batch-size)). The published Model Zoo figures are for batch size 1.
    type: int
    default: 1
  device_id:
    description:
      - Device to benchmark (C(-s)), as C(hailortcli scan) lists it (the PCI address, for example V(0001:01:00.0)).
      - Needed only when the host has several devices; by default HailoRT takes the first free one.
    type: str
  min_fps:
    description:
      - Lowest acceptable FPS of O(fps_metric). Without it nothing is checked and RV(passed) is null.
      - M(hailo_open.hailo.hailo_model_info) returns a threshold for the reference models.
    type: float
  fps_metric:
    description:
      - Which measured FPS O(min_fps) applies to.
      - V(hw_only) (default) sends frames that are already in the device's format through raw streams, so it
        measures the accelerator and the PCIe link, not the host. It is the figure Model Zoo publishes, and the one that
        tells whether the accelerator and its link are healthy.
      - V(streaming) goes through HailoRT's host-side pipeline (format conversion and quantization on the Raspberry
        Pi's CPU) on top of the same link. It is closer to what an application gets, but it also moves with CPU
        load and clock, so it judges the host as much as the accelerator.
    type: str
    choices: [hw_only, streaming]
    default: hw_only
  fail_below_threshold:
    description:
      - Fail when the measured FPS is below O(min_fps). With V(false) the module succeeds with RV(passed=false)
        and a warning.
    type: bool
    default: true
  fail_on_error:
    description:
      - Fail when the benchmark cannot run (no hailortcli, no HEF, hailortcli fails, unreadable results). With
        V(false), succeed and describe the failure in RV(error), so that a caller can judge it.
    type: bool
    default: true
  max_age:
    description:
      - Reuse the last result recorded in O(state_file) instead of running the benchmark again when it is younger
        than this many seconds and was measured with the same HEF (sha256), options, C(hailortcli) and
        O(fingerprint). V(0) always runs the benchmark.
      - A fleet re-run with nothing changed then costs seconds instead of about three times O(time) per host.
    type: int
    default: 0
  state_file:
    description:
      - Where the last successful result is recorded (JSON), for O(max_age). Required when O(max_age) is above 0.
    type: path
  fingerprint:
    description:
      - What else must be unchanged for a recorded result to be reused, for example the loaded driver, firmware
        and runtime versions and the device's serial number.
    type: str
    default: ""
notes:
  - The benchmark opens the device, so it fails with C(HAILO_OUT_OF_PHYSICAL_DEVICES) while another process (a
    running application, another benchmark) holds it.
  - A model whose frames need more bandwidth than the PCIe link carries is bounded by the link in both metrics; the
    C(link_limited) result of M(hailo_open.hailo.hailo_model_info) tells which models are before choosing one for
    a threshold.
  - Hailo's firmware licence restricts publishing benchmark results; keep the measured figures to yourself.
seealso:
  - module: hailo_open.hailo.hailo_model_info
  - module: hailo_open.hailo.hailortcli_scan
'''

EXAMPLES = r'''
- name: Benchmark resnet_v1_50 and require 80 % of the published Hailo-8 FPS
  hailo_open.hailo.hailo_benchmark:
    hef: /var/lib/hailo/resnet_v1_50.hef
    min_fps: 1097.6
  register: hailo_bench

- name: Show the result
  ansible.builtin.debug:
    msg: "{{ hailo_bench.fps.hw_only }} FPS HW-only, {{ hailo_bench.fps.streaming }} FPS streaming"

- name: Measure the second device for 5 s per phase and only record whether it passed
  hailo_open.hailo.hailo_benchmark:
    hef: /var/lib/hailo/yolov8s.hef
    device_id: "0001:04:00.0"
    time: 5
    min_fps: 88
    fps_metric: streaming
    fail_below_threshold: false
  register: hailo_bench_second
'''

RETURN = r'''
fps:
  description: Measured frames per second; C(hw_only) and C(streaming).
  returned: success and not check mode
  type: dict
  sample: {hw_only: 1372.01, streaming: 1368.02}
latency_ms:
  description: Latency in milliseconds; C(hw) and C(overall), each null when the CLI did not report it.
  returned: success and not check mode
  type: dict
  sample: {hw: 4.51204, overall: 5.2341}
power:
  description: Power during the streaming phase (C(min), C(average), C(max), C(units)); null when the board does not
    measure power (an M.2 module on a Raspberry Pi 5 usually does not). C(min) is only in the CSV.
  returned: success and not check mode
  type: dict
  sample: {min: 1.7012, average: 1.82123, max: 2.0473, units: W}
frames:
  description: Frames inferred in the C(hw_only) and C(streaming) phases (null when read from the text summary).
  returned: success and not check mode
  type: dict
  sample: {hw_only: 20580, streaming: 20520}
net_name:
  description: Name of the network group measured (null when read from the text summary).
  returned: success and not check mode
  type: str
  sample: resnet_v1_50
networks:
  description: Every network group of the HEF as parsed (the top-level values are those of the first one).
  returned: success and not check mode
  type: list
  elements: dict
source:
  description: Where the results were read from, V(csv) or V(summary).
  returned: success and not check mode
  type: str
  sample: csv
fps_metric:
  description: The metric O(min_fps) applies to.
  returned: always
  type: str
  sample: hw_only
threshold:
  description: O(min_fps), or null.
  returned: always
  type: float
  sample: 1097.6
passed:
  description: Whether the O(fps_metric) FPS reached O(min_fps); null without a threshold or in check mode.
  returned: always
  type: bool
cached:
  description: Whether the result is the one recorded in O(state_file) (see O(max_age)) rather than a new measurement.
  returned: success
  type: bool
measured_at:
  description: Unix time of the measurement (of the recorded one when RV(cached)).
  returned: success and not check mode
  type: float
skipped:
  description: True in check mode, where the benchmark does not run.
  returned: check mode
  type: bool
cmd:
  description: The command run (or that would run in check mode).
  returned: always
  type: list
  elements: str
rc:
  description: Exit code of hailortcli; null when it did not run.
  returned: always
  type: int
  sample: 0
stdout:
  description: Standard output of hailortcli.
  returned: always
  type: str
stderr:
  description: Standard error of hailortcli.
  returned: always
  type: str
error:
  description:
    - Null when the benchmark ran and was read. Otherwise C(msg), the failure as a sentence, and C(status), the
      decoded failure of hailortcli (null when hailortcli did not run or did not fail).
  returned: always
  type: dict
  sample: {msg: The HEF file /tmp/x.hef does not exist (or is not a file) ..., status: null}
status:
  description: Decoded failure (C(rc), C(name), C(kind), C(explanation), C(details), C(errors)).
  returned: failure of hailortcli
  type: dict
  sample: {rc: 93, name: HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE, kind: hef_not_compatible,
           details: {device_arch: HAILO8L, hef_arch: HAILO8}}
'''

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli
from ansible_collections.hailo_open.hailo.plugins.module_utils import _measurements as measurements

CSV_NAME = 'benchmark.csv'
EMPTY_RUN = commands.NO_RUN


class BenchmarkError(Exception):
    """The benchmark could not run or be read: args[0] the message, args[1] the decoded status (or None)."""


def finish_with_error(module, message, result, status=None):
    """Fail, or with fail_on_error=false succeed, describing the failure in ``error``."""
    result['error'] = {'msg': message, 'status': status}
    if status is not None:
        result['status'] = status
    if module.params['fail_on_error']:
        module.fail_json(msg=message, **result)
    # Explicitly not failed: rc is hailortcli's exit code, which Ansible would otherwise take as a failure.
    module.exit_json(failed=False, **result)


def check_hef(hef):
    if not os.path.isfile(hef):
        raise BenchmarkError('The HEF file %s does not exist (or is not a file): download the HEF for the device\'s '
                             'architecture first (hailo_open.hailo.hailo_model_info gives its URL).' % hef, None)
    if not os.access(hef, os.R_OK):
        raise BenchmarkError('The HEF file %s is not readable by the user running the benchmark.' % hef, None)


def build_command(cli, params, csv_path):
    command = [cli, 'benchmark', params['hef'], '-t', str(params['time']), '--batch-size', str(params['batch_size'])]
    if params['device_id']:
        command += ['-s', params['device_id']]
    return command + ['--csv', csv_path]


def failure_message(command, failure):
    message = hailortcli.format_failure(command, failure)
    if failure['kind'] == 'hef_not_compatible':
        details = failure['details']
        message += (' The device is a %s and the HEF was compiled for %s: use the %s HEF '
                    '(hailo_open.hailo.hailo_model_info picks it from the identified architecture).'
                    % (details['device_arch'], details['hef_arch'], details['device_arch'].lower()))
    return message


def _empty_results():
    return {
        'fps': {'hw_only': None, 'streaming': None},
        'latency_ms': {'hw': None, 'overall': None},
        'power': None,
        'frames': {'hw_only': None, 'streaming': None},
        'net_name': None,
        'networks': [],
        'source': None,
    }


def results_from_csv(text):
    rows = hailortcli.parse_benchmark_csv(text)
    if not rows:
        raise ValueError('the benchmark CSV file has a header but no result row')
    first = rows[0]
    power = None
    if any(first[key] is not None for key in ('min_power', 'average_power', 'max_power')):
        # The benchmark measures power (not current) and the CLI prints it in watts.
        power = {'min': first['min_power'], 'average': first['average_power'], 'max': first['max_power'],
                 'units': 'W'}
    return {
        'fps': {'hw_only': first['hw_only_fps'], 'streaming': first['fps']},
        'latency_ms': {'hw': first['hw_latency'], 'overall': first['overall_latency']},
        'power': power,
        'frames': {'hw_only': first['num_of_frames_hw_only'], 'streaming': first['num_of_frames']},
        'net_name': first['net_name'] or None,
        'networks': rows,
        'source': 'csv',
    }


def results_from_summary(text, device_id):
    summary = hailortcli.parse_benchmark_summary(text)
    first = summary['networks'][0]
    power = None
    if summary['power']:
        device = device_id if device_id in summary['power'] else sorted(summary['power'])[0]
        measured = summary['power'][device]
        power = {'min': None, 'average': measured['average'], 'max': measured['max'], 'units': measured['units']}
    return {
        'fps': {'hw_only': first['fps_hw_only'], 'streaming': first['fps_streaming']},
        'latency_ms': {'hw': first['latency_hw_ms'], 'overall': first['latency_overall_ms']},
        'power': power,
        'frames': {'hw_only': None, 'streaming': None},
        'net_name': None,
        'networks': summary['networks'],
        'source': 'summary',
    }


def read_results(csv_path, stdout, device_id):
    """Results from the CSV file, else from the text summary; ValueError naming both reasons when neither parses."""
    csv_problem = None
    try:
        with open(csv_path, 'rb') as handle:
            return results_from_csv(to_text(handle.read(), errors='surrogate_or_replace'))
    except (IOError, OSError, ValueError) as exc:
        csv_problem = str(exc)
    try:
        return results_from_summary(stdout, device_id)
    except ValueError as exc:
        raise ValueError('the benchmark results could not be read: CSV: %s; summary: %s' % (csv_problem, exc))


REUSED_KEYS = ('fps', 'latency_ms', 'power', 'frames', 'net_name', 'networks', 'source', 'cmd', 'stdout', 'stderr')


def result_key(params, hef_sha256, cli_path):
    """What a recorded result must have been measured with to be reused."""
    return measurements.key({'hef': hef_sha256, 'time': params['time'], 'batch_size': params['batch_size'],
                             'device_id': params['device_id'], 'fingerprint': params['fingerprint'],
                             'hailortcli': cli_path,
                             'hailortcli_mtime': int(os.stat(cli_path).st_mtime) if os.path.exists(cli_path) else None})


def judge(module, result):
    threshold = module.params['min_fps']
    if threshold is None:
        return
    metric = module.params['fps_metric']
    measured = result['fps'][metric]
    if measured is None:
        raise BenchmarkError('hailortcli benchmark reported no %s FPS, so the threshold of %s FPS cannot be checked.'
                             % (metric, threshold), None)
    result['passed'] = measured >= threshold
    if result['passed']:
        return
    message = ('%s FPS %s is below the threshold of %s FPS (%.0f %% of it) for %s.'
               % (metric, measured, threshold, 100.0 * measured / threshold, module.params['hef']))
    if module.params['fail_below_threshold']:
        module.fail_json(msg=message, **result)
    result['msg'] = message
    module.warn(message)


def benchmark(module, cli, result):
    """Run the benchmark and fill ``result``; raises BenchmarkError when it fails or its output cannot be read."""
    params = module.params
    workdir = tempfile.mkdtemp(prefix='hailo_benchmark.')
    try:
        csv_path = os.path.join(workdir, CSV_NAME)
        command = build_command(cli.path, params, csv_path)
        result['cmd'] = command
        rc, out, err = cli.run(command[1:], cwd=workdir)
        result.update(rc=rc, stdout=out, stderr=err)
        if rc != 0:
            failure = cli.failure()
            raise BenchmarkError(failure_message('hailortcli benchmark %s' % params['hef'], failure), failure)
        try:
            result.update(read_results(csv_path, out, params['device_id']))
        except ValueError as exc:
            raise BenchmarkError(str(exc), None)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hef=dict(type='path', required=True),
            time=dict(type='int', default=15),
            batch_size=dict(type='int', default=1),
            device_id=dict(type='str'),
            min_fps=dict(type='float'),
            fps_metric=dict(type='str', default='hw_only', choices=['hw_only', 'streaming']),
            fail_below_threshold=dict(type='bool', default=True),
            fail_on_error=dict(type='bool', default=True),
            hailortcli_path=dict(type='path'),
            prefix=dict(type='path'),
            max_age=dict(type='int', default=0),
            state_file=dict(type='path'),
            fingerprint=dict(type='str', default=''),
        ),
        mutually_exclusive=[('hailortcli_path', 'prefix')],
        supports_check_mode=True,
    )
    params = module.params
    if params['max_age'] > 0 and not params['state_file']:
        module.fail_json(msg='max_age needs state_file, where the last result is recorded.', **EMPTY_RUN)
    problem = commands.positive_int_error(params, ('time', 'batch_size'))
    if problem:
        module.fail_json(msg=problem, **EMPTY_RUN)
    if params['min_fps'] is not None and params['min_fps'] <= 0:
        module.fail_json(msg='min_fps must be above 0, not %s.' % params['min_fps'], **EMPTY_RUN)

    result = dict(changed=False, fps_metric=params['fps_metric'], threshold=params['min_fps'], passed=None,
                  error=None, cached=False, **EMPTY_RUN)
    path = commands.find_hailortcli(module, params['hailortcli_path'], params['prefix'])
    try:
        if path is None:
            raise BenchmarkError(commands.missing_hailortcli(params['hailortcli_path'], params['prefix']), None)
        check_hef(params['hef'])
        cli = commands.Hailortcli(module, path)
        if module.check_mode:
            command = build_command(cli.path, params, os.path.join('<tmpdir>', CSV_NAME))
            module.exit_json(skipped=True, cmd=command, failed=False,
                             msg='Check mode: the benchmark was not run (it loads the HEF onto the device and keeps '
                                 'the device busy for about %d s).' % (3 * params['time']),
                             **result)
        key = result_key(params, module.sha256(params['hef']), cli.path)
        now = time.time()
        last = measurements.recorded(params['state_file'], params['max_age'], key, now)
        if last:
            result.update((name, last.get(name)) for name in REUSED_KEYS)
            result.update(cached=True, measured_at=last['measured_at'], rc=0)
        else:
            benchmark(module, cli, result)
            result['measured_at'] = now
            if params['max_age'] > 0:
                measurements.record(params['state_file'], key, result, REUSED_KEYS, result['measured_at'])
        judge(module, result)
    except BenchmarkError as exc:
        finish_with_error(module, exc.args[0], result, exc.args[1])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
