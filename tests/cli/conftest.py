import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from desktop.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


@pytest.fixture
def ipw(capsys):
    """Run `ipw ARGS` in-process; returns exit code and captured output."""
    def run(*args):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run


@pytest.fixture
def ipw_process():
    """Run the real `ipw` entry point in a subprocess (for display and exit-status checks)."""
    def run(*args, env=None):
        completed = subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], capture_output=True,
                                   text=True, env={**os.environ, **(env or {})}, timeout=60)
        return Result(completed.returncode, completed.stdout, completed.stderr)
    return run


@pytest.fixture
def sample(tmp_path, ipw):
    path = tmp_path / "sample.ipwb"
    assert ipw("new", path, "--sample").code == 0
    return path


@pytest.fixture
def empty(tmp_path, ipw):
    """A new workbook without traces."""
    path = tmp_path / "w.ipwb"
    assert ipw("new", path).code == 0
    return path
