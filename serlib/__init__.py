"""serlib: cross-lingual, low-resource speech emotion recognition with domain adaptation."""

__version__ = "0.1.0"
