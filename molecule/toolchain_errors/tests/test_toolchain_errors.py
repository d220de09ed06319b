"""Each bad input fails with a message a person can act on, and nothing was installed."""

import json

import pytest


@pytest.fixture(scope='module')
def messages(host):
    return json.loads(host.file('/var/tmp/molecule-toolchain-errors.json').content_string)


def test_kernel_without_headers_names_kernel_and_package(messages):
    msg = messages['missing_headers']
    assert 'kernel 6.1.99+nonexistent-amd64' in msg
    assert 'linux-headers-6.1.99+nonexistent-amd64' in msg


def test_requested_kernel_not_installed(messages):
    msg = messages['not_installed']
    assert '9.9.9-notinstalled-arm64' in msg
    assert 'not installed' in msg


def test_unsupported_distribution(messages):
    msg = messages['distribution']
    assert 'Unsupported distribution' in msg
    assert 'Ubuntu 24.04 LTS' in msg


@pytest.mark.parametrize('package', ['dkms', 'cmake', 'build-essential'])
def test_nothing_was_installed(host, package):
    # Every failure happened before the install step.
    assert not host.package(package).is_installed
