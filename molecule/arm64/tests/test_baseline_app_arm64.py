"""Verify the C++ baseline application on the emulated Pi: compiled for arm64 against the installed HailoRT, run on
the simulated Hailo-8, its JSON parsed by hailo_baseline_app."""

import json

BUILD = '/var/cache/hailo_open.hailo/baseline/build'


def test_application_is_arm64_and_linked_to_the_installed_runtime(host):
    machine = host.check_output("od -An -tx1 -j18 -N1 %s/hailo-baseline" % BUILD).strip()
    assert machine == 'b7'
    assert '/usr/local/lib/libhailort.so.4.23.0' in host.check_output('ldd %s/hailo-baseline' % BUILD)


def test_application_ran_on_the_simulated_device(host):
    result = json.loads(host.file('/var/tmp/molecule-baseline.json').content_string)
    assert result['error'] is None and result['built'] is True
    assert result['result']['devices'][0]['architecture'] == 'HAILO8'
    assert result['result']['frames'] == 200
    assert result['fps'] > 0 and result['latency_ms']['p99'] > 0
    assert result['result']['hailort'] == {'built_against': '4.23.0', 'library': '4.23.0'}
