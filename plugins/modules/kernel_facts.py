#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: kernel_facts
short_description: Kernels installed on a host, and what building kernel modules for them needs
version_added: 1.0.0
description:
  - Checks that the host is a supported platform (Debian 12 or 13, or Raspberry Pi OS based on them; aarch64 or
    x86_64) and fails with an actionable message otherwise.
  - Lists every installed kernel (a release directory under C(/lib/modules) that holds C(modules.builtin)), with
    its flavour, page size and headers directory, and decides which kernels kernel modules must be built for.
  - Inside a container the running kernel belongs to the container host and is not installed; it is then
    left out and the installed kernels are targeted.
  - With O(check_headers=true), asks apt which header packages can be installed for the target kernels.
  - Read-only; returns facts under C(ansible_facts['hailo_kernels']).
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  facts:
    support: full
    description: Returns C(ansible_facts['hailo_kernels']).
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  kernels:
    description:
      - Kernel releases to target. Empty means every installed kernel.
      - Every release named here must be installed.
    type: list
    elements: str
    default: []
  container:
    description:
      - Whether the host is a container. V(auto) detects it (C(/run/.containerenv), C(/.dockerenv),
        C(/run/systemd/container), the C(container) environment variable).
    type: str
    choices: [auto, 'yes', 'no']
    default: auto
  check_headers:
    description:
      - Query C(apt-cache policy) for the header packages of the target kernels and report which to install and
        which kernels have none available.
    type: bool
    default: false
notes:
  - The apt package lists must be current for O(check_headers=true) to be meaningful (run C(apt-get update) first).
'''

EXAMPLES = r'''
- name: Learn the installed kernels and the header packages they need
  hailo_open.hailo.kernel_facts:
    check_headers: true

- name: Show the kernels modules will be built for
  ansible.builtin.debug:
    msg: "{{ ansible_facts['hailo_kernels']['targets'] | map(attribute='release') | list }}"

- name: Target one kernel only
  hailo_open.hailo.kernel_facts:
    kernels:
      - 6.12.47+rpt-rpi-2712
'''

RETURN = r'''
ansible_facts:
  description: Facts about the host's kernels.
  returned: success
  type: complex
  contains:
    hailo_kernels:
      description: Kernel facts.
      type: dict
      contains:
        distribution_release:
          description: Debian code name of the host (V(bookworm) or V(trixie)).
          type: str
          sample: trixie
        architecture:
          description: Debian architecture of the host.
          type: str
          sample: arm64
        raspberry_pi_os:
          description: Whether the host runs Raspberry Pi OS.
          type: bool
          sample: true
        container:
          description: >-
            Container engine name when the host is a container (V(declared) when O(container=yes)), else null.
          type: str
          sample: podman
        running:
          description: Release of the running kernel (C(uname -r)).
          type: str
          sample: 6.12.47+rpt-rpi-2712
        running_page_size:
          description: Page size of the running kernel in bytes.
          type: int
          sample: 16384
        installed:
          description: Every installed kernel, sorted by release.
          type: list
          elements: dict
          contains:
            release:
              description: Kernel release.
              type: str
              sample: 6.12.47+rpt-rpi-2712
            flavour:
              description: Kernel flavour, or null when the release does not follow Debian's naming.
              type: str
              sample: rpi-2712
            page_size:
              description: Page size in bytes, from C(/boot/config-<release>) or the flavour; null when unknown.
              type: int
              sample: 16384
            modules_dir:
              description: The kernel's module directory.
              type: str
              sample: /lib/modules/6.12.47+rpt-rpi-2712
            headers_path:
              description: Resolved headers (build) directory, or null when headers are not installed.
              type: str
              sample: /usr/src/linux-headers-6.12.47+rpt-rpi-2712
            headers_packages:
              description: Debian packages that provide this kernel's headers, exact package first.
              type: list
              elements: str
              sample: [linux-headers-6.12.47+rpt-rpi-2712, linux-headers-rpi-2712]
        targets:
          description: The kernels to build modules for; same elements as RV(ansible_facts.hailo_kernels.installed).
          type: list
          elements: dict
        notes:
          description: Decisions worth telling the user (for example, the container's running kernel is skipped).
          type: list
          elements: str
        headers_to_install:
          description: Header packages apt should install. Only with O(check_headers=true).
          type: list
          elements: str
          sample: [linux-headers-6.12.117+deb13-arm64]
        default_kernel:
          description: >-
            The installed kernel Debian boots by default (the target of its C(/vmlinuz) link, which the kernel
            packages point at the newest installed kernel), or null when there is no such link.
          type: str
          sample: 6.12.117+deb13-arm64
        newer_kernel:
          description: >-
            The kernel the next boot runs when it is not the running one (an upgrade installed it; booting it needs
            a reboot), else null. On Raspberry Pi OS the newest kernel of the running kernel's flavour (the
            firmware boots that); elsewhere RV(ansible_facts.hailo_kernels.default_kernel) when known, else the
            newest kernel of the running flavour.
          type: str
          sample: 6.12.50+rpt-rpi-2712
        reboot_required:
          description: Whether a newer kernel waits (RV(ansible_facts.hailo_kernels.newer_kernel)) or C(/run/reboot-required) exists.
          type: bool
          sample: false
        apt_lists_present:
          description: Whether apt has any package lists (a fresh image has none, and must refresh them first).
          type: bool
          sample: true
        dpkg_interrupted:
          description: >-
            Whether an earlier dpkg run was interrupted and not finished (its journal has entries and no dpkg is
            running): apt installs nothing until C(dpkg --configure -a) runs, which the toolchain role then does.
          type: bool
          sample: false
        headers_message:
          description: >-
            An actionable sentence naming the kernels in RV(ansible_facts.hailo_kernels.headers_unavailable), or
            null when every target kernel has headers or an installable header package.
            Only with O(check_headers=true).
          type: str
        headers_unavailable:
          description: >-
            Target kernels with no headers installed and no installable header package, with the packages tried.
            Only with O(check_headers=true).
          type: list
          elements: dict
          sample: [{release: 6.12.1+old-arm64, packages_tried: [linux-headers-6.12.1+old-arm64]}]
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _kernels as kernel_utils
from ansible_collections.hailo_open.hailo.plugins.module_utils import _platform as platform_utils


def gather(module):
    params = module.params
    try:
        release_name, arch = platform_utils.check_platform(platform_utils.read_os_release(), os.uname()[4])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if params['container'] == 'auto':
        container = platform_utils.detect_container()
    else:
        container = 'declared' if params['container'] == 'yes' else None
    raspberry_pi_os = platform_utils.is_raspberry_pi_os()
    installed = kernel_utils.installed_kernels()
    for kernel in installed:
        kernel['headers_packages'] = kernel_utils.headers_packages(kernel, raspberry_pi_os)
    running = os.uname()[2]
    default_kernel = kernel_utils.default_boot_kernel(installed)
    try:
        targets, notes = kernel_utils.select_target_kernels(installed, running, bool(container), params['kernels'])
    except ValueError as exc:
        module.fail_json(msg=str(exc), installed=installed)
    facts = {
        'distribution_release': release_name,
        'architecture': arch,
        'raspberry_pi_os': raspberry_pi_os,
        'container': container,
        'running': running,
        'running_page_size': os.sysconf('SC_PAGE_SIZE'),
        'installed': installed,
        'targets': targets,
        'notes': notes,
        'apt_lists_present': kernel_utils.apt_lists_present(),
        'dpkg_interrupted': kernel_utils.dpkg_interrupted(),
        'default_kernel': default_kernel,
        # A container runs its host's kernel: what the image would boot says nothing about it.
        'newer_kernel': None if container else kernel_utils.next_boot_kernel(
            installed, running, default_kernel, raspberry_pi_os),
    }
    facts['reboot_required'] = bool(facts['newer_kernel']) or os.path.exists('/run/reboot-required')
    if params['check_headers']:
        packages = sorted(set(p for k in targets for p in k['headers_packages']))
        rc, out, err = commands.run(module, ['apt-cache', 'policy'] + packages)
        if rc != 0:
            module.fail_json(msg='apt-cache policy failed: %s' % (err.strip() or out.strip()), rc=rc)
        policy = kernel_utils.parse_apt_policy(out)
        facts['headers_to_install'], facts['headers_unavailable'] = kernel_utils.plan_headers(
            targets, policy, raspberry_pi_os)
        facts['headers_message'] = kernel_utils.headers_unavailable_message(facts['headers_unavailable'])
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kernels=dict(type='list', elements='str', default=[]),
            container=dict(type='str', choices=['auto', 'yes', 'no'], default='auto'),
            check_headers=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, ansible_facts={'hailo_kernels': gather(module)})


if __name__ == '__main__':
    main()
