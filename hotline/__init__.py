"""Hotline: a service hotline for property-management companies."""

__version__ = "0.1.0"
