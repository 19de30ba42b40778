"""Ships resources/ and report_templates/ inside the wheel, as desktop/_data/ (desktop/paths.py looks there).

Everything else is declared in pyproject.toml. The two folders stay at the top of the repository (where
the developers, the PyInstaller spec and the tests expect them), so a plain `package-data` entry cannot
reach them; this build step copies them into the built package instead. An editable install skips the
copy: there desktop/paths.py finds the folders beside the package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_FOLDERS = ("resources", "report_templates")
HERE = Path(__file__).resolve().parent


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in DATA_FOLDERS:
            target = Path(self.build_lib) / "desktop" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            for name in DATA_FOLDERS:
                root = Path(self.build_lib) / "desktop" / "_data" / name
                outputs += [str(root / p.relative_to(HERE / name)) for p in (HERE / name).rglob("*")
                            if p.is_file() and "__pycache__" not in p.parts]
        return outputs


setup(cmdclass={"build_py": BuildWithData})
