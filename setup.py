"""Build hook: the wheel carries the top-level templates/, migrations/ and principles.yaml.

They stay at the top of the repository (the layout is fixed); setuptools can
only map package folders, so they are copied into `assessment/bundled/` of the
build, where `assessment.resources` finds them in an installed copy. Everything
else is declared in setup.cfg.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "migrations", "principles.yaml")


class BuildWithBundledResources(build_py):
    """Copy the top-level resources into the package being built."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        target = Path(self.build_lib) / "assessment" / "bundled"
        for name in BUNDLED:
            source = ROOT / name
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
                shutil.copytree(source, target / name, ignore=ignore, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithBundledResources})
