# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/manual-build.md stays true: every "Role: [file](...) - look for: `text`" line names a file of the
collection that contains that text, every step has at least one, and the page covers every role that builds."""

from __future__ import annotations

import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PAGE = os.path.join(ROOT, 'docs', 'manual-build.md')
REFERENCE_RE = re.compile(r'^Role: \[(?P<label>[^\]]+)\]\(\.\./(?P<path>[^)]+)\) - look for: `(?P<text>[^`]+)`$')


def page():
    with open(PAGE) as handle:
        return handle.read()


def references():
    return [match.groupdict() for match in map(REFERENCE_RE.match, page().splitlines()) if match]


def test_reference_lines_are_well_formed():
    loose = [line for line in page().splitlines() if line.startswith('Role:') and not REFERENCE_RE.match(line)]
    assert loose == []
    assert len(references()) >= 15


@pytest.mark.parametrize('reference', references(), ids=lambda r: '%s:%s' % (r['path'], r['text']))
def test_the_named_task_does_what_the_step_says(reference):
    assert reference['label'] == reference['path']
    path = os.path.join(ROOT, reference['path'])
    assert os.path.isfile(path), reference['path']
    with open(path) as handle:
        assert reference['text'] in handle.read(), '%s does not contain %r' % (reference['path'], reference['text'])


def test_every_step_names_a_role_task():
    sections = re.split(r'^## ', page(), flags=re.M)[1:]
    assert len(sections) == 7
    for section in sections:
        assert any(REFERENCE_RE.match(line) for line in section.splitlines()), section.splitlines()[0]


def test_every_building_role_is_covered():
    covered = set(reference['path'].split('/')[1] for reference in references())
    assert {'toolchain', 'driver', 'hailort', 'validate'} <= covered


def test_the_versions_on_the_page_are_the_collection_default():
    with open(os.path.join(ROOT, 'roles', 'hailo', 'defaults', 'main.yml')) as handle:
        default = re.search(r'^hailo_version: (\S+)$', handle.read(), re.M).group(1)
    assert 'export HAILO_VERSION=%s' % default in page()
