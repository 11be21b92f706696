"""Revisions: branch ``requestlog`` (``rl*``) and branch ``keys`` (``keys*``)."""
