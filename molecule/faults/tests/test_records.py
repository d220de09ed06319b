"""The fault tests' records (molecule/faults/converge.yml, JSON in the scenario's ephemeral directory on the
controller): every interrupted run was killed where it was meant to be and the run after the kills goes to the end,
a lost host drops out while the other finishes, full disks fail with a clear message and leave nothing
half-installed, and the runs after all that converge and then change nothing. These tests read the controller's
files only (no host fixture), so they run once; tests/test_state.py checks both hosts."""

import json
import os

import pytest

RECORDS = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
KILL_POINTS = 10


def load(name):
    with open(os.path.join(RECORDS, 'faults-%s.json' % name)) as handle:
        return json.load(handle)


@pytest.fixture(scope='module')
def state():
    return load('disk-state')


def folded(text):
    return ' '.join(text.split())  # the callback folds long messages


def fatal_of(run, host):
    found = [fatal for fatal in run['fatals'] if fatal['host'] == host]
    assert len(found) == 1, (run['fatals'], run['tail'][-30:])
    return found[0]


def parse_state(text):
    return dict(line.split(': ', 1) if ': ' in line else (line.rstrip(':'), '') for line in text.splitlines())


def test_every_kill_point_was_reached_and_killed():
    record = load('interrupted')
    runs = record['interrupted']
    assert len(runs) == KILL_POINTS
    for run in runs:
        assert run['reached'], (run['point'], run['tail'][-30:])
        assert run['rc'] == -9, (run['point'], run['rc'])
        assert run['point'] in run['task']
        # A killed run fails nothing before its kill: each starts from what the previous kill left.
        assert run['fatals'] == [], (run['point'], run['fatals'])
    assert record['runs'] == []  # the lost-host run goes to the end on fault-a


def test_a_lost_host_drops_out_and_the_other_finishes():
    lost = load('lost')
    assert lost['reached'] and lost['event']['rc'] == 0
    assert lost['rc'] != 0
    # Over SSH a node that vanishes mid-task is unreachable. Through podman (these simulated nodes) the module dies
    # with its container (rc 137, no result) and Ansible counts a failed task: either way fault-b leaves the play at
    # the task it was lost in, and with a failure budget of 50 % the play goes on.
    fatal = fatal_of(lost, 'fault-b')
    assert fatal['kind'] == 'unreachable' or 'rc: 137' in fatal['result'], fatal
    recap_b = lost['recap']['fault-b']
    assert recap_b['unreachable'] + recap_b['failed'] == 1, lost['recap']
    # fault-a's part of this run is also the run after the ten kills: from what the last kill left, it goes to the
    # end without a failure.
    assert lost['recap']['fault-a']['failed'] == 0 and lost['recap']['fault-a']['unreachable'] == 0, lost['tail']
    assert not [f for f in lost['fatals'] if f['host'] == 'fault-a']
    assert os.path.exists(os.path.join(RECORDS, 'faults-lost-report.json')), lost['tail']
    report = load('lost-report')
    statuses = dict((row['hostname'], row['status']) for row in report['hosts'])
    assert statuses == {'fault-a': 'ok', 'fault-b': 'unreachable'}, statuses


def test_the_run_after_the_lost_host_finishes_the_interrupted_dpkg(state):
    # The container was stopped while dpkg ran in it (converge.yml waits for dpkg before stopping it): dpkg's
    # journal had entries, and the next run on it (the first full-disk run) finished dpkg's work first.
    assert state['dpkg_journal_after_loss'] > 0, state
    run = load('dkms-full')['runs'][0]
    assert [task for task, host in run['changed'] if host == 'fault-b' and 'dpkg --configure -a' in task], run['changed']


def test_full_disk_during_the_dkms_build(state):
    run = load('dkms-full')['runs'][0]
    assert run['rc'] != 0
    fatal = fatal_of(run, 'fault-b')
    assert 'dkms' in fatal['result'] and 'No space left on device' in folded(fatal['result']), fatal
    left = parse_state(state['dkms_full'])
    # No module was installed from the failed build.
    assert 'hailo_pci' not in left['modules'], left


def test_full_disk_during_the_artifact_copy(state):
    run = load('artifact-full')['runs'][0]
    assert run['rc'] != 0
    fatal = fatal_of(run, 'fault-b')
    assert 'No space left on device' in folded(fatal['result']), fatal
    left = parse_state(state['artifact_full'])
    # No partial artifact, and HailoRT not installed from one.
    assert left['artifacts'].split() == ['.', '..'], left
    assert 'No such file' in left['hailortcli'], left


def test_after_the_faults_both_hosts_converge_and_stay():
    final, again = load('final')['runs']
    assert final['rc'] == 0 and final['fatals'] == [], final['tail'][-30:]
    assert again['rc'] == 0 and again['fatals'] == [], again['tail'][-30:]
    assert sorted(again['recap']) == ['fault-a', 'fault-b']
    for host, counts in again['recap'].items():
        assert counts['changed'] == 0 and counts['failed'] == 0 and counts['unreachable'] == 0, (host, counts)
    assert again['changed'] == []
