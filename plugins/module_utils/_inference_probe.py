# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Judging an inference service from what it answered: its status, a known image's classification, latencies."""

from __future__ import annotations

import math


def percentile(values, fraction):
    """The ``fraction`` percentile (0..1) of ``values`` by the nearest-rank method; None for no values."""
    if not values:
        return None
    if not 0 <= fraction <= 1:
        raise ValueError('a percentile fraction is between 0 and 1, not %r' % (fraction,))
    ordered = sorted(values)
    rank = max(1, int(math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def latency_summary(seconds):
    """``{'p50', 'p90', 'max'}`` in milliseconds (rounded to 0.01) of request durations in seconds."""
    if not seconds:
        return {'p50': None, 'p90': None, 'max': None}
    return {'p50': round(percentile(seconds, 0.5) * 1000, 2), 'p90': round(percentile(seconds, 0.9) * 1000, 2),
            'max': round(max(seconds) * 1000, 2)}


def pick_check_model(status, wanted=None):
    """The model to send the check image to: ``wanted``, else the first ready classification model, else None.

    Raises ValueError when ``wanted`` is not a model of the service."""
    models = (status or {}).get('models') or {}
    if wanted:
        if wanted not in models:
            raise ValueError('inference check model %r is not served; the service has %s' % (
                wanted, ', '.join(sorted(models)) or 'no models'))
        return wanted
    for name in sorted(models):
        if models[name].get('task') == 'classification' and models[name].get('state') == 'ready':
            return name
    return None


def judge(status, check=None, expect=None, latencies=None, errors=0, reason=None):
    """The probe's result from the service's ``/v1/status`` answer (None when it did not answer) and the check.

    ``state`` is ``down`` (no answer), ``not_ready`` (a model is not ready), ``wrong_answer`` (the check image was
    not classified as ``expect``), ``errors`` (some check requests failed) or ``ready``."""
    result = {'state': 'ready', 'ready': False, 'reason': reason or '', 'models': {}, 'check': check,
              'latency_ms': latency_summary(latencies or []), 'requests': len(latencies or []) + errors,
              'errors': errors}
    if status is None:
        result.update(state='down', reason=reason or 'the service did not answer')
        return result
    result['models'] = status.get('models') or {}
    result['ready'] = bool(status.get('ready'))
    if not result['ready']:
        waiting = ['%s: %s' % (name, m.get('reason') or m.get('state')) for name, m in sorted(result['models'].items())
                   if m.get('state') != 'ready']
        result.update(state='not_ready', reason='; '.join(waiting) or 'not ready')
        return result
    if check is not None:
        label = check.get('label')
        check['expected'] = expect or None
        check['passed'] = not expect or label == expect
        if not check['passed']:
            result.update(state='wrong_answer', reason='model %s classified the check image as %r, not %r' % (
                check.get('model'), label, expect))
            return result
    if errors:
        result.update(state='errors', reason='%d of %d check requests failed%s' % (
            errors, result['requests'], ': ' + reason if reason else ''))
    return result
