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
  - Pure computation; changes nothing. The C(hailort) role runs it once on the controller.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  hosts:
    description:
      - The hosts, in play order. Each has C(name), C(target) (for example V(aarch64-trixie)), C(cores) and
        C(memory_mib).
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
    pi1: {target: aarch64-trixie, builds: true, builder: pi1, jobs: 2, jobs_reason: "2 of 4 cores: ..."}
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


def hosts_from_facts(host_facts):
    hosts = []
    for name, facts in host_facts.items():
        facts = facts or {}
        hosts.append({'name': name,
                      'target': '%s-%s' % (facts.get('architecture', 'unknown'), facts.get('distribution_release', 'unknown')),
                      'cores': facts.get('processor_nproc') or facts.get('processor_vcpus'),
                      'memory_mib': facts.get('memtotal_mb')})
    return hosts


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
        hosts = [{'name': h['name'], 'target': h['target'], 'cores': h.get('cores'), 'memory_mib': h.get('memory_mib')}
                 for h in params['hosts']]
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
            build_id = hailort_build.build_id(params['version'], params['source_sha256'], params['cmake_options'],
                                              params['prefix'], host['target'])
            builds[key] = {'builder': builders[key], 'build_id': build_id, 'target': host['target'],
                           'artifact': 'hailort-%s-%s-%s.tar.gz' % (params['version'], host['target'], build_id)}
        jobs, reason = hailort_build.build_jobs(host['cores'], host['memory_mib'], params['jobs'])
        per_host[host['name']] = dict(builds[key], key=key, builds=builds[key]['builder'] == host['name'],
                                      jobs=jobs, jobs_reason=reason)
    module.exit_json(changed=False, builds=builds, hosts=per_host, cmake_args=cmake_args)


if __name__ == '__main__':
    main()
