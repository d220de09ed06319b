"""Unit tests for the hailort_artifact module: real files in a temporary prefix, ldconfig faked."""

import hashlib
import io
import json
import os
import tarfile
from unittest import mock

from ansible.module_utils import basic

from ansible_collections.hailo_open.hailo.plugins.modules import hailort_artifact
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module


def run(args, check_mode=False):
    run_command = mock.Mock(return_value=(0, '', ''))
    with mock.patch.object(basic.AnsibleModule, 'run_command', run_command):
        results = run_module(hailort_artifact.main, args, check_mode=check_mode)
    results['ldconfig_calls'] = run_command.call_count
    return results


def artifact(path, version):
    with tarfile.open(str(path), 'w:gz') as archive:
        for name, data in (('bin/hailortcli', b'cli ' + version.encode()),
                           ('lib/libhailort.so.%s' % version, b'lib')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            archive.addfile(info, io.BytesIO(data))
    return str(path)


def test_install_is_idempotent_and_upgrades_cleanly(tmp_path):
    prefix = str(tmp_path / 'prefix')
    a22, a23 = artifact(tmp_path / 'a22.tgz', '4.22.0'), artifact(tmp_path / 'a23.tgz', '4.23.0')

    first = run({'src': a22, 'build_id': 'b22', 'version': '4.22.0', 'prefix': prefix})
    assert first['changed'] is True and first['previous'] is None
    assert first['installed_files'] == ['bin/hailortcli', 'lib/libhailort.so.4.22.0']
    assert first['ldconfig_calls'] == 1
    manifest = json.load(open(first['manifest']))
    assert manifest['version'] == '4.22.0' and manifest['build_id'] == 'b22'

    again = run({'src': a22, 'build_id': 'b22', 'version': '4.22.0', 'prefix': prefix})
    assert again['changed'] is False and again['ldconfig_calls'] == 0

    planned = run({'src': a23, 'build_id': 'b23', 'version': '4.23.0', 'prefix': prefix}, check_mode=True)
    assert planned['changed'] is True and planned['removed_files'] == ['lib/libhailort.so.4.22.0']
    assert os.path.exists(os.path.join(prefix, 'lib/libhailort.so.4.22.0'))  # check mode changed nothing

    upgrade = run({'src': a23, 'build_id': 'b23', 'version': '4.23.0', 'prefix': prefix})
    assert upgrade['previous'] == {'version': '4.22.0', 'build_id': 'b22'}
    assert not os.path.exists(os.path.join(prefix, 'lib/libhailort.so.4.22.0'))
    assert open(os.path.join(prefix, 'bin/hailortcli')).read() == 'cli 4.23.0'

    removed = run({'state': 'absent', 'prefix': prefix})
    assert removed['changed'] is True
    assert removed['removed_files'] == ['bin/hailortcli', 'lib/libhailort.so.4.23.0']
    assert os.listdir(prefix) == []
    assert run({'state': 'absent', 'prefix': prefix})['changed'] is False


def test_missing_or_corrupt_artifact(tmp_path):
    result = run({'src': str(tmp_path / 'none.tgz'), 'build_id': 'b', 'version': '4.23.0', 'prefix': str(tmp_path)})
    assert result['failed'] and 'does not exist' in result['msg']
    (tmp_path / 'corrupt.tgz').write_bytes(b'not a tar')
    result = run({'src': str(tmp_path / 'corrupt.tgz'), 'build_id': 'b', 'version': '4.23.0', 'prefix': str(tmp_path)})
    assert result['failed'] and 'not a readable tar archive' in result['msg']


def test_installed_needs_src_build_id_version(tmp_path):
    result = run({'prefix': str(tmp_path)})
    assert result['failed'] and 'src' in result['msg']


def test_checksum_is_verified_before_installing(tmp_path):
    prefix = str(tmp_path / 'prefix')
    a23 = artifact(tmp_path / 'a23.tgz', '4.23.0')
    good = hashlib.sha256(open(a23, 'rb').read()).hexdigest()
    bad = run({'src': a23, 'build_id': 'b', 'version': '4.23.0', 'prefix': prefix, 'sha256': '0' * 64})
    assert bad['failed'] and 'not the recorded ' + '0' * 64 in bad['msg'] and 'Nothing was installed' in bad['msg']
    assert not os.path.exists(prefix)
    ok = run({'src': a23, 'build_id': 'b', 'version': '4.23.0', 'prefix': prefix, 'sha256': good.upper()})
    assert ok['changed'] is True
