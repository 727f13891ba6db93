"""monitor: an Arabic news-monitoring daemon."""

__version__ = "0.1.0"
