"""Runs an Ansible module's main() in-process for unit tests, the way community.general's tests do: arguments
through ansible.module_utils.testing.patch_module_args, and exit_json / fail_json turned into a returned result."""

from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    """Raised instead of exiting; args[0] is the module's result with 'failed' set."""


def _exit_json(self, **result):
    # As Ansible's task executor does: a result without 'failed' fails when it carries a non-zero 'rc'.
    if 'failed' not in result:
        result = dict(result, failed='rc' in result and result['rc'] not in (0, '0'))
    raise ModuleExit(result)


def _fail_json(self, **result):
    raise ModuleExit(dict(result, failed=True))


def run_module(main, args, check_mode=False, diff=False):
    """Run ``main()`` with module arguments ``args`` and return its result (from exit_json or fail_json)."""
    args = dict(args or {})
    if check_mode:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with patch_module_args(args), \
            mock.patch.object(basic.AnsibleModule, 'exit_json', _exit_json), \
            mock.patch.object(basic.AnsibleModule, 'fail_json', _fail_json):
        try:
            main()
        except ModuleExit as exc:
            return exc.args[0]
    raise AssertionError('the module returned without calling exit_json or fail_json')
