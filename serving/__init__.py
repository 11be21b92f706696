"""BentoML service."""
