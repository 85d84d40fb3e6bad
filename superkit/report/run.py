"""``superkit report``: run every notebook with papermill and write a report a consultant can hand over.

The report folder (``reports/<run>/`` by default) holds::

    index.html                 headline results and key figure of every notebook, failures explained
    results.json               every notebook's published JSON, keyed by notebook stem (null if failed)
    run.json                   how the run went: status, seconds, error and parameters per notebook
    html/<stem>.html           one page per notebook, code hidden
    notebooks/<stem>.ipynb     the executed notebooks (code, outputs, injected parameters)
    outputs/<stem>/            what each notebook published: <stem>.json, figures/*.png, CSV files

It is built in a hidden folder beside its destination and moved into place at the end, so a crash
never leaves half a report. A failing notebook does not stop the others.

The optional YAML config (see README.md)::

    run_name: acme-2025-q4            # folder name under reports/ (default: date and time)
    timeout: 900                      # seconds allowed per notebook cell (default 600)
    data:                             # paths (relative to this file) -> <table>_path parameters
      transactions: data/orders.csv
      members: data/members.csv
    mapping:                          # column mapping per table, {our name: your name}
      transactions: {customer_id: member_no, timestamp: paid_at, amount: total}
    parameters:
      all: {observation_end: "2025-12-31"}        # to every notebook that has the parameter
      01_super_users: {recency_days: 60}          # to one notebook
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from superkit.errors import DataError
from superkit.paths import NOTEBOOKS_DIR, REPORTS_DIR
from superkit.publish import atomic_write_text

TABLES = ("transactions", "members", "events", "cohorts")
CONFIG_KEYS = {"run_name", "timeout", "data", "mapping", "parameters", "title"}
DEFAULT_TIMEOUT = 600
MAPPING_PARAMETER = "column_mapping"
RESERVED_KEYS = {"headline", "key_figure"}


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------
def _plain(value):
    """YAML dates -> ISO strings (papermill passes strings; notebooks parse them)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_config(path: str | os.PathLike | None) -> dict:
    """Read and check the YAML config; relative data paths are made absolute (relative to the file)."""
    if path is None:
        return {"run_name": None, "timeout": DEFAULT_TIMEOUT, "data": {}, "mapping": {},
                "parameters": {}, "title": None, "_source": None}
    import yaml

    path = Path(path).expanduser().resolve()
    name = str(path)
    if not path.is_file():
        raise DataError("config file not found", source=name,
                        fix="give the path of a YAML file (see the README for an example).")
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"not valid YAML ({str(exc).splitlines()[0]})", source=name,
                        fix="check the indentation and the colons; see the README example.") from None
    if not isinstance(cfg, dict):
        raise DataError("the config must be a mapping of keys to values", source=name,
                        fix="start from the README example.")
    unknown = sorted(set(cfg) - CONFIG_KEYS)
    if unknown:
        raise DataError(f"unknown config keys {unknown}", source=name,
                        fix=f"use only {sorted(CONFIG_KEYS)}.")
    cfg = _plain(cfg)
    base = path.parent

    data = cfg.get("data") or {}
    if not isinstance(data, dict) or set(data) - set(TABLES):
        raise DataError(f"'data' must map table names {list(TABLES)} to file paths", source=name,
                        fix="e.g. data: {transactions: orders.csv}")
    data = {t: str((base / Path(p).expanduser()).resolve()) for t, p in data.items() if p}
    for t, p in data.items():
        if not Path(p).exists():
            raise DataError(f"the {t} file {p} does not exist", source=name, column=f"data.{t}",
                            fix="paths in the config are relative to the config file; check it.")

    mapping = cfg.get("mapping") or {}
    if not isinstance(mapping, dict) or set(mapping) - set(TABLES) or \
            not all(isinstance(m, dict) for m in mapping.values()):
        raise DataError(f"'mapping' must map table names {list(TABLES)} to {{our column: your column}}",
                        source=name, fix="e.g. mapping: {transactions: {customer_id: member_no}}")

    params = cfg.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise DataError("'parameters' must map 'all' or a notebook stem to {parameter: value}",
                        source=name, fix="e.g. parameters: {all: {observation_end: '2025-12-31'}}")
    for group in params.values():
        for key, value in list(group.items()):
            if key.endswith("_path") and isinstance(value, str) and value:
                group[key] = str((base / Path(value).expanduser()).resolve())

    timeout = cfg.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise DataError(f"timeout must be a positive number of seconds, got {timeout!r}", source=name,
                        fix="e.g. timeout: 900")
    run_name = cfg.get("run_name")
    if run_name is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", str(run_name)):
        raise DataError(f"run_name {run_name!r} is not a plain folder name", source=name,
                        fix="use letters, digits, '.', '_' and '-' only.")
    return {"run_name": run_name, "timeout": timeout, "data": data, "mapping": mapping,
            "parameters": params, "title": cfg.get("title"), "_source": name}


# --------------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------------
def discover(notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR, only=None) -> list[Path]:
    """Every ``*.ipynb`` in the folder (not hidden, not starting with '_'), sorted by name."""
    folder = Path(notebooks_dir)
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))
    if only:
        wanted = [s.removesuffix(".ipynb") for s in only]
        missing = [s for s in wanted if not (folder / f"{s}.ipynb").exists()]
        if missing:
            raise DataError(f"no notebook named {missing}", source=str(folder),
                            fix=f"choose from {[p.stem for p in found]}.")
        found = [p for p in found if p.stem in wanted]
    if not found:
        raise DataError("no notebooks to run", source=str(folder),
                        fix="add notebooks/NN_name.ipynb or point --notebooks at the right folder.")
    return found


def notebook_title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.strip().startswith("#"):
                    return line.strip().lstrip("#").strip()
            break
    return ""


def declared_parameters(path: Path) -> dict:
    """Parameters as papermill reads them (name -> info), plus any assignment it could not read."""
    import ast

    import nbformat
    import papermill as pm

    try:
        found = dict(pm.inspect_notebook(str(path)))
    except Exception:  # a notebook without a parameters cell still runs
        found = {}
    try:
        nb = nbformat.read(str(path), as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        for node in ast.parse(cell.source).body:
            target = node.target if isinstance(node, ast.AnnAssign) else (
                node.targets[0] if isinstance(node, ast.Assign) else None)
            if isinstance(target, ast.Name):
                found.setdefault(target.id, {"name": target.id})
    except (StopIteration, SyntaxError, OSError, ValueError):
        pass
    return found


def parameters_for(path: Path, declared: dict, cfg: dict, output_dir: Path) -> tuple[dict, list[str]]:
    """Parameters to inject and notes for the index (config entries the notebook does not take)."""
    stem, notes, params = path.stem, [], {}
    for key, value in (cfg["parameters"].get("all") or {}).items():
        if key in declared:
            params[key] = value
    for table, p in cfg["data"].items():
        if f"{table}_path" in declared:
            params[f"{table}_path"] = p
    if cfg["data"]:
        # a client's data: tables the config does not name do not exist (never the bundled sample)
        for key in declared:
            if key.endswith("_path") and key[:-5] not in cfg["data"]:
                params[key] = "none"
    if cfg["mapping"]:
        if MAPPING_PARAMETER in declared:
            params[MAPPING_PARAMETER] = cfg["mapping"]
        else:
            notes.append(f"takes no {MAPPING_PARAMETER} parameter; the config's column mapping was not applied")
    for key, value in (cfg["parameters"].get(stem) or {}).items():
        if declared and key not in declared:
            notes.append(f"has no parameter '{key}'; the config value was ignored")
            continue
        params[key] = value
    if "output_dir" in params and cfg["parameters"].get(stem, {}).get("output_dir"):
        notes.append("output_dir is set by the report; the config value was ignored")
    params["output_dir"] = str(output_dir)
    return params, notes


@dataclass
class NotebookRun:
    stem: str
    title: str = ""
    ok: bool = False
    seconds: float = 0.0
    error: str = ""            # one line: what failed
    error_detail: str = ""     # the last lines of the traceback
    parameters: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    results: dict | None = None
    key_figure: str | None = None   # path relative to the report folder
    html: str | None = None
    executed: str | None = None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text or "")


def run_notebook(path: Path, build: Path, cfg: dict, timeout: float) -> NotebookRun:
    """Execute one notebook into ``build``; never raises for a notebook failure."""
    import nbformat
    import papermill as pm

    stem = path.stem
    run = NotebookRun(stem=stem)
    out_dir = build / "outputs" / stem
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    executed = build / "notebooks" / f"{stem}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        run.title = notebook_title(nbformat.read(str(path), as_version=4))
    except Exception as exc:
        run.error = f"cannot read the notebook: {type(exc).__name__}: {exc}"
        return run
    declared = declared_parameters(path)
    run.parameters, run.notes = parameters_for(path, declared, cfg, out_dir)
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(path), str(executed), parameters=run.parameters, kernel_name="python3",
                            execution_timeout=timeout, progress_bar=False, cwd=str(out_dir),
                            log_output=False)
    except pm.PapermillExecutionError as exc:
        run.error = f"{exc.ename}: {_strip_ansi(exc.evalue)} (cell {exc.exec_count})"
        run.error_detail = "\n".join(_strip_ansi("\n".join(exc.traceback)).splitlines()[-12:])
    except Exception as exc:  # timeouts, dead kernels, missing kernel
        kind = type(exc).__name__
        msg = _strip_ansi(str(exc)).strip().splitlines()
        run.error = f"{kind}: {msg[0] if msg else ''}"
        if "Timeout" in kind:
            run.error += f" (limit {timeout:g} s per cell; raise it with --timeout or 'timeout:' in the config)"
        run.error_detail = "\n".join(traceback.format_exception_only(type(exc), exc))[-2000:]
    run.seconds = time.perf_counter() - start
    if executed.exists():
        run.executed = f"notebooks/{stem}.ipynb"
    json_path = out_dir / f"{stem}.json"
    if not run.error:
        if json_path.exists():
            try:
                run.results = json.loads(json_path.read_text(encoding="utf-8"))
                run.ok = True
            except json.JSONDecodeError as exc:
                run.error = f"{stem}.json is not valid JSON ({exc})"
        else:
            run.error = (f"the notebook ran but did not publish {stem}.json "
                         "(call superkit.publish.write_results(results, output_dir, stem))")
    run.key_figure = _key_figure(out_dir, run.results, build)
    if run.executed:
        try:
            run.html = _write_html(executed, build / "html" / f"{stem}.html", run.title or stem)
        except Exception as exc:
            run.notes.append(f"could not write its HTML page ({type(exc).__name__}: {exc})")
    return run


def _key_figure(out_dir: Path, results: dict | None, build: Path) -> str | None:
    figures = out_dir / "figures"
    chosen = None
    if results and isinstance(results.get("key_figure"), str):
        name = results["key_figure"]
        for cand in (out_dir / name, figures / name, figures / f"{name}.png"):
            if cand.is_file():
                chosen = cand
                break
    if chosen is None:
        pngs = sorted(figures.glob("*.png")) if figures.is_dir() else []
        chosen = pngs[0] if pngs else None
    return str(chosen.relative_to(build)) if chosen else None


def _write_html(executed: Path, target: Path, title: str) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:  # warnings on stderr are for the analyst, not the client
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.metadata["title"] = title
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(target, body)
    return str(target.relative_to(target.parents[1]))


# --------------------------------------------------------------------------------------------
# Index page
# --------------------------------------------------------------------------------------------
def _fmt(key: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if re.search(r"(share|rate|pct|percent|prob)", key) and -1.5 <= value <= 1.5:
            return f"{value:.1%}"
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value) and len(value) <= 8:
        sep = ", " if all(isinstance(v, str) for v in value) else "; "
        return sep.join(str(v) if isinstance(v, str) else _fmt(key, v) for v in value) or "none"
    if isinstance(value, str):
        return value
    return ""


def headline_rows(results: dict | None, limit: int = 14) -> list[tuple[str, str]]:
    rows = []
    for key, value in (results or {}).items():
        if key in RESERVED_KEYS:
            continue
        text = _fmt(key, value)
        if text and len(text) <= 120:
            rows.append((key, text))
        if len(rows) >= limit:
            break
    return rows


CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC',Arial,sans-serif;
     margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2a44;color:#fff;padding:28px 40px}
header h1{margin:0 0 6px;font-size:26px} header p{margin:2px 0;color:#c9d2e3;font-size:14px}
main{max-width:1100px;margin:24px auto;padding:0 20px}
.summary{background:#fff;border-radius:8px;padding:14px 20px;margin-bottom:18px;border-left:6px solid #2e7d32}
.summary.bad{border-left-color:#c62828}
.card{background:#fff;border-radius:8px;padding:20px 24px;margin-bottom:22px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card h2{margin:0 0 4px;font-size:20px} .stem{color:#6b7384;font-size:13px;font-family:monospace}
.badge{display:inline-block;font-size:12px;padding:2px 8px;border-radius:10px;margin-left:8px;vertical-align:middle}
.ok{background:#e3f2e5;color:#2e7d32} .failed{background:#fde3e3;color:#c62828}
.headline{font-size:16px;line-height:1.5;margin:12px 0}
.grid{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.grid figure{flex:1 1 560px;margin:0} .grid figure img{max-width:100%;border:1px solid #e3e6ec;border-radius:4px}
table{border-collapse:collapse;font-size:14px;flex:0 1 320px}
td{padding:4px 10px;border-bottom:1px solid #eceff3} td.k{color:#4a5468;font-family:monospace;font-size:12.5px}
td.v{text-align:right;font-weight:600}
.links a{margin-right:16px;font-size:14px;color:#1d4ed8}
.error{background:#fff5f5;border:1px solid #f3c2c2;border-radius:6px;padding:10px 14px;margin:10px 0}
.error pre{white-space:pre-wrap;font-size:12px;color:#5b1a1a;max-height:260px;overflow:auto}
.note{color:#8a5a00;font-size:13px} footer{color:#6b7384;font-size:12.5px;margin:30px 0}
"""

CHECK_FIGURES_JS = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.querySelectorAll('img.figure'));
  var good = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-figures-loaded', good + '/' + imgs.length);
  imgs.forEach(function (i) { if (!(i.complete && i.naturalWidth > 0)) { i.alt = 'figure failed to load'; } });
});
"""


def _img_tag(build: Path, rel: str, alt: str) -> str:
    data = base64.b64encode((build / rel).read_bytes()).decode("ascii")
    return f'<img class="figure" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def render_index(runs: list[NotebookRun], build: Path, meta: dict) -> str:
    n_ok = sum(r.ok for r in runs)
    failed = [r for r in runs if not r.ok]
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{e(meta['title'])}</title><style>{CSS}</style></head><body>",
             f"<header><h1>{e(meta['title'])}</h1><p>Run <b>{e(meta['run'])}</b> · {e(meta['started'])} · "
             f"data: {e(meta['data'])}</p><p>{e(meta['how'])}</p></header><main>"]
    cls = "summary bad" if failed else "summary"
    text = f"{n_ok} of {len(runs)} notebooks ran."
    if failed:
        text += " Failed: " + ", ".join(f"<b>{e(r.stem)}</b>" for r in failed) + " (see below why)."
    parts.append(f"<div class='{cls}'>{text}</div>")
    for r in runs:
        badge = "<span class='badge ok'>ok</span>" if r.ok else "<span class='badge failed'>failed</span>"
        parts.append(f"<section class='card' id='{e(r.stem)}'><h2>{e(r.title or r.stem)}{badge}</h2>"
                     f"<div class='stem'>{e(r.stem)} · {r.seconds:.1f} s</div>")
        if not r.ok:
            parts.append(f"<div class='error'><b>Why it failed:</b> {e(r.error)}"
                         + (f"<pre>{e(r.error_detail)}</pre>" if r.error_detail else "") + "</div>")
        headline = (r.results or {}).get("headline")
        if isinstance(headline, str) and headline:
            parts.append(f"<p class='headline'>{e(headline)}</p>")
        rows = headline_rows(r.results)
        fig = _img_tag(build, r.key_figure, f"key figure of {r.stem}") if r.key_figure else ""
        if fig or rows:
            table = "".join(f"<tr><td class='k'>{e(k)}</td><td class='v'>{e(v)}</td></tr>" for k, v in rows)
            parts.append("<div class='grid'>" + (f"<figure>{fig}</figure>" if fig else "")
                         + (f"<table>{table}</table>" if rows else "") + "</div>")
        links = []
        if r.html:
            links.append(f"<a href='{e(r.html)}'>full page (code hidden)</a>")
        if r.executed:
            links.append(f"<a href='{e(r.executed)}'>executed notebook</a>")
        if r.results is not None:
            links.append(f"<a href='outputs/{e(r.stem)}/{e(r.stem)}.json'>{e(r.stem)}.json</a>")
        if links:
            parts.append(f"<p class='links'>{''.join(links)}</p>")
        for note in r.notes:
            parts.append(f"<p class='note'>Note: this notebook {e(note)}.</p>")
        parts.append("</section>")
    parts.append(f"<footer>Made by <code>superkit report</code> in {meta['seconds']:.0f} s. "
                 f"All notebooks' results: <a href='results.json'>results.json</a>; run log: "
                 f"<a href='run.json'>run.json</a>.</footer></main><script>{CHECK_FIGURES_JS}</script>"
                 f"</body></html>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------------------------
@dataclass
class Report:
    path: Path
    runs: list[NotebookRun]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.runs)

    @property
    def failed(self) -> list[str]:
        return [r.stem for r in self.runs if not r.ok]


def _move_into_place(build: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".old-{final.name}-"))
        os.replace(final, old / final.name)
    os.replace(build, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _point_latest(final: Path) -> None:
    """``reports/latest`` -> the newest run (best effort; not on systems without symlinks)."""
    link = final.parent / "latest"
    try:
        tmp = final.parent / f".latest-{os.getpid()}"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(final.name, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        pass


def build_report(config: str | os.PathLike | None = None, out: str | os.PathLike | None = None, *,
                 notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR, only=None,
                 timeout: float | None = None, progress: bool = True) -> Report:
    """Run the notebooks and write the report folder; returns where it is and how each notebook did."""
    from tqdm.auto import tqdm

    cfg = load_config(config)
    notebooks = discover(notebooks_dir, only)
    timeout = float(timeout or cfg["timeout"])
    started = dt.datetime.now()
    run_name = cfg["run_name"] or started.strftime("%Y-%m-%d_%H%M%S")
    final = Path(out).expanduser().resolve() if out else REPORTS_DIR / run_name
    final.parent.mkdir(parents=True, exist_ok=True)
    # Kernels inherit our environment: figures must show inline (MPLBACKEND=Agg, as set for tests,
    # would keep them out of the executed notebooks and the HTML pages).
    saved_env = {k: os.environ.get(k) for k in ("MPLBACKEND", "PYTHONHASHSEED", "IPYTHONDIR")}
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # A clean IPython profile for the report's kernels: no personal start-up scripts, and kernel log
    # messages at ERROR only (ipykernel warns about loopback TCP on every start otherwise).
    ipython_dir = Path(tempfile.mkdtemp(prefix="superkit-ipython-"))
    (ipython_dir / "profile_default").mkdir()
    (ipython_dir / "profile_default" / "ipython_kernel_config.json").write_text(
        json.dumps({"IPKernelApp": {"log_level": "ERROR"}}), encoding="utf-8")
    os.environ["IPYTHONDIR"] = str(ipython_dir)

    build = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".building-{final.name}-"))
    build.chmod(0o755)  # mkdtemp makes it private; a report is meant to be shared
    t0 = time.perf_counter()
    try:
        runs = []
        bar = tqdm(notebooks, unit="notebook", desc="superkit report", disable=not progress,
                   file=sys.stderr)
        for path in bar:
            bar.set_postfix_str(path.stem)
            r = run_notebook(path, build, cfg, timeout)
            runs.append(r)
            line = (f"  ok      {r.stem} ({r.seconds:.1f} s)" if r.ok
                    else f"  FAILED  {r.stem} ({r.seconds:.1f} s): {r.error}")
            if progress:
                bar.write(line, file=sys.stderr)
        bar.close()
        seconds = time.perf_counter() - t0
        meta = {
            "title": cfg.get("title") or "Super users and paid membership: report",
            "run": run_name, "started": started.strftime("%Y-%m-%d %H:%M"),
            "data": (", ".join(f"{t}: {Path(p).name}" for t, p in cfg["data"].items())
                     or "bundled coffee_club sample (simulated)"),
            "how": (f"config {cfg['_source']}" if cfg["_source"] else "default parameters"),
            "seconds": seconds,
        }
        results = {r.stem: r.results for r in runs}
        atomic_write_text(build / "results.json", json.dumps(results, indent=2, ensure_ascii=False))
        log = {"run": run_name, "started": started.isoformat(timespec="seconds"), "seconds": seconds,
               "config": cfg["_source"], "timeout": timeout,
               "notebooks": {r.stem: {"ok": r.ok, "seconds": round(r.seconds, 2), "error": r.error or None,
                                      "notes": r.notes, "parameters": r.parameters} for r in runs}}
        log_text = json.dumps(log, indent=2, ensure_ascii=False, default=str)
        atomic_write_text(build / "run.json", log_text.replace(str(build), str(final)))
        atomic_write_text(build / "index.html", render_index(runs, build, meta))
        _move_into_place(build, final)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(ipython_dir, ignore_errors=True)
    if not out:
        _point_latest(final)
    return Report(path=final, runs=runs, seconds=seconds)
