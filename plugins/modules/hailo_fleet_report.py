#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_fleet_report
short_description: Write the fleet's Hailo state as JSON, a self-contained HTML page and a Markdown summary
version_added: 1.0.0
description:
  - Takes one entry per host (device, kernel, driver, firmware and runtime versions, PCIe link, benchmark FPS against
    its threshold, problems and status) and writes three files into O(dest) C(fleet-report.json),
    C(fleet-report.html) and C(fleet-report.md).
  - The HTML page is one self-contained file for fleets of any size, readable on a phone - inline CSS, an inline SVG
    bar chart of the hosts' FPS against their thresholds (above 40 hosts only the hosts below their threshold,
    furthest below first), the problems grouped across the fleet with their host counts, and the hosts that need a
    look first. One small inline script, pinned by its hash in the page's Content Security Policy (which forbids any
    network access), filters the host table by status and problem id and searches host names; the filter state is
    kept in the URL fragment (C(#status=failed&problem=pcie_link_below_expected&q=pi-1)), so a filtered view can be
    linked to. Everything that comes from the hosts is escaped. Problem ids link to their section of the
    troubleshooting guide.
  - The JSON lists hosts by hostname; the HTML and Markdown list failed, unreachable, warning, then ok hosts. The
    files carry no timestamp unless O(generated_at) is given, so the same fleet state writes the same bytes and the
    module reports a change only when a file's content changes.
  - Meant to run once on the controller, with C(delegate_to=localhost) and C(run_once=true), fed from C(hostvars).
author:
  - hailo_open.hailo contributors (@hailo-open)
requirements:
  - jinja2 (always present on the Ansible controller)
attributes:
  check_mode:
    support: full
    description: In check mode nothing is written; C(changed) tells whether a file would change.
  diff_mode:
    support: none
    description: The reports are generated files; no diff is shown.
options:
  hosts:
    description:
      - One entry per host. Every key but O(hosts[].hostname) may be left out or null.
    type: list
    elements: dict
    required: true
    suboptions:
      hostname:
        description: Inventory name of the host.
        type: str
        required: true
      status:
        description:
          - Overall state of the host. When left out it is derived - V(failed) when the benchmark failed or a
            problem has severity V(error), V(warning) when any other problem is listed, else V(ok).
        type: str
        choices: [ok, warning, failed, unreachable]
      architecture:
        description: Device architecture as identified (V(HAILO8), V(HAILO8L)).
        type: str
      board_name:
        description: Board name reported by the device.
        type: str
      kernel:
        description: Running kernel release.
        type: str
      driver_version:
        description: Version of the loaded C(hailo_pci) driver.
        type: str
      driver_versions_on_disk:
        description: Driver versions installed on disk, as a list or a mapping of kernel release to version.
        type: raw
      firmware_version:
        description: Firmware version running on the device.
        type: str
      runtime_version:
        description: HailoRT (libhailort, hailortcli) version.
        type: str
      pcie:
        description: Negotiated PCIe link.
        type: dict
        suboptions:
          gen:
            description: Current link generation.
            type: int
          width:
            description: Current link width (lanes).
            type: int
          max_gen:
            description: Highest generation the device supports.
            type: int
      model:
        description: Network the benchmark ran, for example V(resnet_v1_50).
        type: str
      fps:
        description: Measured FPS.
        type: float
      fps_metric:
        description: Which figure of the C(fps) result of M(hailo_open.hailo.hailo_benchmark) O(hosts[].fps) is
          (V(hw_only) or V(streaming)).
        type: str
      threshold:
        description: The host's FPS threshold.
        type: float
      passed:
        description: Whether the benchmark passed; derived from O(hosts[].fps) and O(hosts[].threshold) when left out.
        type: bool
      app_fps:
        description: FPS the collection's C++ baseline application measured on the same HEF
          (M(hailo_open.hailo.hailo_baseline_app)); shown beside O(hosts[].fps).
        type: float
      app_p99_ms:
        description: The baseline application's p99 latency in milliseconds.
        type: float
      service_state:
        description: The inference service's state as M(hailo_open.hailo.hailo_inference_probe) reported it
          (V(ready), V(not_ready), V(down), V(wrong_answer), V(errors)); left out where the service is not deployed.
        type: str
        version_added: 1.0.0
      service_p50_ms:
        description: The p50 latency in milliseconds of the inference service's check requests.
        type: float
        version_added: 1.0.0
      problems:
        description:
          - Problems found on the host, as M(hailo_open.hailo.hailo_device_facts) reports them. Each is a dict with
            C(id) (required; the anchor of its section in the troubleshooting guide), C(severity) (C(error), the
            default, C(warning) or C(info)), C(message) and C(fix); other keys are ignored.
        type: list
        elements: dict
      note:
        description: A short remark shown under the hostname, for example why the host is unreachable.
        type: str
  unreachable:
    description:
      - Names of hosts that could not be validated (unreachable, or failed before validation). Each is reported
        with status V(unreachable) unless O(hosts) has an entry for it.
    type: list
    elements: str
    default: []
  dest:
    description:
      - Directory to write the reports into; created when missing.
    type: path
    required: true
  title:
    description:
      - Title of the report.
    type: str
    default: Hailo fleet report
  banner:
    description:
      - Text of a banner across the top of the page, for example V(SIMULATED FLEET) for a report of test hosts.
    type: str
  generated_at:
    description:
      - Time stamp to print in the reports. Left out by default so that an unchanged fleet rewrites nothing.
    type: str
  troubleshooting_url:
    description:
      - Where problem ids link to; the id is appended as C(#<id>). A relative path or an http(s) URL.
    type: str
    default: docs/troubleshooting.md
seealso:
  - module: hailo_open.hailo.hailo_device_facts
  - module: hailo_open.hailo.hailo_benchmark
'''

EXAMPLES = r'''
- name: Write the fleet report on the controller
  hailo_open.hailo.hailo_fleet_report:
    dest: "{{ playbook_dir }}/reports"
    title: Hailo fleet - lab
    hosts: >-
      {{ ansible_play_hosts_all | map('extract', hostvars, 'hailo_report_entry') | list }}
  delegate_to: localhost
  run_once: true
  register: hailo_report

- name: Report of a simulated fleet, with a time stamp
  hailo_open.hailo.hailo_fleet_report:
    dest: /tmp/hailo-report
    banner: SIMULATED FLEET
    generated_at: "{{ now(utc=true, fmt='%Y-%m-%d %H:%M UTC') }}"
    hosts:
      - hostname: pi-01
        architecture: HAILO8
        kernel: 6.12.47+rpt-rpi-2712
        driver_version: 4.23.0
        firmware_version: 4.23.0
        runtime_version: 4.23.0
        pcie: {gen: 3, width: 1, max_gen: 3}
        model: resnet_v1_50
        fps: 1371.2
        fps_metric: hw_only
        threshold: 1097.6
      - hostname: pi-02
        status: unreachable
        note: SSH timed out
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
summary:
  description:
    - Counts of hosts per status, of benchmark results and of problems, and C(problem_groups), every problem id
      across the fleet with the number of hosts that have it (most hosts first).
  returned: always
  type: dict
  sample: {total: 3, ok: 1, warning: 1, failed: 0, unreachable: 1, benchmark_passed: 2,
           benchmark_below_threshold: 0, benchmark_missing: 1, problems: 1,
           problem_groups: [{id: pcie_link_below_expected, severity: warning, hosts: 1}]}
markdown:
  description: The Markdown summary (the content of C(fleet-report.md)).
  returned: always
  type: str
brief:
  description:
    - A few lines for the end of a run, short whatever the fleet's size - the counts, the problems grouped across
      the fleet ("37 hosts - pcie_link_below_expected"), and the first 20 hosts that are not ok.
  returned: always
  type: str
paths:
  description: Paths of the three reports (C(json), C(html), C(markdown)).
  returned: always
  type: dict
  sample: {json: /srv/reports/fleet-report.json, html: /srv/reports/fleet-report.html,
           markdown: /srv/reports/fleet-report.md}
changed_files:
  description: Paths of the reports that were written (in check mode, that would be written).
  returned: always
  type: list
  elements: str
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.hailo_open.hailo.plugins.module_utils import _fleet_report as fleet_report

HOST_SPEC = dict(
    hostname=dict(type='str', required=True),
    status=dict(type='str', choices=list(fleet_report.STATUSES)),
    architecture=dict(type='str'),
    board_name=dict(type='str'),
    kernel=dict(type='str'),
    driver_version=dict(type='str'),
    driver_versions_on_disk=dict(type='raw'),
    firmware_version=dict(type='str'),
    runtime_version=dict(type='str'),
    pcie=dict(type='dict', options=dict(gen=dict(type='int'), width=dict(type='int'), max_gen=dict(type='int'))),
    model=dict(type='str'),
    fps=dict(type='float'),
    fps_metric=dict(type='str'),
    threshold=dict(type='float'),
    passed=dict(type='bool'),
    app_fps=dict(type='float'),
    app_p99_ms=dict(type='float'),
    service_state=dict(type='str'),
    service_p50_ms=dict(type='float'),
    problems=dict(type='list', elements='dict'),
    note=dict(type='str'),
)


def write(module, path, content):
    """Write ``content`` to ``path`` atomically, beside it first so that the move stays on one file system."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(content.encode('utf-8'))
        module.atomic_move(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type='list', elements='dict', required=True, options=HOST_SPEC),
            unreachable=dict(type='list', elements='str', default=[]),
            dest=dict(type='path', required=True),
            title=dict(type='str', default=fleet_report.DEFAULT_TITLE),
            banner=dict(type='str'),
            generated_at=dict(type='str'),
            troubleshooting_url=dict(type='str', default=fleet_report.DEFAULT_TROUBLESHOOTING_URL),
        ),
        supports_check_mode=True,
    )
    if not fleet_report.HAS_JINJA2:
        module.fail_json(msg=missing_required_lib('jinja2'), exception=fleet_report.JINJA2_IMPORT_ERROR)
    params = module.params
    dest = params['dest']
    known = set(host['hostname'] for host in params['hosts'])
    entries = list(params['hosts']) + [{'hostname': name, 'status': 'unreachable'}
                                       for name in params['unreachable'] if name not in known]
    try:
        report = fleet_report.build_report(entries, params['title'], params['banner'], params['generated_at'])
        contents = fleet_report.render_all(report, params['troubleshooting_url'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    paths = fleet_report.report_paths(dest)
    result = dict(changed=False, summary=report['summary'], markdown=contents['markdown'],
                  brief=fleet_report.render_brief(report, troubleshooting_url=params['troubleshooting_url']),
                  paths=paths, changed_files=[])

    if os.path.exists(dest) and not os.path.isdir(dest):
        module.fail_json(msg='dest %s exists and is not a directory.' % dest, **result)
    stale = [kind for kind in ('json', 'html', 'markdown')
             if fleet_report.content_differs(paths[kind], contents[kind])]
    result['changed_files'] = [paths[kind] for kind in stale]
    result['changed'] = bool(stale) or not os.path.isdir(dest)
    if module.check_mode or not result['changed']:
        module.exit_json(**result)

    try:
        if not os.path.isdir(dest):
            os.makedirs(dest)
        for kind in stale:
            write(module, paths[kind], contents[kind])
    except (IOError, OSError) as exc:
        module.fail_json(msg='Cannot write the fleet report into %s: %s' % (dest, exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
