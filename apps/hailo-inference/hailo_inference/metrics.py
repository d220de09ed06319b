"""Prometheus metrics of the service (``prometheus_client`` formats them; nothing is formatted here)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One registry per service, so that tests can run several services in one process."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("hailo_inference_requests", "Requests answered, by model, endpoint and HTTP status.",
                                ["model", "endpoint", "code"], registry=self.registry)
        self.errors = Counter("hailo_inference_errors", "Requests answered with an error (status 400 and above).",
                              ["model", "endpoint"], registry=self.registry)
        self.latency = Histogram("hailo_inference_request_duration_seconds", "Time to answer a request.",
                                 ["model", "endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.fps = Gauge("hailo_inference_frames_per_second", "Frames inferred per second over the last 10 s.",
                         ["model"], registry=self.registry)
        self.ready = Gauge("hailo_inference_model_ready", "1 when the model serves, 0 when it is unavailable.",
                           ["model", "backend"], registry=self.registry)
        self.device = Gauge("hailo_inference_device_present", "1 when a /dev/hailoN device node exists.",
                            registry=self.registry)
        self.camera_up = Gauge("hailo_inference_camera_up", "1 while the model's camera delivers frames.",
                               ["model"], registry=self.registry)
        self.camera_frames = Counter("hailo_inference_camera_frames", "Camera frames inferred.", ["model"],
                                     registry=self.registry)

    def observe(self, model, endpoint, code, seconds):
        """Count one answered request."""
        self.requests.labels(model, endpoint, str(code)).inc()
        if code >= 400:
            self.errors.labels(model, endpoint).inc()
        self.latency.labels(model, endpoint).observe(seconds)

    def render(self):
        return generate_latest(self.registry)
