"""What the app imports at run time is installed by `pip install .`, not only by the test extra."""

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _runtime_requirements() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].strip().splitlines()
    return {
        re.split(r"[\[<>=!~ ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        for line in lines
    }


def _imported_modules() -> set[str]:
    modules = set()
    for path in [
        *(ROOT / "assessment").rglob("*.py"),
        *(ROOT / "reports").rglob("*.py"),
        ROOT / "app.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"assessment", "reports", "__future__"}


def test_every_third_party_import_is_a_runtime_requirement():
    distributions = packages_distributions()
    required = _runtime_requirements()
    # Installed as dependencies of what is required (Flask brings Jinja2, MarkupSafe, Werkzeug, click).
    transitive = {"jinja2", "markupsafe", "werkzeug", "click"}
    missing = {
        module
        for module in _imported_modules()
        if module not in transitive
        and not {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        & required
    }
    assert not missing, f"imported at run time but not in install_requires: {sorted(missing)}"
