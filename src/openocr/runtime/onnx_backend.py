"""onnxruntime backend: CPU by default (2 intra-op threads), metadata read from the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError
from .base import DEFAULT_THREADS, ModelInfo, parse_metadata


class OnnxBackend:
    """Wrap an ``onnxruntime.InferenceSession``.

    >>> be = OnnxBackend("rec.onnx")  # doctest: +SKIP
    >>> probs = be(x)  # doctest: +SKIP
    """

    def __init__(
        self, path: str | Path, device: str = "cpu", threads: int = DEFAULT_THREADS
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelError(
                "the ONNX backend needs onnxruntime (pip install onnxruntime)"
            ) from None
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"ONNX model not found: {path}")
        opts = ort.SessionOptions()
        if threads > 0:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") or device == "gpu":
            available = ort.get_available_providers()
            providers = [p for p in ("CUDAExecutionProvider",) if p in available] + providers
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(
                f"{path}: cannot load ONNX model ({str(e).splitlines()[0][:200]})"
            ) from None
        self.input_name = self.session.get_inputs()[0].name
        meta = self.session.get_modelmeta().custom_metadata_map
        self.info: ModelInfo = parse_metadata(dict(meta), str(path))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})[
            0
        ]
