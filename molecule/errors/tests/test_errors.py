"""Each bad input fails with a message a person can act on, and the host was not changed by it."""


def test_kernel_without_headers_names_kernel_and_package(messages):
    msg = messages['missing_headers']
    assert 'kernel 6.1.99+nonexistent-amd64' in msg
    assert 'linux-headers-6.1.99+nonexistent-amd64' in msg


def test_requested_kernel_not_installed(messages):
    msg = messages['not_installed']
    assert '9.9.9-notinstalled-arm64' in msg and 'not installed' in msg


def test_unsupported_distribution(messages):
    msg = messages['distribution']
    assert 'Unsupported distribution' in msg and 'Ubuntu 24.04 LTS' in msg


def test_toolchain_refusals_installed_nothing(states):
    assert states['toolchain']['installed'] == []


def test_malformed_version(messages):
    msg = messages['malformed_version']
    assert 'must look like 4.23.0' in msg and "'4.23'" in msg
    assert 'Nothing was changed on the hosts' in msg


def test_unsupported_version(messages):
    msg = messages['unsupported_version']
    assert '5.1.0' in msg and 'Hailo-10H' in msg and '4.17.0 or newer' in msg


def test_firmware_checksum_mismatch(messages):
    msg = messages['firmware_checksum']
    assert '0' * 64 in msg and 'Nothing was changed on the hosts' in msg


def test_unreachable_source(messages):
    msg = messages['unreachable_source']
    assert 'file:///nonexistent/hailort-drivers.git' in msg and 'Nothing was changed on the hosts' in msg


def test_source_header_disagrees_with_version(messages):
    msg = messages['header_mismatch']
    assert '4.21.0' in msg and '4.20.0' in msg


def test_driver_refusals_changed_nothing(states):
    assert states['driver']['paths'] and not any(states['driver']['paths'].values()), states['driver']['paths']


def test_no_group_created(host):
    assert not host.group('hailo').exists


def test_hailort_version_mismatch(messages):
    assert 'version 4.20.0, but hailo_version is 4.21.0' in messages['version_mismatch']


def test_offline_without_externals(messages):
    msg = messages['offline_without_externals']
    assert 'HAILO_OFFLINE_COMPILATION=ON' in msg and 'protobuf-src' in msg and 'prepare_externals.cmake' in msg


def test_pinned_pybind11_for_python_313(messages):
    msg = messages['pinned_pybind11']
    assert 'pinned cannot build the binding for Python 3.13' in msg and 'pybind11 2.13' in msg


def test_hailort_refusals_installed_nothing(states):
    assert states['hailort']['paths'] == {'/usr/local/bin/hailortcli': False,
                                          '/var/cache/hailo_open.hailo/sources': False}


def test_damaged_artifact(messages):
    msg = messages['artifact_checksum']
    assert 'changed or damaged' in msg and 'Nothing was installed' in msg


def test_good_install_survived_the_damaged_artifact(host):
    assert host.check_output('/usr/local/bin/hailortcli --version') == 'HailoRT-CLI version 4.23.0'
