"""The driver on Debian's 16 KiB-page arm64 kernel in a VM: the page size found in the kernel's config, the
module built by DKMS for that kernel and loaded with force_desc_page_size=4096."""

import json


def test_running_kernel_has_16k_pages(host):
    release = host.check_output('uname -r')
    assert release.endswith('-arm64-16k')
    assert host.check_output('getconf PAGESIZE') == '16384'
    assert 'CONFIG_ARM64_16K_PAGES=y' in host.file('/boot/config-%s' % release).content_string


def test_kernel_facts_report_16k_from_the_config(host):
    facts = json.loads(host.file('/var/tmp/molecule-vm-kernels.json').content_string)
    release = host.check_output('uname -r')
    assert facts['running'] == release
    assert facts['running_page_size'] == 16384
    running = [kernel for kernel in facts['installed'] if kernel['release'] == release]
    assert running and running[0]['page_size'] == 16384 and running[0]['flavour'] == 'arm64-16k'
    assert [kernel['release'] for kernel in facts['targets']] == [release]


def test_module_built_for_the_16k_kernel_and_loaded_with_4k_descriptors(host):
    release = host.check_output('uname -r')
    assert 'hailo_pci/4.23.0, %s, aarch64: installed' % release in host.check_output('dkms status hailo_pci')
    assert host.check_output('modinfo -n hailo_pci').startswith('/lib/modules/%s/updates/dkms/' % release)
    assert host.file('/sys/module/hailo_pci/version').content_string.strip() == '4.23.0'
    assert host.file('/sys/module/hailo_pci/parameters/force_desc_page_size').content_string.strip() == '4096'
