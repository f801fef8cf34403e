"""Data flows one way: the layers contract holds, and would catch an upward import."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "servicemap"

#: Imported inside the function that needs them: optional extras, and pyplot, whose
#: import picks a backend.
LAZY = ("folium", "mapclassify", "pyarrow", "jsonschema", "referencing",
        "matplotlib.pyplot")
#: The ServiceMap.to_* methods delegate to io (and the graph) as geopandas' to_file
#: does: the contract in pyproject.toml lists them as its only exceptions.
DELEGATIONS = ("servicemap.io.", "servicemap.graph")


def _lint_imports(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    env = None
    if pythonpath is not None:
        env = {"PYTHONPATH": str(pythonpath), "PATH": str(Path(sys.executable).parent)}
    return subprocess.run([exe, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, capture_output=True, text=True, env=env)


def test_the_layers_contract_is_kept():
    run = _lint_imports(ROOT, pythonpath=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(("module", "upward"), [
    ("errors.py", "servicemap.cli"),           # the bottom importing the top
    ("geography.py", "servicemap.analysis.gaps"),  # a layer importing the next one up
    ("plotting.py", "servicemap.analysis.pathways"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    shutil.copytree(PACKAGE, tmp_path / "servicemap",
                    ignore=shutil.ignore_patterns("__pycache__", "_datasets"))
    planted = tmp_path / "servicemap" / module
    planted.write_text(planted.read_text() + f"\n\ndef _planted():\n    import {upward}\n")
    run = _lint_imports(tmp_path, pythonpath=tmp_path)
    assert run.returncode != 0
    assert f"is not allowed to import {upward.rsplit('.', 1)[0]}" in run.stdout or \
        f"is not allowed to import {upward}" in run.stdout, run.stdout


def _function_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    found += [(node.lineno, a.name) for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    found.append((node.lineno, node.module or ""))
    return found


def test_modules_import_what_they_use_at_the_top():
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for line, name in _function_imports(path):
            if name.startswith(LAZY):
                continue
            if rel == "servicemap/servicemap.py" and name.startswith(DELEGATIONS):
                continue
            hidden.append(f"{rel}:{line} imports {name}")
    assert hidden == []


def test_the_finder_of_hidden_imports_finds_them(tmp_path):
    # the check above can fail: a function-level import is found, a top one is not
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    import numpy as np\n    return np\n")
    assert _function_imports(module) == [(4, "numpy")]
