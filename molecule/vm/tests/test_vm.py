"""The driver on a real kernel (a Debian trixie VM under qemu-system): loaded at the wanted version with the
modprobe.d option in effect, the reload handler replacing an older loaded release, a clear result with no device,
and playbooks/reprovision.yml through a real kernel upgrade - refusing to reboot while the new kernel's build fails,
rebooting into it once the build works."""

import json

import pytest

WANTED = '4.23.0'
EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'


def record(host, name):
    return json.loads(host.file('/var/tmp/molecule-vm-%s.json' % name).content_string)


@pytest.fixture(scope='module')
def upgrade(host):
    return record(host, 'upgrade')


def test_driver_loaded_at_the_wanted_version_with_the_modprobe_option(host):
    assert host.file('/sys/module/hailo_pci/version').content_string.strip() == WANTED
    # /etc/modprobe.d/hailo_pci.conf (the role's) really applied by modprobe.
    assert host.file('/sys/module/hailo_pci/parameters/force_desc_page_size').content_string.strip() == '4096'


def test_reload_handler_replaced_the_older_loaded_release(host):
    assert record(host, 'prepare')['loaded_before_converge'] == '4.22.0'
    converge = record(host, 'converge')
    assert converge['hailo']['driver']['loaded'] is True
    assert converge['hailo']['driver']['version'] == WANTED
    status = host.check_output('dkms status hailo_pci')
    assert '4.22.0' not in status, status


def test_no_device_ends_in_no_device_on_pci(host):
    converge = record(host, 'converge')
    assert converge['hailo']['pci_devices'] == []
    assert 'no_device_on_pci' in [problem['id'] for problem in converge['hailo']['problems']]
    # The validate role stopped with that id, not on a timeout.
    assert '[no_device_on_pci]' in converge['validate'], converge['validate']
    assert 'Timeout' not in converge['validate']


def test_kernel_facts_on_a_real_kernel(host):
    kernels = record(host, 'converge')['kernels']
    running = [kernel for kernel in kernels['installed'] if kernel['release'] == kernels['running']]
    assert kernels['container'] is None
    assert running and running[0]['page_size'] == 4096


def test_failed_build_does_not_reboot(upgrade):
    assert int(upgrade['broken_rc']) != 0
    out = ' '.join(upgrade['broken_output'].split())  # the callback folds long messages
    assert 'is NOT rebooted' in out, out[-3000:]
    assert upgrade['new_kernel'] in out
    # The same boot, the same kernel, the driver still loaded.
    assert upgrade['after_broken']['boot_id'] == upgrade['before']['boot_id']
    assert upgrade['after_broken']['kernel'] == upgrade['before']['kernel']
    assert upgrade['after_broken']['loaded'] == WANTED
    # The working kernel's module is untouched.
    assert upgrade['before']['module_sha256'] != EMPTY_SHA256
    assert upgrade['after_broken']['module_sha256'] == upgrade['before']['module_sha256']


def test_repaired_build_reboots_into_the_new_kernel(upgrade):
    assert int(upgrade['fixed_rc']) == 0, upgrade['fixed_output'][-3000:]
    assert upgrade['before']['kernel'] != upgrade['new_kernel']
    assert upgrade['after_fixed']['boot_id'] != upgrade['before']['boot_id']
    assert upgrade['after_fixed']['kernel'] == upgrade['new_kernel']
    assert upgrade['after_fixed']['loaded'] == WANTED
    assert upgrade['after_fixed']['page_size'] == '4096'


def test_running_kernel_is_the_new_one_and_its_module_is_the_dkms_build(host, upgrade):
    release = host.check_output('uname -r')
    assert release == upgrade['new_kernel']
    assert host.check_output('modinfo -F version hailo_pci') == WANTED
    assert host.check_output('modinfo -n hailo_pci').startswith('/lib/modules/%s/updates/dkms/' % release)
    status = host.check_output('dkms status hailo_pci')
    for kernel in (upgrade['before']['kernel'], release):
        assert 'hailo_pci/%s, %s, x86_64: installed' % (WANTED, kernel) in status, status
