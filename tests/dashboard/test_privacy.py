"""The dashboard's privacy guarantees, checked on the code itself: it never imports the pipeline (raw readers),
opens the published database read-only only, and builds the first-run demo through subprocesses alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILES = sorted([ROOT / "app.py", *(ROOT / "dashboard").glob("*.py"),
                          *(ROOT / "app_pages").glob("*.py")])
#: Packages that read raw, row-level records (or import what does).
FORBIDDEN = ("data", "anonymize", "geo")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            names.add("<dynamic import>")
    return names


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_dashboard_module_imports_the_pipeline(path):
    bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN or name == "<dynamic import>"}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_importing_the_dashboard_loads_no_pipeline_module():
    code = ("import sys, importlib, pathlib\n"
            "for p in sorted(pathlib.Path('dashboard').glob('*.py')):\n"
            "    importlib.import_module('dashboard.' + p.stem)\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_duckdb_is_only_opened_read_only():
    for path in DASHBOARD_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "connect":
                keywords = {k.arg: k.value for k in node.keywords}
                assert "read_only" in keywords and getattr(keywords["read_only"], "value", None) is True, path


def test_first_run_builder_uses_only_subprocesses():
    source = (ROOT / "dashboard" / "build_demo.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert "subprocess.Popen" in calls
    assert not {c for c in calls if c.startswith(("os.system", "exec", "eval", "runpy"))}
    assert '"-m", "data", "generate"' in source and '"-m", "anonymize", "publish"' in source
