"""Model zoo. Importing this package does not import torch; ``create_model`` does.

Architectures (each registers its variants when imported by the registry):
``openocr.models.repsvtr`` (repsvtr, repsvtr_tiny), ``openocr.models.svtrv2`` (svtrv2,
svtrv2_{tiny,small,base}_rctc, svtrv2_test) and ``openocr.models.dbnet`` (repvit_db,
repvit_db_tiny). ``openocr.models.reparam.reparameterize`` fuses a model for deployment.
"""

from .registry import create_model, get_model_info, list_models, register_model

__all__ = ["create_model", "get_model_info", "list_models", "register_model"]
