"""The version of servicemap, in one place."""

__version__ = "0.1.0"
