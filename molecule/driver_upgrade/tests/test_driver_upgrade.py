"""After a kernel upgrade: a failed build for the new kernel stops that host without touching the working
kernel's module; once fixed, re-provisioning builds the driver for both kernels."""

import json

import pytest


@pytest.fixture(scope='module')
def results(host):
    return json.loads(host.file('/var/tmp/molecule-driver-upgrade.json').content_string)


def test_broken_build_fails_the_host_and_says_it_is_not_rebooted(results):
    assert int(results['broken_rc']) != 0
    out = ' '.join(results['broken_output'].split())  # the callback folds long messages
    assert 'is NOT rebooted' in out
    assert results['new_kernel'] in out


def test_broken_build_leaves_the_working_kernel_untouched(results):
    assert results['module_before']
    assert results['module_after_failed_run'] == results['module_before']


def test_fixed_build_succeeds(results):
    assert int(results['fixed_rc']) == 0, results['fixed_output'][-3000:]


def test_module_for_both_kernels(host, results):
    status = host.check_output('dkms status hailo_pci')
    releases = host.check_output('ls /lib/modules').split()
    assert results['new_kernel'] in releases
    assert len(releases) == 2
    for release in releases:
        assert 'hailo_pci/4.23.0, %s, x86_64: installed' % release in status, status
        assert host.check_output('modinfo -k %s -F version hailo_pci' % release) == '4.23.0'
