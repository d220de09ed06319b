# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_builtin_fixes: the planner shared by the driver's and HailoRT's built-in fixes, on a small tree and a table of
fixes written for these tests (the real fixes are tested in test_driver_source.py and test_hailort_fixes.py)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _builtin_fixes as builtin_fixes


class Unrecognised(Exception):
    """What the test table's transform raises, as a project's own error."""


def add_greeting(text):
    if 'hello' in text:
        return text, 'present'
    if 'main' not in text:
        raise Unrecognised('no main found')
    return text.replace('main', 'main hello'), 'applied'


FIXES = {
    'greeting': {'path': os.path.join('src', 'main.c'), 'transform': add_greeting, 'description': 'say hello'},
    'other': {'path': 'other.c', 'transform': add_greeting, 'description': 'say hello elsewhere'},
}


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'src').mkdir()
    (tmp_path / 'src' / 'main.c').write_text('int main(void);\n')
    (tmp_path / 'other.c').write_text('int main(void); /* hello */\n')
    return tmp_path


def test_plan_applied_present_and_skipped_in_order(tree):
    plan = builtin_fixes.plan_builtin_fixes(str(tree), ['other', 'greeting'], FIXES)
    assert [(entry['name'], entry['path'], entry['status']) for entry in plan] == [
        ('other', 'other.c', 'present'), ('greeting', os.path.join('src', 'main.c'), 'applied')]
    present, applied = plan
    assert present['before'] == present['after'] == 'int main(void); /* hello */\n'
    assert applied['before'] == 'int main(void);\n' and applied['after'] == 'int main hello(void);\n'
    # planning writes nothing
    assert (tree / 'src' / 'main.c').read_text() == 'int main(void);\n'
    (skipped,) = builtin_fixes.plan_builtin_fixes(str(tree), ['greeting'], FIXES, skip=['greeting'])
    assert skipped == {'name': 'greeting', 'path': os.path.join('src', 'main.c'), 'status': 'skipped',
                       'before': None, 'after': None}
    assert builtin_fixes.plan_builtin_fixes(str(tree), [], FIXES) == []


def test_a_skipped_fix_does_not_need_its_file(tree):
    (tree / 'src' / 'main.c').unlink()
    (entry,) = builtin_fixes.plan_builtin_fixes(str(tree), ['greeting'], FIXES, skip=('greeting',))
    assert entry['status'] == 'skipped'


def test_unreadable_file_is_a_read_failure(tree):
    (tree / 'src' / 'main.c').unlink()
    with pytest.raises(builtin_fixes.BuiltinFixError) as error:
        builtin_fixes.plan_builtin_fixes(str(tree), ['greeting'], FIXES, transform_errors=(Unrecognised,))
    failure = error.value
    assert failure.stage == builtin_fixes.READ
    assert failure.name == 'greeting' and failure.fix is FIXES['greeting']
    assert failure.path == str(tree / 'src' / 'main.c')
    assert isinstance(failure.cause, (IOError, OSError))
    assert str(failure).startswith('%s: ' % failure.path)


def test_undecodable_file_is_a_read_failure(tree):
    (tree / 'src' / 'main.c').write_bytes(b'\xff\xfe\xfa main')
    with pytest.raises(builtin_fixes.BuiltinFixError) as error:
        builtin_fixes.plan_builtin_fixes(str(tree), ['greeting'], FIXES)
    assert error.value.stage == builtin_fixes.READ and isinstance(error.value.cause, UnicodeDecodeError)


def test_transform_error_is_a_transform_failure(tree):
    (tree / 'src' / 'main.c').write_text('int start(void);\n')
    with pytest.raises(builtin_fixes.BuiltinFixError) as error:
        builtin_fixes.plan_builtin_fixes(str(tree), ['greeting'], FIXES, transform_errors=(Unrecognised,))
    failure = error.value
    assert failure.stage == builtin_fixes.TRANSFORM and failure.name == 'greeting'
    assert isinstance(failure.cause, Unrecognised)
    assert str(failure) == '%s: no main found' % (tree / 'src' / 'main.c')


def test_other_transform_errors_pass_through(tree):
    (tree / 'src' / 'main.c').write_text('int start(void);\n')
    with pytest.raises(Unrecognised):
        builtin_fixes.plan_builtin_fixes(str(tree), ['greeting'], FIXES)
