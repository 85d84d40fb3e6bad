"""The shape of the package, checked: layers, public names, one way per thing, notebook contracts.

``ARCHITECTURE.md`` states the rules; these tests keep them true as the kit grows.
"""
from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "superkit"
NOTEBOOKS = ROOT / "notebooks"

# layer -> layers it may import (besides itself). Arrows point down only; data and models are
# side by side and never import each other.
ALLOWED = {
    "core": set(),
    "data": {"core"},
    "models": {"core"},
    "analyses": {"core", "data", "models"},
    "report": {"core", "data", "models", "analyses"},
    "cli": {"core", "data", "models", "analyses", "report"},
    "": {"core"},  # superkit/__init__.py
}
ANALYSIS_OF = {"01_super_users": "super_users", "02_clv_churn": "clv", "03_renewal": "renewal",
               "04_spend_uplift": "uplift", "05_benefit_bundles": "benefits", "06_membership_phases": "phases"}
# notebook defaults that describe the bundled data set rather than the method
DATA_SPECIFIC = {"observation_end", "calibration_end"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else ""


def superkit_imports(tree: ast.AST):
    """(line, imported module, imported names) for every import of superkit, lazy ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("superkit"):
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("superkit"):
                    yield node.lineno, a.name, []


def _target(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")
    if len(parts) > 1:
        return [parts[1]]
    return names  # "from superkit import x": x is the layer


def test_the_package_is_two_levels_deep_at_most():
    deep = [str(p.relative_to(PACKAGE)) for p in modules() if len(p.relative_to(PACKAGE).parts) > 2]
    assert not deep, deep
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == \
        {"core", "data", "models", "analyses", "report", "cli"}


def test_imports_point_down_the_layers_only():
    bad = []
    for path in modules():
        layer = layer_of(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, module, names in superkit_imports(tree):
            for target in _target(module, names):
                if target in ALLOWED and target != layer and target not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(ROOT)}:{line} ({layer or 'superkit'}) imports {target}")
    assert not bad, "\n".join(bad)


def test_no_private_names_cross_a_module_boundary():
    """No ``from superkit.x import _y`` and no ``module._y`` on a superkit module, in the package and
    in the notebooks."""
    bad = []
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, module, names in superkit_imports(tree):
            bad += [f"{path.relative_to(ROOT)}:{line} imports {module}.{n}" for n in names
                    if n.startswith("_") and n != "__version__"]
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                         if c["cell_type"] == "code")
        bad += [f"{nb.name}: {m}" for m in re.findall(r"\b[a-z_]+\._[a-z]\w*", code)]
        bad += [f"{nb.name}: imports {m}" for m in re.findall(r"import[^\n]*\b_[a-z]\w*", code)]
    assert not bad, "\n".join(bad)


def _defined(tree: ast.Module) -> dict[str, str]:
    """Top-level names a module defines itself: functions, classes, UPPER_CASE constants."""
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = "def"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id.isupper() and t.id != "__all__":
                    out[t.id] = "constant"
    return out


def _all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [e.value for e in node.value.elts]
    return None


@pytest.mark.parametrize("path", [p for p in modules() if p.name != "__main__.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_has_an_accurate_sorted_all(path):
    import importlib

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _all(tree)
    assert names is not None, "no __all__"
    assert names == sorted(names), "__all__ is not sorted"
    assert len(names) == len(set(names)), "__all__ lists a name twice"
    rel = path.relative_to(ROOT).with_suffix("")
    module = importlib.import_module(".".join(p for p in rel.parts if p != "__init__"))
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"__all__ names what the module does not have: {missing}"
    public = {n for n in _defined(tree) if not n.startswith("_")}
    unlisted = sorted(public - set(names))
    assert not unlisted, f"public names missing from __all__: {unlisted}"


def test_no_public_private_twins():
    twins = []
    for path in modules():
        defined = _defined(ast.parse(path.read_text(encoding="utf-8")))
        twins += [f"{path.relative_to(ROOT)}: {n} and _{n}" for n in defined
                  if not n.startswith("_") and f"_{n}" in defined]
    assert not twins, twins


def test_every_layer_says_what_it_holds():
    for layer in ALLOWED:
        if layer:
            doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text(encoding="utf-8")))
            assert doc and len(doc) > 80, layer
    arch = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for layer in ALLOWED:
        if layer:
            assert f"superkit/{layer}/" in arch, layer


def test_nothing_in_the_repository_points_outside_it():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    leaks = []
    for f in files:
        p = ROOT / f
        if p.suffix in (".png", ".parquet", ".gz") or not p.is_file():
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        if "../" + "shared" in text or "METHOD_" + "DIGEST" in text or "EVIDENCE" + ".md" in text:
            leaks.append(f)
    assert not leaks, leaks


# ---------------------------------------------------------------------------------- notebooks
def notebook_parameters(stem: str) -> dict:
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    out = {}
    for node in ast.parse("".join(cell["source"])).body:
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        out[target.id] = ast.literal_eval(node.value)
    return out


@pytest.mark.parametrize("stem", sorted(ANALYSIS_OF))
def test_notebook_defaults_equal_the_analysis_defaults(stem):
    import importlib

    run = importlib.import_module(f"superkit.analyses.{ANALYSIS_OF[stem]}").run
    params = notebook_parameters(stem)
    sig = inspect.signature(run).parameters
    shared = [k for k in params if k in sig and k not in DATA_SPECIFIC]
    assert shared, "the notebook passes no parameter to run()"
    differ = {k: (params[k], sig[k].default) for k in shared if params[k] != sig[k].default}
    assert not differ, differ
    # every parameter of run() is a notebook parameter, so the notebook can set it
    assert set(sig) - {"tables"} <= set(params), set(sig) - {"tables"} - set(params)


def _keys_in(text: str) -> set[str]:
    """Top-level JSON keys in backticks, outside parentheses, without file names or sub-keys."""
    keys, depth, i = set(), 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "`":
            j = text.index("`", i + 1)
            token = text[i + 1:j]
            i = j + 1
            is_file = " " not in token and ("/" in token or re.search(r"\.(json|png|csv|ipynb)$", token))
            if depth or not token or token[0] in "._<{" or is_file:
                continue
            keys.add(re.split(r"[.<\[{ ]", token)[0])
            continue
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        i += 1
    return keys


def readme_keys(stem: str) -> set[str]:
    """The JSON keys notebooks/README.md lists for a notebook."""
    for line in (NOTEBOOKS / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| `{stem}` |"):
            return _keys_in(line.split(" | ")[2].split("; files")[0])
    raise AssertionError(f"{stem} has no row in notebooks/README.md")


@pytest.mark.parametrize("stem", sorted(ANALYSIS_OF))
def test_analyst_cell_lists_the_keys_of_notebooks_readme(stem):
    """The cell that lists the published keys is for analysts: tagged ``analyst`` (kept out of the
    HTML page)."""
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "**Publishes**" in "".join(c["source"])]
    assert len(cells) == 1, "one cell lists the published keys"
    assert "analyst" in cells[0]["metadata"].get("tags", []), "the keys are for analysts: tag the cell 'analyst'"
    text = "".join(cells[0]["source"])
    assert _keys_in(text.split("**Publishes**", 1)[1]) == readme_keys(stem)


@pytest.mark.parametrize("stem", sorted(ANALYSIS_OF))
def test_result_publishes_the_keys_of_notebooks_readme(stem):
    """The analysis's to_json() plus the notebook's key_figure are the README's keys."""
    import importlib

    from superkit.data import load_tables

    mod = importlib.import_module(f"superkit.analyses.{ANALYSIS_OF[stem]}")
    params = notebook_parameters(stem)
    kw = {k: v for k, v in params.items() if k in inspect.signature(mod.run).parameters}
    if stem == "02_clv_churn":
        kw["n_boot"] = 2
    if stem == "03_renewal":
        kw["n_draws"] = 50
    if stem == "04_spend_uplift":
        kw["n_boot"] = 20
    if stem == "06_membership_phases":
        kw["n_sims"] = 50
    from superkit.data.tables import TABLE_NAMES

    paths = {k: v for k, v in params.items() if k.endswith("_path") and k[:-5] in TABLE_NAMES}
    res = mod.run(load_tables(**paths), **kw)
    assert set(res.to_json()) | {"key_figure"} == readme_keys(stem)


# ---------------------------------------------------------------------------------- one way each
def _calls(name: str):
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if called == name:
                    yield path.relative_to(PACKAGE).as_posix(), node.lineno


def test_one_fitting_loop_one_hessian_one_date_parser():
    assert {p for p, _ in _calls("minimize")} == {"models/base.py"}
    assert {p for p, _ in _calls("numerical_hessian")} == {"models/base.py"}
    assert {p for p, _ in _calls("fromisoformat")} == {"core/checks.py"}


def test_constants_live_in_one_place():
    where = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in (365.25, 1.959963984540054):
                where.add(path.relative_to(PACKAGE).as_posix())
    assert where == {"core/constants.py"}


def test_bad_arguments_raise_the_kit_errors_not_bare_ones():
    bare = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    getattr(node.exc.func, "id", None) in ("ValueError", "TypeError", "KeyError"):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare, bare
