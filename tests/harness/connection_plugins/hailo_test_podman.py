# Copyright (c) hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness only (not part of the collection): the podman connection with pipelining.

containers.podman.podman runs a task as five podman commands (mount, make the temporary directory, copy the module,
run it, remove the directory): each starts podman, which costs about a second of CPU on a 2-core machine with a few
containers, and the suite runs thousands of tasks. With `podman exec -i` the module goes to Python's standard input,
as Ansible's SSH connection does with pipelining (which the collection's ansible.cfg turns on for real Pis): one
podman command per task. The container's file system is mounted only when a file is copied or fetched.
tests/bench/fleet-bench.sh (part P0) measures both connections side by side.
"""

from __future__ import annotations

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection

DOCUMENTATION = """
name: hailo_test_podman
short_description: containers.podman.podman with pipelining (hailo_open.hailo's test harness)
description:
  - Runs commands in an existing podman container, a module through C(podman exec -i) on Python's standard input
    when pipelining is on; copies files through the container's mounted file system, mounted on first use.
extends_documentation_fragment:
  - connection_pipelining
options:
  remote_addr:
    description: The name or ID of the container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: The user that runs commands inside the container.
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments to the podman command line.
    default: ''
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
"""


class Connection(PodmanConnection):
    transport = 'hailo_test_podman'
    has_pipelining = True

    def _connect(self):
        # No mount here: a pipelined task copies nothing (see _mounted).
        self._connected = True
        return self

    def _mounted(self):
        if not getattr(self, '_mount_tried', False):
            self._mount_tried = True
            PodmanConnection._connect(self)
        return self

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if in_data is None:
            return PodmanConnection.exec_command(self, cmd, in_data=None, sudoable=sudoable)
        # Skips PodmanConnection.exec_command (no -i there), straight to the base class's bookkeeping.
        super(PodmanConnection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        args = ['exec', '-i'] + (['--user', self.user] if self.user else [])
        return self._podman(args, shlex.split(to_native(cmd, errors='surrogate_or_strict')), in_data)

    def put_file(self, in_path, out_path):
        self._mounted()
        return PodmanConnection.put_file(self, in_path, out_path)

    def fetch_file(self, in_path, out_path):
        self._mounted()
        return PodmanConnection.fetch_file(self, in_path, out_path)
