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
    (for example C(HAILO_INVALID_DRIVER_VERSION) when driver and library are from different releases). With
    O(fail_on_error=false) the module succeeds instead and describes the failure in RV(error), so that a caller
    (the C(validate) role) can judge it.
  - A device that C(scan) lists but C(fw-control identify) does not describe (no C(Device Architecture) line,
    even with exit code 0) counts as a failure too; the device is present but its firmware does not answer.
  - Every device C(scan) listed stays in RV(devices) when a later C(identify) fails; those not identified have
    C(identified=false).
  - No device at all is not a failure; RV(devices) is then empty.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._hailortcli
  - hailo_open.hailo._attributes.read_only
options:
  fail_on_error:
    description:
      - Fail when a hailortcli command fails (or hailortcli is missing). With V(false), succeed and return the
        failure in RV(error).
    type: bool
    default: true
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

- name: Only list devices, with HailoRT installed under /opt/hailort
  hailo_open.hailo.hailortcli_scan:
    prefix: /opt/hailort
    identify: false

- name: Judge a failure instead of failing on it
  hailo_open.hailo.hailortcli_scan:
    fail_on_error: false
  register: hailo_scan

- name: Show the decoded status of a failed hailortcli
  ansible.builtin.debug:
    msg: "{{ hailo_scan.error.status.name }}: {{ hailo_scan.error.msg }}"
  when: hailo_scan.error is not none and hailo_scan.error.status is not none
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
  returned: failure of a hailortcli command, with O(fail_on_error=true)
  type: dict
  sample: {rc: 76, name: HAILO_INVALID_DRIVER_VERSION, kind: driver_library_mismatch}
error:
  description:
    - Null when every command succeeded. Otherwise C(msg), the failure as a sentence, and C(status), the decoded
      failure of the hailortcli command (C(rc), C(name), C(kind), C(explanation), C(details), C(errors)), or null
      when no command failed (hailortcli missing, a device that does not answer, unreadable output).
  returned: always
  type: dict
  sample: {msg: '"hailortcli fw-control identify -s 0001:01:00.0" failed with exit code 76 (HAILO_INVALID_DRIVER_VERSION): ...',
           status: {rc: 76, name: HAILO_INVALID_DRIVER_VERSION, kind: driver_library_mismatch,
                    details: {driver: 4.22.0, library: 4.23.0}}}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli


class ScanFailed(Exception):
    """A hailortcli command failed; args[0] is the message, args[1] the decoded status (or None)."""


def checked(cli, args):
    rc, out, _err = cli.run(args)
    if rc != 0:
        failure = cli.failure()
        raise ScanFailed(cli.message(args, failure), failure)
    return out


def identify(cli, device_id):
    out = checked(cli, ['fw-control', 'identify', '-s', device_id])
    described = [device for device in hailortcli.parse_identify(out) if device['identified']]
    return described[0] if described else None


def scan(cli, result, want_identify):
    """Fill ``result`` (version, devices); raise ScanFailed at the first failing command.

    Every device ``scan`` listed stays in ``result['devices']`` whatever happens later: one that was not (yet)
    identified is listed with ``identified: false``.
    """
    result['hailortcli_version'] = hailortcli.parse_version(checked(cli, ['--version']))
    try:
        device_ids = hailortcli.parse_scan(checked(cli, ['scan']))
    except ValueError as exc:
        raise ScanFailed(str(exc), None)
    result['devices'] = [hailortcli.unidentified_device(device_id) for device_id in device_ids]
    if not want_identify:
        return
    silent = []
    for index, device_id in enumerate(device_ids):
        device = identify(cli, device_id)
        if device is None:
            silent.append(device_id)
        else:
            result['devices'][index] = device
    if silent:
        raise ScanFailed(
            '"hailortcli fw-control identify" printed no Device Architecture for %s although "hailortcli scan" lists '
            'it: the device does not answer (firmware not running, or a driver/firmware mismatch). See '
            '"dmesg | grep -i hailo".' % ', '.join(silent), None)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hailortcli_path=dict(type='path'),
            prefix=dict(type='path'),
            identify=dict(type='bool', default=True),
            fail_on_error=dict(type='bool', default=True),
        ),
        mutually_exclusive=[('hailortcli_path', 'prefix')],
        supports_check_mode=True,
    )
    params = module.params
    result = {'changed': False, 'devices': [], 'hailortcli_version': None, 'error': None}
    cli = commands.find_hailortcli(module, params['hailortcli_path'], params['prefix'])
    if cli is None:
        message = commands.missing_hailortcli(params['hailortcli_path'], params['prefix'])
        result['error'] = {'msg': message, 'status': None}
        result.update(commands.NO_RUN)
        if params['fail_on_error']:
            module.fail_json(msg=message, **result)
        module.exit_json(failed=False, **result)
    runner = commands.Hailortcli(module, cli)
    try:
        scan(runner, result, params['identify'])
    except ScanFailed as exc:
        message, status = exc.args
        result['error'] = {'msg': message, 'status': status}
        if params['fail_on_error']:
            if status is not None:
                result['status'] = status
            module.fail_json(msg=message, **dict(result, **runner.last))
    # Explicitly not failed: with fail_on_error=false, rc is the failed command's exit code.
    module.exit_json(failed=False, **dict(result, **runner.last))


if __name__ == '__main__':
    main()
