"""The brand-facing web app (``/app`` on the BentoML service): see ``serving.webapp.app`` and docs/webapp.md."""
