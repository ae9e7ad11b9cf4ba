"""Gradio demo (``openocr demo``, extra ``[demo]``) and its bundled example images."""

from .app import build_demo

__all__ = ["build_demo"]
