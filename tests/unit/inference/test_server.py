"""The HTTP API on a real server (aiohttp on 127.0.0.1) with real HTTP requests and the onnx backend."""

import json
import threading
import time

import numpy as np
import pytest
import tritonclient.http as triton
from PIL import Image

from hailo_inference.backends.onnx import OnnxBackend
from service_helpers import model_entries

TOKEN = "0123456789abcdef-token"


@pytest.fixture
def running(serve, models_dir):
    return serve({"models": model_entries(models_dir)})


def red_tensor(models_dir):
    image = Image.open(models_dir / "red.png").convert("RGB").resize((32, 32))
    return np.asarray(image, dtype=np.uint8)[np.newaxis]


def test_server_metadata_and_health(running):
    status, body, _ = running.json("GET", "/v2")
    assert status == 200 and body["name"] == "hailo-inference" and "binary_tensor_data" in body["extensions"]
    assert running.json("GET", "/v2/health/live")[0] == 200
    assert running.json("GET", "/v2/health/ready")[:2] == (200, {"ready": True})
    assert running.json("GET", "/v2/models/colours/ready")[0] == 200
    assert running.json("GET", "/v2/models/colours/versions/1/ready")[0] == 200


def test_model_metadata(running):
    status, body, _ = running.json("GET", "/v2/models/colours")
    assert status == 200
    assert body == {"name": "colours", "versions": ["1"], "platform": "onnx",
                    "inputs": [{"name": "images", "datatype": "UINT8", "shape": [-1, 32, 32, 3]}],
                    "outputs": [{"name": "scores", "datatype": "FP32", "shape": [-1, 3]}]}


def test_infer_json(running, models_dir):
    tensor = red_tensor(models_dir)
    status, body, _ = running.json("POST", "/v2/models/colours/infer", {"id": "r1", "inputs": [
        {"name": "images", "shape": list(tensor.shape), "datatype": "UINT8", "data": tensor.reshape(-1).tolist()}]})
    assert status == 200 and body["id"] == "r1" and body["model_name"] == "colours"
    output = body["outputs"][0]
    assert output["name"] == "scores" and output["datatype"] == "FP32" and output["shape"] == [1, 3]
    assert output["data"][0] == pytest.approx(220 / 255, abs=1e-5) and output["data"][2] == 0.0


def test_infer_batch_of_two(running, models_dir):
    tensor = np.concatenate([red_tensor(models_dir), np.zeros((1, 32, 32, 3), np.uint8)])
    status, body, _ = running.json("POST", "/v2/models/colours/versions/1/infer", {"inputs": [
        {"name": "images", "shape": [2, 32, 32, 3], "datatype": "UINT8", "data": tensor.reshape(-1).tolist()}]})
    assert status == 200 and body["outputs"][0]["shape"] == [2, 3] and body["outputs"][0]["data"][3:] == [0, 0, 0]


@pytest.mark.parametrize("binary", [True, False])
def test_standard_triton_client(running, models_dir, binary):
    client = triton.InferenceServerClient(url="127.0.0.1:%d" % running.port)
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("colours")
    assert client.get_model_metadata("colours")["inputs"][0]["datatype"] == "UINT8"
    tensor = red_tensor(models_dir)
    given = triton.InferInput("images", list(tensor.shape), "UINT8")
    given.set_data_from_numpy(tensor, binary_data=binary)
    result = client.infer("colours", [given], outputs=[triton.InferRequestedOutput("scores", binary_data=binary)])
    scores = result.as_numpy("scores")
    assert scores.shape == (1, 3) and int(np.argmax(scores)) == 0
    client.close()


def test_triton_client_sees_errors(running):
    client = triton.InferenceServerClient(url="127.0.0.1:%d" % running.port)
    given = triton.InferInput("images", [1, 2], "UINT8")
    given.set_data_from_numpy(np.zeros((1, 2), np.uint8))
    with pytest.raises(triton.InferenceServerException, match="shape \\[1, 2\\], the model takes"):
        client.infer("colours", [given])
    client.close()


def test_classify_image(running, models_dir):
    status, body, _ = running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())
    assert status == 200 and body["classes"][0]["label"] == "red" and (body["width"], body["height"]) == (64, 48)
    assert len(body["classes"]) == 3
    status, body, _ = running.json("POST", "/v1/models/colours/classify", (models_dir / "blue.jpg").read_bytes())
    assert body["classes"][0]["label"] == "blue"


def test_detect_image_in_original_pixels(running, models_dir):
    status, body, _ = running.json("POST", "/v1/models/shapes/detect", (models_dir / "wide.png").read_bytes())
    assert status == 200 and (body["width"], body["height"]) == (200, 100)
    # The fixture's anchors in the 64x64 letterboxed input, mapped back (scale 0.32, 16 px of padding on top).
    assert body["detections"] == [
        {"class_id": 0, "label": "square", "score": 0.9,
         "box": {"x_min": 25.0, "y_min": 0.0, "x_max": 75.0, "y_max": 25.0}},
        {"class_id": 1, "label": "bar", "score": 0.8,
         "box": {"x_min": 137.5, "y_min": 0.0, "x_max": 162.5, "y_max": 12.5}},
        {"class_id": 1, "label": "bar", "score": 0.6,
         "box": {"x_min": 70.31, "y_min": 84.38, "x_max": 132.81, "y_max": 100.0}},
    ]


def test_wrong_task_endpoint(running, models_dir):
    status, body, _ = running.json("POST", "/v1/models/colours/detect", (models_dir / "red.png").read_bytes())
    assert status == 400 and "use /v1/models/colours/classify" in body["error"]


@pytest.mark.parametrize("name, message", [
    ("not-an-image.txt", "not a JPEG or PNG image"),
    ("truncated.jpg", "truncated or corrupt"),
])
def test_bad_images(running, models_dir, name, message):
    status, body, _ = running.json("POST", "/v1/models/colours/classify", (models_dir / name).read_bytes())
    assert status == 400 and message in body["error"]
    # The service keeps serving.
    assert running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())[0] == 200


@pytest.mark.parametrize("tensor, message", [
    ({"name": "images", "shape": [1, 16, 16, 3], "datatype": "UINT8", "data": [0] * 768}, "shape [1, 16, 16, 3]"),
    ({"name": "images", "shape": [1, 32, 32, 3], "datatype": "FP32", "data": [0] * 3072}, "datatype FP32"),
    ({"name": "pixels", "shape": [1], "datatype": "UINT8", "data": [0]}, "missing ['images'], unknown ['pixels']"),
])
def test_bad_tensors(running, tensor, message):
    status, body, _ = running.json("POST", "/v2/models/colours/infer", {"inputs": [tensor]})
    assert status == 400 and message in body["error"]


def test_unknown_output(running, models_dir):
    tensor = red_tensor(models_dir)
    status, body, _ = running.json("POST", "/v2/models/colours/infer", {
        "inputs": [{"name": "images", "shape": [1, 32, 32, 3], "datatype": "UINT8",
                    "data": tensor.reshape(-1).tolist()}], "outputs": [{"name": "logits"}]})
    assert status == 400 and "unknown output 'logits'" in body["error"]


def test_unknown_model_version_endpoint_and_method(running):
    status, body, _ = running.json("GET", "/v2/models/resnet")
    assert status == 404 and body["error"] == "unknown model 'resnet'; this server has colours, shapes"
    status, body, _ = running.json("GET", "/v2/models/colours/versions/7")
    assert status == 404 and "no version '7'" in body["error"]
    status, body, _ = running.json("GET", "/v2/repository/index")
    assert status == 404 and body["error"] == "no such endpoint: GET /v2/repository/index"
    status, body, headers = running.json("GET", "/v2/models/colours/infer")
    assert status == 405 and "GET is not allowed" in body["error"] and headers["Allow"] == "POST"
    status, body, _ = running.json("GET", "/v1/models/colours/camera")
    assert status == 404 and "has no camera" in body["error"]


def test_body_limit(serve, models_dir):
    running = serve({"server": {"max_body_bytes": 4096}, "models": model_entries(models_dir)})
    status, body, _ = running.json("POST", "/v1/models/colours/classify", b"\xff" * 10000)
    assert status == 413 and "limit of 4096 bytes" in body["error"]
    assert running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())[0] == 200


def test_token(serve, models_dir):
    running = serve({"models": model_entries(models_dir)}, token=TOKEN)
    status, body, headers = running.json("GET", "/v2")
    assert status == 401 and "Bearer" in body["error"] and headers["WWW-Authenticate"].startswith("Bearer")
    status, body, _ = running.json("GET", "/v2", headers={"Authorization": "Bearer wrong-token"})
    assert status == 401 and body["error"] == "the bearer token is wrong"
    status, body, _ = running.json("GET", "/v2", headers={"Authorization": "Basic " + TOKEN})
    assert status == 401
    assert running.json("GET", "/v2", headers={"Authorization": "Bearer " + TOKEN})[0] == 200
    # Health checks stay open for probes.
    assert running.json("GET", "/v2/health/ready")[0] == 200
    client = triton.InferenceServerClient(url="127.0.0.1:%d" % running.port)
    assert client.get_server_metadata(headers={"Authorization": "Bearer " + TOKEN})["name"] == "hailo-inference"
    client.close()


def test_missing_and_bad_model_files(serve, models_dir, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x01HEF this is not an ONNX file")
    entries = model_entries(models_dir, shapes={"onnx": str(bad)})
    entries.append({"name": "gone", "task": "classification", "backend": "onnx", "onnx": str(tmp_path / "no.onnx")})
    entries.append({"name": "unlabelled", "task": "classification", "backend": "onnx",
                    "onnx": str(models_dir / "colours.onnx"), "labels": str(tmp_path / "no-labels.txt")})
    running = serve({"models": entries})
    status, body, _ = running.json("GET", "/v2/health/ready")
    assert status == 503 and "gone (the model file" in body["error"] and "shapes (" in body["error"]
    status, body, _ = running.json("GET", "/v2/models/shapes/ready")
    assert status == 503 and "is not an ONNX model ONNX Runtime can load" in body["error"]
    status, body, _ = running.json("POST", "/v1/models/gone/classify", (models_dir / "red.png").read_bytes())
    assert status == 503 and "does not exist" in body["error"]
    status, body, _ = running.json("GET", "/v2/models/gone")
    assert status == 503 and "not loaded" in body["error"]
    status, body, _ = running.json("GET", "/v2/models/unlabelled/ready")
    assert status == 503 and "the labels file %s cannot be read: No such file" % (tmp_path / "no-labels.txt") in (
        body["error"])
    # The good model keeps serving.
    assert running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())[0] == 200
    status, body, _ = running.json("GET", "/v1/status")
    assert body["ready"] is False and body["models"]["colours"]["state"] == "ready"
    assert body["models"]["gone"]["state"] == "unavailable"


def test_model_file_that_appears_later_is_loaded(serve, models_dir, tmp_path):
    late = tmp_path / "late.onnx"
    running = serve({"server": {"retry_seconds": 0.1}, "models": model_entries(models_dir, colours={
        "onnx": str(late)})})
    assert running.json("GET", "/v2/models/colours/ready")[0] == 503
    late.write_bytes((models_dir / "colours.onnx").read_bytes())
    deadline = time.monotonic() + 10
    while running.json("GET", "/v2/models/colours/ready")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.json("GET", "/v2/health/ready")[0] == 200


class RecordingOnnx(OnnxBackend):
    """The onnx backend, recording the size of each batch it is given and how many ran at once."""

    def __init__(self, config):
        super().__init__(config)
        self.batches = []
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def infer(self, batch):
        with self.lock:
            self.batches.append(len(batch))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.02)
        try:
            return super().infer(batch)
        finally:
            with self.lock:
                self.running -= 1


def test_concurrent_requests_are_batched(serve, models_dir):
    from concurrent.futures import ThreadPoolExecutor

    from hailo_inference import config as service_config
    data = {"models": model_entries(models_dir, colours={"max_batch_wait_ms": 20})}
    backend = RecordingOnnx(service_config.parse(data).models[0])
    running = serve(data, backends={"colours": backend})
    image = (models_dir / "red.png").read_bytes()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: running.json("POST", "/v1/models/colours/classify", image), range(32)))
    assert all(status == 200 and body["classes"][0]["label"] == "red" for status, body, _ in answers)
    assert sum(backend.batches) == 32 and max(backend.batches) > 1 and max(backend.batches) <= 4
    # Two batches in flight by default (instances), never more.
    assert backend.most_at_once == 2


def test_a_lone_request_is_not_held_back(serve, models_dir):
    from hailo_inference import config as service_config
    data = {"models": model_entries(models_dir, colours={"instances": 1})}
    backend = RecordingOnnx(service_config.parse(data).models[0])
    running = serve(data, backends={"colours": backend})
    for _ in range(3):
        assert running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())[0] == 200
    assert backend.batches == [1, 1, 1] and backend.most_at_once == 1


def test_metrics(running, models_dir):
    running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())
    running.json("POST", "/v1/models/colours/classify", b"nope")
    running.json("GET", "/v2/models/unknown")
    status, headers, data = running.call("GET", "/metrics")
    text = data.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert ('hailo_inference_requests_total{code="200",endpoint="/v1/models/{model}/classify",model="colours"} 1.0'
            in text)
    assert 'hailo_inference_errors_total{endpoint="/v1/models/{model}/classify",model="colours"} 1.0' in text
    assert 'code="404",endpoint="/v2/models/{model}",model=""' in text and 'model="unknown"' not in text
    assert 'hailo_inference_request_duration_seconds_bucket{endpoint="/v1/models/{model}/classify",le="0.001"' in text
    assert 'hailo_inference_model_ready{backend="onnx",model="colours"} 1.0' in text
    assert 'hailo_inference_frames_per_second{model="colours"} 0.1' in text
    assert "hailo_inference_device_present 0.0" in text


def test_status(running):
    status, body, _ = running.json("GET", "/v1/status")
    assert status == 200 and body["ready"] is True and body["device_present"] is False
    assert body["models"]["shapes"] == {"state": "ready", "reason": "", "backend": "onnx", "task": "detection",
                                        "batch_size": 1, "fps": 0.0}
