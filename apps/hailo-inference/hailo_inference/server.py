"""The HTTP API (aiohttp): the Open Inference Protocol's REST endpoints, image endpoints, camera and metrics.

Open Inference Protocol (KServe v2 / Triton), so that its standard clients work unchanged:

====================================================  ============================================================
``GET  /v2``                                          server metadata
``GET  /v2/health/live``, ``/v2/health/ready``        200, or 503 while a model is not ready
``GET  /v2/models/{model}[/versions/1]``              model metadata (inputs and outputs)
``GET  /v2/models/{model}[/versions/1]/ready``        200, or 503 with the reason
``POST /v2/models/{model}[/versions/1]/infer``        JSON tensors, or Triton's binary tensor data extension
====================================================  ============================================================

This service's own endpoints:

====================================================  ============================================================
``POST /v1/models/{model}/classify``                  JPEG/PNG body -> the best classes with labels and scores
``POST /v1/models/{model}/detect``                    JPEG/PNG body -> boxes in the image's pixels
``GET  /v1/models/{model}/camera``                    the camera's latest result (JSON)
``GET  /v1/models/{model}/camera.mjpg``               the camera's frames with results drawn on them (MJPEG)
``GET  /v1/status``                                   every model's and camera's state
``GET  /metrics``                                     Prometheus metrics
====================================================  ============================================================

Every error is the protocol's error object, ``{"error": "<message>"}``, with the HTTP status that fits: 400 a bad
request, 401 a missing or wrong token, 404 an unknown model or endpoint, 405 a wrong method, 413 a body over the
limit, 503 a model that is not ready. When a token is configured, every endpoint but the two health checks needs
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time

from aiohttp import web

from hailo_inference import __version__
from hailo_inference.backends.hailo import device_present
from hailo_inference.camera import CameraWorker
from hailo_inference.metrics import Metrics
from hailo_inference.models import Model, ModelUnavailable
from hailo_inference.pipeline import ImageError
from hailo_inference.tensors import HEADER_LENGTH, TensorError, decode_request, encode_response, requested_outputs

MODEL_VERSION = "1"
OPEN_PATHS = ("/v2/health/live", "/v2/health/ready")
BOUNDARY = "hailoframe"


def error(status, message, headers=None):
    """The protocol's error object as a response."""
    return web.json_response({"error": message}, status=status, headers=headers)


class Service:
    """The models, cameras and metrics behind one aiohttp application."""

    def __init__(self, config, token=None, backends=None, ffmpeg="ffmpeg"):
        self.config = config
        self.token = token
        self.metrics = Metrics()
        self.models = {}
        self.cameras = {}
        for model_config in config.models:
            backend = (backends or {}).get(model_config.name)
            model = Model(model_config, backend, config.server.retry_seconds, config.server.max_image_pixels)
            model.on_state = self._on_state
            self.models[model_config.name] = model
            if model_config.camera:
                self.cameras[model_config.name] = CameraWorker(model, model_config.camera, self.metrics, ffmpeg)

    def _on_state(self, model):
        self.metrics.ready.labels(model.config.name, model.config.backend).set(1 if model.ready else 0)

    async def start(self, _app=None):
        await asyncio.gather(*(model.start() for model in self.models.values()))
        for camera in self.cameras.values():
            camera.start()

    async def stop(self, _app=None):
        for camera in self.cameras.values():
            await camera.stop()
        for model in self.models.values():
            await model.stop()

    # ----- helpers
    def model(self, request):
        name = request.match_info["model"]
        version = request.match_info.get("version")
        if name not in self.models:
            raise web.HTTPNotFound(text=json.dumps({"error": "unknown model %r; this server has %s" % (
                name, ", ".join(sorted(self.models)))}), content_type="application/json")
        if version not in (None, MODEL_VERSION):
            raise web.HTTPNotFound(text=json.dumps({"error": "model %s has no version %r (only %s)" % (
                name, version, MODEL_VERSION)}), content_type="application/json")
        return self.models[name]

    def ready(self):
        return all(model.ready for model in self.models.values())

    # ----- middleware: errors as JSON, the token, metrics
    @web.middleware
    async def middleware(self, request, handler):
        start = time.perf_counter()
        route = request.match_info.route.resource
        endpoint = route.canonical if route is not None else "unknown"
        # Only served models become label values: a client cannot grow the metrics with made-up names.
        model = request.match_info.get("model", "")
        model = model if model in self.models else ""
        try:
            if self.token and request.path not in OPEN_PATHS:
                header = request.headers.get("Authorization", "")
                scheme, _, given = header.partition(" ")
                if scheme.lower() != "bearer" or not given:
                    response = error(401, "this server needs 'Authorization: Bearer <token>'",
                                     {"WWW-Authenticate": 'Bearer realm="hailo-inference"'})
                elif not hmac.compare_digest(given.strip().encode(), self.token.encode()):
                    response = error(401, "the bearer token is wrong",
                                     {"WWW-Authenticate": 'Bearer error="invalid_token"'})
                else:
                    response = await handler(request)
            else:
                response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            response = error(413, "the request body is larger than this server's limit of %d bytes "
                                  "(server.max_body_bytes)" % self.config.server.max_body_bytes)
        except web.HTTPException as exc:
            if exc.content_type == "application/json":
                response = web.Response(status=exc.status, text=exc.text, content_type="application/json")
            elif exc.status == 404:
                response = error(404, "no such endpoint: %s %s" % (request.method, request.path))
            elif exc.status == 405:
                response = error(405, "%s is not allowed on %s" % (request.method, request.path),
                                 {"Allow": exc.headers.get("Allow", "")})
            else:
                response = error(exc.status, exc.reason)
        except (TensorError, ImageError, ValueError) as exc:
            response = error(400, str(exc))
        except ModelUnavailable as exc:
            response = error(503, str(exc))
        if request.path != "/metrics":
            self.metrics.observe(model, endpoint, response.status, time.perf_counter() - start)
        return response

    # ----- Open Inference Protocol
    async def server_metadata(self, _request):
        return web.json_response({"name": self.config.server.name, "version": __version__,
                                  "extensions": ["binary_tensor_data", "hailo_open_image", "hailo_open_camera"]})

    async def live(self, _request):
        return web.json_response({"live": True})

    async def server_ready(self, _request):
        if self.ready():
            return web.json_response({"ready": True})
        waiting = ["%s (%s)" % (m.config.name, m.reason) for m in self.models.values() if not m.ready]
        return error(503, "not ready: %s" % "; ".join(waiting))

    async def model_metadata(self, request):
        model = self.model(request)
        if not model.backend.inputs:
            return error(503, "model %s is not loaded: %s" % (model.config.name, model.reason))
        return web.json_response(model.metadata())

    async def model_ready(self, request):
        model = self.model(request)
        if model.ready:
            return web.json_response({"name": model.config.name, "ready": True})
        return error(503, "model %s is not ready: %s" % (model.config.name, model.reason))

    async def infer(self, request):
        model = self.model(request)
        body = await request.read()
        parsed, inputs = decode_request(body, request.headers.get(HEADER_LENGTH))
        if not model.ready:
            raise ModelUnavailable("model %s is not ready: %s" % (model.config.name, model.reason))
        names = requested_outputs(parsed, [spec.name for spec in model.backend.outputs])
        outputs = await model.infer_tensors(inputs)
        payload, headers = encode_response(model.config.name, MODEL_VERSION, parsed,
                                           {name: outputs[name] for name in names})
        return web.Response(body=payload, headers=headers)

    # ----- images, cameras, status, metrics
    async def _image(self, request, task):
        model = self.model(request)
        if model.config.task != task:
            return error(400, "model %s is a %s model; use /v1/models/%s/%s" % (
                model.config.name, model.config.task, model.config.name,
                "classify" if model.config.task == "classification" else "detect"))
        return web.json_response(await model.infer_image(await request.read()))

    async def classify(self, request):
        return await self._image(request, "classification")

    async def detect(self, request):
        return await self._image(request, "detection")

    def _camera(self, request):
        model = self.model(request)
        if model.config.name not in self.cameras:
            raise web.HTTPNotFound(text=json.dumps({"error": "model %s has no camera configured" % model.config.name}),
                                   content_type="application/json")
        return self.cameras[model.config.name]

    async def camera_latest(self, request):
        camera = self._camera(request)
        if camera.latest is None:
            return error(503, "the camera has delivered no frame yet: %s" % camera.reason)
        return web.json_response(dict(camera.latest, camera_up=camera.up, camera_reason=camera.reason))

    async def camera_mjpeg(self, request):
        camera = self._camera(request)
        response = web.StreamResponse(headers={
            "Content-Type": "multipart/x-mixed-replace; boundary=%s" % BOUNDARY, "Cache-Control": "no-store"})
        await response.prepare(request)
        limit = int(request.query.get("frames", "0") or 0)
        sent = 0
        while not limit or sent < limit:
            async with camera.changed:
                await camera.changed.wait()
                jpeg = camera.jpeg
            part = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % (BOUNDARY.encode(), len(jpeg))
            await response.write(part + jpeg + b"\r\n")
            sent += 1
        return response

    async def status(self, _request):
        return web.json_response({
            "name": self.config.server.name, "version": __version__, "ready": self.ready(),
            "device_present": device_present(),
            "models": {name: {"state": m.state, "reason": m.reason, "backend": m.config.backend,
                              "task": m.config.task, "batch_size": m.config.batch_size, "fps": round(m.fps(), 2)}
                       for name, m in self.models.items()},
            "cameras": {name: c.status() for name, c in self.cameras.items()}})

    async def metrics_endpoint(self, _request):
        self.metrics.device.set(1 if device_present() else 0)
        for name, model in self.models.items():
            self.metrics.fps.labels(name).set(model.fps())
        return web.Response(body=self.metrics.render(), headers={"Content-Type": self.metrics.content_type})

    def app(self):
        """The aiohttp application; models load when it starts."""
        app = web.Application(middlewares=[self.middleware], client_max_size=self.config.server.max_body_bytes)
        model = "/v2/models/{model}"
        versioned = "/v2/models/{model}/versions/{version}"
        app.add_routes([
            web.get("/v2", self.server_metadata),
            web.get("/v2/health/live", self.live),
            web.get("/v2/health/ready", self.server_ready),
            web.get(model, self.model_metadata), web.get(versioned, self.model_metadata),
            web.get(model + "/ready", self.model_ready), web.get(versioned + "/ready", self.model_ready),
            web.post(model + "/infer", self.infer), web.post(versioned + "/infer", self.infer),
            web.post("/v1/models/{model}/classify", self.classify),
            web.post("/v1/models/{model}/detect", self.detect),
            web.get("/v1/models/{model}/camera", self.camera_latest),
            web.get("/v1/models/{model}/camera.mjpg", self.camera_mjpeg),
            web.get("/v1/status", self.status),
            web.get("/metrics", self.metrics_endpoint),
        ])
        app.on_startup.append(self.start)
        app.on_cleanup.append(self.stop)
        return app
