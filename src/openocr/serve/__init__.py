"""HTTP service (``openocr serve``, extra ``[serve]``): FastAPI app with a bounded worker pool."""

from .app import API_KEY_ENV, ServeConfig, create_app
from .inputs import Limits

__all__ = ["API_KEY_ENV", "Limits", "ServeConfig", "create_app"]
