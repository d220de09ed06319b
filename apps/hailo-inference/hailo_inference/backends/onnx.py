"""ONNX Runtime on the CPU: the reference backend (tests, the demo, and ``compare`` against the device)."""

from __future__ import annotations

import os

import numpy as np

from hailo_inference.backends import Backend, BackendUnavailable, TensorSpec

# ONNX Runtime's element types -> the protocol's datatypes.
_TYPES = {
    "tensor(float)": "FP32", "tensor(float16)": "FP16", "tensor(double)": "FP64", "tensor(uint8)": "UINT8",
    "tensor(int8)": "INT8", "tensor(uint16)": "UINT16", "tensor(int16)": "INT16", "tensor(int32)": "INT32",
    "tensor(int64)": "INT64", "tensor(uint32)": "UINT32", "tensor(uint64)": "UINT64", "tensor(bool)": "BOOL",
}


def _dims(shape):
    return tuple(d if isinstance(d, int) and d >= 0 else -1 for d in shape)


class OnnxBackend(Backend):
    """One ``onnxruntime.InferenceSession`` (CPU execution provider) per model."""

    name = "onnx"

    def __init__(self, model_config):
        super().__init__(model_config)
        self._session = None
        self._batched = False

    def load(self):
        path = self.config.onnx
        if not path or not os.path.isfile(path):
            raise BackendUnavailable("the model file %s does not exist" % path)
        try:
            import onnxruntime
        except ImportError as exc:
            raise BackendUnavailable("onnxruntime is not installed for this Python (Debian: python3-onnxruntime)"
                                     ) from exc
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        try:
            session = onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for every load failure
            raise BackendUnavailable("%s is not an ONNX model ONNX Runtime can load: %s" % (
                path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)) from exc
        unknown = [i.type for i in session.get_inputs() + session.get_outputs() if i.type not in _TYPES]
        if unknown:
            raise BackendUnavailable("%s has tensors of unsupported types: %s" % (path, ", ".join(unknown)))
        self.inputs = tuple(TensorSpec(i.name, _TYPES[i.type], _dims(i.shape)) for i in session.get_inputs())
        self.outputs = tuple(TensorSpec(o.name, _TYPES[o.type], _dims(o.shape)) for o in session.get_outputs())
        # A model whose first input dimension is free takes a whole batch in one run.
        self._batched = all(spec.shape and spec.shape[0] == -1 for spec in self.inputs)
        self._session = session

    def infer(self, batch):
        session = self._session
        if session is None:
            raise BackendUnavailable("the model is not loaded")
        names = [spec.name for spec in self.outputs]
        if self._batched:
            feed = {spec.name: np.stack([item[spec.name] for item in batch]) for spec in self.inputs}
            results = session.run(names, feed)
            return [{name: results[k][i] for k, name in enumerate(names)} for i in range(len(batch))]
        out = []
        for item in batch:
            feed = {spec.name: item[spec.name][np.newaxis, ...] for spec in self.inputs}
            results = session.run(names, feed)
            out.append({name: results[k][0] for k, name in enumerate(names)})
        return out

    def close(self):
        self._session = None
