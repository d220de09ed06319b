"""The node ran ansible-pull of this collection at the pinned commit, provisioned and validated itself, and left
its report row for a collector; the timer stays armed for the next run."""

import json


def test_the_first_run_succeeded(host):
    show = host.check_output('systemctl show hailo-open-pull.service -p Result -p ExecMainStatus')
    assert 'Result=success' in show and 'ExecMainStatus=0' in show


def test_the_timer_is_armed(host):
    assert host.service('hailo-open-pull.timer').is_enabled
    assert host.service('hailo-open-pull.timer').is_running
    unit = host.file('/etc/systemd/system/hailo-open-pull.service').content_string
    assert '--checkout ' in unit and 'playbooks/pull.yml' in unit


def test_the_pinned_commit_was_checked_out(host):
    head = host.check_output('git -C /var/lib/hailo_open.hailo/pull rev-parse HEAD')
    unit = host.file('/etc/systemd/system/hailo-open-pull.service').content_string
    assert '--checkout %s' % head in unit


def test_the_node_wrote_its_report_row(host):
    report = json.loads(host.file('/var/lib/hailo_open.hailo/report/fleet-report.json').content_string)
    [row] = report['hosts']
    assert row['hostname'] == host.check_output('hostname -s')
    assert row['status'] == 'ok', row
    assert row['architecture'] == 'HAILO8' and row['runtime_version'] == '4.23.0' and row['passed'] is True


def test_the_vars_file_is_private(host):
    assert host.file('/etc/hailo_open.hailo/pull-vars.yml').mode == 0o600
