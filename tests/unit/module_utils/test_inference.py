# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inference role's plan: files, downloads, packages, devices and the service's configuration."""

from __future__ import annotations

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _inference as inference

RESNET = {'name': 'resnet_v1_50', 'task': 'classification',
          'hef_url': '{zoo}/ModelZoo/Compiled/{mz_version}/{arch}/resnet_v1_50.hef',
          'onnx_url': '{zoo}/Classification/resnet_v1_50/pretrained/2025-01-15/resnet_v1_50.zip',
          'onnx_member': 'resnet_v1_50.onnx', 'labels_url': 'https://example.org/imagenet.txt', 'batch_size': 8}
YOLO = {'name': 'yolov8n', 'task': 'detection', 'labels': 'builtin:coco',
        'hef_url': '{zoo}/ModelZoo/Compiled/{mz_version}/{arch}/yolov8n.hef',
        'onnx_url': '{zoo}/ObjectDetection/Detection-COCO/yolo/yolov8n/2023-01-30/yolov8n.zip',
        'onnx_member': 'yolov8n.onnx', 'postprocess': {'score_threshold': 0.4}}
ZOO = 'https://hailo-model-zoo.s3.eu-west-2.amazonaws.com'


def test_url_placeholders_and_expand():
    assert inference.url_placeholders('{zoo}/x/{arch}.hef') == ['zoo', 'arch']
    assert inference.expand_url('{zoo}/{arch}', {'zoo': 'z', 'arch': 'hailo8'}, 'w') == 'z/hailo8'
    with pytest.raises(ValueError, match=r'w: unknown placeholder\(s\) \{model\}'):
        inference.expand_url('{zoo}/{model}', {'zoo': 'z'}, 'w')
    with pytest.raises(ValueError, match='needs the device architecture'):
        inference.expand_url('{arch}', {'arch': None}, 'w')
    with pytest.raises(ValueError, match=r'needs \{mz_version\}, which is not known'):
        inference.expand_url('{mz_version}', {'mz_version': None}, 'w')


def test_cache_name():
    name = inference.cache_name('https://h/a/b.hef')
    assert name.startswith('inference/') and name.endswith('/b.hef') and len(name.split('/')[1]) == 12
    assert inference.cache_name('https://h/a/b.zip', 'm.onnx').endswith('/m.onnx')
    assert inference.cache_name('https://h/') .endswith('/download')


def test_plan_hailo_defaults_for_a_hailo8l():
    result = inference.plan([RESNET, YOLO], 'hailo', 'HAILO8L', '4.23.0', ZOO, compare=True)
    assert result['models'] == ['resnet_v1_50', 'yolov8n']
    urls = [d['url'] for d in result['downloads']]
    assert urls[0] == ZOO + '/ModelZoo/Compiled/v2.17.0/hailo8l/resnet_v1_50.hef'
    assert ZOO + '/Classification/resnet_v1_50/pretrained/2025-01-15/resnet_v1_50.zip' in urls
    assert len(urls) == 5 and len(set(urls)) == 5
    assert [e['member'] for e in result['extractions']] == ['resnet_v1_50.onnx', 'yolov8n.onnx']
    dests = {f['dest']: f for f in result['files']}
    assert dests['/var/lib/hailo_open/models/resnet_v1_50/resnet_v1_50.onnx']['cache'].endswith(
        '/extracted/resnet_v1_50.onnx')
    assert dests['/var/lib/hailo_open/models/resnet_v1_50/imagenet.txt']['kind'] == 'labels'
    models = result['config']['models']
    assert models[0] == {'name': 'resnet_v1_50', 'task': 'classification', 'backend': 'hailo',
                         'hef': '/var/lib/hailo_open/models/resnet_v1_50/resnet_v1_50.hef',
                         'onnx': '/var/lib/hailo_open/models/resnet_v1_50/resnet_v1_50.onnx',
                         'labels': '/var/lib/hailo_open/models/resnet_v1_50/imagenet.txt', 'batch_size': 8}
    assert models[1]['labels'] == 'builtin:coco' and models[1]['postprocess'] == {'score_threshold': 0.4}
    assert result['config']['server'] == {'host': '127.0.0.1', 'port': 8000, 'max_body_bytes': 16777216,
                                          'access_log': False}
    assert result['token'] is False and result['compare'] == ['resnet_v1_50', 'yolov8n']
    assert 'python3-onnxruntime' in result['packages'] and 'ffmpeg' not in result['packages']


def test_plan_onnx_backend_needs_no_architecture(tmp_path):
    model = dict(RESNET, onnx_url=None, onnx_member=None, onnx_path=str(tmp_path / 'm.onnx'),
                 labels_url=None, labels_path=str(tmp_path / 'l.txt'))
    result = inference.plan([model], 'onnx')
    assert result['downloads'] == [] and result['compare'] == []
    assert [f['path'] for f in result['files']] == [str(tmp_path / 'm.onnx'), str(tmp_path / 'l.txt')]
    assert result['config']['models'][0]['backend'] == 'onnx' and 'hef' not in result['config']['models'][0]
    assert result['packages'] == inference.BASE_PACKAGES + inference.ONNX_PACKAGES
    assert 'python3-uvloop' in result['packages']  # the service's event loop when installed


def test_plan_access_log_switch():
    result = inference.plan([RESNET], 'hailo', 'HAILO8', '4.23.0', ZOO, access_log=True)
    assert result['config']['server']['access_log'] is True


def test_plan_hailo_backend_without_a_device():
    with pytest.raises(ValueError, match=r'inference_models\[0\] \(resnet_v1_50\).hef_url: .* needs the device '
                                         r'architecture'):
        inference.plan([RESNET], 'hailo', None, '4.23.0', ZOO)


def test_plan_camera_token_and_checksums():
    model = dict(RESNET, camera={'source': '/dev/video0', 'fps': 5},
                 checksums={'hef': 'a' * 64})
    result = inference.plan([model], 'hailo', 'hailo8', '4.23.0', ZOO, listen_host='0.0.0.0', port=9000)
    assert result['devices'] == ['/dev/video0'] and 'ffmpeg' in result['packages']
    assert result['token'] is True and result['config']['server']['token_file'] == '/run/hailo-inference/token'
    assert result['config']['server']['port'] == 9000
    assert result['downloads'][0]['sha256'] == 'a' * 64
    assert result['config']['models'][0]['camera'] == {'source': '/dev/video0', 'fps': 5}
    lavfi = inference.plan([dict(RESNET, camera={'source': 'lavfi:testsrc2'})], 'hailo', 'hailo8', '4.23.0')
    assert lavfi['devices'] == [] and 'ffmpeg' in lavfi['packages']
    assert inference.plan([RESNET], 'hailo', 'hailo8', '4.23.0', token=True)['token'] is True


@pytest.mark.parametrize('models, message', [
    ([], 'non-empty list'),
    (['x'], r'inference_models\[0\]: expected a dict'),
    ([dict(RESNET, colour='red')], r'unknown key\(s\) colour'),
    ([dict(RESNET, name='a b')], r'inference_models\[0\].name'),
    ([dict(RESNET, task='segmentation')], 'task must be one of classification, detection'),
    ([dict(RESNET, backend='tpu')], 'backend must be one of hailo, onnx'),
    ([dict(RESNET, hef_url=None)], 'the hailo backend needs hef_url or hef_path'),
    ([dict(RESNET, hef_path='/x.hef')], 'give hef_url or hef_path, not both'),
    ([dict(RESNET, hef_url='{zoo}/x.bin')], 'does not end in .hef'),
    ([dict(RESNET, onnx_member=None)], r'does not end in .onnx \(name the member'),
    ([dict(RESNET, onnx_member='../x.onnx')], 'not a file name inside the archive'),
    ([dict(RESNET, checksums={'hef': 'XYZ'})], 'checksums.hef must be 64 lowercase hex digits'),
    ([dict(RESNET, labels='imagenet.txt')], 'labels names built-in labels'),
    ([dict(RESNET, labels='builtin:coco')], r'give labels \(built in\) or labels_url/labels_path, not both'),
    ([dict(YOLO, labels=None)], 'a detection model needs labels'),
    ([dict(RESNET, camera={'fps': 5})], 'camera.source must be'),
    ([dict(RESNET, camera={'source': '/dev/sda'})], 'is not a V4L2 capture device'),
    ([RESNET, RESNET], r'duplicate name\(s\) resnet_v1_50'),
])
def test_plan_errors(models, message):
    with pytest.raises(ValueError, match=message):
        inference.plan(models, 'hailo', 'hailo8', '4.23.0', ZOO)


@pytest.mark.parametrize('kwargs, message', [
    ({'backend': 'tpu'}, 'inference_backend must be one of'),
    ({'port': 0}, 'inference_port must be a TCP port'),
    ({'max_body_bytes': 10}, 'inference_max_body_bytes must be at least 1024'),
    ({'listen_host': 'pi.local'}, 'inference_listen_host must be an IP address'),
    ({'architecture': 'HAILO15H'}, 'HailoRT 5.x line'),
])
def test_plan_setting_errors(kwargs, message):
    args = dict(models=[RESNET], backend='hailo', architecture='hailo8', hailort_version='4.23.0')
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        inference.plan(**args)


def test_plan_unknown_hailort_version_only_matters_when_used():
    model = dict(RESNET, hef_url='{zoo}/{arch}/resnet_v1_50.hef')
    assert inference.plan([model], 'hailo', 'hailo8', '9.9.0', ZOO)['downloads'][0]['url'] == ZOO + (
        '/hailo8/resnet_v1_50.hef')
    with pytest.raises(ValueError, match=r'needs \{mz_version\}'):
        inference.plan([RESNET], 'hailo', 'hailo8', '9.9.0', ZOO)
