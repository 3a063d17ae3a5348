"""The installed package's version (one place, cheap to import)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("learn-navigator")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
