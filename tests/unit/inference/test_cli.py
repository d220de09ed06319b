"""The command line: check, compare, and errors."""

import asyncio
import json
import sys

import pytest

from hailo_inference import cli
from service_helpers import model_entries
from test_hailo_backend import entry, hef, platform  # noqa: F401  (fixtures)


def write(tmp_path, data):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_check_good_and_bad(tmp_path, models_dir, capsys):
    assert cli.main(["check", "--config", write(tmp_path, {"models": model_entries(models_dir)})]) == 0
    assert json.loads(capsys.readouterr().out) == {"models": ["colours", "shapes"], "problems": []}
    bad = model_entries(models_dir, shapes={"onnx": str(tmp_path / "none.onnx")})
    assert cli.main(["check", "--config", write(tmp_path, {"models": bad})]) == 2
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert len(problems) == 1 and problems[0].startswith("shapes: the model file") and "does not exist" in problems[0]


def test_bad_configuration(tmp_path, capsys):
    assert cli.main(["check", "--config", write(tmp_path, {"models": []})]) == 2
    assert capsys.readouterr().err == "hailo-inference: models: at least one model is required\n"
    assert cli.main(["serve", "--config", str(tmp_path / "none.json")]) == 2
    assert "cannot read the configuration" in capsys.readouterr().err


def test_relative_token_needs_systemd_credentials(tmp_path, models_dir, monkeypatch, capsys):
    data = {"server": {"host": "0.0.0.0", "token_file": "token"}, "models": model_entries(models_dir)}
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert cli.main(["check", "--config", write(tmp_path, data)]) == 2
    assert "CREDENTIALS_DIRECTORY is not set" in capsys.readouterr().err
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "token").write_text("0123456789abcdef-0123\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert cli.main(["check", "--config", write(tmp_path, data)]) == 0


def test_compare_classification(tmp_path, models_dir, capsys):
    config = write(tmp_path, {"models": model_entries(models_dir)})
    images = [str(models_dir / name) for name in ("red.png", "blue.jpg", "wide.png")]
    assert cli.main(["compare", "--config", config, "--model", "colours"] + images) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"model": "colours", "task": "classification", "backend": "onnx", "images": 3,
                      "top1_agreement": 1.0}


def test_compare_detection_hailo_against_onnx(tmp_path, models_dir, capsys, platform, hef):  # noqa: F811
    data = entry(hef, models_dir, onnx=str(models_dir / "shapes.onnx"), postprocess={"score_threshold": 0.2})
    config = write(tmp_path, {"models": [data]})
    assert cli.main(["compare", "--config", config, "--model", "det", str(models_dir / "wide.png")]) == 0
    report = json.loads(capsys.readouterr().out)
    # The stand-in device finds one box of class 1 in the middle; the ONNX reference's three fixed boxes are
    # elsewhere: nothing matches, and the mean IoU says so.
    assert report == {"model": "det", "task": "detection", "backend": "hailo", "images": 1, "mean_iou": 0.0,
                      "boxes": {"reference": 3, "served": 1, "matched": 0}}


def test_compare_needs_onnx_and_known_model(tmp_path, models_dir, capsys, platform, hef):  # noqa: F811
    config = write(tmp_path, {"models": [entry(hef, models_dir)]})
    assert cli.main(["compare", "--config", config, "--model", "det", str(models_dir / "red.png")]) == 2
    assert "has no ONNX file to compare against" in capsys.readouterr().err
    assert cli.main(["compare", "--config", config, "--model", "nope", str(models_dir / "red.png")]) == 2
    assert "no model 'nope'" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == __import__("hailo_inference").__version__


@pytest.mark.parametrize("access_log, expected", [(None, {"access_log": None}),
                                                  (True, {"access_log_format": '%a "%r" %s %b %Tfs'})])
def test_serve_logs_requests_only_when_asked(tmp_path, models_dir, monkeypatch, access_log, expected):
    calls = []
    monkeypatch.setattr("aiohttp.web.run_app", lambda app, **kwargs: calls.append(kwargs))
    data = {"models": model_entries(models_dir)}
    if access_log:
        data["server"] = {"access_log": True, "port": 8123}
    assert cli.main(["serve", "--config", write(tmp_path, data)]) == 0
    kwargs = calls[0]
    kwargs.pop("loop").close()
    assert kwargs == dict(expected, host="127.0.0.1", port=8123 if access_log else 8000, print=None)


def test_event_loop_is_uvloop_when_installed(monkeypatch):
    import uvloop  # a test requirement (tests/requirements.txt), as on nodes (python3-uvloop)
    loop = cli.event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    monkeypatch.setitem(sys.modules, "uvloop", None)  # not installed: asyncio's own loop
    loop = cli.event_loop()
    try:
        assert isinstance(loop, asyncio.AbstractEventLoop) and not isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
