"""Verify site.yml end to end on the simulated fleet: the fleet report on the controller and the nodes."""

import json
import os

import pytest

REPORT = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'report')
MISMATCH_REPORT = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'report-mismatch')
PREFIX = '/opt/hailort'


def load_report(directory):
    with open(os.path.join(directory, 'fleet-report.json')) as handle:
        return dict((h['hostname'], h) for h in json.load(handle)['hosts'])


@pytest.fixture(scope='module')
def report():
    return load_report(REPORT)


def test_report_files_exist():
    for name in ('fleet-report.json', 'fleet-report.html', 'fleet-report.md'):
        assert os.path.getsize(os.path.join(REPORT, name)) > 0
    html = open(os.path.join(REPORT, 'fleet-report.html')).read()
    # one inline script (the table filter), no script file, nothing fetched
    assert 'SIMULATED FLEET' in html and html.count('<script>') == 1 and '<script src' not in html
    assert "default-src 'none'" in html


def test_healthy_hosts(report):
    for name, arch in (('site-hailo8', 'HAILO8'), ('site-hailo8l', 'HAILO8L')):
        host = report[name]
        assert host['status'] == 'ok', host
        assert host['architecture'] == arch
        assert host['driver_version'] == host['firmware_version'] == host['runtime_version'] == '4.23.0'
        assert host['passed'] is True and host['fps'] >= host['threshold']
        assert host['pcie']['gen'] == 3


def test_baseline_application_ran_beside_the_benchmark(report):
    for name in ('site-hailo8', 'site-hailo8l', 'site-gen2-slow'):
        host = report[name]
        assert host['app_fps'] > 0 and host['app_p99_ms'] > 0, host
        # the fixture streams at the benchmark's streaming rate: no baseline_fps_differs warning
        assert not [p for p in host['problems'] if p['id'].startswith('baseline_')], host['problems']
    markdown = open(os.path.join(REPORT, 'fleet-report.md')).read()
    assert '; app ' in markdown and ' FPS, p99 ' in markdown


def test_baseline_application_built_against_the_prefix(host):
    binary = '/var/cache/hailo_open.hailo/baseline/build/hailo-baseline'
    assert '%s/lib/libhailort.so.4.23.0' % PREFIX in host.check_output('ldd %s' % binary)
    assert 'hailort=4.23.0' in host.file(binary + '.stamp').content_string
    assert 'prefix=%s' % PREFIX in host.file(binary + '.stamp').content_string


def test_thresholds_follow_the_identified_architecture(report):
    assert report['site-hailo8']['threshold'] > 1000
    assert report['site-hailo8l']['threshold'] < 200


def test_slow_gen2_host_is_reported_with_its_problems(report):
    host = report['site-gen2-slow']
    assert host['status'] == 'failed'
    ids = [p['id'] for p in host['problems']]
    assert 'benchmark_below_threshold' in ids
    assert 'pcie_link_below_expected' in ids
    assert host['pcie']['gen'] == 2 and host['passed'] is False


def test_node_has_the_stack_under_the_prefix(host):
    assert host.check_output('%s/bin/hailortcli --version' % PREFIX) == 'HailoRT-CLI version 4.23.0'
    assert not host.file('/usr/local/bin/hailortcli').exists
    assert host.file('/etc/ld.so.conf.d/hailo_open-hailort.conf').content_string.splitlines()[-1] == PREFIX + '/lib'
    assert 'libhailort.so.4.23.0 (libc6' in host.check_output('ldconfig -p')
    assert 'installed' in host.check_output('dkms status hailo_pci')
    assert host.file('/lib/firmware/hailo/hailo8_fw.bin').exists


def test_driver_library_mismatch_is_named_with_both_versions():
    hosts = load_report(MISMATCH_REPORT)
    host = hosts['site-hailo8']
    assert host['status'] == 'failed'
    problems = dict((p['id'], p['message']) for p in host['problems'])
    assert 'libhailort 4.23.0 refuses the loaded hailo_pci driver 4.22.0' in problems['driver_library_mismatch']
    assert 'too_few_devices' not in problems and 'hailortcli_failed' not in problems
    # without an identified device there is no HEF to run: neither the benchmark nor the application ran
    assert host['fps'] is None and host['app_fps'] is None
    assert host['driver_version'] == '4.22.0' and host['runtime_version'] == '4.23.0'
    # the other hosts are unaffected
    assert hosts['site-hailo8l']['status'] == 'ok'


def test_the_builder_kept_no_build_tree(host):
    assert host.run('ls -d /var/cache/hailo_open.hailo/hailort-*').rc != 0


def test_hefs_downloaded_once_with_their_sha256_recorded():
    import hashlib
    cache = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'fixtures', 'controller-cache', 'hefs', 'v2.17.0')
    for arch in ('hailo8', 'hailo8l'):
        hef = os.path.join(cache, arch, 'resnet_v1_50.hef')
        with open(hef, 'rb') as handle:
            expected = hashlib.sha256(handle.read()).hexdigest()
        with open(hef + '.sha256') as handle:
            assert handle.read().strip() == expected


# --- the inference service (roles/inference) on the onnx backend with the generated fixture models ---------------

def test_service_state_in_the_report(report):
    for name in ('site-hailo8', 'site-hailo8l'):
        host = report[name]
        assert host['service_state'] == 'ready' and host['service_p50_ms'] > 0, host
    assert '; service ready, p50 ' in open(os.path.join(REPORT, 'fleet-report.md')).read()
    # site-gen2-slow runs site.yml's default, without the service: nothing about one in its row.
    assert report['site-gen2-slow']['service_state'] is None and report['site-gen2-slow']['service_p50_ms'] is None


def without_service(host):
    """site-gen2-slow keeps site.yml's default (no inference service): nothing of the role is on it."""
    if host.backend.get_hostname() != 'site-gen2-slow':
        return False
    assert not host.file('/etc/systemd/system/hailo-inference.service').exists
    assert not host.file('/etc/hailo_open/inference.json').exists and not host.user('hailo-inference').exists
    assert not host.package('python3-onnxruntime').is_installed
    return True


def test_service_runs_sandboxed_as_its_user(host):
    if without_service(host):
        return
    service = host.service('hailo-inference')
    assert service.is_running and service.is_enabled
    props = dict(line.split('=', 1) for line in host.check_output(
        'systemctl show hailo-inference -p User -p NoNewPrivileges -p ProtectSystem -p DevicePolicy '
        '-p PrivateTmp -p Restart -p MainPID').splitlines())
    assert props['User'] == 'hailo-inference' and props['NoNewPrivileges'] == 'yes'
    assert props['ProtectSystem'] == 'strict' and props['DevicePolicy'] == 'closed' and props['Restart'] == 'on-failure'
    user = host.user('hailo-inference')
    assert 'hailo' in user.groups and user.shell == '/usr/sbin/nologin'
    assert host.check_output('ps -o user= -p %s' % props['MainPID']).strip() == 'hailo-inference'


# A request from inside the node with its own Python (the image has no curl): "STATUS CONTENT-TYPE" then the body.
REQUEST = """
import sys, urllib.request, urllib.error
url, body, token = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, data=open(body, 'rb').read() if body else None)
if token:
    req.add_header('Authorization', 'Bearer ' + token)
try:
    resp = urllib.request.urlopen(req, timeout=30)
except urllib.error.HTTPError as exc:
    resp = exc
data = resp.read()
sys.stdout.buffer.write(('%d %s' % (resp.status, resp.headers.get('Content-Type'))).encode() + bytes([10]))
if resp.headers.get('Content-Type', '').startswith('multipart/'):
    data = ('parts=%d jpegs=%d' % (data.count(b'--hailoframe'), data.count(bytes([255, 216])))).encode()
sys.stdout.buffer.write(data)
"""


def request(host, path, body='', token=''):
    """``(status, content type, body text)`` of a request to the node's service on 127.0.0.1:8000."""
    out = host.check_output("python3 -c %s 'http://127.0.0.1:8000%s' '%s' '%s'" % (
        __import__('shlex').quote(REQUEST), path, body, token))
    head, _, text = out.partition('\n')
    status, _, content_type = head.partition(' ')
    return int(status), content_type, text


CHECK_IMAGE = '/var/cache/hailo_open.hailo/inference/check/0-check.png'


def token_of(host):
    """The bearer token on the host that listens beyond loopback (site-hailo8l); empty elsewhere."""
    if host.backend.get_hostname() != 'site-hailo8l':
        return ''
    return host.file('/etc/hailo_open/inference.token').content_string.strip()


def test_open_inference_protocol_and_images(host):
    if without_service(host):
        return
    token = token_of(host)
    assert request(host, '/v2/health/ready')[0] == 200
    status, _, text = request(host, '/v2/models/colours', token=token)
    assert json.loads(text)['inputs'] == [{'name': 'images', 'datatype': 'UINT8', 'shape': [-1, 32, 32, 3]}]
    status, _, text = request(host, '/v1/models/colours/classify', CHECK_IMAGE, token)
    assert status == 200 and json.loads(text)['classes'][0]['label'] == 'red'
    host.run("printf 'not an image' > /tmp/not-an-image")
    status, _, text = request(host, '/v1/models/colours/classify', '/tmp/not-an-image', token)
    assert status == 400 and 'not a JPEG or PNG image' in json.loads(text)['error']
    status, content_type, text = request(host, '/metrics', token=token)
    assert status == 200 and 'hailo_inference_model_ready{backend="onnx",model="colours"} 1.0' in text


def test_token_only_where_the_service_listens_beyond_loopback(host):
    if without_service(host):
        return
    config = json.loads(host.file('/etc/hailo_open/inference.json').content_string)
    token_file = host.file('/etc/hailo_open/inference.token')
    if host.backend.get_hostname() != 'site-hailo8l':
        assert config['server']['host'] == '127.0.0.1' and 'token_file' not in config['server']
        assert not token_file.exists and request(host, '/v2')[0] == 200
        return
    assert config['server']['host'] == '0.0.0.0' and config['server']['token_file'] == '/run/hailo-inference/token'
    assert token_file.user == 'root' and token_file.mode == 0o600 and len(token_of(host)) == 40
    assert request(host, '/v2')[0] == 401
    assert request(host, '/v2', token='x' * 40)[0] == 401
    assert request(host, '/v2/health/ready')[0] == 200
    assert request(host, '/v2', token=token_of(host))[0] == 200
    # The service's user cannot read the token file; the unit copies it into the service's runtime directory.
    assert host.run('runuser -u hailo-inference -- cat /etc/hailo_open/inference.token').rc != 0
    copy = host.file('/run/hailo-inference/token')
    assert copy.user == 'hailo-inference' and copy.mode == 0o400 and copy.content_string.strip() == token_of(host)
    assert host.file('/run/hailo-inference').mode == 0o700


def test_camera_only_where_configured(host):
    if without_service(host):
        return
    token = token_of(host)
    status, _, text = request(host, '/v1/models/colours/camera', token=token)
    if host.backend.get_hostname() != 'site-hailo8':
        assert status == 404 and 'has no camera configured' in json.loads(text)['error']
        return
    latest = json.loads(text)
    assert status == 200 and latest['camera_up'] is True and latest['frame'] >= 1 and len(latest['classes']) == 3
    status, content_type, text = request(host, '/v1/models/colours/camera.mjpg?frames=2')
    assert status == 200 and content_type == 'multipart/x-mixed-replace; boundary=hailoframe'
    assert text == 'parts=2 jpegs=2'
