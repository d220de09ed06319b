"""Backends: one small interface in front of HailoRT (``hailo``) and ONNX Runtime (``onnx``).

A backend loads one model file and runs batches of already pre-processed inputs. It raises
:class:`BackendUnavailable` when it cannot serve at all (no device, the device went away, a missing or unreadable
model file): the service then answers 503 for that model and tries to load it again.
"""

from __future__ import annotations

from dataclasses import dataclass


class BackendUnavailable(RuntimeError):
    """The backend cannot serve now (the reason is its message); the service retries."""


@dataclass(frozen=True)
class TensorSpec:
    """A model input or output: protocol datatype and shape (-1 for a dimension of any size)."""

    name: str
    datatype: str
    shape: tuple


class Backend:
    """Interface of a backend; see the module documentation."""

    name = "base"

    def __init__(self, model_config):
        self.config = model_config
        self.inputs = ()
        self.outputs = ()

    def load(self):
        """Open the model file and the device; fill ``inputs`` and ``outputs``."""
        raise NotImplementedError

    def infer(self, batch):
        """Run ``batch`` (a list of ``{input name: array without batch axis}``); one ``{output: array}`` each."""
        raise NotImplementedError

    def close(self):
        """Release the model and the device; the backend may be loaded again afterwards."""


def create(model_config):
    """The backend that ``model_config.backend`` names."""
    if model_config.backend == "onnx":
        from hailo_inference.backends.onnx import OnnxBackend
        return OnnxBackend(model_config)
    if model_config.backend == "hailo":
        from hailo_inference.backends.hailo import HailoBackend
        return HailoBackend(model_config)
    raise ValueError("unknown backend %r" % model_config.backend)


def reference(model_config):
    """The ONNX reference backend for the same model (for ``compare``); needs ``model_config.onnx``.

    Its configuration (``backend.config``) uses ``onnx_preprocess`` when the ONNX file wants other input than
    the HEF (float32 normalised instead of uint8, say)."""
    from dataclasses import replace

    from hailo_inference.backends.onnx import OnnxBackend
    if not model_config.onnx:
        raise ValueError("model %s has no ONNX file to compare against" % model_config.name)
    return OnnxBackend(replace(model_config, backend="onnx",
                               preprocess=model_config.onnx_preprocess or model_config.preprocess))
