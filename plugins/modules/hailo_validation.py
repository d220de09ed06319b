#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_validation
short_description: Judge a Hailo node from its facts, its hailortcli scan and its benchmark
version_added: 1.0.0
description:
  - >-
    Combines what M(hailo_open.hailo.hailo_device_facts), M(hailo_open.hailo.hailortcli_scan) and
    M(hailo_open.hailo.hailo_benchmark) returned into a verdict (V(ok), V(warning) or V(failed)), the lists of
    failures and warnings (each with a stable id, a message, a fix and a link to its troubleshooting section), and a
    row for M(hailo_open.hailo.hailo_fleet_report).
  - >-
    Checks, beyond the problems the facts already carry, that hailortcli did not fail, that there are enough
    devices, that the firmware running on each device has the expected major.minor, that the benchmark ran and
    reached its threshold, and that the collection's C++ baseline application (M(hailo_open.hailo.hailo_baseline_app))
    built and ran, at an FPS within O(baseline_tolerance) of the benchmark's streaming FPS (a warning beyond it).
  - With O(service), also that the inference service (the C(hailo_open.hailo.inference) role) is ready, answered
    its check image as expected and agrees with its ONNX reference; the row then carries its state and p50 latency.
  - Pure computation on its inputs; changes nothing and never fails for a failing node (the caller decides).
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  facts:
    description: C(ansible_facts['hailo']) as M(hailo_open.hailo.hailo_device_facts) returned it.
    type: dict
    required: true
  scan:
    description: The registered result of M(hailo_open.hailo.hailortcli_scan) (run with C(failed_when=false)).
    type: dict
    required: true
  benchmark:
    description: The registered result of M(hailo_open.hailo.hailo_benchmark), if it ran.
    type: dict
  model:
    description: The benchmarked model's name, for the report.
    type: str
  baseline:
    description: The registered result of M(hailo_open.hailo.hailo_baseline_app) (run with C(fail_on_error=false)), if it ran.
    type: dict
  baseline_tolerance:
    description:
      - Largest relative difference between the baseline application's FPS and the benchmark's streaming FPS that
        is not a warning (V(0.25) is 25%).
    type: float
    default: 0.25
  service:
    description:
      - The inference role's C(inference_status) fact - the result of
        M(hailo_open.hailo.hailo_inference_probe) with C(compare) (the JSON reports of C(hailo-inference compare)),
        C(compare_errors), C(compare_min_agreement) and C(compare_min_iou) - if the role ran.
    type: dict
    version_added: 1.0.0
  expected_version:
    description: The Hailo release every part must be at (major.minor.revision).
    type: str
    required: true
  min_devices:
    description: Devices the host must have.
    type: int
    default: 1
  link_below_expected:
    description: How a PCIe link below the expected generation counts.
    type: str
    choices: [error, warning, ignore]
    default: warning
'''

EXAMPLES = r'''
- name: Judge this node
  hailo_open.hailo.hailo_validation:
    facts: "{{ ansible_facts['hailo'] }}"
    scan: "{{ scan }}"
    benchmark: "{{ benchmark }}"
    model: resnet_v1_50
    expected_version: 4.23.0
  register: verdict
'''

RETURN = r'''
status:
  description: V(ok), V(warning) or V(failed).
  returned: always
  type: str
  sample: ok
failures:
  description: Error-severity findings, each with C(id), C(severity), C(message), C(fix) and C(doc).
  returned: always
  type: list
  elements: dict
  sample: [{id: too_few_devices, severity: error, message: "hailortcli found 0 device(s); at least 1 expected.",
            fix: "...", doc: "docs/troubleshooting.md#too_few_devices"}]
notices:
  description: Findings below error severity (warnings, information), same form as RV(failures).
  returned: always
  type: list
  elements: dict
row:
  description: This host's row for M(hailo_open.hailo.hailo_fleet_report) (without C(hostname)).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _validation as validation


def main():
    module = AnsibleModule(
        argument_spec=dict(
            facts=dict(type='dict', required=True),
            scan=dict(type='dict', required=True),
            benchmark=dict(type='dict'),
            model=dict(type='str'),
            baseline=dict(type='dict'),
            baseline_tolerance=dict(type='float', default=0.25),
            service=dict(type='dict'),
            expected_version=dict(type='str', required=True),
            min_devices=dict(type='int', default=1),
            link_below_expected=dict(type='str', choices=['error', 'warning', 'ignore'], default='warning'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['baseline_tolerance'] < 0:
        module.fail_json(msg='baseline_tolerance must be 0 or more, not %s.' % params['baseline_tolerance'])
    verdict = validation.evaluate(params['facts'], params['scan'], params['benchmark'], params['expected_version'],
                                  params['min_devices'], params['link_below_expected'], params['model'],
                                  params['baseline'], params['baseline_tolerance'], params['service'])
    module.exit_json(changed=False, **verdict)


if __name__ == '__main__':
    main()
