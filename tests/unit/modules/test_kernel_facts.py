"""Unit tests for the kernel_facts module: the module's own code runs; the host's files are faked at the
boundary (os-release, /lib/modules, uname) and apt-cache is faked through run_command."""

import json
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.hailo_open.hailo.plugins.modules import kernel_facts
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module

TRIXIE = {'ID': 'debian', 'VERSION_ID': '13', 'PRETTY_NAME': 'Debian GNU/Linux 13 (trixie)'}
KERNELS = [
    {'release': '6.12.47+rpt-rpi-2712', 'flavour': 'rpi-2712', 'page_size': 16384,
     'modules_dir': '/lib/modules/6.12.47+rpt-rpi-2712', 'headers_path': None},
    {'release': '6.12.47+rpt-rpi-v8', 'flavour': 'rpi-v8', 'page_size': 4096,
     'modules_dir': '/lib/modules/6.12.47+rpt-rpi-v8', 'headers_path': '/usr/src/linux-headers-6.12.47+rpt-rpi-v8'},
]
POLICY = """linux-headers-6.12.47+rpt-rpi-2712:
  Installed: (none)
  Candidate: 1:6.12.47-1+rpt1
linux-headers-6.12.47+rpt-rpi-v8:
  Installed: 1:6.12.47-1+rpt1
  Candidate: 1:6.12.47-1+rpt1
linux-headers-rpi-2712:
  Installed: (none)
  Candidate: 1:6.12.47-1+rpt1
linux-headers-rpi-v8:
  Installed: (none)
  Candidate: 1:6.12.47-1+rpt1
"""


def run(args, os_release=TRIXIE, machine='aarch64', running='6.12.47+rpt-rpi-2712', kernels=None, container=None,
        pi_os=True, run_command=None, default_kernel=None, dpkg_interrupted=False):
    uname = ('Linux', 'pi', running, '#1 SMP', machine)
    with mock.patch.object(kernel_facts.platform_utils, 'read_os_release', return_value=os_release), \
            mock.patch.object(kernel_facts.platform_utils, 'detect_container', return_value=container), \
            mock.patch.object(kernel_facts.platform_utils, 'is_raspberry_pi_os', return_value=pi_os), \
            mock.patch.object(kernel_facts.kernel_utils, 'installed_kernels',
                              return_value=json.loads(json.dumps(KERNELS if kernels is None else kernels))), \
            mock.patch.object(kernel_facts.kernel_utils, 'apt_lists_present', return_value=True), \
            mock.patch.object(kernel_facts.kernel_utils, 'dpkg_interrupted', return_value=dpkg_interrupted), \
            mock.patch.object(kernel_facts.kernel_utils, 'default_boot_kernel', return_value=default_kernel), \
            mock.patch.object(kernel_facts.os, 'uname', return_value=uname), \
            mock.patch.object(basic.AnsibleModule, 'run_command',
                              run_command or mock.Mock(side_effect=AssertionError)):
        return run_module(kernel_facts.main, args)


def test_facts_on_a_pi5():
    result = run({})
    assert result['failed'] is False
    assert result['changed'] is False
    facts = result['ansible_facts']['hailo_kernels']
    assert facts['distribution_release'] == 'trixie'
    assert facts['architecture'] == 'arm64'
    assert facts['raspberry_pi_os'] is True
    assert facts['container'] is None
    assert facts['running'] == '6.12.47+rpt-rpi-2712'
    assert [k['release'] for k in facts['targets']] == ['6.12.47+rpt-rpi-2712', '6.12.47+rpt-rpi-v8']
    assert facts['installed'][0]['headers_packages'] == ['linux-headers-6.12.47+rpt-rpi-2712', 'linux-headers-rpi-2712']
    assert facts['notes'] == []
    assert facts['newer_kernel'] is None
    assert facts['dpkg_interrupted'] is False
    assert 'headers_to_install' not in facts
    assert run({}, dpkg_interrupted=True)['ansible_facts']['hailo_kernels']['dpkg_interrupted'] is True


def test_upgrade_installed_a_newer_kernel():
    kernels = KERNELS + [dict(KERNELS[0], release='6.12.50+rpt-rpi-2712', modules_dir='/lib/modules/6.12.50+rpt-rpi-2712')]
    facts = run({}, kernels=kernels)['ansible_facts']['hailo_kernels']
    assert facts['newer_kernel'] == '6.12.50+rpt-rpi-2712'
    assert facts['reboot_required'] is True


DEBIAN_KERNELS = [
    {'release': r, 'flavour': r.split('-', 1)[1], 'page_size': 4096, 'modules_dir': '/lib/modules/' + r,
     'headers_path': None} for r in ('6.12.117+deb13-amd64', '6.12.117+deb13-cloud-amd64')]


def test_debian_default_link_decides_the_next_boot():
    # Installing another flavour moved /vmlinuz to it: that is what the next boot runs.
    facts = run({}, machine='x86_64', running='6.12.117+deb13-amd64', kernels=DEBIAN_KERNELS, pi_os=False,
                default_kernel='6.12.117+deb13-cloud-amd64')['ansible_facts']['hailo_kernels']
    assert facts['default_kernel'] == '6.12.117+deb13-cloud-amd64'
    assert facts['newer_kernel'] == '6.12.117+deb13-cloud-amd64'
    assert facts['reboot_required'] is True
    facts = run({}, machine='x86_64', running='6.12.117+deb13-cloud-amd64', kernels=DEBIAN_KERNELS, pi_os=False,
                default_kernel='6.12.117+deb13-cloud-amd64')['ansible_facts']['hailo_kernels']
    assert facts['newer_kernel'] is None
    # In a container the running kernel is the container host's.
    facts = run({}, machine='x86_64', running='6.1.0-40-amd64', kernels=DEBIAN_KERNELS, pi_os=False,
                default_kernel='6.12.117+deb13-cloud-amd64', container='podman')['ansible_facts']['hailo_kernels']
    assert facts['newer_kernel'] is None


def test_check_headers_asks_apt_and_plans():
    run_command = mock.Mock(return_value=(0, POLICY, ''))
    result = run({'check_headers': True}, run_command=run_command)
    args, kwargs = run_command.call_args
    assert args[0][:2] == ['apt-cache', 'policy']
    assert sorted(args[0][2:]) == ['linux-headers-6.12.47+rpt-rpi-2712', 'linux-headers-6.12.47+rpt-rpi-v8',
                                   'linux-headers-rpi-2712', 'linux-headers-rpi-v8']
    assert kwargs['environ_update'] == {'LC_ALL': 'C', 'LANG': 'C'}
    facts = result['ansible_facts']['hailo_kernels']
    assert facts['headers_to_install'] == ['linux-headers-6.12.47+rpt-rpi-2712', 'linux-headers-rpi-2712',
                                           'linux-headers-6.12.47+rpt-rpi-v8', 'linux-headers-rpi-v8']
    assert facts['headers_unavailable'] == []
    assert facts['headers_message'] is None


def test_check_headers_reports_a_kernel_without_headers():
    run_command = mock.Mock(return_value=(0, '', 'N: Unable to locate package linux-headers-6.12.47+rpt-rpi-2712\n'))
    facts = run({'check_headers': True}, run_command=run_command)['ansible_facts']['hailo_kernels']
    assert facts['headers_unavailable'] == [{'release': '6.12.47+rpt-rpi-2712', 'packages_tried': [
        'linux-headers-6.12.47+rpt-rpi-2712', 'linux-headers-rpi-2712']}]
    assert 'kernel 6.12.47+rpt-rpi-2712' in facts['headers_message']


def test_apt_cache_failure_is_reported():
    run_command = mock.Mock(return_value=(100, '', 'E: Could not open lock file'))
    result = run({'check_headers': True}, run_command=run_command)
    assert result['failed'] is True
    assert result['msg'] == 'apt-cache policy failed: E: Could not open lock file'


def test_container_skips_foreign_running_kernel():
    facts = run({}, container='podman', running='6.1.0-40-amd64')['ansible_facts']['hailo_kernels']
    assert facts['container'] == 'podman'
    assert len(facts['targets']) == 2
    assert '6.1.0-40-amd64' in facts['notes'][0]


def test_container_option_overrides_detection():
    facts = run({'container': 'yes'}, container=None, running='6.1.0-40-amd64')['ansible_facts']['hailo_kernels']
    assert facts['container'] == 'declared'
    facts = run({'container': 'no'}, container='podman')['ansible_facts']['hailo_kernels']
    assert facts['container'] is None


def test_requested_kernels():
    facts = run({'kernels': ['6.12.47+rpt-rpi-v8']})['ansible_facts']['hailo_kernels']
    assert [k['release'] for k in facts['targets']] == ['6.12.47+rpt-rpi-v8']
    result = run({'kernels': ['7.0.0+rpt-rpi-2712']})
    assert result['failed'] is True
    assert '7.0.0+rpt-rpi-2712 are not installed' in result['msg']


@pytest.mark.parametrize('os_release, machine, message', [
    ({'ID': 'ubuntu', 'ID_LIKE': 'debian', 'VERSION_ID': '24.04', 'PRETTY_NAME': 'Ubuntu 24.04 LTS'}, 'aarch64',
     "Unsupported distribution 'Ubuntu 24.04 LTS'"),
    (TRIXIE, 'armv7l', "Unsupported architecture 'armv7l'"),
    (TRIXIE, 'riscv64', "Unsupported architecture 'riscv64'"),
])
def test_unsupported_platform_fails_early(os_release, machine, message):
    result = run({}, os_release=os_release, machine=machine)
    assert result['failed'] is True
    assert message in result['msg']


def test_no_installed_kernel():
    result = run({}, kernels=[])
    assert result['failed'] is True
    assert 'No installed kernel' in result['msg']


def test_bad_option_value():
    result = run({'container': 'maybe'})
    assert result['failed'] is True
    assert 'container' in result['msg']
