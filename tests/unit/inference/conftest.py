"""Fixtures for the inference service's tests: generated fixture models, and services on 127.0.0.1."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "apps" / "hailo-inference"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hailo_inference import config as service_config  # noqa: E402
from hailo_inference.server import Service  # noqa: E402
from service_helpers import Running  # noqa: E402


def _load_fixture_maker():
    spec = importlib.util.spec_from_file_location("make_models", ROOT / "tests/fixtures/inference/make_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("inference-fixtures")
    _load_fixture_maker().main(out)
    return out


@pytest.fixture
def serve():
    """``serve(config_dict, token=None, backends=None)`` -> a :class:`Running` service, stopped after the test."""
    started = []

    def start(data, token=None, backends=None, ffmpeg="ffmpeg"):
        running = Running(Service(service_config.parse(data), token=token, backends=backends, ffmpeg=ffmpeg))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
