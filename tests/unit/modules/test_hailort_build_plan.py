"""Unit tests for the hailort_build_plan module."""

import pytest

from ansible_collections.hailo_open.hailo.plugins.modules import hailort_build_plan
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module


def run(module, args):
    return run_module(module.main, args)


FLEET = [
    {'name': 'pi1', 'target': 'aarch64-trixie', 'cores': 4, 'memory_mib': 1900},
    {'name': 'pi2', 'target': 'aarch64-trixie', 'cores': 4, 'memory_mib': 7900},
    {'name': 'pi3', 'target': 'aarch64-trixie', 'cores': 4, 'memory_mib': 3900},
    {'name': 'nuc', 'target': 'x86_64-bookworm', 'cores': 8, 'memory_mib': 16000},
]
PLAN = {'hosts': FLEET, 'version': '4.23.0', 'source_sha256': 'a' * 64}


def test_plan_builds_once_per_target():
    result = run(hailort_build_plan, PLAN)
    assert result['changed'] is False
    assert sorted(result['builds']) == ['aarch64-trixie', 'x86_64-bookworm']
    arm = result['builds']['aarch64-trixie']
    assert arm['builder'] == 'pi1'
    assert arm['artifact'] == 'hailort-4.23.0-aarch64-trixie-%s.tar.gz' % arm['build_id']
    hosts = result['hosts']
    assert [h for h in hosts if hosts[h]['builds']] == ['pi1', 'nuc']
    assert hosts['pi3']['builder'] == 'pi1' and hosts['pi3']['build_id'] == arm['build_id']
    assert (hosts['pi1']['jobs'], hosts['pi2']['jobs'], hosts['pi3']['jobs'], hosts['nuc']['jobs']) == (1, 4, 2, 8)
    assert result['cmake_args'] == ['-DCMAKE_BUILD_TYPE=Release']


def test_plan_with_a_designated_builder_and_options():
    result = run(hailort_build_plan, dict(PLAN, builder='pi2', cmake_options={'HAILO_BUILD_SERVICE': True}))
    assert result['builds']['aarch64-trixie']['builder'] == 'pi2'
    assert result['builds']['x86_64-bookworm']['builder'] == 'nuc'
    assert result['cmake_args'] == ['-DCMAKE_BUILD_TYPE=Release', '-DHAILO_BUILD_SERVICE=ON']
    plain = run(hailort_build_plan, PLAN)
    assert plain['builds']['aarch64-trixie']['build_id'] != result['builds']['aarch64-trixie']['build_id']


def test_plan_each_host_builds_everywhere():
    result = run(hailort_build_plan, dict(PLAN, mode='each_host'))
    assert all(h['builds'] for h in result['hosts'].values())
    assert len(result['builds']) == 4


@pytest.mark.parametrize('args, message', [
    (dict(PLAN, version='4.23'), 'version must look like 4.23.0'),
    (dict(PLAN, builder='pi9'), "'pi9' is not one of the play hosts"),
    (dict(PLAN, cmake_options={'HAILO_BUILD_PYBIND': True}), 'Unknown HailoRT CMake option'),
    (dict(PLAN, cmake_extra_args=['-DCMAKE_BUILD_TYPE=Debug']), 'unless it is Release'),
    (dict(PLAN, hosts=[{'name': 'pi1'}]), 'target'),
])
def test_plan_bad_input(args, message):
    result = run(hailort_build_plan, args)
    assert result['failed'] and message in result['msg']


def test_plan_from_gathered_facts():
    facts = {
        'pi1': {'architecture': 'aarch64', 'distribution_release': 'trixie', 'processor_nproc': 4, 'memtotal_mb': 3900},
        'pi2': {'architecture': 'aarch64', 'distribution_release': 'trixie', 'processor_nproc': 4, 'memtotal_mb': 7900},
    }
    result = run(hailort_build_plan, {'host_facts': facts, 'version': '4.23.0', 'source_sha256': 'a' * 64})
    assert list(result['builds']) == ['aarch64-trixie']
    assert result['hosts']['pi1']['builds'] and not result['hosts']['pi2']['builds']
    assert result['hosts']['pi1']['jobs'] == 2
    both = run(hailort_build_plan, {'host_facts': facts, 'hosts': FLEET, 'version': '4.23.0', 'source_sha256': 'a'})
    assert both['failed'] and 'mutually exclusive' in both['msg']


def python_facts(minor, release='trixie'):
    return {'architecture': 'aarch64', 'distribution_release': release, 'processor_nproc': 4, 'memtotal_mb': 7900,
            'python': {'version': {'major': 3, 'minor': minor, 'micro': 5}}}


def test_python_binding_is_part_of_the_target():
    facts = {'pi1': python_facts(13), 'pi2': python_facts(13), 'old': python_facts(11, 'bookworm')}
    result = run(hailort_build_plan, {'host_facts': facts, 'version': '4.23.0', 'source_sha256': 'a' * 64,
                                      'python_binding': True})
    assert result['failed'] is False, result.get('msg')
    assert sorted(result['builds']) == ['aarch64-bookworm-cp311', 'aarch64-trixie-cp313']
    pi1 = result['hosts']['pi1']
    assert pi1['python_binding'] == {'python': '/usr/bin/python3', 'version': '3.13', 'pybind11': 'system',
                                     'minimum': '2.13', 'wheel': 'hailort-4.23.0-cp313-cp313-linux_aarch64.whl',
                                     'offline': False}
    assert 'Python 3.13: pybind11 system' in pi1['python_binding_reason']
    assert result['hosts']['old']['python_binding']['pybind11'] == 'pinned'
    assert result['hosts']['pi2']['builder'] == 'pi1'
    without = run(hailort_build_plan, {'host_facts': facts, 'version': '4.23.0', 'source_sha256': 'a' * 64})
    assert without['hosts']['pi1']['python_binding'] is None
    assert without['hosts']['pi1']['build_id'] != pi1['build_id']
    system = run(hailort_build_plan, {'host_facts': facts, 'version': '4.23.0', 'source_sha256': 'a' * 64,
                                      'python_binding': True, 'pybind11': 'system'})
    assert system['hosts']['old']['build_id'] != result['hosts']['old']['build_id']
    offline = run(hailort_build_plan, {'host_facts': facts, 'version': '4.23.0', 'source_sha256': 'a' * 64,
                                       'python_binding': True,
                                       'cmake_options': {'HAILO_OFFLINE_COMPILATION': True}})
    assert offline['hosts']['pi1']['python_binding']['offline'] is True


@pytest.mark.parametrize('facts, words', [
    (python_facts(14), ['pi9: No pybind11 is known', 'Python 3.14']),
    (dict(python_facts(13), python={}), ['pi9: No pybind11 is known', 'Python unknown']),
])
def test_python_without_a_known_pybind11_fails_the_plan(facts, words):
    result = run(hailort_build_plan, {'host_facts': {'pi9': facts}, 'version': '4.23.0', 'source_sha256': 'a' * 64,
                                      'python_binding': True})
    assert result['failed'] is True
    for word in words:
        assert word in result['msg']


def test_pinned_pybind11_for_python_313_fails_the_plan():
    result = run(hailort_build_plan, {'host_facts': {'pi1': python_facts(13)}, 'version': '4.23.0',
                                      'source_sha256': 'a' * 64, 'python_binding': True, 'pybind11': 'pinned'})
    assert result['failed'] is True and 'pinned cannot build the binding for Python 3.13' in result['msg']
