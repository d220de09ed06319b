# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hailo_inference_plan: arguments in, the plan or a clear failure out."""

from __future__ import annotations

from ansible_collections.hailo_open.hailo.plugins.modules import hailo_inference_plan
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

MODEL = {'name': 'resnet_v1_50', 'task': 'classification',
         'hef_url': '{zoo}/ModelZoo/Compiled/{mz_version}/{arch}/resnet_v1_50.hef'}


def test_plan_in_check_mode():
    result = run_module(hailo_inference_plan.main, {'models': [MODEL], 'architecture': 'HAILO8',
                                                    'hailo_version': '4.23.0'}, check_mode=True)
    assert result['failed'] is False and result['changed'] is False
    assert result['downloads'][0]['url'] == ('https://hailo-model-zoo.s3.eu-west-2.amazonaws.com/ModelZoo/Compiled/'
                                             'v2.17.0/hailo8/resnet_v1_50.hef')
    assert result['config']['models'][0]['hef'] == '/var/lib/hailo_open/models/resnet_v1_50/resnet_v1_50.hef'
    assert result['config']['server']['access_log'] is False


def test_plan_passes_the_access_log_switch():
    result = run_module(hailo_inference_plan.main, {'models': [MODEL], 'architecture': 'HAILO8',
                                                    'hailo_version': '4.23.0', 'access_log': True})
    assert result['config']['server']['access_log'] is True


def test_plan_failure_names_the_entry():
    result = run_module(hailo_inference_plan.main, {'models': [MODEL], 'hailo_version': '4.23.0'})
    assert result['failed'] is True
    assert result['msg'].startswith('inference_models[0] (resnet_v1_50).hef_url: ')
    assert 'no Hailo device was identified on this host' in result['msg']


def test_plan_rejects_bad_choices():
    result = run_module(hailo_inference_plan.main, {'models': [MODEL], 'backend': 'tpu'})
    assert result['failed'] is True and 'value of backend must be one of: hailo, onnx' in result['msg']
