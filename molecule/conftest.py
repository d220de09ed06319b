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


@pytest.fixture
def check_hailort_installed(host):
    """A check that HailoRT <version> is what /usr/local holds: hailortcli, the library and its link, the loader
    cache and the role's manifest."""
    def check(version):
        assert host.check_output('/usr/local/bin/hailortcli --version') == 'HailoRT-CLI version %s' % version
        assert host.file('/usr/local/lib/libhailort.so.%s' % version).exists
        assert host.file('/usr/local/lib/libhailort.so').linked_to == '/usr/local/lib/libhailort.so.%s' % version
        assert 'libhailort.so.%s' % version in host.check_output('ldconfig -p')
        manifest = json.loads(host.file('/usr/local/share/hailo_open.hailo/hailort.manifest.json').content_string)
        assert manifest['version'] == version
        assert 'bin/hailortcli' in manifest['files']
        # HailoRT's Python binding: the wheel came with the artifact, the venv imports it at the same version
        wheels = [name for name in manifest['files'] if name.startswith('share/hailo_open/wheels/')]
        assert len(wheels) == 1 and wheels[0].endswith('-cp313-cp313-linux_%s.whl' % host.system_info.arch), wheels
        assert wheels[0].startswith('share/hailo_open/wheels/hailort-%s-' % version)
        imported = host.check_output('/opt/hailo_open/venv/bin/python -c '
                                     '"import hailo_platform, numpy; print(hailo_platform.__version__, '
                                     'hailo_platform.library_version())"')
        assert imported == '%s %s' % (version, version)
    return check
