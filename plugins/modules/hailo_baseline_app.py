#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_baseline_app
short_description: Build the collection's C++ baseline application against the installed HailoRT and run it on a HEF
version_added: 1.0.0
description:
  - >-
    Builds C(hailo-baseline), the small C++ program shipped in the collection's C(apps/hailo-baseline) directory,
    with CMake against the HailoRT installed on the target (its CMake package, found with the exact version;
    target C(HailoRT::libhailort)), then runs it on a HEF and returns what it measured. This proves that an application
    can compile against, link with and use the installed runtime, which C(hailortcli) alone does not.
  - >-
    The program enumerates and identifies the devices, loads the HEF, configures it on a virtual device, runs
    O(frames) frames through HailoRT's asynchronous inference API and prints one JSON object with the devices,
    the model's inputs and outputs, FPS and latency percentiles, or the HailoRT status name and code of the call
    that failed.
  - >-
    The build is redone only when the binary is missing or was built from another source, HailoRT version or
    prefix (a stamp file in O(build_dir) records them); then O(build_dir) is emptied first, and a failed build
    leaves no binary behind. Only a build reports a change.
  - >-
    Failures have problem ids the validate role reports (see docs/troubleshooting.md):
    C(baseline_app_build_failed) (configure or compile error, with the first compiler error),
    C(baseline_app_runtime_mismatch) (CMake finds no HailoRT of O(hailort_version), or the program finds another
    C(libhailort) at run time than the one it was built against), C(baseline_app_failed) (a HailoRT call failed:
    no device, a HEF that is not a HEF or is for the other architecture, ...).
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: partial
    description: Reports whether a build is needed; neither builds nor runs.
    details: >-
      In check mode the module says whether it would build (reports a change) and returns C(skipped=true) for the run:
      the run loads the HEF onto the device.
  diff_mode:
    support: none
    description: Only a build directory is written.
options:
  source:
    description:
      - Directory on the target with the application's C(CMakeLists.txt) and C(main.cpp).
    type: path
    required: true
  build_dir:
    description:
      - Build directory on the target. It is emptied before a (re)build.
    type: path
    required: true
  hailort_version:
    description:
      - The HailoRT version to build against, as C(x.y.z). The package version must match exactly.
    type: str
    required: true
  prefix:
    description:
      - Installation prefix of HailoRT (passed as C(CMAKE_PREFIX_PATH)). When omitted, CMake's default search
        (C(/usr/local), C(/usr)) applies.
    type: path
  hef:
    description:
      - HEF to run. Without it the module only builds.
    type: path
  frames:
    description:
      - Frames to run through the model.
    type: int
    default: 1000
  batch_size:
    description:
      - Batch size to configure; the model's default when omitted.
    type: int
  timeout_ms:
    description:
      - Timeout of each HailoRT wait, in milliseconds.
    type: int
    default: 10000
  jobs:
    description:
      - Parallel compile jobs; CMake's default when omitted.
    type: int
  fail_on_error:
    description:
      - When false, a failed build or run is returned in RV(error) instead of failing the module.
    type: bool
    default: true
  max_age:
    description:
      - Reuse the last successful result recorded in O(state_file) instead of running again when it is younger
        than this many seconds and was measured with the same binary, HEF, options and O(fingerprint). V(0) runs
        every time. A build in this run always runs the application.
    type: int
    default: 0
  state_file:
    description: Where the last successful result is recorded (JSON), for O(max_age). Required when O(max_age) is above 0.
    type: path
  fingerprint:
    description:
      - What else must be unchanged for a recorded result to be reused, for example the loaded driver and the
        devices (the validate role passes the same fingerprint as to M(hailo_open.hailo.hailo_benchmark)).
    type: str
    default: ''
'''

EXAMPLES = r'''
- name: Build the baseline application and run it on the reference model
  hailo_open.hailo.hailo_baseline_app:
    source: /var/cache/hailo/baseline/src
    build_dir: /var/cache/hailo/baseline/build
    hailort_version: "4.23.0"
    prefix: /usr/local
    hef: /var/cache/hailo/hefs/hailo8-resnet_v1_50.hef
    frames: 1000
  register: baseline

- name: Show its throughput
  ansible.builtin.debug:
    msg: "{{ baseline['fps'] | round(1) }} FPS, p99 {{ baseline['latency_ms']['p99'] }} ms"
'''

RETURN = r'''
built:
  description: Whether the application was (re)built in this run.
  returned: always
  type: bool
binary:
  description: Path of the application on the target.
  returned: always
  type: str
  sample: /var/cache/hailo/baseline/build/hailo-baseline
cmd:
  description: The command that ran the application (or would have, in check mode).
  returned: when O(hef) is given
  type: list
  elements: str
rc:
  description: Exit status of the application (0 success, 1 HailoRT failure, 2 usage, 3 runtime version differs, 127 not loadable).
  returned: when it ran
  type: int
fps:
  description: Frames per second the application measured.
  returned: always
  type: float
  sample: 1366.2
latency_ms:
  description: Per-frame latency percentiles (p50, p95, p99) in milliseconds, from submission to completion.
  returned: always
  type: dict
  sample: {p50: 2.9, p95: 3.1, p99: 3.6}
result:
  description: The application's whole JSON object, normalised (devices, model inputs and outputs, frames, seconds, status).
  returned: when it ran and printed its result
  type: dict
error:
  description: With O(fail_on_error=false), the failure (C(id), C(msg), C(details)); null otherwise.
  returned: always
  type: dict
cached:
  description: Whether the result is the one recorded in O(state_file) (see O(max_age)) rather than a new run.
  returned: always
  type: bool
skipped:
  description: True in check mode, where the application is not run.
  returned: in check mode
  type: bool
'''

import os
import shutil
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hailo_open.hailo.plugins.module_utils import _baseline_app as app
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _measurements as measurements

APP_ENV = dict(commands.C_LOCALE, HAILORT_LOGGER_PATH='NONE')
REUSED_KEYS = ('rc', 'result', 'fps', 'latency_ms')


def build(module, cmake, params, stamp):
    build_dir = params['build_dir']
    if os.path.isdir(build_dir):
        shutil.rmtree(build_dir)
    os.makedirs(build_dir)
    rc, out, err = commands.run(module, app.configure_command(cmake, params['source'], build_dir,
                                                              params['hailort_version'], params['prefix']))
    if rc != 0:
        raise app.explain_configure_failure(out + '\n' + err, params['hailort_version'])
    rc, out, err = commands.run(module, app.build_command(cmake, build_dir, params['jobs']))
    if rc != 0:
        binary = os.path.join(build_dir, app.BINARY_NAME)
        if os.path.exists(binary):
            os.remove(binary)
        raise app.explain_build_failure(out + '\n' + err)
    with open(os.path.join(build_dir, app.STAMP_NAME), 'w') as handle:
        handle.write(stamp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type='path', required=True),
            build_dir=dict(type='path', required=True),
            hailort_version=dict(type='str', required=True),
            prefix=dict(type='path'),
            hef=dict(type='path'),
            frames=dict(type='int', default=1000),
            batch_size=dict(type='int'),
            timeout_ms=dict(type='int', default=10000),
            jobs=dict(type='int'),
            fail_on_error=dict(type='bool', default=True),
            max_age=dict(type='int', default=0),
            state_file=dict(type='path'),
            fingerprint=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    params = module.params
    binary = os.path.join(params['build_dir'], app.BINARY_NAME)
    result = dict(changed=False, built=False, binary=binary, fps=None, latency_ms=None, error=None, cached=False)
    problem = commands.release_error('hailort_version', params['hailort_version'])
    problem = problem or commands.positive_int_error(params, ('frames', 'batch_size', 'timeout_ms', 'jobs'))
    if params['batch_size'] is not None and params['batch_size'] > 65535:
        problem = problem or 'batch_size must be at most 65535, not %s.' % params['batch_size']
    if params['max_age'] > 0 and not params['state_file']:
        problem = problem or 'max_age needs state_file, where the last result is recorded.'
    if problem:
        module.fail_json(msg=problem, **result)

    if params['hef']:
        result['cmd'] = app.run_command(binary, params['hef'], params['frames'], params['batch_size'],
                                        params['timeout_ms'])
    if module.check_mode:
        try:
            needed = app.needs_build(params['build_dir'], app.build_stamp(params['source'], params['hailort_version'],
                                                                          params['prefix']))
        except app.BaselineAppError:
            needed = True  # the source is not there yet (copied by an earlier task that check mode did not run)
        result.update(changed=needed, skipped=True, failed=False,
                      msg='Check mode: the application was neither built nor run.')
        module.exit_json(**result)
    try:
        stamp = app.build_stamp(params['source'], params['hailort_version'], params['prefix'])
        needed = app.needs_build(params['build_dir'], stamp)
        if needed:
            cmake = commands.find_tool(module, 'cmake')
            if cmake is None:
                raise app.BaselineAppError('baseline_app_build_failed',
                                           'cmake is not installed on the target (the toolchain role installs it).')
            build(module, cmake, params, stamp)
            result.update(changed=True, built=True)
        if params['hef']:
            if not os.path.isfile(params['hef']):
                raise app.BaselineAppError('baseline_app_failed', 'The HEF file %s does not exist.' % params['hef'])
            key = measurements.key({'stamp': stamp, 'hef': module.sha256(params['hef']), 'cmd': result['cmd'],
                                    'fingerprint': params['fingerprint']})
            now = time.time()
            last = None if needed else measurements.recorded(params['state_file'], params['max_age'], key, now)
            if last:
                result.update((name, last.get(name)) for name in REUSED_KEYS)
                result.update(cached=True, measured_at=last['measured_at'])
            else:
                rc, out, err = commands.run(module, result['cmd'], env=APP_ENV)
                result['rc'] = rc
                parsed = app.parse_output(rc, out, err)
                result.update(result=parsed, fps=parsed['fps'], latency_ms=parsed['latency_ms'], measured_at=now)
                if params['max_age'] > 0:
                    measurements.record(params['state_file'], key, result, REUSED_KEYS, now)
    except app.BaselineAppError as exc:
        details = dict(exc.details)
        if 'result' in details:
            result['result'] = details.pop('result')
        result['error'] = {'id': exc.problem_id, 'msg': exc.message, 'details': details}
        if params['fail_on_error']:
            module.fail_json(msg=exc.message, **result)
    module.exit_json(failed=False, **result)


if __name__ == '__main__':
    main()
