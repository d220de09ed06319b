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
