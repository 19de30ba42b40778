"""Loading the app's bundled data files (the playbook first of all)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from desktop import paths
from desktop.domain.errors import PlaybookError
from desktop.domain.playbook import Playbook, parse_playbook


def load_playbook_file(path: Path) -> Playbook:
    """Parse and validate a playbook file; a bad file raises PlaybookError naming the field."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PlaybookError("(file)", f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except OSError as exc:
        raise PlaybookError("(file)", f"cannot read {path}: {exc.strerror}") from None
    return parse_playbook(data)


@cache
def playbook() -> Playbook:
    """The bundled playbook, loaded once per process."""
    return load_playbook_file(paths.resource("playbook.json"))
