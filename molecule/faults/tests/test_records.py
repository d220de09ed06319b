"""The fault tests' records (molecule/faults/converge.yml, copied to fault-a): every interrupted run was killed
where it was meant to be, the runs after the kills converge and then change nothing, a lost host is reported
unreachable while the other finishes, and full disks fail with a clear message and leave nothing half-installed."""

import json

import pytest

testinfra_hosts = ['podman://fault-a']

KILL_POINTS = 10


def load(host, name):
    return json.loads(host.file('/var/tmp/molecule-%s.json' % name).content_string)


@pytest.fixture(scope='module')
def interrupted(host):
    return load(host, 'faults-interrupted')


@pytest.fixture(scope='module')
def disk(host):
    return load(host, 'faults-disk')


def folded(text):
    return ' '.join(text.split())  # the callback folds long messages


def test_every_kill_point_was_reached_and_killed(interrupted):
    runs = interrupted['interrupted']
    assert len(runs) == KILL_POINTS
    for run in runs:
        assert run['reached'], run['point']
        assert run['rc'] == -9, (run['point'], run['rc'])
        assert run['point'] in run['task']


def test_the_run_after_the_kills_converges_and_the_next_changes_nothing(interrupted):
    final, again = interrupted['final'], interrupted['again']
    assert final['rc'] == 0, final['tail']
    assert final['recap']['fault-a']['failed'] == 0
    assert again['rc'] == 0, again['tail']
    assert again['recap']['fault-a']['changed'] == 0, again['tail']


def test_a_lost_host_is_unreachable_and_the_other_finishes(host):
    lost = load(host, 'faults-lost')
    assert lost['reached'] and lost['event']['rc'] == 0
    assert lost['rc'] != 0
    assert lost['recap']['fault-b']['unreachable'] >= 1, lost['recap']
    assert lost['recap']['fault-a']['failed'] == 0 and lost['recap']['fault-a']['unreachable'] == 0
    report = load(host, 'faults-lost-report')
    statuses = dict((row['hostname'], row['status']) for row in report['hosts'])
    assert statuses == {'fault-a': 'ok', 'fault-b': 'unreachable'}, statuses


def test_full_disk_during_the_dkms_build(disk):
    run = disk['dkms_full']
    assert int(run['rc']) != 0
    assert 'No space left on device' in folded(run['output']), run['output'][-3000:]
    # No module was installed from the failed build.
    assert 'hailo_pci' not in run['state'].split('modules:')[1].split('\n')[0], run['state']


def test_full_disk_during_the_artifact_copy(disk):
    run = disk['artifact_full']
    assert int(run['rc']) != 0
    assert 'No space left on device' in folded(run['output']), run['output'][-3000:]
    state = dict(line.split(': ', 1) for line in run['state'].splitlines() if ': ' in line)
    # No partial artifact, and HailoRT not installed from one.
    assert state['artifacts'].split() == ['.', '..'], state
    assert 'No such file' in state['hailortcli'], state


def test_after_the_faults_both_hosts_converge_and_stay(disk):
    assert int(disk['final']['rc']) == 0, disk['final']['output'][-3000:]
    assert int(disk['again']['rc']) == 0, disk['again']['output'][-3000:]
    assert 'changed=0' in disk['again']['output']
    for line in disk['again']['output'].splitlines():
        if line.startswith('fault-'):
            assert 'changed=0' in line and 'failed=0' in line, line
