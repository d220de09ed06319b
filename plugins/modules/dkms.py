#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: dkms
short_description: Add, build, install and remove a DKMS module, kernel by kernel
version_added: 1.0.0
description:
  - Brings one version of a DKMS module to a state for a list of kernels (by default every installed kernel),
    running C(dkms add), C(dkms build -k), C(dkms install -k) and C(dkms remove) only where the current state
    (from C(dkms status)) differs from the wanted one.
  - Understands the C(dkms status) formats of DKMS 3.x and 2.x, including the C(added) and C(broken) lines
    and DKMS's remarks in parentheses.
  - When the build fails for a kernel, the other kernels are still built; the task then fails naming the
    kernels and showing the end of their C(make.log). Kernels that built are left installed, and a kernel that
    failed keeps what it had before.
  - With O(remove_other_versions=true), other versions of the module are removed from DKMS only after the wanted
    version is installed for every kernel.
  - One run at a time per module on a host - outside check mode the module holds an exclusive lock,
    C(/run/lock/hailo_open.hailo-dkms-<name>.lock), while it reads and changes DKMS's state. A run whose controller
    died mid-build leaves its build running on the host; the next run waits for it (up to O(lock_timeout)) instead
    of building into the same DKMS build directory at the same time. The lock ends with the process that holds it,
    so none is left behind.
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: full
    description: Reports the commands that would run and the states they would lead to, and runs none.
  diff_mode:
    support: none
    description: The changes are reported as commands and per-kernel states, not as a diff.
options:
  name:
    description:
      - DKMS module name (C(PACKAGE_NAME) in C(dkms.conf)), for example V(hailo_pci).
    type: str
    required: true
  version:
    description:
      - Module version (C(PACKAGE_VERSION) in C(dkms.conf)), for example V(4.23.0).
    type: str
    required: true
  state:
    description:
      - V(present) - the version is added to the DKMS tree.
      - V(built) - added and built for every kernel in O(kernels).
      - V(installed) - added, built and installed for every kernel in O(kernels).
      - V(absent) - without O(kernels), the version is removed from DKMS completely (C(dkms remove --all));
        with O(kernels), it is uninstalled and unbuilt for those kernels only and stays added.
    type: str
    choices: [present, built, installed, absent]
    default: installed
  kernels:
    description:
      - Kernel releases to build or install for. Default, every installed kernel (a directory under
        C(/lib/modules) with C(modules.builtin)).
    type: list
    elements: str
  arch:
    description:
      - Architecture to pass to DKMS (C(-a)), as C(uname -m) names it. Default, DKMS's own (the host's).
    type: str
  source_dir:
    description:
      - Directory with the module source and its C(dkms.conf), used when the version has to be added. Default
        C(/usr/src/<name>-<version>), the place DKMS expects; another directory is copied there by C(dkms add).
      - Its C(dkms.conf) must say C(PACKAGE_NAME=<name>) and C(PACKAGE_VERSION=<version>).
    type: path
  force:
    description:
      - Build again for every kernel, even where the version is already built, and install again where it was
        installed (or O(state=installed)). Never idempotent.
    type: bool
    default: false
  remove_other_versions:
    description:
      - After the wanted version is installed for every kernel (and only then), remove every other version of the
        module from DKMS. Only with O(state=installed).
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another run on the same host that is changing this module in DKMS (see the
        description); then the task fails naming that run's process. V(0) does not wait.
    type: int
    default: 3600
requirements:
  - dkms (2.8 or later; 3.x is what Debian 12 and 13 and Raspberry Pi OS ship)
notes:
  - C(dkms install) is always run with C(--force), so that this exact version replaces another version or a
    module of the same name shipped with the kernel (DKMS refuses a module that is "not newer" otherwise).
  - Kernels need their headers (C(/lib/modules/<release>/build)); a kernel without them fails its build and is
    reported in RV(failed_kernels).
'''

EXAMPLES = r'''
- name: Build and install hailo_pci 4.23.0 for every installed kernel
  hailo_open.hailo.dkms:
    name: hailo_pci
    version: "4.23.0"

- name: Build for a new kernel before rebooting into it
  hailo_open.hailo.dkms:
    name: hailo_pci
    version: "4.23.0"
    kernels:
      - 6.12.47+rpt-rpi-2712
    state: built

- name: Switch versions, then drop the old one
  hailo_open.hailo.dkms:
    name: hailo_pci
    version: "4.23.0"
    source_dir: /var/cache/hailo/hailort-drivers-4.23.0
    remove_other_versions: true

- name: Remove a version completely
  hailo_open.hailo.dkms:
    name: hailo_pci
    version: "4.22.0"
    state: absent
'''

RETURN = r'''
kernels:
  description:
    - Per kernel release, the state of O(name)/O(version) before and after the task.
    - States are V(absent), V(broken), V(added), V(built), V(installed) and V(installed-weak).
  returned: always
  type: dict
  sample:
    6.12.117+deb13-arm64: {before: built, after: installed, notes: []}
  contains:
    before:
      description: State before the task.
      type: str
    after:
      description: State after the task (in check mode, the expected state).
      type: str
    notes:
      description: Remarks DKMS printed in parentheses for this kernel, after the task.
      type: list
      elements: str
      sample: [Original modules exist]
commands:
  description: The dkms commands run (in check mode, that would run), in order.
  returned: always
  type: list
  elements: str
  sample: ["dkms add -m hailo_pci -v 4.23.0", "dkms build -m hailo_pci -v 4.23.0 -k 6.12.117+deb13-arm64"]
failed_kernels:
  description: Kernels whose build or install failed.
  returned: always
  type: list
  elements: str
  sample: []
failures:
  description: Per failed kernel, the failed command, its output and the end of the make log.
  returned: when a kernel failed
  type: dict
  sample:
    6.12.117+deb13-arm64:
      command: dkms build -m hailo_pci -v 4.23.0 -k 6.12.117+deb13-arm64
      output: "Error! Bad return status for module build on kernel: 6.12.117+deb13-arm64 (aarch64)"
      make_log: /var/lib/dkms/hailo_pci/4.23.0/build/make.log
      make_log_tail: "..."
removed_versions:
  description: Other versions removed because of O(remove_other_versions).
  returned: always
  type: list
  elements: str
  sample: ["4.22.0"]
lock_waited:
  description: Seconds this run waited for another run's lock (see O(lock_timeout)); V(0) in check mode.
  returned: always
  type: float
  sample: 84.5
'''

import glob
import os
import re
import shlex

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _dkms as dkms_utils
from ansible_collections.hailo_open.hailo.plugins.module_utils import _kernels as kernel_utils
from ansible_collections.hailo_open.hailo.plugins.module_utils import _locks as locks

NAME_RE = re.compile(r'^[A-Za-z0-9_.+-]+$')
LOG_LINES = 40


class Dkms(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params['name']
        self.version = self.params['version']
        self.arch = self.params['arch']
        self.binary = commands.find_tool(module, 'dkms', sbin=True, required=True)
        self.commands = []
        self.failures = {}

    def argv(self, argv):
        return [self.binary] + argv[1:]

    def status(self):
        rc, out, err = commands.run(self.module, [self.binary, 'status', '-m', self.name])
        if rc != 0:
            self.module.fail_json(msg='dkms status failed (rc %d): %s' % (rc, (err or out).strip()),
                                  commands=self.commands)
        return dkms_utils.parse_status(out)

    def dkms_major(self):
        rc, out, err = commands.run(self.module, [self.binary, '--version'])
        parsed = dkms_utils.parse_dkms_version(out + err) if rc == 0 else None
        return parsed[0] if parsed else 3

    def run(self, argv, kernel=None):
        """Run one dkms command (or only record it in check mode); return (ok, output)."""
        self.commands.append(' '.join(shlex.quote(a) for a in argv))
        if self.module.check_mode:
            return True, ''
        rc, out, err = commands.run(self.module, self.argv(argv))
        output = '\n'.join(part.strip() for part in (out, err) if part and part.strip())
        if rc == 0:
            return True, output
        if kernel is None:
            self.module.fail_json(msg='%s failed (rc %d): %s' % (self.commands[-1], rc, dkms_utils.tail(output)),
                                  commands=self.commands, changed=True)
        failure = {'command': self.commands[-1], 'rc': rc, 'output': dkms_utils.tail(output)}
        if argv[1] == 'build':
            failure.update(self.make_log(kernel))
        self.failures[kernel] = failure
        return False, output

    def make_log(self, kernel):
        """The make log of the build that just failed for ``kernel``: path and last lines."""
        for pattern in dkms_utils.make_log_paths(self.name, self.version, kernel, self.arch):
            for path in sorted(glob.glob(pattern)):
                try:
                    with open(path, errors='replace') as log:
                        text = log.read()
                except (IOError, OSError):
                    continue
                # A build that failed before make ran leaves the previous kernel's log behind: skip it.
                if dkms_utils.log_is_for_kernel(text, kernel):
                    return {'make_log': path, 'make_log_tail': dkms_utils.tail(text, LOG_LINES)}
        return {'make_log': None, 'make_log_tail': ''}


def target_kernels(module):
    requested = module.params['kernels']
    if requested:
        return list(dict.fromkeys(requested))
    return [k['release'] for k in kernel_utils.installed_kernels()]


def check_source(module, name, version, source_dir):
    conf = os.path.join(source_dir, 'dkms.conf')
    if not os.path.isfile(conf):
        module.fail_json(msg='%s/%s is not in the DKMS tree and %s does not exist: put the module source with its '
                             'dkms.conf there, or set source_dir.' % (name, version, conf))
    with open(conf, errors='replace') as handle:
        values = dkms_utils.parse_dkms_conf(handle.read())
    wrong = ['%s=%s (expected %s)' % (key, values.get(key, '<unset>'), want)
             for key, want in (('PACKAGE_NAME', name), ('PACKAGE_VERSION', version)) if values.get(key) != want]
    if wrong:
        module.fail_json(msg='%s does not describe %s/%s: %s.' % (conf, name, version, ', '.join(wrong)))


def failure_message(name, version, failures):
    parts = ['%s/%s failed for kernel(s) %s.' % (name, version, ', '.join(sorted(failures)))]
    for kernel in sorted(failures):
        failure = failures[kernel]
        parts.append('--- kernel %s: %s (rc %d)' % (kernel, failure['command'], failure['rc']))
        if failure.get('output'):
            parts.append(failure['output'])
        if failure.get('make_log'):
            parts.append('--- last %d lines of %s:' % (LOG_LINES, failure['make_log']))
            parts.append(failure['make_log_tail'])
    return '\n'.join(parts)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            version=dict(type='str', required=True),
            state=dict(type='str', default='installed', choices=list(dkms_utils.STATES)),
            kernels=dict(type='list', elements='str'),
            arch=dict(type='str'),
            source_dir=dict(type='path'),
            force=dict(type='bool', default=False),
            remove_other_versions=dict(type='bool', default=False),
            lock_timeout=dict(type='int', default=3600),
        ),
        supports_check_mode=True,
    )
    params = module.params
    name, version, state = params['name'], params['version'], params['state']
    for label, value in (('name', name), ('version', version), ('arch', params['arch'] or 'x')):
        if not NAME_RE.match(value):
            module.fail_json(msg='%s %r is not a valid DKMS %s (letters, digits and . _ + - only).'
                                 % (label, value, label))
    if params['remove_other_versions'] and state != 'installed':
        module.fail_json(msg='remove_other_versions needs state=installed (other versions are removed only once '
                             'this one is installed everywhere).')
    if params['lock_timeout'] < 0:
        module.fail_json(msg='lock_timeout must be 0 or more seconds, not %d.' % params['lock_timeout'])
    source_dir = params['source_dir'] or '/usr/src/%s-%s' % (name, version)

    dkms = Dkms(module)
    lock_waited = 0
    if not module.check_mode:
        # Held until the module exits (the descriptor stays open).
        lock = locks.lock_path('dkms-%s' % name)
        try:
            dummy, lock_waited = locks.acquire(lock, 'dkms %s %s %s' % (state, name, version), params['lock_timeout'])
        except locks.LockTimeout as exc:
            module.fail_json(msg=str(exc))
        except (IOError, OSError) as exc:
            module.fail_json(msg='Cannot take the lock %s: %s' % (lock, exc))
    entries = dkms.status()
    kernels = target_kernels(module)
    if state != 'absent' and not kernels:
        module.fail_json(msg='No installed kernel found under /lib/modules; install a kernel (and its headers) first.')
    if state == 'absent' and not params['kernels']:
        known = [e['kernel'] for e in entries if e['module'] == name and e['version'] == version and e['kernel']]
        kernels = list(dict.fromkeys(kernels + known))
    before = dict((k, dkms_utils.kernel_state(entries, name, version, k, params['arch'])) for k in kernels)
    notes = {}
    removed_versions = []

    if state == 'absent':
        commands = dkms_utils.plan_absent(entries, name, version, params['kernels'] or None, params['arch'])
        for argv in commands:
            dkms.run(argv)
        if commands and not params['kernels']:
            removed = dict((k, 'all') for k in kernels)
        else:
            removed_from = set(argv[argv.index('-k') + 1] for argv in commands)
            removed = dict((k, k in removed_from) for k in kernels)
        predicted = dict((k, dkms_utils.predicted_state(before[k], state, removed[k])) for k in kernels)
    else:
        if 'broken' in before.values():
            module.fail_json(msg='DKMS has %s/%s registered but its source is gone (dkms status says broken). Restore '
                                 '%s, or remove the version first (state=absent).' % (name, version, source_dir))
        add = dkms_utils.plan_add(entries, name, version)
        if add:
            check_source(module, name, version, source_dir)
            if os.path.realpath(source_dir) != os.path.realpath('/usr/src/%s-%s' % (name, version)):
                add = [['dkms', 'add', source_dir]]
            dkms.run(add[0])
        major = dkms.dkms_major() if params['force'] else 3
        for kernel in kernels:
            for argv in dkms_utils.plan_kernel(entries, name, version, state, kernel, params['arch'],
                                               params['force'], major):
                ok, dummy = dkms.run(argv, kernel)
                if not ok:
                    break
        predicted = dict((k, dkms_utils.predicted_state(before[k], state, None)) for k in kernels)
        if params['remove_other_versions'] and not dkms.failures:
            for argv in dkms_utils.plan_remove_others(entries, name, version):
                dkms.run(argv)
                removed_versions.append(argv[argv.index('-v') + 1])

    changed = bool(dkms.commands)
    if module.check_mode or not changed:
        after = dict((k, predicted[k] if k not in dkms.failures else before[k]) for k in kernels)
        final = entries
    else:
        final = dkms.status()
        after = dict((k, dkms_utils.kernel_state(final, name, version, k, params['arch'])) for k in kernels)
    for kernel in kernels:
        notes[kernel] = dkms_utils.kernel_notes(final, name, version, kernel)
    result = dict(
        changed=changed,
        commands=dkms.commands,
        kernels=dict((k, {'before': before[k], 'after': after[k], 'notes': notes[k]}) for k in kernels),
        failed_kernels=sorted(dkms.failures),
        removed_versions=removed_versions,
        lock_waited=lock_waited,
    )
    if dkms.failures:
        module.fail_json(msg=failure_message(name, version, dkms.failures), failures=dkms.failures, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
