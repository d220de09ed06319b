# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reference-model table and its helpers, and the hailo_model_info module built on them."""

from __future__ import annotations

import json

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_models as hailo_models
from ansible_collections.hailo_open.hailo.plugins.modules import hailo_model_info
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

BASE = 'https://hailo-model-zoo.s3.eu-west-2.amazonaws.com/ModelZoo/Compiled'


@pytest.mark.parametrize('hailort, model_zoo', [
    ('4.23.0', 'v2.17.0'), ('4.22.0', 'v2.16.0'), ('4.21.0', 'v2.15.0'), ('4.20.0', 'v2.14.0'),
    ('4.20.1', 'v2.14.0'), ('v4.23.0', 'v2.17.0'), ('4.23', 'v2.17.0'),
])
def test_model_zoo_version(hailort, model_zoo):
    assert hailo_models.model_zoo_version(hailort) == model_zoo


@pytest.mark.parametrize('hailort', ['4.19.0', '5.1.0', 'latest', '', None, '4.23.0-rc1'])
def test_model_zoo_version_unknown(hailort):
    with pytest.raises(ValueError) as caught:
        hailo_models.model_zoo_version(hailort)
    assert 'No Model Zoo release is known for HailoRT %s' % hailort in str(caught.value)
    assert '4.23.x -> v2.17.0, 4.22.x -> v2.16.0, 4.21.x -> v2.15.0, 4.20.x -> v2.14.0' in str(caught.value)


@pytest.mark.parametrize('identified, key', [
    ('HAILO8', 'hailo8'), ('HAILO8L', 'hailo8l'), ('hailo8l', 'hailo8l'), (' HAILO8 ', 'hailo8')])
def test_architecture_key(identified, key):
    assert hailo_models.architecture_key(identified) == key


@pytest.mark.parametrize('identified', ['HAILO10H', 'HAILO15H', 'HAILO15L'])
def test_architecture_key_other_line(identified):
    with pytest.raises(ValueError) as caught:
        hailo_models.architecture_key(identified)
    assert 'HailoRT 5.x line' in str(caught.value) and identified in str(caught.value)


def test_architecture_key_missing_or_unknown():
    with pytest.raises(ValueError) as caught:
        hailo_models.architecture_key(None)
    assert 'did not describe the device' in str(caught.value)
    with pytest.raises(ValueError) as caught:
        hailo_models.architecture_key('HAILO7')
    assert "Unknown device architecture 'HAILO7'" in str(caught.value)


def test_hef_url():
    assert hailo_models.hef_url('resnet_v1_50', 'HAILO8L', '4.23.0') == \
        BASE + '/v2.17.0/hailo8l/resnet_v1_50.hef'
    assert hailo_models.hef_url('yolov8s', 'hailo8', '4.20.0') == BASE + '/v2.14.0/hailo8/yolov8s.hef'
    assert hailo_models.hef_url('mobilenet_v2_1.0', 'HAILO8', '4.22.0') == \
        BASE + '/v2.16.0/hailo8/mobilenet_v2_1.0.hef'
    # Any Model Zoo network name works for the URL.
    assert hailo_models.hef_url('yolov5m_wo_spp', 'HAILO8', '4.21.0') == BASE + '/v2.15.0/hailo8/yolov5m_wo_spp.hef'


@pytest.mark.parametrize('name', ['../etc/passwd', 'a/b', '', None, 'x..y', 'name with space'])
def test_hef_url_refuses_bad_names(name):
    with pytest.raises(ValueError):
        hailo_models.hef_url(name, 'HAILO8', '4.23.0')


def test_published_table():
    assert {name: model['published_fps'] for name, model in hailo_models.REFERENCE_MODELS.items()} == {
        'resnet_v1_50': {'hailo8': 1372, 'hailo8l': 138},
        'mobilenet_v2_1.0': {'hailo8': 2597, 'hailo8l': 1738},
        'yolov8s': {'hailo8': 491, 'hailo8l': 110},
        'yolov8n': {'hailo8': 1036, 'hailo8l': 202},
    }
    assert hailo_models.DEFAULT_MODEL in hailo_models.REFERENCE_MODELS


def test_threshold_fps():
    assert hailo_models.threshold_fps('resnet_v1_50', 'HAILO8') == 1097.6
    assert hailo_models.threshold_fps('resnet_v1_50', 'hailo8l') == 110.4
    assert hailo_models.threshold_fps('yolov8s', 'HAILO8', 0.5) == 245.5
    assert hailo_models.threshold_fps('yolov8n', 'HAILO8L', 1) == 202


@pytest.mark.parametrize('fraction', [0, -0.1, 1.2, True, '0.8'])
def test_threshold_fraction_checked(fraction):
    with pytest.raises(ValueError) as caught:
        hailo_models.threshold_fps('resnet_v1_50', 'HAILO8', fraction)
    assert 'above 0 and at most 1' in str(caught.value)


def test_threshold_unknown_model():
    with pytest.raises(ValueError) as caught:
        hailo_models.threshold_fps('yolov5m', 'HAILO8')
    assert "'yolov5m' is not a reference model" in str(caught.value)


def test_link_arithmetic_matches_the_platform_notes():
    # resnet_v1_50 on a Hailo-8: ~207 MB/s, fits every link.
    budget = hailo_models.link_budget('resnet_v1_50', 'HAILO8', 2)
    assert budget['bytes_per_frame'] == 150528 and budget['required_mb_s'] == 206.5 and budget['limited'] is False
    assert not any(hailo_models.link_limited('resnet_v1_50', 'HAILO8', gen) for gen in (1, 2, 3))
    # yolov8s on a Hailo-8: ~603 MB/s, Gen3 only.
    assert hailo_models.link_budget('yolov8s', 'HAILO8', 3)['required_mb_s'] == 603.3
    assert hailo_models.link_limited('yolov8s', 'HAILO8', 2) is True
    assert hailo_models.link_limited('yolov8s', 'HAILO8', 3) is False
    # yolov8n on a Hailo-8 exceeds even Gen3 x1, but not two lanes.
    assert hailo_models.link_limited('yolov8n', 'HAILO8', 3) is True
    assert hailo_models.link_limited('yolov8n', 'HAILO8', 3, lanes=2) is False
    # The Hailo-8L figures fit Gen2 for yolov8s.
    assert hailo_models.link_limited('yolov8s', 'HAILO8L', 2) is False


def test_link_budget_max_fps():
    assert hailo_models.link_budget('yolov8s', 'HAILO8', 2)['max_fps'] == 406
    assert hailo_models.link_budget('yolov8s', 'HAILO8', 3)['max_fps'] == 801


def test_link_budget_bad_link():
    with pytest.raises(ValueError) as caught:
        hailo_models.link_budget('yolov8s', 'HAILO8', 4)
    assert 'Unknown PCIe generation 4' in str(caught.value)
    with pytest.raises(ValueError):
        hailo_models.link_budget('yolov8s', 'HAILO8', 3, lanes=0)


# --- hailo_model_info ---------------------------------------------------------------------------------------------

def run(args):
    return run_module(hailo_model_info.main, args)


def test_model_info_for_identified_hailo8l():
    result = run({'architecture': 'HAILO8L', 'hailo_version': '4.23.0'})
    assert result['failed'] is False and result['changed'] is False
    assert result['model'] == 'resnet_v1_50' and result['architecture'] == 'hailo8l'
    assert result['model_zoo_version'] == 'v2.17.0'
    assert result['hef_url'] == BASE + '/v2.17.0/hailo8l/resnet_v1_50.hef'
    assert result['hef_file'] == 'resnet_v1_50.hef'
    assert (result['published_fps'], result['threshold'], result['threshold_fraction']) == (138, 110.4, 0.8)
    assert result['fps_metric'] == 'hw_only' and result['reference_model'] is True
    assert result['link_limited'] == {'gen1': False, 'gen2': False, 'gen3': False}
    assert result['note'] == 'Hailo-8L reaches 503 FPS at batch size 8.'
    json.dumps(result)


def test_model_info_link_limited_per_generation():
    result = run({'model': 'yolov8s', 'architecture': 'HAILO8', 'hailo_version': '4.22.0',
                  'threshold_fraction': 0.5})
    assert result['link_limited'] == {'gen1': True, 'gen2': True, 'gen3': False}
    assert result['link_budget']['gen2']['required_mb_s'] == 603.3 and result['threshold'] == 245.5
    assert result['hef_url'].endswith('/v2.16.0/hailo8/yolov8s.hef')


def test_model_info_other_network_has_url_only():
    result = run({'model': 'yolov5m_wo_spp', 'architecture': 'HAILO8', 'hailo_version': '4.23.0'})
    assert result['failed'] is False and result['reference_model'] is False
    assert result['published_fps'] is None and result['threshold'] is None and result['link_limited'] == {}
    assert result['hef_url'].endswith('/v2.17.0/hailo8/yolov5m_wo_spp.hef')


@pytest.mark.parametrize('args, words', [
    ({'architecture': 'HAILO10H', 'hailo_version': '4.23.0'}, 'HailoRT 5.x line'),
    ({'architecture': 'HAILO8', 'hailo_version': '4.18.0'}, 'No Model Zoo release is known for HailoRT 4.18.0'),
    ({'architecture': 'HAILO8', 'hailo_version': '4.23.0', 'threshold_fraction': 1.5}, 'at most 1'),
    ({'architecture': 'HAILO8', 'hailo_version': '4.23.0', 'lanes': 0}, 'lanes must be a positive integer'),
])
def test_model_info_failures(args, words):
    result = run(args)
    assert result['failed'] is True and words in result['msg']


def test_hef_url_from_a_mirror():
    assert hailo_models.hef_url('resnet_v1_50', 'HAILO8L', '4.23.0', 'http://127.0.0.1:8080/zoo/') == (
        'http://127.0.0.1:8080/zoo/v2.17.0/hailo8l/resnet_v1_50.hef')
