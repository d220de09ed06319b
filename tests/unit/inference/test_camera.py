"""Camera input through ffmpeg: generated frames (ffmpeg's lavfi test source) and a recorded file, through the same
code path as a V4L2 device; a source that is missing or goes away is reported and reopened."""

import subprocess
import time

from PIL import Image

from hailo_inference import camera as camera_module
from hailo_inference.config import Camera
from service_helpers import model_entries


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_ffmpeg_commands():
    v4l2 = camera_module.ffmpeg_command(Camera("/dev/video0", fps=5, width=320, height=240))
    assert v4l2[v4l2.index("-f") + 1] == "v4l2" and "-video_size" in v4l2 and v4l2[v4l2.index("-i") + 1] == (
        "/dev/video0")
    assert v4l2[-5:] == ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    lavfi = camera_module.ffmpeg_command(Camera("lavfi:testsrc2", fps=2, width=64, height=48))
    assert lavfi[lavfi.index("-i") + 1] == "testsrc2=size=64x48:rate=2"
    recorded = camera_module.ffmpeg_command(Camera("/srv/clip.mkv", fps=2, width=64, height=48))
    assert "-stream_loop" in recorded and recorded[recorded.index("-i") + 1] == "/srv/clip.mkv"


def test_annotate_draws_boxes_and_classes():
    image = Image.new("RGB", (64, 48))
    jpeg = camera_module.annotate(image, {"detections": [
        {"label": "bar", "score": 0.9, "box": {"x_min": 4, "y_min": 4, "x_max": 30, "y_max": 30}}],
        "classes": [{"label": "red", "score": 0.5}]})
    assert jpeg[:2] == b"\xff\xd8"
    drawn = Image.open(__import__("io").BytesIO(jpeg))
    assert drawn.size == (64, 48) and max(drawn.getpixel((4, 17))) > 100


def camera_config(models_dir, source, retry=0.2):
    return {"models": model_entries(models_dir, colours={"camera": {
        "source": source, "fps": 10, "width": 64, "height": 48, "retry_seconds": retry}})}


def test_generated_frames_latest_result_and_mjpeg(serve, models_dir):
    running = serve(camera_config(models_dir, "lavfi:testsrc2"))
    body = wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        running.json("GET", "/v1/models/colours/camera")))
    assert body["camera_up"] is True and body["model"] == "colours" and len(body["classes"]) == 3
    assert (body["width"], body["height"]) == (64, 48) and body["frame"] >= 1
    status, headers, data = running.call("GET", "/v1/models/colours/camera.mjpg?frames=2")
    assert status == 200 and headers["Content-Type"] == "multipart/x-mixed-replace; boundary=hailoframe"
    parts = [p for p in data.split(b"--hailoframe\r\n") if p]
    assert len(parts) == 2 and all(b"Content-Type: image/jpeg" in p and b"\xff\xd8" in p for p in parts)
    status, _, metrics = running.call("GET", "/metrics")
    assert 'hailo_inference_camera_up{model="colours"} 1.0' in metrics.decode()
    status, body, _ = running.json("GET", "/v1/status")
    assert body["cameras"]["colours"]["up"] is True and body["cameras"]["colours"]["frames"] >= 1


def test_unplugged_camera_is_reported_and_reopened(serve, models_dir, tmp_path):
    clip = tmp_path / "clip.mkv"
    running = serve(camera_config(models_dir, str(clip)))
    status, body, _ = wait_for(lambda: (lambda r: r if "stopped" in r[1]["error"] else None)(
        running.json("GET", "/v1/models/colours/camera")))
    assert status == 503 and "the camera %s stopped (ffmpeg exit" % clip in body["error"]
    assert "No such file or directory" in body["error"]
    # The rest of the service keeps serving.
    assert running.json("POST", "/v1/models/colours/classify", (models_dir / "red.png").read_bytes())[0] == 200
    # The camera comes back (a recorded clip appears): frames flow again.
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "color=c=red:size=64x48:rate=10", "-t", "1", "-c:v", "ffv1", str(clip)], check=True)
    body = wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        running.json("GET", "/v1/models/colours/camera")))
    assert body["camera_up"] is True and body["classes"][0]["label"] == "red"


def test_missing_v4l2_device(serve, models_dir):
    running = serve(camera_config(models_dir, "/dev/video77"))
    camera = wait_for(lambda: (lambda c: c if "stopped" in c["reason"] else None)(
        running.json("GET", "/v1/status")[1]["cameras"]["colours"]))
    assert camera["up"] is False and "/dev/video77" in camera["reason"]


def test_no_ffmpeg(serve, models_dir):
    running = serve(camera_config(models_dir, "lavfi:testsrc2"), ffmpeg="no-such-ffmpeg")
    camera = wait_for(lambda: (lambda c: c if "ffmpeg is not installed" in c["reason"] else None)(
        running.json("GET", "/v1/status")[1]["cameras"]["colours"]))
    assert camera["up"] is False


def test_camera_keeps_reading_while_the_model_is_unavailable(serve, models_dir, tmp_path):
    data = camera_config(models_dir, "lavfi:testsrc2")
    data["models"][0]["onnx"] = str(tmp_path / "missing.onnx")
    running = serve(data)
    body = wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(
        running.json("GET", "/v1/models/colours/camera")))
    assert "is not ready" in body["error"] and body["camera_up"] is True
