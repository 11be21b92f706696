"""Retraining pipeline entry points."""
