"""HailoRT through its Python binding (``hailo_platform``): the asynchronous inference API of HailoRT 4.x.

One VDevice is shared by every model of the process (HailoRT's scheduler time-shares the device between them).
Inputs are uint8 (the HEF normalises on the device); outputs are read as float32. NMS outputs are returned as
HailoRT's raw NMS-by-class buffer (``get_buffer(tf_format=None)``), which :mod:`hailo_inference.pipeline` decodes.
Any HailoRT error while loading or running is a :class:`BackendUnavailable`: the device went away, or the HEF does
not fit it; the VDevice is released so that the next load starts afresh.
"""

from __future__ import annotations

import importlib
import os
import threading

import numpy as np

from hailo_inference.backends import Backend, BackendUnavailable, TensorSpec

HEF_MAGIC = b"\x01HEF"
TIMEOUT_MS = 10000


class _SharedVDevice:
    """The process's one VDevice, created on first use and released when a model reports a device failure."""

    def __init__(self):
        self._lock = threading.Lock()
        self._vdevice = None
        self.generation = 0

    def get(self, platform):
        with self._lock:
            if self._vdevice is None:
                params = platform.VDevice.create_params()
                self._vdevice = platform.VDevice(params)
                self.generation += 1
            return self._vdevice, self.generation

    def reset(self, generation):
        with self._lock:
            if self._vdevice is not None and generation == self.generation:
                try:
                    self._vdevice.release()
                except Exception:  # pylint: disable=broad-except  # releasing a lost device may fail too
                    pass
                self._vdevice = None


VDEVICE = _SharedVDevice()


def _platform():
    try:
        return importlib.import_module("hailo_platform")
    except ImportError as exc:
        raise BackendUnavailable("hailo_platform (HailoRT's Python binding) is not installed for this Python; "
                                 "the hailort role installs it into the node's venv") from exc


class HailoBackend(Backend):
    """A HEF on the shared VDevice, configured for the model's batch size."""

    name = "hailo"

    def __init__(self, model_config):
        super().__init__(model_config)
        self._model = None
        self._configured = None
        self._context = None
        self._generation = None
        self._nms = set()

    def load(self):
        path = self.config.hef
        try:
            with open(path, "rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise BackendUnavailable("the model file %s cannot be read: %s" % (path, exc.strerror)) from exc
        if magic != HEF_MAGIC:
            raise BackendUnavailable("%s is not a HEF (it does not start with the HEF magic)" % path)
        platform = _platform()
        try:
            vdevice, self._generation = VDEVICE.get(platform)
            model = vdevice.create_infer_model(path)
            model.set_batch_size(self.config.batch_size)
            for name in model.input_names:
                model.input(name).set_format_type(platform.FormatType.UINT8)
            for name in model.output_names:
                model.output(name).set_format_type(platform.FormatType.FLOAT32)
            self._context = model.configure()
            self._configured = self._context.__enter__()
        except BackendUnavailable:
            raise
        except Exception as exc:  # HailoRTException and its subclasses; the binding raises no common base here
            self.close()
            raise BackendUnavailable("HailoRT cannot run %s: %s" % (path, exc)) from exc
        self._model = model
        self._nms = {name for name in model.output_names if model.output(name).is_nms}
        self.inputs = tuple(TensorSpec(n, "UINT8", (-1,) + tuple(model.input(n).shape)) for n in model.input_names)
        self.outputs = tuple(TensorSpec(n, "FP32", (-1,) + tuple(model.output(n).shape)) for n in model.output_names)

    def infer(self, batch):
        if self._configured is None:
            raise BackendUnavailable("the model is not loaded")
        configured = self._configured
        try:
            bindings = []
            for item in batch:
                outputs = {spec.name: np.empty(spec.shape[1:], dtype=np.float32) for spec in self.outputs}
                binding = configured.create_bindings(output_buffers=outputs)
                for spec in self.inputs:
                    binding.input(spec.name).set_buffer(np.ascontiguousarray(item[spec.name], dtype=np.uint8))
                bindings.append(binding)
            configured.wait_for_async_ready(timeout_ms=TIMEOUT_MS, frames_count=len(bindings))
            job = configured.run_async(bindings)
            job.wait(TIMEOUT_MS)
            return [{spec.name: np.asarray(b.output(spec.name).get_buffer(tf_format=None)).reshape(-1)
                     if spec.name in self._nms else b.output(spec.name).get_buffer() for spec in self.outputs}
                    for b in bindings]
        except Exception as exc:  # a lost device surfaces as a HailoRT exception from any of these calls
            self.close()
            raise BackendUnavailable("HailoRT failed: %s" % exc) from exc

    def close(self):
        context, self._context, self._configured, self._model = self._context, None, None, None
        if context is not None:
            try:
                context.__exit__(None, None, None)
            except Exception:  # pylint: disable=broad-except  # shutting down a lost device may fail too
                pass
        if self._generation is not None:
            VDEVICE.reset(self._generation)
            self._generation = None


def device_present():
    """Whether any /dev/hailoN node exists."""
    return any(name.startswith("hailo") and name[5:].isdigit() for name in os.listdir("/dev"))
