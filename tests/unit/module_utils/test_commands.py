# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_commands: the argument checks the modules share."""

from __future__ import annotations

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands


@pytest.mark.parametrize('params, message', [
    ({'frames': 1000, 'jobs': None}, None),
    ({'frames': 1, 'jobs': 1}, None),
    ({'frames': 0, 'jobs': None}, 'frames must be a positive integer, not 0.'),
    ({'frames': 1000, 'jobs': -2}, 'jobs must be a positive integer, not -2.'),
    # the first of the names, in the order given, is the one reported
    ({'frames': 0, 'jobs': -2}, 'frames must be a positive integer, not 0.'),
])
def test_positive_int_error(params, message):
    assert commands.positive_int_error(params, ('frames', 'jobs')) == message


def test_positive_int_error_reads_only_the_names_given():
    assert commands.positive_int_error({'frames': 0, 'time': 5}, ('time',)) is None
    assert commands.positive_int_error({}, ()) is None
