"""The service's configuration: a JSON file (the role writes it), checked completely before anything starts.

Every mistake is reported with the key it is in (``models[1].preprocess.resize: ...``) so that a bad configuration
fails at start with one clear message instead of at the first request.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

TASKS = ("classification", "detection")
BACKENDS = ("hailo", "onnx")
COLOURS = ("rgb", "bgr")
RESIZES = ("stretch", "letterbox")
DTYPES = ("uint8", "float32")
LAYOUTS = ("nhwc", "nchw")
DECODERS = ("nms_by_class", "yolov8")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_MAX_BODY = 16 * 1024 * 1024
LABELS_DIR = Path(__file__).resolve().parent / "labels"


class ConfigError(ValueError):
    """A configuration that cannot be served, with the key at fault in its message."""


@dataclass(frozen=True)
class Preprocess:
    colour: str = "rgb"
    resize: str = "stretch"
    dtype: str = "uint8"
    layout: str = "nhwc"
    mean: tuple = (0.0, 0.0, 0.0)
    std: tuple = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Postprocess:
    top_k: int = 5
    softmax: bool = False
    label_offset: int = 0
    score_threshold: float = 0.3
    iou_threshold: float = 0.45
    max_detections: int = 100
    decoder: str = "nms_by_class"


@dataclass(frozen=True)
class Camera:
    source: str
    fps: float = 5.0
    width: int = 640
    height: int = 480
    retry_seconds: float = 5.0


@dataclass(frozen=True)
class ModelConfig:
    name: str
    task: str
    backend: str
    hef: str | None = None
    onnx: str | None = None
    labels: str | None = None
    batch_size: int = 1
    max_batch_wait_ms: float = 0.0
    instances: int = 2
    preprocess: Preprocess = field(default_factory=Preprocess)
    postprocess: Postprocess = field(default_factory=Postprocess)
    camera: Camera | None = None
    onnx_preprocess: Preprocess | None = None

    @property
    def path(self):
        """The model file the configured backend serves."""
        return self.hef if self.backend == "hailo" else self.onnx


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    name: str = "hailo-inference"
    token_file: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_image_pixels: int = 40_000_000
    retry_seconds: float = 5.0
    access_log: bool = False


@dataclass(frozen=True)
class Config:
    server: ServerConfig
    models: tuple


def _take(data, key, where, kind, default=None, choices=None, minimum=None):
    value = data.get(key, default)
    if value is None:
        return None
    label = "%s.%s" % (where, key) if where else key
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError("%s: expected %s, got %r" % (label, getattr(kind, "__name__", kind), value))
    if choices and value not in choices:
        raise ConfigError("%s: %r is not one of %s" % (label, value, ", ".join(choices)))
    if minimum is not None and value < minimum:
        raise ConfigError("%s: must be at least %s, got %r" % (label, minimum, value))
    return value


def _only(data, allowed, where):
    if not isinstance(data, dict):
        raise ConfigError("%s: expected an object, got %r" % (where or "configuration", data))
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ConfigError("%s: unknown key(s) %s; known: %s" % (where or "configuration", ", ".join(unknown),
                                                               ", ".join(sorted(allowed))))


def _triple(data, key, where, default):
    value = data.get(key, default)
    if (not isinstance(value, (list, tuple)) or len(value) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise ConfigError("%s.%s: expected three numbers (one per colour channel), got %r" % (where, key, value))
    return tuple(float(v) for v in value)


def _preprocess(data, where):
    data = data or {}
    _only(data, ("colour", "resize", "dtype", "layout", "mean", "std"), where)
    std = _triple(data, "std", where, (1.0, 1.0, 1.0))
    if any(v == 0 for v in std):
        raise ConfigError("%s.std: a standard deviation of 0 would divide by zero" % where)
    return Preprocess(
        colour=_take(data, "colour", where, str, "rgb", COLOURS),
        resize=_take(data, "resize", where, str, "stretch", RESIZES),
        dtype=_take(data, "dtype", where, str, "uint8", DTYPES),
        layout=_take(data, "layout", where, str, "nhwc", LAYOUTS),
        mean=_triple(data, "mean", where, (0.0, 0.0, 0.0)),
        std=std,
    )


def _postprocess(data, where):
    data = data or {}
    _only(data, ("top_k", "softmax", "label_offset", "score_threshold", "iou_threshold", "max_detections",
                 "decoder"), where)
    post = Postprocess(
        top_k=_take(data, "top_k", where, int, 5, minimum=1),
        softmax=_take(data, "softmax", where, bool, False),
        label_offset=_take(data, "label_offset", where, int, 0, minimum=0),
        score_threshold=_take(data, "score_threshold", where, float, 0.3, minimum=0.0),
        iou_threshold=_take(data, "iou_threshold", where, float, 0.45, minimum=0.0),
        max_detections=_take(data, "max_detections", where, int, 100, minimum=1),
        decoder=_take(data, "decoder", where, str, "nms_by_class", DECODERS),
    )
    for key in ("score_threshold", "iou_threshold"):
        if getattr(post, key) > 1:
            raise ConfigError("%s.%s: must be at most 1, got %r" % (where, key, getattr(post, key)))
    return post


def _camera(data, where):
    if data is None:
        return None
    _only(data, ("source", "fps", "width", "height", "retry_seconds"), where)
    source = _take(data, "source", where, str)
    if not source:
        raise ConfigError("%s.source: a V4L2 device (/dev/videoN), lavfi:<filter> or a video file is required" % where)
    return Camera(source=source, fps=_take(data, "fps", where, float, 5.0, minimum=0.1),
                  width=_take(data, "width", where, int, 640, minimum=16),
                  height=_take(data, "height", where, int, 480, minimum=16),
                  retry_seconds=_take(data, "retry_seconds", where, float, 5.0, minimum=0.1))


def _labels(value, where):
    """A labels file path; ``builtin:<name>`` names one shipped with the service (``builtin:coco``)."""
    if not value or not value.startswith("builtin:"):
        return value
    name = value[len("builtin:"):]
    path = LABELS_DIR / ("%s.txt" % name)
    if not _NAME_RE.match(name) or not path.is_file():
        known = sorted(p.stem for p in LABELS_DIR.glob("*.txt"))
        raise ConfigError("%s.labels: no built-in labels %r; built in: %s" % (where, name, ", ".join(known)))
    return str(path)


def _model(data, index):
    where = "models[%d]" % index
    _only(data, ("name", "task", "backend", "hef", "onnx", "labels", "batch_size", "max_batch_wait_ms", "instances",
                 "preprocess", "postprocess", "camera", "onnx_preprocess"), where)
    name = _take(data, "name", where, str)
    if not name or not _NAME_RE.match(name):
        raise ConfigError("%s.name: %r is not a model name (letters, digits, '_', '.', '-'; at most 64)" % (where, name))
    model = ModelConfig(
        name=name,
        task=_take(data, "task", where, str, None, TASKS) or "",
        backend=_take(data, "backend", where, str, "hailo", BACKENDS),
        hef=_take(data, "hef", where, str),
        onnx=_take(data, "onnx", where, str),
        labels=_labels(_take(data, "labels", where, str), where),
        batch_size=_take(data, "batch_size", where, int, 1, minimum=1),
        max_batch_wait_ms=_take(data, "max_batch_wait_ms", where, float, 0.0, minimum=0.0),
        instances=_take(data, "instances", where, int, 2, minimum=1),
        preprocess=_preprocess(data.get("preprocess"), where + ".preprocess"),
        postprocess=_postprocess(data.get("postprocess"), where + ".postprocess"),
        camera=_camera(data.get("camera"), where + ".camera"),
        onnx_preprocess=(_preprocess(data["onnx_preprocess"], where + ".onnx_preprocess")
                         if data.get("onnx_preprocess") is not None else None),
    )
    if not model.task:
        raise ConfigError("%s.task: required, one of %s" % (where, ", ".join(TASKS)))
    if model.task == "detection" and not model.labels:
        raise ConfigError("%s.labels: a detection model needs its labels file (one class per line; the number of "
                          "lines is the number of classes of its NMS output)" % where)
    if not model.path:
        raise ConfigError("%s.%s: the %s backend needs the model's %s file" % (
            where, "hef" if model.backend == "hailo" else "onnx", model.backend, model.backend.upper()
            if model.backend == "onnx" else "HEF"))
    return model


def parse(data):
    """A :class:`Config` from the decoded JSON document; raises :class:`ConfigError`."""
    _only(data, ("server", "models"), "")
    server = data.get("server") or {}
    _only(server, ("host", "port", "name", "token_file", "max_body_bytes", "max_image_pixels", "retry_seconds",
                   "access_log"),
          "server")
    host = _take(server, "host", "server", str, "127.0.0.1")
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise ConfigError("server.host: %r is not an IP address to listen on" % host) from exc
    token_file = _take(server, "token_file", "server", str)
    if not address.is_loopback and not token_file:
        raise ConfigError("server.host: listening on %s (beyond this machine) requires server.token_file, "
                          "a bearer token that clients must send" % host)
    server_config = ServerConfig(
        host=host, port=_take(server, "port", "server", int, 8000, minimum=0), token_file=token_file,
        name=_take(server, "name", "server", str, "hailo-inference"),
        max_body_bytes=_take(server, "max_body_bytes", "server", int, DEFAULT_MAX_BODY, minimum=1024),
        max_image_pixels=_take(server, "max_image_pixels", "server", int, 40_000_000, minimum=1),
        retry_seconds=_take(server, "retry_seconds", "server", float, 5.0, minimum=0.1),
        access_log=_take(server, "access_log", "server", bool, False))
    if server_config.port > 65535:
        raise ConfigError("server.port: %d is not a TCP port" % server_config.port)
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise ConfigError("models: at least one model is required")
    parsed = tuple(_model(item, index) for index, item in enumerate(models))
    names = [model.name for model in parsed]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError("models: duplicate name(s) %s" % ", ".join(duplicates))
    return Config(server=server_config, models=parsed)


def load(path):
    """Read and check the configuration file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("cannot read the configuration %s: %s" % (path, exc.strerror)) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError("%s is not JSON: %s" % (path, exc)) from exc
    return parse(data)


def read_token(path):
    """The bearer token in ``path`` (surrounding whitespace removed); it must not be empty."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError("cannot read the token file %s: %s" % (path, exc.strerror)) from exc
    if len(token) < 16:
        raise ConfigError("the token in %s is shorter than 16 characters" % path)
    return token
