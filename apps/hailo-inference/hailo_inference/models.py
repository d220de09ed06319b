"""A served model: its backend, a batcher in front of it, its state, and the image pipeline around it.

Concurrent requests are gathered into one backend call of up to ``batch_size`` frames: those that queued while the
previous call ran, plus those that arrive within ``max_batch_wait_ms`` (default 0: none are waited for, so a lone
request pays no batching delay); the backend runs on a thread of its own so that the event loop keeps
serving. A backend that becomes unavailable marks the model not ready, fails the requests in flight with 503, and
is loaded again every ``retry_seconds`` until it succeeds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import deque

import numpy as np

from hailo_inference import pipeline
from hailo_inference.backends import BackendUnavailable, create
from hailo_inference.tensors import DATATYPES, TensorError, datatype_of


class ModelUnavailable(RuntimeError):
    """The model cannot serve now (HTTP 503); the message says why."""


class Model:
    """See the module documentation."""

    def __init__(self, config, backend=None, retry_seconds=5.0, max_image_pixels=40_000_000):
        self.config = config
        self.backend = backend or create(config)
        self.retry_seconds = retry_seconds
        self.max_image_pixels = max_image_pixels
        self.state = "loading"
        self.reason = "not loaded yet"
        self.labels = []
        self._executor = concurrent.futures.ThreadPoolExecutor(config.instances,
                                                               thread_name_prefix="model-" + config.name)
        self._slots = None
        self._queue = None
        self._tasks = []
        self._frames = deque(maxlen=4096)
        self._running = set()
        self.on_state = None

    # ----- life cycle
    async def start(self):
        """Load the backend (in the background on failure) and start the batcher."""
        self._queue = asyncio.Queue()
        self._slots = asyncio.Semaphore(self.config.instances)
        self._tasks.append(asyncio.create_task(self._batcher()))
        await self._load()

    async def stop(self):
        for task in list(self._running) + self._tasks:
            task.cancel()
        await asyncio.gather(*self._running, *self._tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.get_running_loop().run_in_executor(self._executor, self.backend.close)
        self._executor.shutdown(wait=False)

    async def _load(self):
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._load_files)
            self._check_io()
        except (BackendUnavailable, ValueError) as exc:
            self._set_state("unavailable", str(exc))
            self._tasks.append(asyncio.create_task(self._retry()))
            return
        self._set_state("ready", "")

    def _load_files(self):
        self.load_labels()
        self.backend.load()

    def load_labels(self):
        """Read the labels file (BackendUnavailable when it cannot be read)."""
        if self.config.labels:
            try:
                self.labels = pipeline.load_labels(self.config.labels)
            except (OSError, UnicodeDecodeError) as exc:
                raise BackendUnavailable("the labels file %s cannot be read: %s" % (
                    self.config.labels, getattr(exc, "strerror", None) or exc)) from exc

    async def _retry(self):
        await asyncio.sleep(self.retry_seconds)
        await self._load()

    def _set_state(self, state, reason):
        self.state, self.reason = state, reason
        if self.on_state:
            self.on_state(self)

    def _check_io(self):
        if len(self.backend.inputs) != 1:
            raise ValueError("model %s has %d inputs; image models need exactly one" % (
                self.config.name, len(self.backend.inputs)))
        self.input_hw()

    def _unavailable(self, exc):
        if self.state == "ready":
            self._set_state("unavailable", str(exc))
            self._tasks.append(asyncio.create_task(self._retry()))

    def _require_ready(self):
        if not self.ready:
            raise ModelUnavailable("model %s is not ready: %s" % (self.config.name, self.reason))

    @property
    def ready(self):
        return self.state == "ready"

    # ----- metadata
    def metadata(self):
        """The protocol's model metadata object."""
        def specs(items):
            return [{"name": s.name, "datatype": s.datatype, "shape": list(s.shape)} for s in items]
        return {"name": self.config.name, "versions": ["1"], "platform": self.backend.name,
                "inputs": specs(self.backend.inputs), "outputs": specs(self.backend.outputs)}

    def input_hw(self):
        spec = self.backend.inputs[0]
        return pipeline.input_size(spec.shape, self.config.preprocess.layout)

    def fps(self, window=10.0):
        """Frames inferred per second over the last ``window`` seconds."""
        now = time.monotonic()
        recent = sum(1 for stamp in self._frames if now - stamp <= window)
        return recent / window

    # ----- inference
    async def infer(self, item):
        """Outputs of one frame: ``item`` maps each input name to its array (without batch axis)."""
        self._require_ready()
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def _batcher(self):
        loop = asyncio.get_running_loop()
        wait = self.config.max_batch_wait_ms / 1000.0
        while True:
            # Up to ``instances`` batches run at once (one waits for its device transfer while another computes);
            # while all are busy, requests queue up and form the next batch.
            await self._slots.acquire()
            batch = [await self._queue.get()]
            # Requests that arrived while the previous batches ran join at once; then wait at most
            # max_batch_wait_ms (0: not at all) for more, up to the batch size.
            deadline = loop.time() + wait
            while len(batch) < self.config.batch_size:
                if not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except asyncio.TimeoutError:
                    break
            batch = [(item, future) for item, future in batch if not future.cancelled()]
            if not batch:
                self._slots.release()
                continue
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch):
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self.backend.infer, [b[0] for b in batch])
        except BackendUnavailable as exc:
            self._unavailable(exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(ModelUnavailable("model %s is not ready: %s" % (self.config.name, exc)))
            return
        except Exception as exc:  # pylint: disable=broad-except  # one bad batch must not stop the model
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        finally:
            self._slots.release()
        now = time.monotonic()
        for (_, future), result in zip(batch, results):
            self._frames.append(now)
            if not future.done():
                future.set_result(result)

    def check_tensors(self, inputs):
        """``{name: array without batch axis}`` from protocol inputs; :class:`TensorError` when they do not fit.

        The protocol's shapes include the batch axis: a request may carry a batch of N frames (N >= 1)."""
        specs = {spec.name: spec for spec in self.backend.inputs}
        given = dict(inputs)
        missing = sorted(set(specs) - set(given))
        extra = sorted(set(given) - set(specs))
        if missing or extra:
            raise TensorError("model %s takes input(s) %s; missing %s, unknown %s" % (
                self.config.name, ", ".join(sorted(specs)), missing or "none", extra or "none"))
        batch = None
        for name, array in given.items():
            spec = specs[name]
            if array.dtype != np.dtype(DATATYPES[spec.datatype]):
                raise TensorError("input %s: datatype %s, the model takes %s" % (
                    name, datatype_of(array), spec.datatype))
            if len(array.shape) != len(spec.shape) or any(
                    want not in (-1, got) for want, got in zip(spec.shape[1:], array.shape[1:])):
                raise TensorError("input %s: shape %s, the model takes %s (the first dimension is the batch)" % (
                    name, list(array.shape), list(spec.shape)))
            if spec.shape[0] not in (-1, array.shape[0]) or array.shape[0] < 1:
                raise TensorError("input %s: batch of %d, the model takes %s" % (name, array.shape[0], spec.shape[0]))
            if batch is not None and array.shape[0] != batch:
                raise TensorError("the inputs' batch sizes differ")
            batch = array.shape[0]
        return [{name: array[i] for name, array in given.items()} for i in range(batch)]

    async def infer_tensors(self, inputs):
        """Protocol inference: ``{output name: array with batch axis}``."""
        items = self.check_tensors(inputs)
        results = await asyncio.gather(*(self.infer(item) for item in items))
        return {spec.name: np.stack([np.asarray(r[spec.name]) for r in results]) for spec in self.backend.outputs}

    def prepare(self, image):
        """The network input and transform for a decoded image."""
        height, width = self.input_hw()
        rgb, transform = pipeline.resize(image, width, height, self.config.preprocess.resize)
        return {self.backend.inputs[0].name: pipeline.to_model_input(rgb, self.config.preprocess)}, transform

    def postprocess(self, outputs, transform):
        """Labels (classification) or boxes in the image's pixels (detection) from one frame's outputs."""
        post = self.config.postprocess
        first = outputs[self.backend.outputs[0].name]
        if self.config.task == "classification":
            return {"classes": pipeline.classify(first, self.labels, post.top_k, post.softmax, post.label_offset)}
        height, width = self.input_hw()
        if post.decoder == "yolov8":
            per_class = pipeline.yolov8_nms_by_class(first, width, height, post.score_threshold,
                                                     post.iou_threshold, post.max_detections)
        else:
            per_class = pipeline.nms_by_class_from_raw(first, len(self.labels))
        return {"detections": pipeline.detections(per_class, self.labels, transform, width, height,
                                                  post.score_threshold, post.max_detections)}

    async def infer_image(self, data):
        """Decode, pre-process, infer and post-process one JPEG/PNG image (bytes)."""
        self._require_ready()
        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(None, pipeline.decode_image, data, self.max_image_pixels)
        return await self.infer_array(image)

    async def infer_array(self, image):
        """Pre-process, infer and post-process a decoded RGB image."""
        self._require_ready()
        item, transform = self.prepare(image)
        outputs = await self.infer(item)
        result = self.postprocess(outputs, transform)
        result.update({"model": self.config.name, "width": transform.width, "height": transform.height})
        return result
