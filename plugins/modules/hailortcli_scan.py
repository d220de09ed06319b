#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailortcli_scan
short_description: List Hailo devices with hailortcli and identify each one
version_added: 1.0.0
description:
  - Runs C(hailortcli --version) and C(hailortcli scan), then, with O(identify=true),
    C(hailortcli fw-control identify -s <device id>) for every device found.
  - Returns the devices with their architecture (C(HAILO8) or C(HAILO8L); both have the same PCI id, only the
    firmware tells them apart), firmware version and flavour, board name and serial, part and product numbers.
  - Commands run with C(LC_ALL=C) and C(HAILORT_LOGGER_PATH=NONE), so that hailortcli writes no C(hailort.log)
    into the working directory.
  - A failing command fails the module with the hailo_status name of its exit code and an explanation
    (for example C(HAILO_INVALID_DRIVER_VERSION) when driver and library are from different releases).
  - A device that C(scan) lists but C(fw-control identify) does not describe (no C(Device Architecture) line,
    even with exit code 0) fails the module too; the device is present but its firmware does not answer.
  - No device at all is not a failure; RV(devices) is then empty.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  hailortcli_path:
    description:
      - Path of C(hailortcli). By default it is searched in E(PATH) and C(/usr/local/bin).
    type: path
  identify:
    description:
      - Run C(hailortcli fw-control identify) for each device found.
    type: bool
    default: true
notes:
  - Identifying a device opens it, so it fails with C(HAILO_OUT_OF_PHYSICAL_DEVICES) or C(HAILO_DEVICE_IN_USE) while
    another process holds the device. Use O(identify=false) to only list devices.
seealso:
  - module: hailo_open.hailo.hailo_device_facts
'''

EXAMPLES = r'''
- name: List and identify the Hailo devices
  hailo_open.hailo.hailortcli_scan:
  register: hailo_scan

- name: Require a Hailo-8 running firmware 4.23.0
  ansible.builtin.assert:
    that:
      - hailo_scan.devices | length > 0
      - hailo_scan.devices[0].architecture == 'HAILO8'
      - hailo_scan.devices[0].firmware_version == '4.23.0'

- name: Only list devices, with a hailortcli outside PATH
  hailo_open.hailo.hailortcli_scan:
    hailortcli_path: /opt/hailort/bin/hailortcli
    identify: false
'''

RETURN = r'''
hailortcli_version:
  description: Version that C(hailortcli --version) reports.
  returned: success
  type: str
  sample: 4.23.0
devices:
  description: Devices listed by C(hailortcli scan), in its order.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Device id as C(hailortcli scan) prints it (the PCI address).
      type: str
      sample: '0001:01:00.0'
    identified:
      description: Whether C(fw-control identify) described the device (always false with O(identify=false)).
      type: bool
    architecture:
      description: C(HAILO8), C(HAILO8L), ...; null when not identified.
      type: str
      sample: HAILO8L
    firmware_version:
      description: Version of the firmware running on the device.
      type: str
      sample: 4.23.0
    firmware_flavour:
      description: The parenthesised parts after the firmware version.
      type: list
      elements: str
      sample: [release, app, extended context switch buffer]
    firmware_mode:
      description: V(release) or V(develop).
      type: str
    firmware_type:
      description: V(app), V(core) or V(invalid).
      type: str
    extended_context_switch_buffer:
      description: Whether the firmware has the extended context switch buffer.
      type: bool
    board_name:
      description: Board name stored on the device (it says Hailo-8 on a Hailo-8L too).
      type: str
    serial_number:
      description: Serial number; null when the board has none or reports C(<N/A>).
      type: str
    part_number:
      description: Part number; null when the board has none or reports C(<N/A>).
      type: str
    product_name:
      description: Product name; null when the board has none or reports C(<N/A>).
      type: str
    control_protocol_version:
      description: Control protocol version of the firmware.
      type: int
    logger_version:
      description: Logger version of the firmware.
      type: int
    raw:
      description: "Every C(Key: value) line of the device's identify block, unmodified."
      type: dict
      sample: {Board Name: Hailo-8, Serial Number: <N/A>}
rc:
  description: Exit code of the last hailortcli command run.
  returned: always
  type: int
  sample: 0
stdout:
  description: Standard output of the last hailortcli command run.
  returned: always
  type: str
stderr:
  description: Standard error of the last hailortcli command run.
  returned: always
  type: str
status:
  description: Decoded failure of the last command (C(rc), C(name), C(kind), C(explanation), C(details), C(errors)).
  returned: failure of a hailortcli command
  type: dict
  sample: {rc: 76, name: HAILO_INVALID_DRIVER_VERSION, kind: driver_library_mismatch}
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli

COMMAND_ENV = {'LC_ALL': 'C', 'HAILORT_LOGGER_PATH': 'NONE'}


class HailortcliRunner(object):
    def __init__(self, module, path):
        self.module = module
        self.path = path
        self.last = {'rc': 0, 'stdout': '', 'stderr': ''}

    def run(self, args):
        rc, out, err = self.module.run_command([self.path] + args, environ_update=COMMAND_ENV)
        self.last = {'rc': rc, 'stdout': out, 'stderr': err}
        return rc, out, err

    def run_or_fail(self, args, **result):
        rc, out, err = self.run(args)
        if rc != 0:
            failure = hailortcli.decode_failure(rc, out, err)
            self.module.fail_json(msg=hailortcli.format_failure('hailortcli ' + ' '.join(args), failure),
                                  status=failure, **dict(result, **self.last))
        return out


def find_hailortcli(module):
    path = module.params['hailortcli_path']
    if path:
        if not os.access(path, os.X_OK):
            module.fail_json(msg='hailortcli_path %s is not an executable file.' % path, rc=None, stdout='', stderr='')
        return path
    found = module.get_bin_path('hailortcli', opt_dirs=['/usr/local/bin'])
    if not found:
        module.fail_json(msg='hailortcli was not found in PATH nor in /usr/local/bin; install HailoRT or set '
                             'hailortcli_path.', rc=None, stdout='', stderr='')
    return found


def identify(runner, device_id, result):
    out = runner.run_or_fail(['fw-control', 'identify', '-s', device_id], **result)
    described = [device for device in hailortcli.parse_identify(out) if device['identified']]
    if not described:
        return None
    return described[0]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hailortcli_path=dict(type='path'),
            identify=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    runner = HailortcliRunner(module, find_hailortcli(module))
    result = {'changed': False, 'devices': [], 'hailortcli_version': None}

    result['hailortcli_version'] = hailortcli.parse_version(runner.run_or_fail(['--version'], **result))
    try:
        device_ids = hailortcli.parse_scan(runner.run_or_fail(['scan'], **result))
    except ValueError as exc:
        module.fail_json(msg=str(exc), **dict(result, **runner.last))

    silent = []
    for device_id in device_ids:
        device = identify(runner, device_id, result) if module.params['identify'] else None
        if device is None:
            device = hailortcli.unidentified_device(device_id)
            if module.params['identify']:
                silent.append(device_id)
        result['devices'].append(device)
    if silent:
        module.fail_json(
            msg='"hailortcli fw-control identify" printed no Device Architecture for %s although "hailortcli scan" '
                'lists it: the device does not answer (firmware not running, or a driver/firmware mismatch). '
                'See "dmesg | grep -i hailo".' % ', '.join(silent),
            **dict(result, **runner.last))
    module.exit_json(**dict(result, **runner.last))


if __name__ == '__main__':
    main()
