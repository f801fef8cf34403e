"""Every worked example and code block in docs/ runs: a broken example fails the suite."""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
CELL = re.compile(r"^```(?:\{code-cell\}\s*(?:python|ipython3)|python)\s*\n(.*?)^```",
                  re.MULTILINE | re.DOTALL)
# pages with code to run; prose-only pages have nothing to execute
PAGES = sorted(p for p in DOCS.rglob("*.md")
               if "_build" not in p.parts and CELL.search(p.read_text(encoding="utf-8")))


def test_there_are_examples():
    assert any(p.parent.name == "examples" for p in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cells = CELL.findall(page.read_text(encoding="utf-8"))
    namespace = {"__name__": "__docs__"}
    for i, cell in enumerate(cells):
        try:
            exec(compile(cell, f"{page.name}[cell {i}]", "exec"), namespace)
        finally:
            plt.close("all")
