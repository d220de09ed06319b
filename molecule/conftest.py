"""Fixtures shared by the molecule verifiers (testinfra)."""

import json

import pytest

ERRORS_RECORD = '/var/tmp/molecule-errors.json'


@pytest.fixture(scope='module')
def error_record(host):
    """What molecule/shared/try_role.yml and record_state.yml recorded on the host."""
    return json.loads(host.file(ERRORS_RECORD).content_string)


@pytest.fixture(scope='module')
def messages(error_record):
    """Failure message of each bad input, by name ("not raised" when the role did not fail)."""
    return error_record['messages']


@pytest.fixture(scope='module')
def states(error_record):
    """The host's state after each group of bad inputs: {'paths': {path: exists}, 'installed': [packages]}."""
    return error_record['states']
