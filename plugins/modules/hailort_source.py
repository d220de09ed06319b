#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailort_source
short_description: Check a HailoRT source tree before building it
version_added: 1.0.0
description:
  - Reads the version of a HailoRT source tree (C(hailort/libhailort/CMakeLists.txt)) and fails, naming both
    versions, when it is not O(expected_version).
  - With O(offline=true), checks that C(hailort/external) holds the C(<name>-src) trees HailoRT's CMake would
    otherwise clone at configure time, and fails with the recipe for an offline bundle when it does not.
  - Read-only.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  path:
    description: The source tree (the directory holding C(hailort/)).
    type: path
    required: true
  expected_version:
    description: The HailoRT version the tree must be (major.minor.revision).
    type: str
    required: true
  offline:
    description: The build will run with C(HAILO_OFFLINE_COMPILATION=ON).
    type: bool
    default: false
  service:
    description: The build includes C(hailort_service) (which needs the gRPC external as well).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Check the source before configuring it
  hailo_open.hailo.hailort_source:
    path: /var/cache/hailo_open.hailo/hailort-src
    expected_version: 4.23.0
    offline: true
'''

RETURN = r'''
version:
  description: The version the tree states.
  returned: success
  type: str
  sample: 4.23.0
missing_externals:
  description: The C(hailort/external/<name>-src) trees an offline build would lack (empty when complete).
  returned: success
  type: list
  elements: str
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            expected_version=dict(type='str', required=True),
            offline=dict(type='bool', default=False),
            service=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        version = hailort_build.check_source(params['path'], params['expected_version'], params['offline'],
                                             params['service'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, version=version,
                     missing_externals=hailort_build.missing_externals(params['path'], params['service']))


if __name__ == '__main__':
    main()
