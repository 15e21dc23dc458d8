"""Window members that are a controller's: methods and attributes reached through the window.

The application, scripts and tests call ``window.sign_in(...)`` or read ``window.record``; the
work and the state belong to the controller the window composes. These helpers declare such a
member in one line, with the controller's signature and docstring.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def forward_to(controller: str, method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A method that runs ``method`` on the object held in the attribute ``controller``.

    Parameters
    ----------
    controller
        The owner's attribute that holds the controller.
    method
        The controller class's function (``RecordSession.open_path``).
    """
    @functools.wraps(method)
    def forward(owner: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:  # noqa: ANN401 - any owner
        return method(getattr(owner, controller), *args, **kwargs)
    return forward


def held_by(controller: str, name: str, doc: str) -> property:
    """A read-only attribute that is the attribute ``name`` of the object held in ``controller``."""
    return property(lambda owner: getattr(getattr(owner, controller), name), doc=doc)
