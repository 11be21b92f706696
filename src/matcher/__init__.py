"""matcher: brand to micro-influencer matching."""

__version__ = "0.1.0"
