"""The inference service on the emulated arm64 Pi: Debian's arm64 packages, the wheel from the controller, the
onnx backend on a generated fixture model."""

import json


def test_service_runs_from_the_venv_with_debian_packages(host):
    assert host.service('hailo-inference').is_running
    for package in ('python3-numpy', 'python3-aiohttp', 'python3-uvloop', 'python3-pil', 'python3-prometheus-client',
                    'python3-onnxruntime'):
        assert host.package(package).is_installed, package
    assert host.file('/opt/hailo_open/venv/bin/hailo-inference').exists
    assert 'aarch64' in host.check_output('/opt/hailo_open/venv/bin/python -c "import platform; '
                                          'print(platform.machine())"')


def test_the_check_classified_the_check_image(host):
    status = json.loads(host.file('/var/tmp/molecule-inference.json').content_string)
    assert status['state'] == 'ready', status
    assert status['check']['label'] == 'red' and status['check']['passed'] is True
    assert status['requests'] == 3 and status['errors'] == 0 and status['latency_ms']['p50'] > 0
