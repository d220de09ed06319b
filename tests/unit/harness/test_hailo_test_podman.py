# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/harness/connection_plugins/hailo_test_podman.py, the harness's pipelined podman connection: loaded through
Ansible's plugin loader (its options from its DOCUMENTATION), with podman itself replaced by a recorder."""

from __future__ import annotations

import os

import pytest

from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
connection_loader.add_directory(os.path.join(ROOT, 'tests', 'harness', 'connection_plugins'))


@pytest.fixture
def conn(tmp_path):
    root = tmp_path / 'root'
    (root / 'tmp').mkdir(parents=True)
    connection = connection_loader.get('hailo_test_podman', PlayContext(), None)
    connection.set_options(var_options={'inventory_hostname': 'node-a', 'ansible_pipelining': True})
    calls = []

    def podman(cmd, cmd_args=None, in_data=None, use_container_id=True):
        calls.append((cmd, cmd_args, in_data))
        if cmd == 'mount':
            return 0, str(root).encode() + b'\n', b''
        return 0, b'out', b''

    connection._podman = podman
    connection.calls = calls
    connection.root = root
    return connection


def test_pipelining_is_on_when_configured(conn):
    assert conn.has_pipelining
    assert conn.is_pipelining_enabled()
    assert not conn.is_pipelining_enabled(wrap_async=True)


def test_a_module_on_stdin_is_one_podman_exec_with_i(conn):
    rc, out, err = conn.exec_command("/bin/sh -c '/usr/bin/python3 && sleep 0'", in_data=b'module')
    assert (rc, out) == (0, b'out')
    assert conn.calls == [(['exec', '-i'], ['/bin/sh', '-c', '/usr/bin/python3 && sleep 0'], b'module')]


def test_a_command_without_input_is_a_plain_podman_exec(conn):
    conn.exec_command('/bin/sh -c "echo ~"')
    assert conn.calls == [(['exec'], ['/bin/sh', '-c', 'echo ~'], None)]


def test_the_container_is_mounted_once_and_only_for_files(conn, tmp_path):
    conn.exec_command('/bin/true', in_data=b'x')
    assert [c for c in conn.calls if c[0] == 'mount'] == []
    src = tmp_path / 'src'
    src.write_text('hello\n')
    conn.put_file(str(src), '/tmp/copied')
    conn.fetch_file('/tmp/copied', str(tmp_path / 'back'))
    assert (conn.root / 'tmp' / 'copied').read_text() == 'hello\n'
    assert (tmp_path / 'back').read_text() == 'hello\n'
    assert [c[0] for c in conn.calls].count('mount') == 1


def test_a_user_goes_to_podman_exec(conn):
    conn.user = 'pi'
    conn.exec_command('/bin/true', in_data=b'x')
    assert conn.calls[-1][0] == ['exec', '-i', '--user', 'pi']
