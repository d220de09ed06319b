"""The service's configuration checks: every mistake names its key."""

import json

import pytest

from hailo_inference import config


def base(**model):
    entry = {"name": "m", "task": "classification", "backend": "onnx", "onnx": "/m.onnx"}
    entry.update(model)
    return {"models": [entry]}


def test_defaults():
    parsed = config.parse(base())
    assert parsed.server.host == "127.0.0.1" and parsed.server.port == 8000
    assert parsed.server.max_body_bytes == config.DEFAULT_MAX_BODY
    assert parsed.server.access_log is False
    model = parsed.models[0]
    assert model.path == "/m.onnx" and model.batch_size == 1 and model.preprocess.resize == "stretch"
    assert model.camera is None and model.onnx_preprocess is None


def test_full_model():
    parsed = config.parse(base(backend="hailo", hef="/m.hef", labels="/l.txt", batch_size=8,
                               preprocess={"colour": "bgr", "resize": "letterbox", "dtype": "float32",
                                           "layout": "nchw", "mean": [1, 2, 3], "std": [4, 5, 6]},
                               onnx_preprocess={"dtype": "float32"},
                               postprocess={"top_k": 1, "softmax": True, "label_offset": 1},
                               camera={"source": "/dev/video0", "fps": 2}))
    model = parsed.models[0]
    assert model.path == "/m.hef" and model.preprocess.mean == (1.0, 2.0, 3.0)
    assert model.onnx_preprocess.dtype == "float32" and model.camera.fps == 2.0


@pytest.mark.parametrize("data, message", [
    ({"models": []}, "at least one model"),
    ({"models": [], "extra": 1}, "unknown key\\(s\\) extra"),
    (base(task="segmentation"), "models\\[0\\].task: 'segmentation' is not one of"),
    (base(task=None), "models\\[0\\].task: required"),
    (base(name="bad name"), "models\\[0\\].name"),
    (base(backend="tpu"), "backend: 'tpu' is not one of hailo, onnx"),
    (base(backend="hailo"), "models\\[0\\].hef: the hailo backend needs the model's HEF file"),
    (base(onnx=None), "models\\[0\\].onnx: the onnx backend needs"),
    (base(batch_size=0), "batch_size: must be at least 1"),
    (base(batch_size=True), "batch_size: expected int"),
    (base(task="detection"), "labels: a detection model needs"),
    (base(preprocess={"resize": "crop"}), "preprocess.resize: 'crop' is not one of"),
    (base(preprocess={"mean": [1, 2]}), "preprocess.mean: expected three numbers"),
    (base(preprocess={"std": [1, 0, 1]}), "divide by zero"),
    (base(postprocess={"score_threshold": 2}), "score_threshold: must be at most 1"),
    (base(postprocess={"nope": 1}), "postprocess: unknown key"),
    (base(camera={"source": ""}), "camera.source"),
    (base(camera={"source": "/dev/video0", "fps": 0}), "camera.fps: must be at least 0.1"),
    ({"server": {"host": "localhost"}, **base()}, "server.host: 'localhost' is not an IP address"),
    ({"server": {"host": "0.0.0.0"}, **base()}, "requires server.token_file"),
    ({"server": {"port": 70000}, **base()}, "not a TCP port"),
    ({"server": {"max_body_bytes": 10}, **base()}, "max_body_bytes: must be at least 1024"),
    ({"server": {"access_log": "yes"}, **base()}, "server.access_log: expected bool, got 'yes'"),
    ({"models": [base()["models"][0], base()["models"][0]]}, "duplicate name\\(s\\) m"),
    ("text", "expected an object"),
])
def test_errors(data, message):
    with pytest.raises(config.ConfigError, match=message):
        config.parse(data)


def test_listening_beyond_loopback_with_token():
    parsed = config.parse({"server": {"host": "0.0.0.0", "token_file": "token"}, **base()})
    assert parsed.server.token_file == "token"
    assert config.parse({"server": {"host": "::1"}, **base()}).server.host == "::1"


def test_load(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(base()))
    assert config.load(path).models[0].name == "m"
    path.write_text("{")
    with pytest.raises(config.ConfigError, match="is not JSON"):
        config.load(path)
    with pytest.raises(config.ConfigError, match="cannot read the configuration"):
        config.load(tmp_path / "missing.json")


def test_read_token(tmp_path):
    path = tmp_path / "token"
    path.write_text("  0123456789abcdef0123  \n")
    assert config.read_token(path) == "0123456789abcdef0123"
    path.write_text("short")
    with pytest.raises(config.ConfigError, match="shorter than 16"):
        config.read_token(path)
    with pytest.raises(config.ConfigError, match="cannot read the token file"):
        config.read_token(tmp_path / "none")


def test_builtin_labels():
    parsed = config.parse(base(task="detection", labels="builtin:coco"))
    path = parsed.models[0].labels
    assert path.endswith("coco.txt")
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 80 and lines[0] == "person" and lines[-1] == "toothbrush"
    with pytest.raises(config.ConfigError, match="no built-in labels 'nope'; built in: coco, imagenet"):
        config.parse(base(labels="builtin:nope"))
    imagenet = config.parse(base(labels="builtin:imagenet")).models[0].labels
    with open(imagenet, encoding="utf-8") as handle:
        names = handle.read().splitlines()
    assert len(names) == 1000 and names[0] == "tench" and names[409] == "analog clock"


def test_batching_settings():
    model = config.parse(base(batch_size=8, instances=3, max_batch_wait_ms=1.5)).models[0]
    assert (model.batch_size, model.instances, model.max_batch_wait_ms) == (8, 3, 1.5)
    assert config.parse(base()).models[0].instances == 2 and config.parse(base()).models[0].max_batch_wait_ms == 0
    with pytest.raises(config.ConfigError, match="instances: must be at least 1"):
        config.parse(base(instances=0))
