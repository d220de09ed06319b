"""Unit tests for plugins/module_utils/_hailort_build.py."""

import io
import json
import os
import tarfile

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build


@pytest.mark.parametrize('cores, mem, requested, jobs', [
    (4, 1900, 0, 1),    # Pi 5 2 GB: protobuf would be OOM-killed with more
    (4, 3900, 0, 2),    # Pi 5 4 GB
    (4, 7900, 0, 4),    # Pi 5 8 GB: cores are the limit
    (4, 16000, 0, 4),
    (2, 400, 0, 1),     # never zero
    (0, 0, 0, 1),
    (4, 1900, 3, 3),    # the user knows better
])
def test_build_jobs(cores, mem, requested, jobs):
    assert hailort_build.build_jobs(cores, mem, requested)[0] == jobs


def test_build_jobs_explains_a_memory_limit():
    jobs, reason = hailort_build.build_jobs(4, 3900)
    assert jobs == 2
    assert '3900 MiB' in reason and '4 cores' in reason


def test_build_id_changes_with_every_input():
    base = dict(version='4.23.0', source_sha256='a' * 64, cmake_options={'HAILO_BUILD_SERVICE': False},
                prefix='/usr/local', target='arm64-trixie')
    reference = hailort_build.build_id(**base)
    assert len(reference) == 16
    assert hailort_build.build_id(**base) == reference
    for key, value in (('version', '4.22.0'), ('source_sha256', 'b' * 64), ('prefix', '/opt/hailo'),
                       ('cmake_options', {'HAILO_BUILD_SERVICE': True}), ('target', 'amd64-trixie')):
        assert hailort_build.build_id(**dict(base, **{key: value})) != reference, key


def test_cmake_arguments():
    args = hailort_build.cmake_arguments({'HAILO_BUILD_SERVICE': True, 'HAILO_OFFLINE_COMPILATION': False},
                                         ['-DCMAKE_POLICY_VERSION_MINIMUM=3.5'])
    assert args == ['-DCMAKE_BUILD_TYPE=Release', '-DHAILO_BUILD_SERVICE=ON', '-DHAILO_OFFLINE_COMPILATION=OFF',
                    '-DCMAKE_POLICY_VERSION_MINIMUM=3.5']


def test_cmake_arguments_refuses_bad_input():
    with pytest.raises(ValueError, match='HAILO_BUILD_PYBIND'):
        hailort_build.cmake_arguments({'HAILO_BUILD_PYBIND': True})
    with pytest.raises(ValueError, match='Release'):
        hailort_build.cmake_arguments({}, ['-DCMAKE_BUILD_TYPE=Debug'])


HOSTS = [{'name': 'pi1', 'target': 'arm64-trixie'}, {'name': 'pi2', 'target': 'arm64-trixie'},
         {'name': 'x86', 'target': 'amd64-bookworm'}, {'name': 'pi3', 'target': 'arm64-bookworm'}]


def test_choose_builders_first_of_each_target():
    assert hailort_build.choose_builders(HOSTS) == {'arm64-trixie': 'pi1', 'amd64-bookworm': 'x86',
                                                    'arm64-bookworm': 'pi3'}


def test_choose_builders_explicit():
    assert hailort_build.choose_builders(HOSTS, 'pi2')['arm64-trixie'] == 'pi2'
    with pytest.raises(ValueError, match="'pi9' is not one of the play hosts"):
        hailort_build.choose_builders(HOSTS, 'pi9')


def test_parse_progress():
    log = ('-- Configuring done\n[  1%] Building CXX object external/protobuf/arena.cc.o\n'
           '[ 45%] Building CXX object libhailort/src/device.cpp.o\nwarning: something\n'
           '[100%] Linking CXX executable hailortcli\n')
    assert hailort_build.parse_progress(log) == (100, 'Linking CXX executable hailortcli')
    assert hailort_build.parse_progress('-- Configuring done\n') == (None, None)
    assert hailort_build.parse_progress(None) == (None, None)


def make_artifact(path, files, symlinks=None, extra=None):
    with tarfile.open(str(path), 'w:gz') as archive:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.startswith('bin/') else 0o644
            archive.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
        for info in extra or []:
            archive.addfile(info, io.BytesIO(b''))


V23 = {'bin/hailortcli': 'cli 4.23.0', 'lib/libhailort.so.4.23.0': 'lib 4.23.0', 'include/hailo/hailort.h': 'h'}
V22 = {'bin/hailortcli': 'cli 4.22.0', 'lib/libhailort.so.4.22.0': 'lib 4.22.0', 'include/hailo/hailort.h': 'h'}


def test_install_upgrade_and_remove(tmp_path):
    prefix = tmp_path / 'usr/local'
    (prefix / 'lib').mkdir(parents=True)
    (prefix / 'lib/other.so').write_text('not ours')
    make_artifact(tmp_path / 'a22.tgz', V22, {'lib/libhailort.so': 'libhailort.so.4.22.0'})
    make_artifact(tmp_path / 'a23.tgz', V23, {'lib/libhailort.so': 'libhailort.so.4.23.0'})

    files22, created22 = hailort_build.install_artifact(str(tmp_path / 'a22.tgz'), str(prefix))
    assert files22 == ['bin/hailortcli', 'include/hailo/hailort.h', 'lib/libhailort.so', 'lib/libhailort.so.4.22.0']
    assert created22 == ['bin', 'include', 'include/hailo']  # lib existed before
    assert os.readlink(str(prefix / 'lib/libhailort.so')) == 'libhailort.so.4.22.0'
    assert os.stat(str(prefix / 'bin/hailortcli')).st_mode & 0o777 == 0o755

    manifest = {'build_id': 'b22', 'files': files22, 'created_dirs': created22}
    new_files = hailort_build.artifact_files(str(tmp_path / 'a23.tgz'))
    needed, stale = hailort_build.plan_install(manifest, 'b23', new_files, str(prefix))
    assert needed and stale == ['lib/libhailort.so.4.22.0']
    assert hailort_build.plan_install(manifest, 'b22', files22, str(prefix)) == (False, [])

    hailort_build.install_artifact(str(tmp_path / 'a23.tgz'), str(prefix))
    hailort_build.remove_files(str(prefix), stale)
    assert not (prefix / 'lib/libhailort.so.4.22.0').exists()
    assert (prefix / 'bin/hailortcli').read_text() == 'cli 4.23.0'
    assert os.readlink(str(prefix / 'lib/libhailort.so')) == 'libhailort.so.4.23.0'

    hailort_build.remove_files(str(prefix), new_files, created22)
    assert sorted(os.listdir(str(prefix))) == ['lib']      # created dirs gone, lib kept
    assert os.listdir(str(prefix / 'lib')) == ['other.so']  # files of others untouched


def test_plan_install_reinstalls_when_a_file_went_missing(tmp_path):
    manifest = {'build_id': 'b', 'files': ['bin/hailortcli']}
    assert hailort_build.plan_install(manifest, 'b', ['bin/hailortcli'], str(tmp_path)) == (True, [])
    assert hailort_build.plan_install(None, 'b', ['bin/hailortcli'], str(tmp_path)) == (True, [])


@pytest.mark.parametrize('name, kind, link', [
    ('../etc/passwd', tarfile.REGTYPE, ''),
    ('/etc/passwd', tarfile.REGTYPE, ''),
    ('lib/evil', tarfile.SYMTYPE, '/etc/shadow'),
    ('lib/evil', tarfile.SYMTYPE, '../../etc/shadow'),
    ('dev/null', tarfile.CHRTYPE, ''),
])
def test_unsafe_artifacts_are_refused(tmp_path, name, kind, link):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    make_artifact(tmp_path / 'bad.tgz', {}, extra=[info])
    with pytest.raises(ValueError):
        hailort_build.artifact_files(str(tmp_path / 'bad.tgz'))
    with pytest.raises(ValueError):
        hailort_build.install_artifact(str(tmp_path / 'bad.tgz'), str(tmp_path / 'prefix'))
    assert not (tmp_path / 'prefix').exists() or not os.listdir(str(tmp_path / 'prefix'))


def test_read_manifest(tmp_path):
    assert hailort_build.read_manifest(str(tmp_path / 'none.json')) is None
    (tmp_path / 'bad.json').write_text('{not json')
    assert hailort_build.read_manifest(str(tmp_path / 'bad.json')) is None
    (tmp_path / 'list.json').write_text('[]')
    assert hailort_build.read_manifest(str(tmp_path / 'list.json')) is None
    (tmp_path / 'ok.json').write_text(json.dumps({'version': '4.23.0'}))
    assert hailort_build.read_manifest(str(tmp_path / 'ok.json')) == {'version': '4.23.0'}


UPSTREAM_VERSION_FILE = '''cmake_minimum_required(VERSION 3.5.0)

set(HAILORT_MAJOR_VERSION    4)
set(HAILORT_MINOR_VERSION    23)
set(HAILORT_REVISION_VERSION 0)
'''


def test_parse_source_version():
    assert hailort_build.parse_source_version(UPSTREAM_VERSION_FILE) == '4.23.0'
    assert hailort_build.parse_source_version(UPSTREAM_VERSION_FILE.replace('    23', ' 22')) == '4.22.0'
    assert hailort_build.parse_source_version('set(HAILORT_MAJOR_VERSION 4)\n') is None
    assert hailort_build.parse_source_version('') is None


def make_tree(root, version_text=UPSTREAM_VERSION_FILE, externals=()):
    (root / 'hailort/libhailort').mkdir(parents=True)
    (root / hailort_build.VERSION_FILE).write_text(version_text)
    for name in externals:
        (root / 'hailort/external' / (name + '-src')).mkdir(parents=True)
    return str(root)


def test_check_source(tmp_path):
    tree = make_tree(tmp_path / 'ok', externals=hailort_build.EXTERNALS)
    assert hailort_build.check_source(tree, '4.23.0', offline=True) == '4.23.0'
    with pytest.raises(ValueError, match='lacks grpc-src'):
        hailort_build.check_source(tree, '4.23.0', offline=True, service=True)


def test_check_source_version_mismatch(tmp_path):
    tree = make_tree(tmp_path / 'old', UPSTREAM_VERSION_FILE.replace('    23', ' 22'))
    with pytest.raises(ValueError, match=r'version 4\.22\.0, but hailo_version is 4\.23\.0'):
        hailort_build.check_source(tree, '4.23.0')


def test_check_source_offline_without_externals(tmp_path):
    tree = make_tree(tmp_path / 'bare', externals=('protobuf', 'spdlog'))
    assert hailort_build.check_source(tree, '4.23.0') == '4.23.0'  # online builds fetch them
    with pytest.raises(ValueError, match='lacks readerwriterqueue-src, xxhash-src, eigen-src, cli11-src, json-src, '
                                         'dotwriter-src.*prepare_externals.cmake'):
        hailort_build.check_source(tree, '4.23.0', offline=True)


def test_check_source_not_a_tree(tmp_path):
    with pytest.raises(ValueError, match='not a HailoRT source tree'):
        hailort_build.check_source(str(tmp_path), '4.23.0')
    (tmp_path / 'hailort/libhailort').mkdir(parents=True)
    (tmp_path / hailort_build.VERSION_FILE).write_text('project(x)\n')
    with pytest.raises(ValueError, match='does not state a HailoRT version'):
        hailort_build.check_source(str(tmp_path), '4.23.0')
