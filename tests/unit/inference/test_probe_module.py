"""hailo_inference_probe against the real service on 127.0.0.1 (real HTTP requests both ways)."""

import socket

from ansible_collections.hailo_open.hailo.plugins.modules import hailo_inference_probe
from ansible_collections.hailo_open.hailo.tests.unit.module_runner import run_module
from service_helpers import model_entries

TOKEN = "0123456789abcdef-token"


def probe(running, **args):
    return run_module(hailo_inference_probe.main, dict({"url": running.url, "wait_timeout": 5}, **args))


def test_ready_and_classified_as_expected(serve, models_dir):
    running = serve({"models": model_entries(models_dir)})
    result = probe(running, check_image=str(models_dir / "red.png"), expect="red", requests=5)
    assert result["failed"] is False and result["changed"] is False
    assert result["state"] == "ready" and result["ready"] is True
    assert result["check"] == {"model": "colours", "label": "red", "score": result["check"]["score"],
                               "expected": "red", "passed": True}
    assert result["requests"] == 5 and result["errors"] == 0 and result["latency_ms"]["p50"] > 0
    assert set(result["models"]) == {"colours", "shapes"}


def test_wrong_answer(serve, models_dir):
    running = serve({"models": model_entries(models_dir)})
    result = probe(running, check_image=str(models_dir / "red.png"), expect="blue", requests=2)
    assert result["state"] == "wrong_answer" and "classified the check image as 'red', not 'blue'" in result["reason"]


def test_not_ready_model(serve, models_dir, tmp_path):
    running = serve({"models": model_entries(models_dir, shapes={"onnx": str(tmp_path / "gone.onnx")})})
    result = probe(running, check_image=str(models_dir / "red.png"), wait_timeout=1)
    assert result["state"] == "not_ready" and result["reason"].startswith("shapes: the model file")
    assert result["check"] is None


def test_down():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_module(hailo_inference_probe.main, {"url": "http://127.0.0.1:%d" % port, "wait_timeout": 0})
    assert result["state"] == "down" and "no answer from http://127.0.0.1:%d" % port in result["reason"]


def test_token(serve, models_dir, tmp_path):
    running = serve({"models": model_entries(models_dir)}, token=TOKEN)
    result = probe(running, wait_timeout=30)
    assert result["state"] == "down" and "Authorization: Bearer" in result["reason"]
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    result = probe(running, token_file=str(token_file), check_image=str(models_dir / "red.png"), requests=1)
    assert result["state"] == "ready" and result["check"]["label"] == "red"


def test_bad_arguments(serve, models_dir, tmp_path):
    running = serve({"models": model_entries(models_dir)})
    result = probe(running, check_image=str(tmp_path / "none.png"))
    assert result["failed"] is True and "Cannot read the check image" in result["msg"]
    result = probe(running, check_image=str(models_dir / "red.png"), check_model="resnet")
    assert result["failed"] is True and "'resnet' is not served" in result["msg"]
    result = probe(running, requests=0)
    assert result["failed"] is True and "requests must be 1 or more" in result["msg"]


def test_a_recent_check_is_reused_while_the_service_is_ready(serve, models_dir, tmp_path):
    running = serve({"models": model_entries(models_dir)})
    args = dict(check_image=str(models_dir / "red.png"), expect="red", requests=3,
                state_file=str(tmp_path / "check.json"), max_age=3600, fingerprint="1.0.0 abc")
    first = probe(running, **args)
    assert first["reused"] is False and first["state"] == "ready" and (tmp_path / "check.json").exists()
    second = probe(running, **args)
    assert second["reused"] is True and second["latency_ms"] == first["latency_ms"]
    assert second["check"]["label"] == "red"
    # Another fingerprint (a changed service) or max_age 0 measures again.
    assert probe(running, **dict(args, fingerprint="1.0.1 abc"))["reused"] is False
    assert probe(running, **dict(args, max_age=0))["reused"] is False


def test_a_recorded_check_does_not_hide_a_service_that_is_not_ready(serve, models_dir, tmp_path):
    args = dict(check_image=str(models_dir / "red.png"), requests=2, state_file=str(tmp_path / "check.json"),
                max_age=3600, wait_timeout=1)
    running = serve({"models": model_entries(models_dir)})
    assert probe(running, **args)["state"] == "ready"
    broken = serve({"models": model_entries(models_dir, shapes={"onnx": str(tmp_path / "gone.onnx")})})
    result = run_module(hailo_inference_probe.main, dict(args, url=broken.url))
    assert result["state"] == "not_ready" and result["reused"] is False
