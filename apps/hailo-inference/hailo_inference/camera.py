"""Camera input: frames from a V4L2 device (or a test source) through ffmpeg, inferred continuously.

ffmpeg (Debian's package) reads the source and writes raw RGB frames of a fixed size to a pipe, so no frame is
parsed here: each frame is exactly ``width * height * 3`` bytes. Sources:

* ``/dev/videoN`` -- a V4L2 capture device (USB UVC cameras; Pi cameras through their V4L2 node where the
  kernel offers one);
* ``lavfi:<filtergraph>`` -- ffmpeg's generated test pictures (``lavfi:testsrc2``), used by the tests;
* any other path -- a recorded video file, played in a loop at its own rate.

A source that stops (camera unplugged, file gone) marks the camera down with ffmpeg's last message and is opened
again every ``retry_seconds``; the rest of the service keeps serving.
"""

from __future__ import annotations

import asyncio
import io
import shutil

import numpy as np
from PIL import Image, ImageDraw


def ffmpeg_command(camera, ffmpeg="ffmpeg"):
    """The ffmpeg command line that reads ``camera.source`` and writes raw RGB frames to stdout."""
    size = "%dx%d" % (camera.width, camera.height)
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin"]
    if camera.source.startswith("lavfi:"):
        command += ["-re", "-f", "lavfi", "-i", "%s=size=%s:rate=%g" % (camera.source[len("lavfi:"):], size,
                                                                          camera.fps)]
    elif camera.source.startswith("/dev/video"):
        command += ["-f", "v4l2", "-framerate", "%g" % camera.fps, "-video_size", size, "-i", camera.source]
    else:
        command += ["-re", "-stream_loop", "-1", "-i", camera.source]
    return command + ["-vf", "fps=%g,scale=%d:%d" % (camera.fps, camera.width, camera.height), "-an",
                      "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]


def annotate(image, result):
    """A JPEG of ``image`` with the result drawn on it (boxes and labels, or the best classes)."""
    canvas = image.copy()
    draw = ImageDraw.Draw(canvas)
    for item in result.get("detections", []):
        box = item["box"]
        draw.rectangle((box["x_min"], box["y_min"], box["x_max"], box["y_max"]), outline=(255, 64, 0), width=2)
        draw.text((box["x_min"] + 3, box["y_min"] + 2), "%s %.2f" % (item["label"], item["score"]), fill=(255, 64, 0))
    for row, item in enumerate(result.get("classes", [])[:3]):
        draw.text((6, 6 + 14 * row), "%s %.2f" % (item["label"], item["score"]), fill=(255, 255, 0))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=80)
    return out.getvalue()


class CameraWorker:
    """Reads frames, infers each with the model, keeps the latest result and annotated JPEG."""

    def __init__(self, model, camera, metrics=None, ffmpeg="ffmpeg"):
        self.model = model
        self.camera = camera
        self.metrics = metrics
        self.ffmpeg = ffmpeg
        self.up = False
        self.reason = "not started"
        self.latest = None
        self.jpeg = None
        self.frames = 0
        self.changed = asyncio.Condition()
        self._task = None
        self._process = None

    def start(self):
        self._task = asyncio.create_task(self._run())

    async def stop(self):
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._kill()

    async def _kill(self):
        process, self._process = self._process, None
        if process and process.returncode is None:
            process.kill()
            await process.wait()

    def _set(self, up, reason=""):
        self.up, self.reason = up, reason
        if self.metrics:
            self.metrics.camera_up.labels(self.model.config.name).set(1 if up else 0)

    async def _run(self):
        while True:
            try:
                await self._capture()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pylint: disable=broad-except  # any failure: report, then reopen
                self._set(False, str(exc))
            await self._kill()
            await asyncio.sleep(self.camera.retry_seconds)

    async def _capture(self):
        if shutil.which(self.ffmpeg) is None:
            raise RuntimeError("ffmpeg is not installed (Debian: ffmpeg); the camera cannot be read")
        frame_bytes = self.camera.width * self.camera.height * 3
        self._process = await asyncio.create_subprocess_exec(
            *ffmpeg_command(self.camera, self.ffmpeg), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=frame_bytes * 2)
        self.reason = "opening %s" % self.camera.source
        while True:
            try:
                raw = await self._process.stdout.readexactly(frame_bytes)
            except asyncio.IncompleteReadError:
                await self._process.wait()
                message = (await self._process.stderr.read()).decode(errors="replace").strip().splitlines()
                raise RuntimeError("the camera %s stopped (ffmpeg exit %s): %s" % (
                    self.camera.source, self._process.returncode, message[-1] if message else "no message"))
            image = Image.fromarray(np.frombuffer(raw, dtype=np.uint8).reshape(
                self.camera.height, self.camera.width, 3), "RGB")
            self._set(True)
            try:
                result = await self.model.infer_array(image)
            except Exception as exc:  # pylint: disable=broad-except  # model not ready: keep reading frames
                result = {"model": self.model.config.name, "error": str(exc)}
            self.frames += 1
            if self.metrics:
                self.metrics.camera_frames.labels(self.model.config.name).inc()
            jpeg = await asyncio.get_running_loop().run_in_executor(None, annotate, image, result)
            async with self.changed:
                self.latest, self.jpeg = dict(result, frame=self.frames), jpeg
                self.changed.notify_all()

    def status(self):
        return {"source": self.camera.source, "up": self.up, "reason": self.reason, "frames": self.frames,
                "latest": self.latest}
