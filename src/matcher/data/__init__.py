"""Data loading, validation and the synthetic market simulator."""
