"""The contract every learned component of the pipeline honours (scikit-learn style).

``__init__`` stores parameters only; ``fit`` sets the ``*_`` state and returns ``self``; using
a component before ``fit`` raises ``NotFittedError``; ``state()`` returns the fitted state as
a JSON-able dict and ``from_state`` rebuilds an equal component from it, so that
``MatchPipeline.save``/``load`` only decide where each state goes.
``tests/unit/ranking/test_model_contract.py`` holds every component to it.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class NotFittedError(RuntimeError):
    """A component was used before ``fit`` (or ``from_state``) gave it its learned state."""


def check_fitted(obj: object, attr: str) -> None:
    """Raise ``NotFittedError`` unless ``obj`` has its learned attribute ``attr``."""
    if not hasattr(obj, attr):
        raise NotFittedError(f"{type(obj).__name__} is not fitted: call fit() first")


class Stateful(Protocol):
    """What ``MatchPipeline.save`` needs of a component (``from_state`` is its inverse)."""

    def state(self) -> dict[str, Any]: ...
