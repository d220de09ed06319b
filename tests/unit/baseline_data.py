# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The baseline application's recorded runs (tests/unit/data/baseline), shared by the tests of _baseline_app and of
hailo_baseline_app."""

import os

DATA = os.path.join(os.path.dirname(__file__), 'data', 'baseline')


def data(name):
    """The text of the recording ``name``, or '' when there is none (a stream the run left empty is not kept)."""
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        return ''
    with open(path) as handle:
        return handle.read()
