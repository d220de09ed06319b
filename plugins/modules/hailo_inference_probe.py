#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailo_inference_probe
short_description: Check that the inference service on a host is ready and answers a known image as expected
version_added: 1.0.0
description:
  - Asks the service that the C(hailo_open.hailo.inference) role deployed for its state (C(/v1/status)), waiting
    up to O(wait_timeout) seconds for every model to be ready, then sends O(check_image) to a classification
    model O(requests) times and reports the top class and the latency percentiles.
  - The result is a finding, not a failure (RV(state)); M(hailo_open.hailo.hailo_validation) judges it and the
    fleet report shows it. The module fails only for bad arguments or an unreadable image or token file.
  - It changes nothing on the host but its O(state_file), a record of the last check (not in check mode).
author:
  - hailo_open.hailo contributors (@hailo-open)
extends_documentation_fragment:
  - hailo_open.hailo._attributes.read_only
options:
  url:
    description: The service's base URL, as the host itself reaches it.
    type: str
    default: http://127.0.0.1:8000
  token_file:
    description: File holding the bearer token (read on the host); the token is sent, never returned.
    type: path
  wait_timeout:
    description: Seconds to wait for the service to answer and be ready.
    type: int
    default: 60
  check_image:
    description: A JPEG or PNG on the host to classify; without it only the state is checked.
    type: path
  check_model:
    description: The model to classify O(check_image) with; by default the first ready classification model.
    type: str
  expect:
    description: The label the check image must get as top class; empty accepts any well-formed answer.
    type: str
    default: ""
  requests:
    description: How many times to send the check image (the latency percentiles come from these).
    type: int
    default: 20
  state_file:
    description:
      - A file on the host where the check's answer and latencies are kept, with what they were measured with
        (O(url), O(check_model), O(expect), O(requests), the image's sha256 and O(fingerprint)).
      - While the service is ready and that record is at most O(max_age) seconds old, the check is not sent again -
        a re-run with nothing changed reports the same figures (and the fleet report does not change). The
        service's state is always asked live.
    type: path
  max_age:
    description: Seconds a recorded check stays valid; V(0) always sends the check again.
    type: int
    default: 0
  fingerprint:
    description: What else the check depends on (the role passes the service's version and its configuration's
      checksum), so that a changed service is measured again.
    type: str
    default: ""
seealso:
  - module: hailo_open.hailo.hailo_inference_plan
  - module: hailo_open.hailo.hailo_validation
'''

EXAMPLES = r'''
- name: Check the inference service
  hailo_open.hailo.hailo_inference_probe:
    check_image: /var/cache/hailo_open.hailo/inference/check.png
    expect: red
  register: inference_probe
'''

RETURN = r'''
state:
  description: V(ready), V(not_ready) (a model is not ready), V(down) (no answer), V(wrong_answer) (the check
    image got another label than O(expect)) or V(errors) (some check requests failed).
  returned: always
  type: str
  sample: ready
ready:
  description: Whether the service said every model is ready.
  returned: always
  type: bool
reason:
  description: Why the state is not V(ready).
  returned: always
  type: str
models:
  description: Each model's state as the service reports it (state, reason, backend, task, batch_size, fps).
  returned: always
  type: dict
check:
  description: The check image's answer (model, label, score, expected, passed), or null when none was sent.
  returned: always
  type: dict
latency_ms:
  description: Percentiles of the check requests' durations (p50, p90, max) in milliseconds.
  returned: always
  type: dict
  sample: {p50: 4.1, p90: 5.3, max: 7.9}
requests:
  description: Check requests sent.
  returned: always
  type: int
errors:
  description: Check requests that failed.
  returned: always
  type: int
reused:
  description: Whether the check's answer and latencies came from O(state_file) instead of new requests.
  returned: always
  type: bool
'''

import hashlib
import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible_collections.hailo_open.hailo.plugins.module_utils import _inference_probe as probe
from ansible_collections.hailo_open.hailo.plugins.module_utils import _measurements as measurements


def _call(url, headers, data=None, timeout=30):
    """``(status, decoded JSON or None)``; HTTP errors are answers, connection errors raise URLError."""
    try:
        response = open_url(url, data=data, headers=headers, method='POST' if data is not None else 'GET',
                            timeout=timeout)
        return response.getcode(), json.loads(response.read() or b'null')
    except HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b'null')
        except ValueError:
            return exc.code, None


def _check(base, model, headers, image, requests, reason):
    """Send the check image ``requests`` times: ``(check, latencies, errors, reason)``."""
    check, latencies, errors = None, [], 0
    headers = dict(headers, **{'Content-Type': 'application/octet-stream'})
    for dummy in range(requests):
        start = time.time()
        try:
            code, answer = _call('%s/v1/models/%s/classify' % (base, model), headers, data=image)
        except (URLError, OSError, ValueError) as exc:
            code, answer = None, {'error': str(exc)}
        if code == 200 and (answer or {}).get('classes'):
            latencies.append(time.time() - start)
            if check is None:
                best = answer['classes'][0]
                check = {'model': model, 'label': best.get('label'), 'score': best.get('score')}
        else:
            errors += 1
            reason = (answer or {}).get('error') or 'HTTP %s' % code
    return check, latencies, errors, reason


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type='str', default='http://127.0.0.1:8000'),
            token_file=dict(type='path'),
            wait_timeout=dict(type='int', default=60),
            check_image=dict(type='path'),
            check_model=dict(type='str'),
            expect=dict(type='str', default=''),
            requests=dict(type='int', default=20),
            state_file=dict(type='path'),
            max_age=dict(type='int', default=0),
            fingerprint=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['requests'] < 1 or params['wait_timeout'] < 0:
        module.fail_json(msg='requests must be 1 or more and wait_timeout 0 or more.')
    headers = {}
    if params['token_file']:
        try:
            with open(params['token_file']) as handle:
                headers['Authorization'] = 'Bearer ' + handle.read().strip()
        except (IOError, OSError) as exc:
            module.fail_json(msg='Cannot read the token file %s: %s' % (params['token_file'], exc))
    image = None
    if params['check_image']:
        try:
            with open(params['check_image'], 'rb') as handle:
                image = handle.read()
        except (IOError, OSError) as exc:
            module.fail_json(msg='Cannot read the check image %s: %s' % (params['check_image'], exc))
    base = params['url'].rstrip('/')
    deadline = time.time() + params['wait_timeout']
    status, reason = None, None
    while True:
        try:
            code, answer = _call(base + '/v1/status', headers, timeout=10)
            if code == 200:
                status, reason = answer, None
                if answer.get('ready'):
                    break
            else:
                status, reason = None, (answer or {}).get('error') or 'HTTP %d' % code
                if code == 401:
                    break
        except (URLError, OSError, ValueError) as exc:
            status, reason = None, 'no answer from %s: %s' % (base, getattr(exc, 'reason', exc))
        if time.time() >= deadline:
            break
        time.sleep(1)
    check, latencies, errors, reused = None, [], 0, False
    if status is not None and status.get('ready') and image is not None:
        try:
            model = probe.pick_check_model(status, params['check_model'])
        except ValueError as exc:
            module.fail_json(msg=str(exc))
        wanted = measurements.key({'url': base, 'model': model, 'expect': params['expect'],
                                   'requests': params['requests'], 'fingerprint': params['fingerprint'],
                                   'image': hashlib.sha256(image).hexdigest()})
        kept = measurements.recorded(params['state_file'], params['max_age'], wanted, time.time())
        if kept:
            check, latencies, reused = kept['check'], kept['latencies'], True
        elif model:
            check, latencies, errors, reason = _check(base, model, headers, image, params['requests'], reason)
            if params['state_file'] and check is not None and not errors and not module.check_mode:
                measurements.record(params['state_file'], wanted, {'check': check, 'latencies': latencies},
                                    ('check', 'latencies'), time.time())
    result = probe.judge(status, check, params['expect'], latencies, errors, reason)
    module.exit_json(changed=False, reused=reused, **result)


if __name__ == '__main__':
    main()
