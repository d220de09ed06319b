# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Reference models for benchmarking a Hailo-8 / Hailo-8L, and where their compiled HEFs are published.

Published throughput is Hailo Model Zoo v2.17's figure at batch size 1 (the host platform it was measured on is
not stated). A node's threshold is a fraction of it:

* ``DEFAULT_THRESHOLD_FRACTION`` (0.8) of the published HW-only FPS. A healthy node measures close to the published
  figure for a model whose frames fit its PCIe link (resnet_v1_50 needs ~207 MB/s of the ~500 MB/s a Pi 5's
  Gen2 x1 link carries), so the 20 % margin absorbs run-to-run noise, a warm device and the single-lane host
  without hiding the faults worth finding: a HEF of the other architecture (a Hailo-8L HEF runs on a Hailo-8 at
  Hailo-8L speed, a tenth of it for resnet_v1_50), a device shared with another process, a throttled or
  misconfigured device. Faults that cost less than 20 % are not what a fleet gate should stop on.
* A model whose published FPS cannot cross the link (``link_limited``) is bounded by the link, not by the
  accelerator: its threshold says nothing about the node's health. resnet_v1_50 fits every Pi 5 link and is the
  sound threshold model; yolov8s needs Gen3 and yolov8n does not fit even Gen3 x1.

The link arithmetic counts the input frame only (uint8, height x width x channels bytes) against the usable
bandwidth of a PCIe lane; outputs and protocol overhead come on top, so a model reported as fitting may still be
slightly link-bound, and one reported as limited certainly is.
"""

from __future__ import annotations

import math
import re

ARCHITECTURES = ('hailo8', 'hailo8l')

# What "hailortcli fw-control identify" prints as Device Architecture -> the Model Zoo's directory name.
_IDENTIFY_TO_KEY = {'HAILO8': 'hailo8', 'HAILO8L': 'hailo8l'}

# Devices of the HailoRT 5.x line: identify names them, the 4.x stack this collection builds cannot drive them.
_OTHER_LINE = ('HAILO10', 'HAILO10H', 'HAILO15', 'HAILO15H', 'HAILO15M', 'HAILO15L', 'MARS')

# input_shape: (height, width, channels) of the network's input, uint8 on the wire.
# published_fps: Model Zoo v2.17, batch size 1.
REFERENCE_MODELS = {
    'resnet_v1_50': {
        'task': 'classification',
        'input_shape': (224, 224, 3),
        'published_fps': {'hailo8': 1372, 'hailo8l': 138},
        'note': 'Hailo-8L reaches 503 FPS at batch size 8.',
    },
    'mobilenet_v2_1.0': {
        'task': 'classification',
        'input_shape': (224, 224, 3),
        'published_fps': {'hailo8': 2597, 'hailo8l': 1738},
        'note': None,
    },
    'yolov8s': {
        'task': 'object_detection',
        'input_shape': (640, 640, 3),
        'published_fps': {'hailo8': 491, 'hailo8l': 110},
        'note': 'Needs a Gen3 link for the Hailo-8 figure; ~309 FPS end to end is reported on a Pi 5 AI HAT+.',
    },
    'yolov8n': {
        'task': 'object_detection',
        'input_shape': (640, 640, 3),
        'published_fps': {'hailo8': 1036, 'hailo8l': 202},
        'note': 'The Hailo-8 figure does not fit even a Gen3 x1 link.',
    },
}

# The model whose threshold says the most about a node: it fits every Pi 5 link.
DEFAULT_MODEL = 'resnet_v1_50'
DEFAULT_THRESHOLD_FRACTION = 0.8

# HailoRT major.minor -> the Model Zoo release whose HEFs it runs.
MODEL_ZOO_VERSIONS = {
    '4.23': 'v2.17.0',
    '4.22': 'v2.16.0',
    '4.21': 'v2.15.0',
    '4.20': 'v2.14.0',
}

MODEL_ZOO_BASE_URL = 'https://hailo-model-zoo.s3.eu-west-2.amazonaws.com/ModelZoo/Compiled'
HEF_URL_PATTERN = '{base}/{mz_version}/{arch}/{net}.hef'

# Usable bandwidth of one PCIe lane in MB/s (10**6 bytes), after line encoding.
LANE_MB_PER_S = {1: 250, 2: 500, 3: 985}

_VERSION_RE = re.compile(r'^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<revision>\d+))?$')
_NET_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')


def model_zoo_version(hailort_version):
    """Model Zoo release ('v2.17.0') whose HEFs HailoRT ``hailort_version`` ('4.23.0') runs.

    Revisions of one major.minor share the pairing. Raises ValueError for a version without a known pairing.
    """
    match = _VERSION_RE.match(str(hailort_version or '').strip())
    key = '%s.%s' % (match.group('major'), match.group('minor')) if match else None
    if key not in MODEL_ZOO_VERSIONS:
        raise ValueError(
            'No Model Zoo release is known for HailoRT %s; known pairings: %s. Pass the HEF path or URL yourself '
            'for other versions.' % (hailort_version, ', '.join(
                '%s.x -> %s' % (hrt, MODEL_ZOO_VERSIONS[hrt]) for hrt in sorted(MODEL_ZOO_VERSIONS, reverse=True))))
    return MODEL_ZOO_VERSIONS[key]


def architecture_key(architecture):
    """Model Zoo directory name ('hailo8', 'hailo8l') of an architecture as identify prints it ('HAILO8L').

    The directory names themselves are accepted too. Raises ValueError for a missing or unsupported architecture.
    """
    text = str(architecture or '').strip()
    if not text:
        raise ValueError('No device architecture given: "hailortcli fw-control identify" did not describe the '
                         'device (is it present and its firmware running?).')
    upper = text.upper()
    if upper in _IDENTIFY_TO_KEY:
        return _IDENTIFY_TO_KEY[upper]
    if upper in _OTHER_LINE or upper.startswith(('HAILO10', 'HAILO15')):
        raise ValueError('Device architecture %s belongs to the HailoRT 5.x line (Hailo-10/Hailo-15); this '
                         'collection builds HailoRT 4.x, which drives Hailo-8 and Hailo-8L only.' % text)
    raise ValueError('Unknown device architecture %r; expected HAILO8 or HAILO8L.' % text)


def _reference(model):
    if model not in REFERENCE_MODELS:
        raise ValueError('%r is not a reference model; known: %s.' % (model, ', '.join(sorted(REFERENCE_MODELS))))
    return REFERENCE_MODELS[model]


def hef_file_name(model):
    """File name of a Model Zoo network's HEF ('resnet_v1_50.hef'); any Model Zoo network name is accepted."""
    if not isinstance(model, str) or not _NET_NAME_RE.match(model) or '..' in model:
        raise ValueError('%r is not a Model Zoo network name.' % (model,))
    return '%s.hef' % model


def hef_url(model, arch, hailort_version, base_url=MODEL_ZOO_BASE_URL):
    """URL of the compiled HEF of ``model`` for ``arch`` ('hailo8', 'HAILO8L', ...) that HailoRT version runs.

    ``base_url`` is the Model Zoo's "Compiled" directory, or a mirror of it with the same layout."""
    file_name = hef_file_name(model)
    return HEF_URL_PATTERN.format(base=base_url.rstrip('/'), mz_version=model_zoo_version(hailort_version),
                                  arch=architecture_key(arch), net=file_name[:-len('.hef')])


def published_fps(model, arch):
    """Model Zoo's published batch-1 FPS of a reference model on an architecture."""
    return _reference(model)['published_fps'][architecture_key(arch)]


def _check_fraction(fraction):
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError('The threshold fraction must be a number above 0 and at most 1, not %r.' % (fraction,))


def threshold_fps(model, arch, fraction=DEFAULT_THRESHOLD_FRACTION):
    """Lowest acceptable HW-only FPS: ``fraction`` of the published figure, rounded to 0.1 FPS."""
    _check_fraction(fraction)
    return round(published_fps(model, arch) * fraction, 1)


def bytes_per_frame(model):
    """Bytes of one input frame of a reference model (uint8 height x width x channels)."""
    height, width, channels = _reference(model)['input_shape']
    return height * width * channels


def link_budget(model, arch, pcie_gen, lanes=1):
    """Whether the published FPS of ``model`` fits a PCIe link of generation ``pcie_gen`` and ``lanes`` lanes.

    Returns ``{'pcie_gen', 'lanes', 'link_mb_s', 'bytes_per_frame', 'required_mb_s', 'max_fps', 'limited'}``:
    ``required_mb_s`` is what the published FPS needs, ``max_fps`` what the link can feed at most.
    """
    if pcie_gen not in LANE_MB_PER_S:
        raise ValueError('Unknown PCIe generation %r; known: %s.' % (
            pcie_gen, ', '.join(str(gen) for gen in sorted(LANE_MB_PER_S))))
    if isinstance(lanes, bool) or not isinstance(lanes, int) or lanes < 1:
        raise ValueError('The number of PCIe lanes must be a positive integer, not %r.' % (lanes,))
    frame = bytes_per_frame(model)
    link = LANE_MB_PER_S[pcie_gen] * lanes
    required = published_fps(model, arch) * frame / 1e6
    return {
        'pcie_gen': pcie_gen,
        'lanes': lanes,
        'link_mb_s': link,
        'bytes_per_frame': frame,
        'required_mb_s': round(required, 1),
        'max_fps': int(math.floor(link * 1e6 / frame)),
        'limited': required > link,
    }


def link_limited(model, arch, pcie_gen, lanes=1):
    """True when the published FPS of ``model`` on ``arch`` needs more than the PCIe link carries."""
    return link_budget(model, arch, pcie_gen, lanes)['limited']
