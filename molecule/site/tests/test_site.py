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
