"""Exceptions users see: one line, naming the input that caused them."""


class OpenOCRError(Exception):
    """Base class for every error openocr raises on purpose."""


class InputError(OpenOCRError):
    """A user-supplied input (image, file, folder) cannot be used."""


class ModelError(OpenOCRError):
    """Model files are missing, corrupt or inconsistent."""


class ConfigError(OpenOCRError):
    """A config file or override is invalid."""
