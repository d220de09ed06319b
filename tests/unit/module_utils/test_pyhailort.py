# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_pyhailort: the pybind11 choice per Python, the binding's commands and wheel name, the import check."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _pyhailort as pyhailort


@pytest.mark.parametrize('value, expected', [
    ('3.13', (3, 13)), ('3.13.5', (3, 13)), ({'major': 3, 'minor': 11, 'micro': 2}, (3, 11)),
    ('', None), (None, None), ({'major': 'x'}, None), ('three', None),
])
def test_parse_python_version(value, expected):
    assert pyhailort.parse_python_version(value) == expected


@pytest.mark.parametrize('version, requested, pybind11, minimum', [
    ((3, 11), 'auto', 'pinned', '2.10.1'),
    ((3, 11), 'system', 'system', '2.10'),
    ((3, 12), 'auto', 'system', '2.11'),
    ((3, 13), 'auto', 'system', '2.13'),
    ((3, 13), 'system', 'system', '2.13'),
])
def test_choose_pybind11(version, requested, pybind11, minimum):
    choice = pyhailort.choose_pybind11(version, requested)
    assert (choice['pybind11'], choice['minimum']) == (pybind11, minimum)
    assert choice['tag'] == 'cp%d%d' % version and choice['python'] == '%d.%d' % version


def test_pinned_pybind11_is_refused_where_it_predates_the_python():
    with pytest.raises(ValueError) as error:
        pyhailort.choose_pybind11((3, 13), 'pinned')
    assert 'pinned cannot build the binding for Python 3.13' in str(error.value)


@pytest.mark.parametrize('version', [(3, 14), (2, 7), None])
def test_unknown_python_fails_naming_it(version):
    with pytest.raises(ValueError) as error:
        pyhailort.choose_pybind11(version)
    message = str(error.value)
    assert ('Python %d.%d' % version if version else 'Python unknown') in message
    assert 'hailort_python: false' in message and '3.13' in message


def test_bad_choice():
    with pytest.raises(ValueError):
        pyhailort.choose_pybind11((3, 13), 'latest')


def test_wheel_name_as_upstream_names_it():
    assert pyhailort.wheel_name('4.23.0', 'cp313', 'aarch64') == 'hailort-4.23.0-cp313-cp313-linux_aarch64.whl'


def test_shim_needs_the_minimum():
    text = pyhailort.shim_cmakelists('2.13')
    assert 'find_package(pybind11 2.13 CONFIG REQUIRED GLOBAL)' in text
    assert 'cmake_minimum_required(VERSION 3.24)' in text


def test_binding_commands():
    choice = pyhailort.choose_pybind11((3, 13))
    (configure, cwd), (wheel, wheel_cwd) = pyhailort.binding_commands(
        '/w/src', '/w/staging/usr/local', '/usr/bin/python3', choice, '/w/shim', offline=True, wheel_dir='/w/wheels')
    platform = '/w/src/hailort/libhailort/bindings/python/platform'
    assert cwd == wheel_cwd == platform
    assert configure[:5] == ['cmake', '-S', '/w/src/hailort/libhailort/bindings/python/src', '-B', platform + '/build']
    for arg in ('-DPYBIND11_PYTHON_VERSION=3.13', '-DCMAKE_PREFIX_PATH=/w/staging/usr/local',
                '-DFETCHCONTENT_SOURCE_DIR_PYBIND11=/w/shim', '-DFETCHCONTENT_FULLY_DISCONNECTED=ON',
                '-DPYTHON_EXECUTABLE=/usr/bin/python3'):
        assert arg in configure
    assert wheel == ['/usr/bin/python3', 'setup.py', 'bdist_wheel', '-d', '/w/wheels']
    pinned = pyhailort.binding_commands('/w/src', '/p', '/usr/bin/python3', pyhailort.choose_pybind11((3, 11)))
    assert not [arg for arg in pinned[0][0] if 'FETCHCONTENT' in arg]


def test_missing_build_requirements(tmp_path):
    assert pyhailort.missing_build_requirements(str(tmp_path), True, False) == ['python3-dev (Python.h)',
                                                                               'python3-wheel']
    (tmp_path / 'Python.h').write_text('')
    assert pyhailort.missing_build_requirements(str(tmp_path), True, True) == []
    assert pyhailort.missing_build_requirements(None, False, True) == ['python3-dev (Python.h)', 'python3-setuptools']


def test_import_check_output(tmp_path):
    ok = json.dumps({'python': '3.13.5', 'version': '4.23.0', 'error': None})
    assert pyhailort.parse_import_check(0, ok + '\n') == {'python': '3.13.5', 'version': '4.23.0', 'error': None}
    failed = json.dumps({'python': '3.13.5', 'version': None,
                         'error': "ModuleNotFoundError: No module named 'hailo_platform'"})
    assert pyhailort.parse_import_check(0, 'noise\n' + failed)['error'].startswith('ModuleNotFoundError')
    crashed = pyhailort.parse_import_check(-11, '', 'Fatal Python error: Segmentation fault\n')
    assert crashed['version'] is None and 'exited with -11: Fatal Python error' in crashed['error']


def test_import_check_runs_in_this_python():
    # The check itself is plain Python: run it here, where hailo_platform is not installed.
    import subprocess
    import sys
    result = subprocess.run([sys.executable, '-c', pyhailort.IMPORT_CHECK], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, check=False,
                            env=dict(os.environ, PYTHONPATH=''))
    parsed = pyhailort.parse_import_check(result.returncode, result.stdout, result.stderr)
    assert parsed['python'] == '%d.%d.%d' % sys.version_info[:3]
    assert parsed['version'] is None and "No module named 'hailo_platform'" in parsed['error']
