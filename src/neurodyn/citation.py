"""Citations: ``neurodyn.citation(obj)`` returns the BibTeX of what a model or result uses.

Every model and stimulus class carries its references in a ``.. code-block:: bibtex`` section
of its docstring; this module collects them (after diffrax's ``citation``).
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

__all__ = ["citation"]

_NEURODYN = """@software{neurodyn,
  title = {neurodyn: physiologically grounded neural simulation on JAX},
  author = {{The neurodyn developers}}, year = {2026}, version = {%s}}"""


def _bibtex_of(cls: type) -> list[str]:
    """The entries of the ``.. code-block:: bibtex`` sections of a class's docstring and of its
    base classes' (a subclass cites what it builds on), each key once."""
    out: list[str] = []
    for c in cls.__mro__:
        doc = c.__dict__.get("__doc__") or ""
        if ".. code-block:: bibtex" not in doc:
            continue
        block = textwrap.dedent(doc.split(".. code-block:: bibtex", 1)[1].strip("\n"))
        for e in re.split(r"\n(?=@)", block.strip()):
            if e.strip().startswith("@") and _key(e) not in map(_key, out):
                out.append(e.strip())
    return out


def _key(entry: str) -> str:
    return entry.split("{", 1)[1].split(",", 1)[0]


def citation(*objs: Any) -> str:
    """BibTeX for neurodyn and for the given models, stimuli, classes or results."""
    from . import models
    from ._version import __version__

    out = [_NEURODYN % __version__]
    seen: set[str] = set()
    for obj in objs:
        classes: list[type] = []
        if hasattr(obj, "provenance"):  # a Result
            name = obj.provenance.get("model", {}).get("class")
            if name in models.REGISTRY:
                classes.append(models.REGISTRY[name])
        else:
            classes.append(obj if isinstance(obj, type) else type(obj))
        for cls in classes:
            for entry in _bibtex_of(cls):
                key = _key(entry)
                if key not in seen:
                    seen.add(key)
                    out.append(entry)
    return "\n\n".join(out)
