#!/usr/bin/env python3
"""Interrupt a playbook at chosen tasks, then let it finish: the fault tests' runs.

For each --point, ansible-playbook is started again and SIGKILLed (its whole process group: the controller dies,
as when an operator's laptop does) once the named task has started and DELAY seconds have passed. The runs follow
one another on the same hosts, so each run first has to get past what the previous kill left behind. Then the
playbook runs to the end --final times (default 2: a run that must succeed, and one that must change nothing;
0 for none). Everything is written as JSON to --record: each run's rc, duration, recap, every "fatal:" with the
result that follows it, and the end of its output.

    interrupt-runs.py --record FILE [--point 'TASK[@DELAY]' ...] [--final N] -- ansible-playbook ARGS...

TASK is a substring of the task's banner ("TASK [role : name]"); a point that no run reaches is an error (the
test would not test what it says). Without --point the command just runs --final times (a run under a fault set
up beforehand, such as a full disk: --final 1).

With --at 'TASK[@DELAY]' --do COMMAND instead, one run is made: COMMAND runs (through the shell) when TASK has
started and DELAY seconds have passed, and the playbook goes on to its end (a host lost mid-run: COMMAND stops its
container).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

RECAP = re.compile(r'^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)'
                   r'\s+failed=(?P<failed>\d+)')


def parse_point(text):
    task, _, delay = text.rpartition('@')
    if not task or not re.match(r'^\d+(\.\d+)?$', delay):
        return text, 0.0
    return task, float(delay)


FATAL = re.compile(r'^fatal: \[(?P<host>[^\]]+)\]: (?P<kind>FAILED|UNREACHABLE)!')


def fatals(lines):
    """Every 'fatal: [host]: FAILED!/UNREACHABLE!' of a run that the playbook did not ignore, with the lines that
    follow it (its result)."""
    found = []
    for index, line in enumerate(lines):
        match = FATAL.match(line)
        if match:
            # The result is indented under the fatal line; the next unindented line (another host's result, the
            # next task, '...ignoring') ends it.
            # (A blank line inside a multi-line message is followed by more indented lines.)
            end = index + 1
            while end < len(lines) and (lines[end].startswith((' ', '\t')) or (
                    not lines[end].strip() and end + 1 < len(lines) and lines[end + 1].startswith((' ', '\t')))):
                end += 1
            result = lines[index + 1:end]
            if lines[end:end + 1] == ['...ignoring']:
                continue  # a failure the playbook ignores (ignore_errors)
            found.append({'host': match.group('host'), 'kind': match.group('kind').lower(),
                          'result': '\n'.join(result)})
    return found


CHANGED = re.compile(r'^changed: \[(?P<host>[^\]]+)\]')


def changed_tasks(lines):
    """[task banner, host] for every task that reported a change."""
    found, banner = [], None
    for line in lines:
        if line.startswith('TASK ['):
            banner = line.strip().rstrip('*').strip()
        match = CHANGED.match(line)
        if match and banner:
            found.append([banner, match.group('host')])
    return found


def recap(lines):
    hosts = {}
    for line in lines:
        match = RECAP.match(line.strip())
        if match:
            hosts[match.group('host')] = dict((k, int(v)) for k, v in match.groupdict().items() if k != 'host')
    return hosts


def descendants(pid, proc_dir='/proc'):
    """Every process below pid (children, their children, ...), from the parent ids in /proc/<pid>/stat."""
    children = {}
    for entry in os.listdir(proc_dir):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc_dir, entry, 'stat')) as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name (in parentheses) may hold spaces: the parent id is the second field after it.
        parent = int(stat.rsplit(')', 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_controller(pid):
    """SIGKILL the controller's process group and every process below it: Ansible's workers leave the group
    (setsid), and a worker killed with its controller must not live on, blocked writing a result nobody reads."""
    below = descendants(pid)
    os.killpg(pid, signal.SIGKILL)
    for child in below:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(command, kill_at=None, log=None, event=None):
    """Run the command; with kill_at=(task, delay), SIGKILL its process group (and its workers) after that task
    starts; with event=(task, delay, shell command), run that command after that task starts and go on."""
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', PYTHONUNBUFFERED='1')
    start = time.time()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, universal_newlines=True)
    lines, killed, banner, done = [], None, None, None
    for line in proc.stdout:
        lines.append(line.rstrip('\n'))
        if log:
            log.write(line)
        if event and done is None and line.startswith('TASK [') and event[0] in line:
            banner = line.strip().rstrip('*').strip()
            time.sleep(event[1])
            done = subprocess.call(event[2], shell=True)
            done = {'rc': done, 'at': round(time.time() - start, 1)}
        if kill_at and killed is None and line.startswith('TASK [') and kill_at[0] in line:
            banner = line.strip().rstrip('*').strip()
            time.sleep(kill_at[1])
            kill_controller(proc.pid)
            killed = round(time.time() - start, 1)
            break
    proc.stdout.close()
    rc = proc.wait()
    return {'rc': rc, 'seconds': round(time.time() - start, 1), 'killed_at': killed, 'task': banner,
            'event': done, 'recap': recap(lines), 'fatals': fatals(lines),
            'changed': changed_tasks(lines), 'tail': lines[-60:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--record', required=True)
    parser.add_argument('--point', action='append', default=[])
    parser.add_argument('--at', help='with --do: the task at which COMMAND runs')
    parser.add_argument('--do', help='with --at: the command to run then')
    parser.add_argument('--final', type=int, default=2, help='runs to the end after the points (default 2)')
    parser.add_argument('--log', help='append every run\'s output here')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ['--'] else args.command
    if not command:
        parser.error('no command after --')
    log = open(args.log, 'a') if args.log else None
    if bool(args.at) != bool(args.do) or (args.at and args.point):
        parser.error('give --point (none or more), or --at with --do')
    if args.at:
        task, delay = parse_point(args.at)
        if log:
            log.write('\n==== run with %r at %r + %ss ====\n' % (args.do, task, delay))
        result = run(command, log=log, event=(task, delay, args.do))
        result.update(point=task, delay=delay, reached=result['event'] is not None)
        with open(args.record, 'w') as handle:
            json.dump(result, handle, indent=2)
        print('%s: %s; rc %s, recap %s' % (task, 'done' if result['reached'] else 'NOT REACHED', result['rc'],
                                           result['recap']), flush=True)
        return 0 if result['reached'] else 1
    record = {'interrupted': [], 'runs': []}
    failed = False
    for text in args.point:
        task, delay = parse_point(text)
        if log:
            log.write('\n==== run interrupted at %r + %ss ====\n' % (task, delay))
        result = run(command, (task, delay), log)
        result.update(point=task, delay=delay, reached=result['killed_at'] is not None)
        record['interrupted'].append(result)
        print('%-70s %s' % (task[:70], 'killed after %ss' % result['killed_at'] if result['reached']
                                      else 'NOT REACHED (rc %s)' % result['rc']), flush=True)
        if not result['reached']:
            print('\n'.join('    ' + line for line in result['tail'][-40:]), flush=True)
        failed = failed or not result['reached']
    for number in range(1, args.final + 1):
        if log:
            log.write('\n==== run %d to the end ====\n' % number)
        result = run(command, None, log)
        record['runs'].append(result)
        print('run %d to the end: rc %s in %ss, recap %s' % (number, result['rc'], result['seconds'], result['recap']),
              flush=True)
        for fatal in result['fatals']:
            print('    fatal: [%s] %s\n%s' % (fatal['host'], fatal['kind'], fatal['result']), flush=True)
    with open(args.record, 'w') as handle:
        json.dump(record, handle, indent=2)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
