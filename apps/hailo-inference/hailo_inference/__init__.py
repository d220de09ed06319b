"""hailo-open-inference: an inference service for Hailo-8/8L nodes (part of the hailo_open.hailo collection)."""

__version__ = "1.0.0"
