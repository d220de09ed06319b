#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_inference_plan
short_description: Plan the models, files, packages and configuration of the inference service on a host
version_added: 1.0.0
description:
  - Decides, without touching the host, what the C(hailo_open.hailo.inference) role installs for the service in
    C(apps/hailo-inference) - the model files each model needs (by URL, fetched once on the controller, or by a
    path on the controller), the Debian packages, the V4L2 devices the service may open, and the service's JSON
    configuration.
  - URLs may use the placeholders C({zoo}) (O(model_zoo_url)), C({mz_version}) (the Model Zoo release paired
    with O(hailo_version)) and C({arch}) (V(hailo8) or V(hailo8l), from O(architecture)), so that one model list
    serves a fleet of Hailo-8 and Hailo-8L nodes.
  - Every mistake in O(models) fails with the entry and key at fault.
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  models:
    description:
      - The models to serve, as the role's C(inference_models) describes them (roles/inference/README.md).
      - Each has C(name), C(task) (V(classification) or V(detection)), optionally C(backend), the model file as
        C(hef_url)/C(hef_path) and C(onnx_url)/C(onnx_path) (with C(onnx_member) inside a zip archive), labels as
        C(labels) (built in, V(builtin:coco)) or C(labels_url)/C(labels_path), C(checksums) (sha256 per C(hef),
        C(onnx), C(labels)), and the service's C(batch_size), C(max_batch_wait_ms), C(preprocess),
        C(onnx_preprocess), C(postprocess) and C(camera) settings.
    type: list
    elements: dict
    required: true
  backend:
    description: The backend of the models that do not name one.
    type: str
    choices: [hailo, onnx]
    default: hailo
  architecture:
    description:
      - The identified device architecture (V(HAILO8), V(HAILO8L), V(hailo8), V(hailo8l)); needed only by URLs
        that use C({arch}).
    type: str
  hailo_version:
    description: The HailoRT version, for C({mz_version}).
    type: str
  model_zoo_url:
    description: The Model Zoo's base URL (or a mirror with its layout), for C({zoo}).
    type: str
    default: https://hailo-model-zoo.s3.eu-west-2.amazonaws.com
  model_dir:
    description: Where the model files go on the host (one directory per model).
    type: path
    default: /var/lib/hailo_open/models
  listen_host:
    description:
      - The IP address the service listens on. Anything but a loopback address requires a bearer token.
    type: str
    default: 127.0.0.1
  port:
    description: The TCP port the service listens on.
    type: int
    default: 8000
  max_body_bytes:
    description: The largest request body the service accepts (a larger one gets HTTP 413).
    type: int
    default: 16777216
  token:
    description: Require a bearer token even on a loopback address.
    type: bool
    default: false
  access_log:
    description:
      - Log one line per request (the service's journal). Off by default; the C(/metrics) endpoint counts requests.
    type: bool
    default: false
  compare:
    description: Plan the comparison of each hailo model with its ONNX reference (needs C(onnx_url) or C(onnx_path)).
    type: bool
    default: false
seealso:
  - module: hailo_open.hailo.hailo_inference_probe
'''

EXAMPLES = r'''
- name: Plan the service for this host's device
  hailo_open.hailo.hailo_inference_plan:
    models:
      - name: resnet_v1_50
        task: classification
        hef_url: "{zoo}/ModelZoo/Compiled/{mz_version}/{arch}/resnet_v1_50.hef"
    architecture: HAILO8L
    hailo_version: 4.23.0
  register: inference_plan
'''

RETURN = r'''
models:
  description: The model names, in order.
  returned: success
  type: list
  elements: str
  sample: [resnet_v1_50, yolov8n]
files:
  description:
    - The model and label files to copy to the host. C(dest) is the path on the host; the source is C(path) on
      the controller, or C(cache), relative to the controller's cache, for a download (or a member extracted from
      a downloaded archive).
  returned: success
  type: list
  elements: dict
  sample:
    - {dest: /var/lib/hailo_open/models/resnet_v1_50/resnet_v1_50.hef, path: null, kind: hef,
       cache: inference/6f1c0e5b3a2d/resnet_v1_50.hef}
downloads:
  description: The URLs to fetch on the controller, each once, with C(cache) (relative path) and C(sha256) (or null).
  returned: success
  type: list
  elements: dict
extractions:
  description: Members to extract from downloaded archives (C(archive), C(member), C(extracted), relative paths).
  returned: success
  type: list
  elements: dict
packages:
  description: The Debian packages the service needs on this host.
  returned: success
  type: list
  elements: str
  sample: [python3-venv, python3-numpy, python3-aiohttp, python3-pil, python3-prometheus-client]
devices:
  description: The V4L2 devices the service may open (its systemd unit allows only these and C(/dev/hailoN)).
  returned: success
  type: list
  elements: str
  sample: [/dev/video0]
config:
  description: The service's configuration (the role writes it as JSON).
  returned: success
  type: dict
token:
  description: Whether the service requires a bearer token.
  returned: success
  type: bool
compare:
  description: The models to compare with their ONNX reference.
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _inference as inference


def main():
    module = AnsibleModule(
        argument_spec=dict(
            models=dict(type='list', elements='dict', required=True),
            backend=dict(type='str', choices=list(inference.BACKENDS), default='hailo'),
            architecture=dict(type='str'),
            hailo_version=dict(type='str'),
            model_zoo_url=dict(type='str', default=inference.MODEL_ZOO_ROOT),
            model_dir=dict(type='path', default='/var/lib/hailo_open/models'),
            listen_host=dict(type='str', default='127.0.0.1'),
            port=dict(type='int', default=8000),
            max_body_bytes=dict(type='int', default=16777216),
            token=dict(type='bool', default=False),
            compare=dict(type='bool', default=False),
            access_log=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = inference.plan(params['models'], params['backend'], params['architecture'],
                                params['hailo_version'], params['model_zoo_url'], params['model_dir'],
                                params['listen_host'], params['port'], params['max_body_bytes'], params['token'],
                                params['compare'], params['access_log'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
