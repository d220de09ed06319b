# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/testing.md's table of bad inputs and faults stays true: every test it names exists in the file it names,
rows are numbered 1..N without gaps, and every row names at least one test."""

from __future__ import annotations

import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PAGE = os.path.join(ROOT, 'docs', 'testing.md')
# `path/to/test_x.py::test_name[param]` names a file and a test; a following `::test_other` names another test
# of the same file.
REFERENCE_RE = re.compile(r'`(?P<path>[\w/.\-]+\.py)(?:::(?P<first>[\w\-]+(?:\[[^\]`]+\])?))?`|`::(?P<more>[\w\-]+'
                          r'(?:\[[^\]`]+\])?)`')


def rows():
    with open(PAGE) as handle:
        text = handle.read()
    section = text[text.index('## Bad inputs and faults the tests exercise'):]
    section = section[:section.index('\n## ', 1)]
    return [line for line in section.splitlines() if re.match(r'^\| \d+ \|', line)]


def references(row):
    current, found = None, []
    for match in REFERENCE_RE.finditer(row.split(' | ')[2]):
        if match.group('path'):
            current = match.group('path')
            name = match.group('first')
        else:
            name = match.group('more')
        if current and name:
            found.append((current, name))
    return found


def test_rows_are_numbered_without_gaps_and_there_are_at_least_30():
    numbers = [int(row.split(' | ')[0].strip('| ')) for row in rows()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 30


def test_every_row_names_a_test_or_a_scenario():
    for row in rows():
        where = row.split(' | ')[2]
        assert references(row) or 'molecule `' in where, row


def test_every_named_test_exists():
    missing = []
    for row in rows():
        for path, name in references(row):
            full = os.path.join(ROOT, path)
            if not path.startswith(('tests/', 'molecule/')) or not os.path.isfile(full):
                missing.append((path, name))
                continue
            with open(full) as handle:
                source = handle.read()
            if 'def %s(' % name.split('[')[0] not in source:
                missing.append((path, name))
    assert missing == []


def test_the_reference_pattern_sees_a_missing_test():
    row = '| 1 | x | `tests/unit/docs/test_bad_inputs_table.py::test_rows_are_numbered_without_gaps_and_there_are_at_' \
          'least_30`, `::no_such_test` | y |'
    assert references(row) == [
        ('tests/unit/docs/test_bad_inputs_table.py', 'test_rows_are_numbered_without_gaps_and_there_are_at_least_30'),
        ('tests/unit/docs/test_bad_inputs_table.py', 'no_such_test')]
