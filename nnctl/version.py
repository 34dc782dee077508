"""The version of nnctl, low in the house (layer 0): summary.json records it, and nnctl/__init__
exports it."""

__version__ = "0.1.0"
