#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailort_build_plan
short_description: Plan HailoRT builds for a fleet - one build per target, which host builds it, with what
version_added: 1.0.0
description:
  - Decides, for a set of hosts, which host builds HailoRT for each build target (architecture and distribution
    release), the identity of each build (from the version, the source, the CMake options, the prefix and the
    target), the artifact file names, the CMake arguments, and the number of parallel jobs each host may run
    (limited by cores and by memory, so a 2 GB Raspberry Pi is not OOM-killed while compiling protobuf).
  - >-
    With O(python_binding), the target also names the Python ABI (V(aarch64-trixie-cp313)): the Python binding
    (C(hailo_platform)) is built once per target for the Python of the hosts' facts (C(ansible_facts['python']),
    the interpreter Ansible uses there, by default the system C(python3)), with HailoRT's pinned pybind11 where it
    works and the distribution's pybind11 where it does not (Python 3.12 and newer; see
    C(plugins/module_utils/_pyhailort.py)). A host whose Python has no known-good pybind11 fails the plan, naming
    that Python, before anything is built.
  - Pure computation; changes nothing. The C(hailort) role runs it once on the controller.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  hosts:
    description:
      - The hosts, in play order. Each has C(name), C(target) (for example V(aarch64-trixie)), C(cores) and
        C(memory_mib), and with O(python_binding) C(python) (V(3.13)) and C(machine) (V(aarch64)).
      - Exactly one of O(hosts) and O(host_facts) is required.
    type: list
    elements: dict
  host_facts:
    description:
      - The hosts' gathered facts by host name, in play order (C(ansible_facts) of each). The target is
        C(<architecture>-<distribution_release>), cores are C(processor_nproc), memory is C(memtotal_mb).
    type: dict
  builder:
    description:
      - A host that builds for its own target. Empty means the first host of each target builds for it.
    type: str
    default: ''
  mode:
    description:
      - V(once) builds once per target and installs the result on every host of that target.
        V(each_host) builds on every host.
    type: str
    choices: [once, each_host]
    default: once
  version:
    description: HailoRT version (major.minor.revision).
    type: str
    required: true
  source_sha256:
    description: sha256 of the prepared source.
    type: str
    required: true
  cmake_options:
    description: HailoRT CMake options by name (for example C(HAILO_BUILD_SERVICE)), as booleans.
    type: dict
    default: {}
  cmake_extra_args:
    description: More C(-D) arguments for CMake. C(CMAKE_BUILD_TYPE) cannot be changed (it must be Release).
    type: list
    elements: str
    default: []
  prefix:
    description: Installation prefix.
    type: str
    default: /usr/local
  jobs:
    description: Parallel build jobs; 0 chooses from cores and memory.
    type: int
    default: 0
  python_binding:
    description: Plan the Python binding's wheel too (see the description).
    type: bool
    default: false
  pybind11:
    description:
      - Which pybind11 builds the binding. V(auto) chooses by Python version; V(pinned) is HailoRT's own (2.10.1,
        Python 3.11 and older); V(system) is the distribution's (C(pybind11-dev)).
    type: str
    choices: [auto, pinned, system]
    default: auto
  python_interpreter:
    description: The interpreter the binding is built for and installed with, on every host.
    type: path
    default: /usr/bin/python3
'''

EXAMPLES = r'''
- name: Plan the builds
  hailo_open.hailo.hailort_build_plan:
    hosts:
      - {name: pi1, target: aarch64-trixie, cores: 4, memory_mib: 3900}
      - {name: pi2, target: aarch64-trixie, cores: 4, memory_mib: 7900}
    version: 4.23.0
    source_sha256: "{{ source_sha256 }}"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
builds:
  description: One entry per target.
  returned: success
  type: dict
  sample:
    aarch64-trixie:
      builder: pi1
      build_id: 0123456789abcdef
      artifact: hailort-4.23.0-aarch64-trixie-0123456789abcdef.tar.gz
hosts:
  description: Per host, its target, whether it builds, its builder and its parallel jobs with the reason.
  returned: success
  type: dict
  sample:
    pi1: {target: aarch64-trixie-cp313, builds: true, builder: pi1, jobs: 2, jobs_reason: "2 of 4 cores: ...",
          python_binding: {python: /usr/bin/python3, version: "3.13", pybind11: system, minimum: "2.13",
                           wheel: hailort-4.23.0-cp313-cp313-linux_aarch64.whl, offline: false},
          python_binding_reason: "Python 3.13: pybind11 system (needs pybind11 2.13 or newer ...)"}
cmake_args:
  description: Arguments for the CMake configure step.
  returned: success
  type: list
  elements: str
  sample: [-DCMAKE_BUILD_TYPE=Release, -DHAILO_BUILD_SERVICE=OFF]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build
from ansible_collections.hailo_open.hailo.plugins.module_utils import _pyhailort as pyhailort


def hosts_from_facts(host_facts):
    hosts = []
    for name, facts in host_facts.items():
        facts = facts or {}
        python = pyhailort.parse_python_version((facts.get('python') or {}).get('version'))
        hosts.append({'name': name,
                      'target': '%s-%s' % (facts.get('architecture', 'unknown'), facts.get('distribution_release', 'unknown')),
                      'cores': facts.get('processor_nproc') or facts.get('processor_vcpus'),
                      'memory_mib': facts.get('memtotal_mb'),
                      'python': '%d.%d' % python if python else None,
                      'machine': facts.get('architecture')})
    return hosts


def python_binding_plan(host, params):
    """The binding's build for a host: which pybind11, the wheel's name; ValueError for an unknown Python."""
    version = pyhailort.parse_python_version(host.get('python'))
    try:
        choice = pyhailort.choose_pybind11(version, params['pybind11'])
    except ValueError as exc:
        raise ValueError('%s: %s' % (host['name'], exc))
    binding = {'python': params['python_interpreter'], 'version': choice['python'], 'pybind11': choice['pybind11'],
               'minimum': choice['minimum'],
               'wheel': pyhailort.wheel_name(params['version'], choice['tag'], host.get('machine') or 'unknown'),
               'offline': bool((params['cmake_options'] or {}).get('HAILO_OFFLINE_COMPILATION'))}
    return binding, choice


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type='list', elements='dict'),
            host_facts=dict(type='dict'),
            builder=dict(type='str', default=''),
            mode=dict(type='str', choices=['once', 'each_host'], default='once'),
            version=dict(type='str', required=True),
            source_sha256=dict(type='str', required=True),
            cmake_options=dict(type='dict', default={}),
            cmake_extra_args=dict(type='list', elements='str', default=[]),
            prefix=dict(type='str', default='/usr/local'),
            jobs=dict(type='int', default=0),
            python_binding=dict(type='bool', default=False),
            pybind11=dict(type='str', choices=list(pyhailort.CHOICES), default='auto'),
            python_interpreter=dict(type='path', default='/usr/bin/python3'),
        ),
        required_one_of=[('hosts', 'host_facts')],
        mutually_exclusive=[('hosts', 'host_facts')],
        supports_check_mode=True,
    )
    params = module.params
    if params['host_facts'] is not None:
        params['hosts'] = hosts_from_facts(params['host_facts'])
    bad_version = commands.release_error('version', params['version'])
    if bad_version:
        module.fail_json(msg=bad_version)
    try:
        cmake_args = hailort_build.cmake_arguments(params['cmake_options'], params['cmake_extra_args'])
        hosts = [{'name': h['name'], 'target': h['target'], 'cores': h.get('cores'), 'memory_mib': h.get('memory_mib'),
                  'python': h.get('python'), 'machine': h.get('machine')} for h in params['hosts']]
        bindings = {}
        if params['python_binding']:
            for host in hosts:
                bindings[host['name']], choice = python_binding_plan(host, params)
                host['target'] += '-' + choice['tag']
                host['python_reason'] = 'Python %s: pybind11 %s (%s)' % (
                    choice['python'], choice['pybind11'], choice['reason'])
        if params['mode'] == 'each_host':
            builders = dict((h['name'], h['name']) for h in hosts)
        else:
            builders = hailort_build.choose_builders(hosts, params['builder'] or None)
    except (ValueError, KeyError) as exc:
        module.fail_json(msg=str(exc))
    builds = {}
    per_host = {}
    for host in hosts:
        key = host['name'] if params['mode'] == 'each_host' else host['target']
        if key not in builds:
            options = dict(params['cmake_options'])
            if host['name'] in bindings:
                options['python_binding'] = dict((key, bindings[host['name']][key])
                                                 for key in ('python', 'version', 'pybind11', 'minimum'))
            build_id = hailort_build.build_id(params['version'], params['source_sha256'], options,
                                              params['prefix'], host['target'])
            builds[key] = {'builder': builders[key], 'build_id': build_id, 'target': host['target'],
                           'artifact': 'hailort-%s-%s-%s.tar.gz' % (params['version'], host['target'], build_id)}
        jobs, reason = hailort_build.build_jobs(host['cores'], host['memory_mib'], params['jobs'])
        per_host[host['name']] = dict(builds[key], key=key, builds=builds[key]['builder'] == host['name'],
                                      jobs=jobs, jobs_reason=reason, python_binding=bindings.get(host['name']),
                                      python_binding_reason=host.get('python_reason'))
    module.exit_json(changed=False, builds=builds, hosts=per_host, cmake_args=cmake_args)


if __name__ == '__main__':
    main()
