# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judging the inference service from its answers."""

from __future__ import annotations

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _inference_probe as probe

READY = {'ready': True, 'models': {'colours': {'state': 'ready', 'task': 'classification'},
                                   'shapes': {'state': 'ready', 'task': 'detection'}}}


def test_percentile():
    assert probe.percentile([], 0.5) is None
    assert probe.percentile([3, 1, 2], 0.5) == 2
    assert probe.percentile([1, 2, 3, 4], 0.9) == 4
    assert probe.percentile([5], 0) == 5
    with pytest.raises(ValueError, match='between 0 and 1'):
        probe.percentile([1], 2)


def test_latency_summary():
    assert probe.latency_summary([]) == {'p50': None, 'p90': None, 'max': None}
    assert probe.latency_summary([0.001, 0.002, 0.004]) == {'p50': 2.0, 'p90': 4.0, 'max': 4.0}


def test_pick_check_model():
    assert probe.pick_check_model(READY) == 'colours'
    assert probe.pick_check_model(READY, 'shapes') == 'shapes'
    assert probe.pick_check_model({'models': {'shapes': READY['models']['shapes']}}) is None
    with pytest.raises(ValueError, match="'nope' is not served; the service has colours, shapes"):
        probe.pick_check_model(READY, 'nope')


def test_judge_states():
    down = probe.judge(None, reason='no answer from x')
    assert down['state'] == 'down' and down['reason'] == 'no answer from x' and down['ready'] is False
    waiting = probe.judge({'ready': False, 'models': {'a': {'state': 'unavailable', 'reason': 'no device'},
                                                      'b': {'state': 'ready'}}})
    assert waiting['state'] == 'not_ready' and waiting['reason'] == 'a: no device'
    good = probe.judge(READY, {'model': 'colours', 'label': 'red', 'score': 0.8}, 'red', [0.002, 0.003])
    assert good['state'] == 'ready' and good['check']['passed'] is True and good['latency_ms']['p50'] == 2.0
    assert good['requests'] == 2 and good['errors'] == 0
    wrong = probe.judge(READY, {'model': 'colours', 'label': 'blue', 'score': 0.8}, 'red', [0.002])
    assert wrong['state'] == 'wrong_answer' and "as 'blue', not 'red'" in wrong['reason']
    anything = probe.judge(READY, {'model': 'colours', 'label': 'blue'}, '', [0.002])
    assert anything['state'] == 'ready' and anything['check']['expected'] is None
    failing = probe.judge(READY, None, '', [0.002], errors=3, reason='model x is not ready')
    assert failing['state'] == 'errors' and failing['reason'] == '3 of 4 check requests failed: model x is not ready'
