"""The hailo backend against a stand-in ``hailo_platform`` that follows HailoRT 4.x's asynchronous API.

The stand-in (below) implements the calls the backend makes -- VDevice, create_infer_model, set_batch_size,
set_format_type, configure, create_bindings, wait_for_async_ready, run_async, get_buffer(tf_format=None) -- and can
lose its device, so the service's 503-and-recover path is tested through the real HTTP server.
"""

import sys
import time
import types

import numpy as np
import pytest

from hailo_inference import config as service_config
from hailo_inference import pipeline
from hailo_inference.backends import BackendUnavailable
from hailo_inference.backends.hailo import HEF_MAGIC, HailoBackend

DEVICE = {"present": True, "runs": [], "released": 0}
NMS_CLASSES, MAX_BOXES = 2, 4


class HailoRTException(Exception):
    pass


class Stream:
    def __init__(self, name, shape, is_nms=False):
        self.name, self.shape, self.is_nms, self.format_type = name, shape, is_nms, None

    def set_format_type(self, value):
        self.format_type = value


class Job:
    def wait(self, timeout_ms):
        assert timeout_ms > 0


class Bound:
    def __init__(self):
        self.buffer = None

    def set_buffer(self, buffer):
        assert buffer.flags.c_contiguous
        self.buffer = buffer

    def get_buffer(self, tf_format=False):
        assert tf_format is None, "NMS outputs are read raw"
        return self.buffer


class Bindings:
    def __init__(self, outputs):
        self.inputs = {"in": Bound()}
        self.outputs = {name: Bound() for name in outputs}
        for name, buffer in outputs.items():
            self.outputs[name].set_buffer(buffer)

    def input(self, name=""):
        return self.inputs[name]

    def output(self, name=""):
        return self.outputs[name]


class Configured:
    def __init__(self, model):
        self.model = model

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def create_bindings(self, output_buffers=None):
        return Bindings(output_buffers)

    def wait_for_async_ready(self, timeout_ms=1000, frames_count=1):
        assert frames_count <= self.model.batch_size

    def run_async(self, bindings, callback=None):
        if not DEVICE["present"]:
            raise HailoRTException("Failed to run async. (HAILO_DRIVER_OPERATION_FAILED)")
        DEVICE["runs"].append(len(bindings))
        for binding in bindings:
            pixel = binding.input("in").buffer
            assert pixel.dtype == np.uint8 and pixel.shape == (8, 8, 3)
            # One box of class 1 covering the middle of the input, scored by the red channel's mean.
            score = float(pixel[..., 0].mean()) / 255
            raw = pipeline.nms_by_class_to_raw(
                [np.empty((0, 5)), np.array([[0.25, 0.25, 0.75, 0.75, score]])], MAX_BOXES)
            binding.output("nms").buffer[...] = raw.reshape(binding.output("nms").buffer.shape)
        return Job()


class InferModel:
    def __init__(self, path):
        self.path = path
        self.batch_size = None
        self.streams = {"in": Stream("in", [8, 8, 3]),
                        "nms": Stream("nms", [NMS_CLASSES * (1 + 5 * MAX_BOXES)], is_nms=True)}

    input_names = ["in"]
    output_names = ["nms"]

    def set_batch_size(self, size):
        self.batch_size = size

    def input(self, name=""):
        return self.streams[name]

    def output(self, name=""):
        return self.streams[name]

    def configure(self):
        return Configured(self)


class VDevice:
    def __init__(self, params=None):
        if not DEVICE["present"]:
            raise HailoRTException("Failed to create vdevice. there are not enough free devices. requested: 1, "
                                   "found: 0 (HAILO_OUT_OF_PHYSICAL_DEVICES)")

    @staticmethod
    def create_params():
        return object()

    def create_infer_model(self, path, name=""):
        return InferModel(path)

    def release(self):
        DEVICE["released"] += 1


@pytest.fixture
def platform(monkeypatch):
    module = types.ModuleType("hailo_platform")
    module.VDevice = VDevice
    module.FormatType = types.SimpleNamespace(UINT8="UINT8", FLOAT32="FLOAT32")
    monkeypatch.setitem(sys.modules, "hailo_platform", module)
    DEVICE.update(present=True, runs=[], released=0)
    return module


@pytest.fixture
def hef(tmp_path, models_dir):
    path = tmp_path / "model.hef"
    path.write_bytes(HEF_MAGIC + b"\0" * 60)
    return path


def entry(hef, models_dir, **extra):
    data = {"name": "det", "task": "detection", "backend": "hailo", "hef": str(hef), "batch_size": 4,
            "labels": str(models_dir / "shapes.txt"), "postprocess": {"score_threshold": 0.1}}
    data.update(extra)
    return data


def test_load_describes_the_model(platform, hef, models_dir):
    backend = HailoBackend(service_config.parse({"models": [entry(hef, models_dir)]}).models[0])
    backend.load()
    assert [(s.name, s.datatype, s.shape) for s in backend.inputs] == [("in", "UINT8", (-1, 8, 8, 3))]
    assert backend.outputs[0].shape == (-1, 42)
    results = backend.infer([{"in": np.full((8, 8, 3), 255, np.uint8)}] * 3)
    assert len(results) == 3 and DEVICE["runs"] == [3]
    assert pipeline.nms_by_class_from_raw(results[0]["nms"], 2)[1].tolist()[0][4] == pytest.approx(1.0)
    backend.close()
    assert DEVICE["released"] == 1


def test_not_a_hef_and_missing(platform, tmp_path, models_dir):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"\x08\x07 protobuf")
    backend = HailoBackend(service_config.parse({"models": [entry(bad, models_dir)]}).models[0])
    with pytest.raises(BackendUnavailable, match="is not a HEF"):
        backend.load()
    backend = HailoBackend(service_config.parse({"models": [entry(tmp_path / "none.hef", models_dir)]}).models[0])
    with pytest.raises(BackendUnavailable, match="cannot be read: No such file"):
        backend.load()


def test_no_binding(monkeypatch, hef, models_dir):
    monkeypatch.setitem(sys.modules, "hailo_platform", None)
    backend = HailoBackend(service_config.parse({"models": [entry(hef, models_dir)]}).models[0])
    with pytest.raises(BackendUnavailable, match="hailo_platform .* is not installed"):
        backend.load()


def test_no_device(platform, hef, models_dir):
    DEVICE["present"] = False
    backend = HailoBackend(service_config.parse({"models": [entry(hef, models_dir)]}).models[0])
    with pytest.raises(BackendUnavailable, match="HAILO_OUT_OF_PHYSICAL_DEVICES"):
        backend.load()


def red_png(models_dir):
    return (models_dir / "red.png").read_bytes()


def test_device_that_disappears_and_returns(platform, hef, models_dir, serve):
    running = serve({"server": {"retry_seconds": 0.1}, "models": [entry(hef, models_dir)]})
    status, body, _ = running.json("POST", "/v1/models/det/detect", red_png(models_dir))
    assert status == 200
    # The red image (64x48) is stretched to 8x8: the middle box maps back to the middle of the image.
    assert body["detections"] == [{"class_id": 1, "label": "bar", "score": pytest.approx(220 / 255, abs=1e-5),
                                   "box": {"x_min": 16.0, "y_min": 12.0, "x_max": 48.0, "y_max": 36.0}}]
    DEVICE["present"] = False
    status, body, _ = running.json("POST", "/v1/models/det/detect", red_png(models_dir))
    assert status == 503 and "HAILO_DRIVER_OPERATION_FAILED" in body["error"]
    status, body, _ = running.json("GET", "/v2/health/ready")
    assert status == 503 and "det (" in body["error"]
    assert running.json("GET", "/v2/models/det/ready")[0] == 503
    status, _, data = running.call("GET", "/metrics")
    assert 'hailo_inference_model_ready{backend="hailo",model="det"} 0.0' in data.decode()
    DEVICE["present"] = True
    deadline = time.monotonic() + 10
    while running.json("GET", "/v2/health/ready")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.json("POST", "/v1/models/det/detect", red_png(models_dir))[0] == 200


def test_no_device_at_start_then_device_appears(platform, hef, models_dir, serve):
    DEVICE["present"] = False
    running = serve({"server": {"retry_seconds": 0.1}, "models": [entry(hef, models_dir)]})
    status, body, _ = running.json("GET", "/v2/models/det/ready")
    assert status == 503 and "HAILO_OUT_OF_PHYSICAL_DEVICES" in body["error"]
    DEVICE["present"] = True
    deadline = time.monotonic() + 10
    while running.json("GET", "/v2/models/det/ready")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.json("GET", "/v2/models/det/ready")[0] == 200


def test_protocol_infer_returns_the_raw_nms_buffer(platform, hef, models_dir, serve):
    running = serve({"models": [entry(hef, models_dir)]})
    tensor = np.zeros((2, 8, 8, 3), np.uint8)
    status, body, _ = running.json("POST", "/v2/models/det/infer", {"inputs": [
        {"name": "in", "shape": [2, 8, 8, 3], "datatype": "UINT8", "data": tensor.reshape(-1).tolist()}]})
    assert status == 200 and body["outputs"][0]["shape"] == [2, 42] and DEVICE["runs"] == [2]
