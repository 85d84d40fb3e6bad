"""pyproject.toml and environment.yml list the same dependencies; the layout of the product card."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return req.strip()[len(_name(req)):].split(";")[0].replace(" ", "")


def test_environment_yml_agrees_with_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = py["project"]["optional-dependencies"]
    pip_deps = py["project"]["dependencies"] + extras["test"] + extras["spark"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_map = {_name(d): _spec(d) for d in conda if _name(d) not in ("python", "pip", "openjdk")}
    pip_map = {_name(d): _spec(d) for d in pip_deps}
    assert conda_map == pip_map
    assert any(d.startswith("python=3.11") for d in conda)
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_layout_of_the_product_card():
    for p in ["notebooks", "playbook", "superkit", "datasets", "tests", "environment.yml", "README.md",
              "pyproject.toml", "Makefile", ".ci/run"]:
        assert (ROOT / p).exists(), p
    assert "make test" in (ROOT / ".ci" / "run").read_text()
