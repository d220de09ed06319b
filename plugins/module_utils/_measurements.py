# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Recent measurements kept on the host, so that a re-run with nothing changed reuses them instead of measuring
again (hailo_benchmark, hailo_baseline_app): a JSON state file with the measurement, the key of what it was
measured with, and when."""

from __future__ import annotations

import hashlib
import json
import os


def key(document):
    """A stable key of what a measurement depends on (a JSON-serialisable document)."""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode('utf-8')).hexdigest()


def recorded(state_file, max_age, wanted_key, now):
    """The recorded measurement when it has ``wanted_key`` and is at most ``max_age`` seconds old, else None."""
    if max_age <= 0 or not state_file:
        return None
    try:
        with open(state_file) as handle:
            state = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get('key') != wanted_key:
        return None
    age = now - float(state.get('measured_at') or 0)
    return state if 0 <= age <= max_age else None


def record(state_file, wanted_key, result, names, measured_at):
    """Write ``names`` of ``result`` with the key and time, atomically."""
    state = dict((name, result.get(name)) for name in names)
    state.update(key=wanted_key, measured_at=measured_at)
    directory = os.path.dirname(state_file)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    tmp = state_file + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(state, handle, sort_keys=True)
    os.replace(tmp, state_file)
