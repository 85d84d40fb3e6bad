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

The optional YAML config is read by :mod:`superkit.report.config`; the pages are drawn by
:mod:`superkit.report.html`.
"""
from __future__ import annotations

import datetime as dt
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

from superkit.core.errors import DataError
from superkit.core.io import atomic_write_text
from superkit.core.paths import NOTEBOOKS_DIR, REPORTS_DIR
from superkit.data.tables import TABLE_NAMES
from superkit.report.config import load_config
from superkit.core import i18n
from superkit.data.quality import table_name
from superkit.report.html import notebook_page, notebook_title, quality_page, render_index

__all__ = ["LANGUAGE_PARAMETER", "MAPPING_PARAMETER", "NotebookRun", "READING_PARAMETER", "RESULTS_PARAMETER", "Report", "build_report",
           "data_quality", "declared_parameters", "default_jobs", "discover",
           "parameters_for", "run_notebook", "stage_inputs"]

LANGUAGE_PARAMETER = "language"
MAPPING_PARAMETER = "column_mapping"
READING_PARAMETER = "read_options"
RESULTS_PARAMETER = "results_dir"


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
    if cfg["reading"]:
        if READING_PARAMETER in declared:
            params[READING_PARAMETER] = cfg["reading"]
        else:
            notes.append(f"takes no {READING_PARAMETER} parameter; the config's reading options were not applied")
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
    if LANGUAGE_PARAMETER in declared:
        params[LANGUAGE_PARAMETER] = cfg.get("language", "en")
    params["output_dir"] = str(output_dir)
    if RESULTS_PARAMETER in declared:
        # later notebooks read what earlier ones published in this run (05 takes 04's causal ratio)
        params[RESULTS_PARAMETER] = str(Path(output_dir).parent)
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


def data_quality(cfg: dict, options=None, observation_end=None):
    """The data-quality profile (:class:`superkit.data.quality.Profile`) of a report's data: the
    config's tables, read with its mapping, its reading options (or ``options``) and its observation
    end (or ``observation_end``) -- or the bundled default data set's tables when it names none.
    ``superkit report`` and ``superkit validate --config`` both show this."""
    from superkit.data import datasets
    from superkit.data.quality import profile_tables
    from superkit.data.tables import DEFAULT_DATASET

    end = observation_end or (cfg["parameters"].get("all") or {}).get("observation_end") or None
    from superkit.data.store import staged_meta

    tables = {t: p for t, p in cfg["data"].items() if t in TABLE_NAMES}
    if tables:
        prof = profile_tables(tables, cfg["mapping"], end, cfg["reading"] if options is None else options)
        for t, p in tables.items():   # a staged table is named by the client's file
            meta = staged_meta(p)
            if meta:
                prof.sources[t] = meta["source"]
        return prof
    tables = {t: f"bundled {DEFAULT_DATASET}" for t in TABLE_NAMES if datasets.has_table(DEFAULT_DATASET, t)}
    return profile_tables(tables, read=lambda t, _: datasets.table(DEFAULT_DATASET, t, observation_end=end))


def stage_inputs(cfg: dict, build: Path, progress: bool = False) -> tuple[dict, dict]:
    """Read each large table of the config once (:func:`superkit.data.store.stage`; the transactions
    with :func:`superkit.data.spark_engine.stage` when the config says ``engine: spark``) into
    ``<run>/data/<table>.parquet``; returns the config the notebooks run with (the staged files
    in ``data``, their mapping applied) and ``{table: seconds}``. A table the rules refuse is left
    as it is: the data-quality profile and the notebooks that need it say why."""
    from superkit.data.store import STAGED_TABLES, stage

    staged = {**cfg, "data": dict(cfg["data"]), "mapping": dict(cfg["mapping"])}
    seconds = {}
    for table in STAGED_TABLES:
        if table not in cfg["data"]:
            continue
        start = time.perf_counter()
        try:
            if cfg.get("engine") == "spark" and table == "transactions":
                from superkit.data import spark_engine
                spark_engine.stage(table, cfg["data"][table], build / "data" / f"{table}.parquet",
                                   cfg["mapping"].get(table), cfg["reading"])
            else:
                stage(table, cfg["data"][table], build / "data" / f"{table}.parquet", cfg["mapping"].get(table),
                      cfg["reading"])
        except DataError:
            if cfg.get("engine") == "spark" and table == "transactions":
                raise      # asked for Spark: never fall back to another reader silently
            continue
        staged["data"][table] = str(build / "data" / f"{table}.parquet")
        staged["mapping"].pop(table, None)
        seconds[table] = round(time.perf_counter() - start, 2)
        if progress:
            print(f"  read    {table} once ({seconds[table]:.1f} s) -> data/{table}.parquet", file=sys.stderr)
    return staged, seconds


def _memory_text() -> str:
    """The machine's memory, for messages ("24 GB on this machine")."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        return f"{kb / 1024 ** 2:.0f} GB on this machine"
    except (OSError, StopIteration, ValueError):
        return "the machine's memory"


class _QuietKernels:
    """While the notebooks run, the kernels' own output on stderr (a ZMQ traceback when a cell is
    interrupted at its time limit, "Kernel died" from the client) goes to ``<run>/logs/kernels.log``,
    not the console: the console shows one line per notebook, the index page the reasons. Works on
    the file descriptor, so the kernel processes started meanwhile inherit it."""

    def __init__(self, log: Path):
        self.log = log

    def __enter__(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        sys.stderr.flush()
        self.saved = os.dup(2)
        self.console = os.fdopen(os.dup(2), "w", buffering=1)
        self.fh = open(self.log, "a", encoding="utf-8")
        os.dup2(self.fh.fileno(), 2)
        return self.console

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.fh.close()
        self.console.close()


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
        run.title = notebook_title(nbformat.read(str(path), as_version=4), cfg.get("language", "en"))
    except Exception as exc:
        run.error = f"cannot read the notebook: {type(exc).__name__}: {exc}"
        return run
    declared = declared_parameters(path)
    run.parameters, run.notes = parameters_for(path, declared, cfg, out_dir)
    start = time.perf_counter()
    try:
        # the kernel starts in the notebook's output folder (nbclient's resources path), not by
        # papermill's cwd=, which changes this whole process's folder: with notebooks running at
        # once, one run would restore the folder another had changed to
        pm.execute_notebook(str(path), str(executed), parameters=run.parameters, kernel_name="python3",
                            execution_timeout=timeout, progress_bar=False, log_output=False,
                            resources={"metadata": {"path": str(out_dir)}})
    except pm.PapermillExecutionError as exc:
        run.error = f"{exc.ename}: {_strip_ansi(exc.evalue)} (cell {exc.exec_count})"
        if exc.ename == "MemoryError":
            run.error += (f". The notebook ran out of memory ({_memory_text()}). Remedy: run one notebook at a "
                          "time (--jobs 1), lower max_customers (02) or max_controls (04), or use engine: spark.")
        run.error_detail = "\n".join(_strip_ansi("\n".join(exc.traceback)).splitlines()[-12:])
    except Exception as exc:  # timeouts, dead kernels, missing kernel
        kind = type(exc).__name__
        msg = _strip_ansi(str(exc)).strip().splitlines()
        run.error = f"{kind}: {msg[0] if msg else ''}"
        if "Timeout" in kind:
            run.error += (f" (limit {timeout:g} s per cell). Remedy: raise it with --timeout or 'timeout:' in the "
                          "config; on millions of customers, run one notebook at a time (--jobs 1) so each has "
                          "both cores, or use engine: spark.")
        elif kind == "DeadKernelError":
            run.error += (f". The notebook's Python process was killed, most often because the machine ran out "
                          f"of memory ({_memory_text()}). Remedy: run one notebook at a time (--jobs 1 or "
                          "'jobs: 1' in the config), lower max_customers (02) or max_controls (04), or use "
                          "engine: spark.")
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
                         "(call superkit.report.publish.write_results(results, output_dir, stem))")
    run.key_figure = _key_figure(out_dir, run.results, build)
    if run.executed:
        try:
            run.html = notebook_page(executed, build / "html" / f"{stem}.html", run.title or stem,
                                     source_dir=path.parent, lang=cfg.get("language", "en"))
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


def default_jobs() -> int:
    """Notebooks run at once by default: one per core, at most 2 (each kernel holds its own tables)."""
    return max(1, min(2, os.cpu_count() or 1))


def _reads(path: Path, notebooks: list[Path]) -> list[Path]:
    """The notebooks of this run whose results ``path`` reads: those named in its metadata
    (``"superkit": {"reads": ["04_spend_uplift"]}``), else every notebook before it when it has a
    ``results_dir`` parameter, else none."""
    import nbformat

    earlier = notebooks[:notebooks.index(path)]
    if RESULTS_PARAMETER not in declared_parameters(path):
        return []
    try:
        named = nbformat.read(str(path), as_version=4).metadata.get("superkit", {}).get("reads")
    except Exception:
        named = None
    if named is None:
        return earlier
    return [p for p in earlier if p.stem in set(named)]


def _heights(waits: dict) -> dict:
    """Each notebook's height in the graph of who reads whom: 1 for a notebook no other reads,
    else 1 + the largest height among its readers (the length of the chain it holds up)."""
    readers = {p: [q for q, ws in waits.items() if p in ws] for p in waits}
    heights: dict = {}

    def height(p):
        if p not in heights:
            heights[p] = 1 + max((height(q) for q in readers[p]), default=0)
        return heights[p]

    for p in waits:
        height(p)
    return heights


def _run_all(notebooks: list[Path], build: Path, cfg: dict, timeout: float, jobs: int,
             progress: bool, console=None) -> list[NotebookRun]:
    """Run the notebooks, ``jobs`` at a time. A notebook starts when a kernel is free and the
    notebooks whose results it reads have finished (:func:`_reads`); of those ready, the one that
    holds up the longest chain of readers goes first (:func:`_heights`; on a 200k-customer client
    04, which 05 and then 06 wait for, starts at once instead of after 01 and 03), then the
    notebooks' order. Returned in the notebooks' order."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from tqdm.auto import tqdm

    waits = {p: _reads(p, notebooks) for p in notebooks}
    heights = _heights(waits)
    done: dict[Path, NotebookRun] = {}
    console = console or sys.stderr
    bar = tqdm(total=len(notebooks), unit="notebook", desc="superkit report", disable=not progress,
               file=console)
    pending = list(notebooks)
    running = {}
    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        while pending or running:
            while len(running) < max(1, int(jobs)):
                ready = [p for p in pending if all(q in done for q in waits[p])]
                if not ready:
                    break
                nxt = max(ready, key=lambda p: (heights[p], -notebooks.index(p)))
                pending.remove(nxt)
                running[pool.submit(run_notebook, nxt, build, cfg, timeout)] = nxt
                bar.set_postfix_str(", ".join(p.stem for p in running.values()))
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                path = running.pop(fut)
                r = done[path] = fut.result()
                bar.update(1)
                if progress:
                    bar.write(f"  ok      {r.stem} ({r.seconds:.1f} s)" if r.ok
                              else f"  FAILED  {r.stem} ({r.seconds:.1f} s): {r.error}", file=console)
    bar.close()
    return [done[p] for p in notebooks]


def _print_pages(runs: list[NotebookRun], build: Path, chromium: str, progress: bool) -> dict:
    """Every notebook page and the data-quality page printed to ``pdf/``; returns the index's links
    ``{stem: "pdf/<stem>.pdf", "index": "pdf/index.pdf"}`` (the index itself is printed last)."""
    from superkit.report.pdf import print_pdf

    from superkit.core.errors import EngineError

    links = {"index": "pdf/index.pdf"}
    by_stem = {r.stem: r for r in runs}
    pages = [(r.stem, build / r.html) for r in runs if r.html] + [("data_quality", build / "html" / "data_quality.html")]
    for stem, page in pages:
        start = time.perf_counter()
        try:
            print_pdf(page, build / "pdf" / f"{stem}.pdf", chromium)
        except EngineError as exc:   # a page that will not print never costs the finished report
            if stem in by_stem:
                by_stem[stem].notes.append(f"could not be printed to PDF ({exc})")
            if progress:
                print(f"  pdf     {stem} FAILED: {exc}", file=sys.stderr)
            continue
        links[stem] = f"pdf/{stem}.pdf"
        if progress:
            print(f"  pdf     {stem} ({time.perf_counter() - start:.1f} s) -> pdf/{stem}.pdf", file=sys.stderr)
    return links


def build_report(config: str | os.PathLike | None = None, out: str | os.PathLike | None = None, *,
                 notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR, only=None,
                 timeout: float | None = None, progress: bool = True, jobs: int | None = None,
                 lang: str | None = None, pdf: bool | None = None) -> Report:
    """Run the notebooks and write the report folder; returns where it is and how each notebook did.
    ``jobs``: notebooks run at once (default: the config's ``jobs``, else :func:`default_jobs`);
    ``lang``: "en" or "zh" (default: the config's ``language``, else English); ``pdf``: also print
    the index and every page to ``pdf/`` with headless Chromium (default: the config's ``pdf``)."""
    cfg = load_config(config)
    cfg["language"] = lang = i18n.check_language(lang or cfg.get("language") or "en")
    want_pdf = cfg.get("pdf", False) if pdf is None else bool(pdf)
    chromium = None
    if want_pdf:   # before any notebook runs: never find out after a long run that no PDF can be made
        from superkit.report.pdf import require_chromium

        chromium = require_chromium()
    jobs = int(jobs or cfg.get("jobs") or default_jobs())
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
        client_data = dict(cfg["data"])
        cfg, staging = stage_inputs(cfg, build, progress)
        quality = data_quality(cfg).to_json()
        atomic_write_text(build / "data_quality.json", json.dumps(quality, indent=2, ensure_ascii=False))
        (build / "html").mkdir(exist_ok=True)
        quality_page(quality, build / "html" / "data_quality.html", i18n.text("report", "quality_title", lang), lang)
        if progress:
            for w in quality["warnings"] + [f"{t} refused: {m}" for t, m in quality["errors"].items()]:
                print(f"  WARNING {w}", file=sys.stderr)
        with _QuietKernels(build / "logs" / "kernels.log") as console:
            runs = _run_all(notebooks, build, cfg, timeout, jobs, progress, console)
        seconds = time.perf_counter() - t0
        meta = {
            "title": cfg.get("title") or i18n.text("report", "title", lang),
            "run": run_name, "started": started.strftime("%Y-%m-%d %H:%M"),
            "data": (i18n.join((f"{table_name(t, lang)}: {Path(p).name}" for t, p in client_data.items()), lang)
                     or i18n.text("report", "bundled_data", lang)),
            "how": (i18n.text("report", "how_config", lang, config=Path(cfg["_source"]).name) if cfg["_source"]
                    else i18n.text("report", "how_default", lang)),
            "seconds": seconds, "quality": quality, "language": lang,
        }
        if want_pdf:
            meta["pdf"] = _print_pages(runs, build, chromium, progress)
        results = {r.stem: r.results for r in runs}
        atomic_write_text(build / "results.json", json.dumps(results, indent=2, ensure_ascii=False))
        log = {"run": run_name, "started": started.isoformat(timespec="seconds"), "seconds": seconds,
               "config": cfg["_source"], "timeout": timeout, "language": lang, "pdf": want_pdf, "engine": cfg.get("engine", "duckdb"), "jobs": jobs,
               "staging_seconds": staging,
               "data_quality": {"warnings": quality["warnings"], "errors": quality["errors"]},
               "notebooks": {r.stem: {"ok": r.ok, "seconds": round(r.seconds, 2), "error": r.error or None,
                                      "notes": r.notes, "parameters": r.parameters} for r in runs}}
        log_text = json.dumps(log, indent=2, ensure_ascii=False, default=str)
        atomic_write_text(build / "run.json", log_text.replace(str(build), str(final)))
        atomic_write_text(build / "index.html", render_index(runs, build, meta))
        if want_pdf:   # the index last: it links the other PDFs
            from superkit.core.errors import EngineError
            from superkit.report.pdf import print_pdf

            try:
                print_pdf(build / "index.html", build / "pdf" / "index.pdf", chromium)
            except EngineError as exc:
                meta["pdf"].pop("index", None)
                atomic_write_text(build / "index.html", render_index(runs, build, meta))
                if progress:
                    print(f"  pdf     index FAILED: {exc}", file=sys.stderr)
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
