"""Helpers of the inference service's tests: fixture model entries, a service on 127.0.0.1."""

import asyncio
import json
import threading
import urllib.error
import urllib.request

from aiohttp import web


def model_entries(models_dir, **extra):
    """The two fixture models as configuration entries (onnx backend)."""
    colours = {"name": "colours", "task": "classification", "backend": "onnx",
               "onnx": str(models_dir / "colours.onnx"), "labels": str(models_dir / "colours.txt"),
               "batch_size": 4, "postprocess": {"top_k": 3}}
    shapes = {"name": "shapes", "task": "detection", "backend": "onnx", "onnx": str(models_dir / "shapes.onnx"),
              "labels": str(models_dir / "shapes.txt"),
              "preprocess": {"resize": "letterbox"}, "postprocess": {"decoder": "yolov8", "score_threshold": 0.5}}
    colours.update(extra.get("colours", {}))
    shapes.update(extra.get("shapes", {}))
    return [colours, shapes]


class Running:
    """A :class:`Service` served by aiohttp on 127.0.0.1 (a free port) in a thread of its own."""

    def __init__(self, service):
        self.service = service
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def up():
            runner = web.AppRunner(service.app())
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return runner, site._server.sockets[0].getsockname()[1]

        self.runner, self.port = self.run(up())
        self.url = "http://127.0.0.1:%d" % self.port

    def run(self, coroutine, timeout=60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self):
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def call(self, method, path, body=None, headers=None, timeout=30):
        """A real HTTP request: ``(status, headers, body bytes)``; JSON bodies are sent as JSON."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def json(self, method, path, body=None, headers=None):
        status, response_headers, data = self.call(method, path, body, headers)
        return status, json.loads(data) if data else None, response_headers
