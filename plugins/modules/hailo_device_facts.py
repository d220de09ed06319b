#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_device_facts
short_description: Hailo-8/8L devices, driver, firmware and runtime on a host, and the problems they show
version_added: 1.0.0
description:
  - Gathers everything the host can tell about its Hailo PCIe accelerators without opening them, and returns it
    under C(ansible_facts['hailo']).
  - PCI functions of vendor C(0x1e60) with their driver and negotiated PCIe link; C(hailo_chardev) devices and
    the owner, group and mode of their C(/dev/hailoN) nodes; the loaded C(hailo_pci) module, its version and
    parameters, its modprobe configuration, and for every installed kernel the module C(modprobe) would load;
    the DKMS status of C(hailo_pci); the firmware file; C(hailortcli) and the C(libhailort) libraries installed;
    distribution packages that clash with a build from source.
  - Evaluates the gathered facts and returns a list of problems, each with a stable id, a severity, a message, a
    fix and a link to its section of C(docs/troubleshooting.md).
  - A host without any Hailo device gives empty lists and a C(no_device_on_pci) problem, not a failure.
  - Read-only. Use M(hailo_open.hailo.hailortcli_scan) to talk to the devices themselves.
author:
  - hailo_open.hailo contributors (@hailo-open)
requirements:
  - pyudev (optional; without it devices are read from C(/sys) directly and a warning says so)
attributes:
  facts:
    support: full
    description: Returns C(ansible_facts['hailo']).
extends_documentation_fragment:
  - hailo_open.hailo._hailortcli
  - hailo_open.hailo._attributes.read_only
options:
  gather_subset:
    description:
      - What to gather. V(all) or any of V(pci), V(nodes), V(driver), V(firmware), V(runtime), V(dkms),
        V(packages). Prefix a subset with C(!) to leave it out; a list of exclusions only starts from V(all).
      - Problems are only evaluated for what was gathered.
    type: list
    elements: str
    default: [all]
  expected_version:
    description:
      - The HailoRT release the host should run (C(major.minor.revision), for example C(4.23.0)).
      - When set, the loaded driver, the driver on disk for every kernel and C(hailortcli) are compared with it.
    type: str
  expected_group:
    description:
      - The group whose members must be able to open C(/dev/hailoN). Empty disables the check.
    type: str
    default: hailo
  expected_link_gen:
    description:
      - The PCIe generation the link should have negotiated. A Raspberry Pi 5 with C(dtparam=pciex1_gen=3) gives 3.
      - V(0) disables the check.
    type: int
    default: 3
  firmware_path:
    description:
      - Where the driver loads the Hailo-8 firmware from.
    type: path
    default: /lib/firmware/hailo/hailo8_fw.bin
  python_venv:
    description:
      - A virtual environment that should hold HailoRT's Python binding (the C(hailort) role's
        C(hailort_python_venv)). When set and the runtime is gathered, its C(python) imports C(hailo_platform) and
        reports the version (RV(ansible_facts.hailo.runtime.python_binding)); a missing binding and one of another
        version than O(expected_version) are problems.
    type: path
  target_kernels:
    description:
      - Kernel releases the driver is built for (the driver role's targets). A missing or wrong C(hailo_pci) for one
        of them is an error, as for the running kernel; for other installed kernels it is a warning.
      - By default only the running kernel counts as a target.
    type: list
    elements: str
notes:
  - The module runs C(modinfo -k <release> hailo_pci) for every installed kernel, C(dkms status -m hailo_pci),
    C(hailortcli --version) and C(dpkg-query) with C(LC_ALL=C); commands that are not installed are reported as
    unavailable, not as failures.
  - Per-kernel module facts need the kernels listed under C(/lib/modules); inside a container that only has the
    host's running kernel, that list is empty.
seealso:
  - module: hailo_open.hailo.hailortcli_scan
'''

EXAMPLES = r'''
- name: Gather Hailo facts
  hailo_open.hailo.hailo_device_facts:
    expected_version: 4.23.0

- name: Fail when any problem of severity error was found
  ansible.builtin.assert:
    that: ansible_facts['hailo']['problems'] | selectattr('severity', 'equalto', 'error') | list | length == 0
    fail_msg: "{{ ansible_facts['hailo']['problems'] | selectattr('severity', 'equalto', 'error') | map(attribute='message') | list }}"

- name: Only look at PCI and the device nodes (no commands run)
  hailo_open.hailo.hailo_device_facts:
    gather_subset: [pci, nodes]

- name: Everything but the package database
  hailo_open.hailo.hailo_device_facts:
    gather_subset: ['!packages']
    expected_link_gen: 2
'''

RETURN = r'''
ansible_facts:
  description: Facts about the host's Hailo devices and stack.
  returned: success
  type: complex
  contains:
    hailo:
      description: All gathered facts. Sections that were not gathered are absent.
      returned: always
      type: complex
      contains:
        gather_subset:
          description: The subsets that were gathered.
          returned: always
          type: list
          elements: str
          sample: [dkms, driver, firmware, nodes, packages, pci, runtime]
        enumeration:
          description: How devices were enumerated, V(pyudev) or V(sysfs) (pyudev missing or unusable).
          returned: when pci or nodes was gathered
          type: str
          sample: pyudev
        kernel:
          description: The running kernel.
          returned: always
          type: dict
          sample: {release: 6.12.47+rpt-rpi-2712, page_size: 16384}
          contains:
            release:
              description: C(uname -r).
              type: str
            page_size:
              description: Page size in bytes of the running kernel.
              type: int
        pci_devices:
          description: PCI functions with vendor C(0x1e60).
          returned: when pci was gathered
          type: list
          elements: dict
          sample:
            - address: '0001:01:00.0'
              vendor_id: '0x1e60'
              device_id: '0x2864'
              family: hailo8
              description: Hailo-8 or Hailo-8L (same PCI id; "hailortcli fw-control identify" tells them apart)
              supported: true
              driver: hailo
              current_link_speed: 8.0 GT/s PCIe
              current_link_width: 1
              current_link_gen: 3
              max_link_speed: 8.0 GT/s PCIe
              max_link_width: 4
              max_link_gen: 3
          contains:
            address:
              description: PCI address with domain.
              type: str
            vendor_id:
              description: PCI vendor id.
              type: str
            device_id:
              description: PCI device id; C(0x2864) for both Hailo-8 and Hailo-8L.
              type: str
            family:
              description: V(hailo8) (Hailo-8 or Hailo-8L), V(hailo10h), V(hailo15l) or V(unknown).
              type: str
            description:
              description: Human-readable name of the family.
              type: str
            supported:
              description: Whether the HailoRT 4.x driver handles this device.
              type: bool
            driver:
              description: Name of the bound driver (V(hailo) for hailo_pci), null when none.
              type: str
            current_link_speed:
              description: Negotiated link speed as sysfs shows it.
              type: str
            current_link_width:
              description: Negotiated link width (lanes).
              type: int
            current_link_gen:
              description: PCIe generation of the negotiated link (2.5 GT/s is 1, 5 is 2, 8 is 3, 16 is 4).
              type: int
            max_link_speed:
              description: Maximum link speed of the device.
              type: str
            max_link_width:
              description: Maximum link width of the device.
              type: int
            max_link_gen:
              description: PCIe generation of the maximum link speed.
              type: int
        nodes:
          description: C(hailo_chardev) class devices created by the driver.
          returned: when nodes was gathered
          type: list
          elements: dict
          sample:
            - name: hailo0
              board_location: '0001:01:00.0'
              device_id: '1e60:2864'
              accelerator_type: '0'
              device_node: /dev/hailo0
              node: {path: /dev/hailo0, exists: true, char_device: true, owner: root, group: hailo, uid: 0,
                     gid: 990, mode: '0660'}
          contains:
            name:
              description: Class device name.
              type: str
            board_location:
              description: PCI address of the device.
              type: str
            device_id:
              description: C(vendor:device) as the driver reports it.
              type: str
            accelerator_type:
              description: C(0) for a neural network core (Hailo-8/8L).
              type: str
            device_node:
              description: Path of the device node.
              type: str
            node:
              description: C(path), C(exists), C(char_device), C(owner), C(group), C(uid), C(gid) and C(mode) of the node.
              type: dict
        driver:
          description: The hailo_pci kernel module.
          returned: when driver was gathered
          type: dict
          contains:
            loaded:
              description: Whether C(/sys/module/hailo_pci) exists.
              type: bool
            version:
              description: Version of the loaded module.
              type: str
            parameters:
              description: Parameters of the loaded module (C(/sys/module/hailo_pci/parameters)).
              type: dict
              sample: {force_desc_page_size: '4096', no_power_mode: 'N', support_soft_reset: 'N'}
            modprobe:
              description: >-
                What modprobe configuration says about hailo_pci: C(options) (parameter to value, later lines
                win), C(option_sources), C(blacklisted), C(install) and the C(files) that mention it.
              type: dict
            modinfo_available:
              description: Whether C(modinfo) was found; without it C(kernels[].module) is null.
              type: bool
            kernels:
              description: >-
                Every installed kernel with C(release), C(flavour), C(page_size), C(headers_path), C(running) and
                C(module) (C(filename), C(version), C(srcversion), C(location) V(updates)/V(kernel)/V(extra)/null,
                C(dkms)) for the hailo_pci module modprobe would load for it.
              type: list
              elements: dict
        dkms:
          description: C(dkms status -m hailo_pci).
          returned: when dkms was gathered
          type: dict
          contains:
            available:
              description: Whether C(dkms) is installed.
              type: bool
            entries:
              description: >-
                C(module), C(version), C(kernel), C(arch), C(state), C(weak_from) and C(notes) of every status
                line (see M(hailo_open.hailo.dkms)).
              type: list
              elements: dict
            error:
              description: stderr of a failed C(dkms status).
              type: str
        firmware:
          description: The firmware file.
          returned: when firmware was gathered
          type: dict
          sample: {path: /lib/firmware/hailo/hailo8_fw.bin, present: true, size: 123456, sha256: 0123abcd}
          contains:
            path:
              description: Path checked.
              type: str
            present:
              description: Whether the file exists and is readable.
              type: bool
            size:
              description: Size in bytes.
              type: int
            sha256:
              description: SHA-256 of the file.
              type: str
        runtime:
          description: HailoRT user space.
          returned: when runtime was gathered
          type: dict
          contains:
            hailortcli_path:
              description: Path of C(hailortcli), null when not found.
              type: str
            hailortcli_version:
              description: Version C(hailortcli --version) reports.
              type: str
            library_version:
              description: Version of the libhailort that hailortcli loaded, when it differs from the CLI's own.
              type: str
            error:
              description: Why C(hailortcli) was not found or C(hailortcli --version) failed, decoded.
              type: str
            python_binding:
              description: With O(python_venv), what C(import hailo_platform) in that environment said.
              type: dict
              contains:
                venv:
                  description: The virtual environment.
                  type: str
                python:
                  description: Its Python version.
                  type: str
                version:
                  description: C(hailo_platform.__version__), null when the import failed.
                  type: str
                error:
                  description: Why the import failed (the exception), or that the environment is missing.
                  type: str
            prefix:
              description: The O(prefix) searched, or null.
              type: str
            libhailort:
              description:
                - C(libhailort.so.X.Y.Z) files in C(<prefix>/lib) (with O(prefix)), C(/usr/local/lib), C(/usr/lib) and
                  C(/usr/lib/<multiarch>).
              type: list
              elements: dict
              sample: [{path: /usr/local/lib/libhailort.so.4.23.0, version: 4.23.0}]
        packages:
          description: Distribution packages that clash with a build from source.
          returned: when packages was gathered
          type: dict
          contains:
            available:
              description: Whether C(dpkg-query) is installed.
              type: bool
            conflicting:
              description: C(name), C(version) and C(status) of each such package that is installed.
              type: list
              elements: dict
        problems:
          description: Problems found in the gathered facts.
          returned: always
          type: list
          elements: dict
          sample:
            - id: page_size_16k_without_force
              severity: error
              message: The running kernel 6.12.47+rpt-rpi-2712 has 16384-byte pages and ...
              fix: Add "options hailo_pci force_desc_page_size=4096" to /etc/modprobe.d/hailo_pci.conf ...
              doc: docs/troubleshooting.md#page_size_16k_without_force
          contains:
            id:
              description: Stable identifier; also the anchor of its section in C(docs/troubleshooting.md).
              type: str
            severity:
              description: V(error), V(warning) or V(info).
              type: str
            message:
              description: What is wrong.
              type: str
            fix:
              description: What to do about it.
              type: str
            doc:
              description: Where the problem is explained.
              type: str
'''

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_host as hailo_host
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_problems as hailo_problems
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_sysfs as hailo_sysfs
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli
from ansible_collections.hailo_open.hailo.plugins.module_utils import _pyhailort as pyhailort
from ansible_collections.hailo_open.hailo.plugins.module_utils import _kernels as kernel_utils

SUBSETS = ('pci', 'nodes', 'driver', 'firmware', 'runtime', 'dkms', 'packages')


def resolve_subsets(requested):
    """Turn gather_subset (names, ``all``, ``!name``, ``!all``) into a sorted list; ValueError if unknown.

    Only exclusions start from every subset; ``!all`` starts from none.
    """
    included = set()
    excluded = set()
    for item in requested:
        negated = item.startswith('!')
        name = item[1:] if negated else item
        if name != 'all' and name not in SUBSETS:
            raise ValueError('Unknown gather_subset %r; valid: all, %s (prefix with ! to exclude).'
                             % (item, ', '.join(SUBSETS)))
        if name == 'all':
            if not negated:
                included.update(SUBSETS)
        else:
            (excluded if negated else included).add(name)
    if not included and '!all' not in requested:
        included = set(SUBSETS)
    return sorted(included - excluded)


def gather_devices(module):
    use_pyudev = hailo_sysfs.HAS_PYUDEV
    if not use_pyudev:
        module.warn(missing_required_lib('pyudev') + '. Reading /sys directly instead.')
    try:
        return hailo_sysfs.enumerate_devices(use_pyudev=use_pyudev)
    except Exception as exc:  # pyudev present but libudev unusable: the sysfs reader still works
        if not use_pyudev:
            raise
        module.warn('pyudev failed (%s); reading /sys directly instead.' % exc)
        return hailo_sysfs.enumerate_devices(use_pyudev=False)


def module_on_disk(module, modinfo, kernel):
    rc, out, _err = commands.run(module, [modinfo, '-k', kernel['release'], hailo_host.MODULE_NAME])
    fields = hailo_host.parse_modinfo(out) if rc == 0 else hailo_host.parse_modinfo('')
    filename = fields['filename'] if fields['filename'] and fields['filename'].startswith('/') else None
    return {
        'filename': filename,
        'version': fields['version'] if filename else None,
        'srcversion': fields['srcversion'] if filename else None,
        'location': hailo_host.module_location(filename, kernel['modules_dir']),
        'dkms': hailo_host.is_dkms_path(filename),
    }


def gather_driver(module, running_release):
    driver = hailo_sysfs.loaded_driver()
    driver['modprobe'] = hailo_host.read_modprobe_config()
    modinfo = commands.find_tool(module, 'modinfo', sbin=True)
    driver['modinfo_available'] = bool(modinfo)
    driver['kernels'] = []
    for kernel in kernel_utils.installed_kernels():
        driver['kernels'].append({
            'release': kernel['release'],
            'flavour': kernel['flavour'],
            'page_size': kernel['page_size'],
            'headers_path': kernel['headers_path'],
            'running': kernel['release'] == running_release,
            'module': module_on_disk(module, modinfo, kernel) if modinfo else None,
        })
    return driver


def gather_dkms(module):
    dkms = commands.find_tool(module, 'dkms', sbin=True)
    if not dkms:
        return {'available': False, 'entries': [], 'error': None}
    rc, out, err = commands.run(module, [dkms, 'status', '-m', hailo_host.MODULE_NAME])
    return {'available': True, 'entries': hailo_host.parse_dkms_status(out), 'error': err.strip() if rc else None}


def gather_python_binding(module, venv):
    python = os.path.join(venv, 'bin', 'python')
    binding = {'venv': venv, 'python': None, 'version': None, 'error': None}
    if not os.path.isfile(python):
        binding['error'] = 'no virtual environment at %s (no bin/python)' % venv
        return binding
    rc, out, err = commands.run(module, [python, '-c', pyhailort.IMPORT_CHECK])
    binding.update(pyhailort.parse_import_check(rc, out, err))
    return binding


def gather_runtime(module, path, prefix):
    dirs = commands.library_dirs(prefix)
    runtime = {'hailortcli_path': commands.find_hailortcli(module, path, prefix), 'hailortcli_version': None,
               'library_version': None, 'error': None, 'prefix': prefix,
               'libhailort': hailo_host.find_libhailort(dirs + [d for d in hailo_host.default_library_dirs()
                                                                if d not in dirs])}
    if not runtime['hailortcli_path']:
        runtime['error'] = commands.missing_hailortcli(path, prefix)
        return runtime
    cli = commands.Hailortcli(module, runtime['hailortcli_path'])
    rc, out, _err = cli.run(['--version'])
    if rc == 0:
        runtime['hailortcli_version'] = hailortcli.parse_version(out)
        return runtime
    failure = cli.failure()
    if failure['kind'] == 'cli_library_mismatch':
        runtime['hailortcli_version'] = failure['details']['cli']
        runtime['library_version'] = failure['details']['library']
    runtime['error'] = cli.message(['--version'], failure)
    return runtime


def gather_packages(module):
    dpkg_query = commands.find_tool(module, 'dpkg-query')
    if not dpkg_query:
        return {'available': False, 'conflicting': []}
    # Exit code 1 only means that some of the names are unknown to dpkg; the known ones are still printed.
    _rc, out, _err = commands.run(
        module, [dpkg_query, '-W', '-f=${Package}\\t${Status}\\t${Version}\\n'] + list(hailo_host.CONFLICTING_PACKAGES))
    return {'available': True, 'conflicting': hailo_host.parse_dpkg_query(out)}


def gather(module, subsets):
    params = module.params
    running_release = os.uname()[2]
    facts = {
        'gather_subset': subsets,
        'kernel': {'release': running_release, 'page_size': os.sysconf('SC_PAGE_SIZE')},
    }
    if 'pci' in subsets or 'nodes' in subsets:
        devices = gather_devices(module)
        facts['enumeration'] = devices['enumeration']
        if 'pci' in subsets:
            facts['pci_devices'] = devices['pci_devices']
        if 'nodes' in subsets:
            facts['nodes'] = devices['nodes']
    if 'driver' in subsets:
        facts['driver'] = gather_driver(module, running_release)
    if 'dkms' in subsets:
        facts['dkms'] = gather_dkms(module)
    if 'firmware' in subsets:
        facts['firmware'] = hailo_host.firmware_facts(params['firmware_path'])
    if 'runtime' in subsets:
        facts['runtime'] = gather_runtime(module, params['hailortcli_path'], params['prefix'])
        if params['python_venv']:
            facts['runtime']['python_binding'] = gather_python_binding(module, params['python_venv'])
    if 'packages' in subsets:
        facts['packages'] = gather_packages(module)
    facts['problems'] = hailo_problems.find_problems(
        facts, expected_version=params['expected_version'], expected_group=params['expected_group'],
        expected_link_gen=params['expected_link_gen'], target_kernels=params['target_kernels'])
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather_subset=dict(type='list', elements='str', default=['all']),
            expected_version=dict(type='str'),
            expected_group=dict(type='str', default='hailo'),
            expected_link_gen=dict(type='int', default=3),
            firmware_path=dict(type='path', default='/lib/firmware/hailo/hailo8_fw.bin'),
            hailortcli_path=dict(type='path'),
            prefix=dict(type='path'),
            target_kernels=dict(type='list', elements='str'),
            python_venv=dict(type='path'),
        ),
        mutually_exclusive=[('hailortcli_path', 'prefix')],
        supports_check_mode=True,
    )
    bad_version = commands.release_error('expected_version', module.params['expected_version'])
    if bad_version:
        module.fail_json(msg=bad_version)
    try:
        subsets = resolve_subsets(module.params['gather_subset'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, ansible_facts={'hailo': gather(module, subsets)})


if __name__ == '__main__':
    main()
