"""Each bad input fails with a message a person can act on, and nothing is half-installed."""

import json

import pytest


@pytest.fixture(scope='module')
def messages(host):
    return json.loads(host.file('/var/tmp/molecule-hailort-errors.json').content_string)


def test_version_mismatch(messages):
    msg = messages['version_mismatch']
    assert 'version 4.20.0, but hailo_version is 4.21.0' in msg


def test_offline_without_externals(messages):
    msg = messages['offline_without_externals']
    assert 'HAILO_OFFLINE_COMPILATION=ON' in msg and 'protobuf-src' in msg and 'prepare_externals.cmake' in msg


def test_damaged_artifact(messages):
    msg = messages['artifact_checksum']
    assert 'changed or damaged' in msg and 'Nothing was installed' in msg


def test_nothing_installed_by_the_failed_runs(messages):
    assert messages['installed_before_good_run'] is False


def test_good_install_survived_the_damaged_artifact(host):
    assert host.check_output('/usr/local/bin/hailortcli --version') == 'HailoRT-CLI version 4.23.0'
