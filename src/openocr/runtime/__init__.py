"""Inference backends: a callable ``backend(x: float32 NCHW) -> np.ndarray`` plus metadata.
onnxruntime and torch are imported only when a backend of that kind is created."""

from .base import Backend, ModelInfo, load_backend

__all__ = ["Backend", "ModelInfo", "load_backend"]
