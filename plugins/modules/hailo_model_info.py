#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_model_info
short_description: Pick the Model Zoo HEF and the FPS threshold of a reference model for a Hailo-8 or Hailo-8L
version_added: 1.0.0
description:
  - Looks up, without touching the host, which compiled Hailo Model Zoo HEF fits a device and what FPS a healthy
    node should reach with it, so that a playbook chooses the HEF by the architecture that
    M(hailo_open.hailo.hailortcli_scan) identified instead of with Jinja logic.
  - The Model Zoo release comes from the HailoRT version (4.23 -> v2.17.0, 4.22 -> v2.16.0, 4.21 -> v2.15.0,
    4.20 -> v2.14.0; revisions of one major.minor share it). A Hailo-8 HEF does not load on a Hailo-8L, and a
    Hailo-8L HEF runs on a Hailo-8 at Hailo-8L speed, so the architecture must be the identified one.
  - Reference models (V(resnet_v1_50), V(mobilenet_v2_1.0), V(yolov8s), V(yolov8n)) carry Model Zoo v2.17's
    published batch-1 FPS; their threshold is O(threshold_fraction) of it, to compare with the HW-only FPS that
    M(hailo_open.hailo.hailo_benchmark) measures. Any other Model Zoo network name gets its HEF URL only.
  - RV(link_limited) tells, per PCIe generation, whether the published FPS needs more bandwidth than the link
    carries (input frames only; Gen1 x1 ~250 MB/s, Gen2 x1 ~500 MB/s, Gen3 x1 ~985 MB/s). On a link-limited model
    the threshold measures the link, not the accelerator; V(resnet_v1_50) fits every Raspberry Pi 5 link.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  model:
    description:
      - Model Zoo network name.
    type: str
    default: resnet_v1_50
  architecture:
    description:
      - Device architecture as C(hailortcli fw-control identify) prints it (V(HAILO8), V(HAILO8L)), or the Model
        Zoo directory name (V(hailo8), V(hailo8l)).
      - Hailo-10 and Hailo-15 architectures are refused; they need the HailoRT 5.x line.
    type: str
    required: true
  hailo_version:
    description:
      - HailoRT version the node runs, for example V(4.23.0).
    type: str
    required: true
  threshold_fraction:
    description:
      - Fraction of the published FPS below which a node fails its benchmark, above 0 and at most 1.
      - The default 0.8 keeps a 20 % margin for run-to-run noise and the single-lane host while still catching
        a HEF of the other architecture, a shared or throttled device.
    type: float
    default: 0.8
  lanes:
    description:
      - Number of PCIe lanes of the link for RV(link_limited) and RV(link_budget). A Raspberry Pi 5 has one.
    type: int
    default: 1
  model_zoo_url:
    description:
      - Base URL of the Model Zoo's compiled HEFs (the directory holding one folder per Model Zoo version), or of a
        mirror with the same layout.
    type: str
    default: https://hailo-model-zoo.s3.eu-west-2.amazonaws.com/ModelZoo/Compiled
seealso:
  - module: hailo_open.hailo.hailortcli_scan
  - module: hailo_open.hailo.hailo_benchmark
'''

EXAMPLES = r'''
- name: Identify the device
  hailo_open.hailo.hailortcli_scan:
  register: hailo_scan

- name: Pick the reference HEF for the identified architecture
  hailo_open.hailo.hailo_model_info:
    model: resnet_v1_50
    architecture: "{{ hailo_scan.devices[0].architecture }}"
    hailo_version: "{{ hailo_version }}"
  register: hailo_model

- name: Download the HEF
  ansible.builtin.get_url:
    url: "{{ hailo_model.hef_url }}"
    dest: "/var/lib/hailo/{{ hailo_model.hef_file }}"
    mode: "0644"

- name: Benchmark against the model's threshold
  hailo_open.hailo.hailo_benchmark:
    hef: "/var/lib/hailo/{{ hailo_model.hef_file }}"
    min_fps: "{{ hailo_model.threshold }}"
'''

RETURN = r'''
model:
  description: The network name.
  returned: always
  type: str
  sample: resnet_v1_50
architecture:
  description: Model Zoo directory name of the architecture.
  returned: success
  type: str
  sample: hailo8l
model_zoo_version:
  description: Model Zoo release paired with O(hailo_version).
  returned: success
  type: str
  sample: v2.17.0
hef_url:
  description: URL of the compiled HEF.
  returned: success
  type: str
  sample: https://hailo-model-zoo.s3.eu-west-2.amazonaws.com/ModelZoo/Compiled/v2.17.0/hailo8l/resnet_v1_50.hef
hef_file:
  description: File name of the HEF.
  returned: success
  type: str
  sample: resnet_v1_50.hef
reference_model:
  description: Whether the model is one of the reference models with a published FPS.
  returned: success
  type: bool
published_fps:
  description: Model Zoo v2.17's batch-1 FPS for the architecture; null for a model that is not a reference model.
  returned: success
  type: float
  sample: 138
threshold:
  description: O(threshold_fraction) of RV(published_fps), rounded to 0.1 FPS; null when RV(published_fps) is.
  returned: success
  type: float
  sample: 110.4
threshold_fraction:
  description: The fraction used.
  returned: success
  type: float
  sample: 0.8
fps_metric:
  description: The benchmark figure the threshold is meant for (the published figures are HW-only ones).
  returned: success
  type: str
  sample: hw_only
link_limited:
  description: Per PCIe generation (C(gen1), C(gen2), C(gen3)), whether the published FPS needs more than the link
    carries; empty for a model that is not a reference model.
  returned: success
  type: dict
  sample: {gen1: false, gen2: true, gen3: false}
link_budget:
  description: Per PCIe generation, the arithmetic behind RV(link_limited).
  returned: success
  type: dict
  sample:
    gen2: {pcie_gen: 2, lanes: 1, link_mb_s: 500, bytes_per_frame: 1228800, required_mb_s: 603.3, max_fps: 406,
           limited: true}
note:
  description: A remark on the model's published figures, or null.
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_models as hailo_models


def describe(params):
    model = params['model']
    arch = hailo_models.architecture_key(params['architecture'])
    fraction = params['threshold_fraction']
    if not 0 < fraction <= 1:
        raise ValueError('threshold_fraction must be above 0 and at most 1, not %s.' % fraction)
    result = {
        'model': model,
        'architecture': arch,
        'model_zoo_version': hailo_models.model_zoo_version(params['hailo_version']),
        'hef_url': hailo_models.hef_url(model, arch, params['hailo_version'], params['model_zoo_url']),
        'hef_file': hailo_models.hef_file_name(model),
        'reference_model': model in hailo_models.REFERENCE_MODELS,
        'published_fps': None,
        'threshold': None,
        'threshold_fraction': fraction,
        'fps_metric': 'hw_only',
        'link_limited': {},
        'link_budget': {},
        'note': None,
    }
    if result['reference_model']:
        result['published_fps'] = hailo_models.published_fps(model, arch)
        result['threshold'] = hailo_models.threshold_fps(model, arch, fraction)
        result['note'] = hailo_models.REFERENCE_MODELS[model]['note']
        for gen in sorted(hailo_models.LANE_MB_PER_S):
            budget = hailo_models.link_budget(model, arch, gen, params['lanes'])
            result['link_budget']['gen%d' % gen] = budget
            result['link_limited']['gen%d' % gen] = budget['limited']
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type='str', default=hailo_models.DEFAULT_MODEL),
            architecture=dict(type='str', required=True),
            hailo_version=dict(type='str', required=True),
            threshold_fraction=dict(type='float', default=hailo_models.DEFAULT_THRESHOLD_FRACTION),
            lanes=dict(type='int', default=1),
            model_zoo_url=dict(type='str', default=hailo_models.MODEL_ZOO_BASE_URL),
        ),
        supports_check_mode=True,
    )
    try:
        result = describe(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc), model=module.params['model'])
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
