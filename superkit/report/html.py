"""The report's pages: the index a client opens, and one HTML page per notebook with the code hidden."""
from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from superkit.core.io import atomic_write_text
from superkit.core.paths import NOTEBOOKS_DIR

if TYPE_CHECKING:
    from superkit.report.run import NotebookRun

__all__ = ["CHECK_FIGURES_JS", "CSS", "RESERVED_KEYS", "headline_rows", "notebook_page", "quality_page",
           "relink", "render_index"]

RESERVED_KEYS = {"headline", "key_figure"}


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
    quality = meta.get("quality")
    if quality is not None:
        parts.append(_quality_summary(quality))
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


def _quality_summary(profile: dict, link: bool = True) -> str:
    """The index's data-quality box: the warnings first (a join that fails is a result that is
    wrong), then where the full profile is."""
    e = html.escape
    problems = [f"{t} refused: {m}" for t, m in profile.get("errors", {}).items()] + list(profile.get("warnings", []))
    cls = "summary bad" if problems else "summary"
    head = (f"<b>Data quality: {len(problems)} thing{'s' if len(problems) != 1 else ''} to check before reading "
            "the results.</b>" if problems else "<b>Data quality:</b> no warnings.")
    items = "".join(f"<li>{e(w)}</li>" for w in problems)
    more = " <a href='html/data_quality.html'>The data-quality profile</a> says what each table holds." if link else ""
    return f"<div class='{cls}' id='data-quality'>{head}" + (f"<ul>{items}</ul>" if items else "") + f"{more}</div>"


def quality_page(profile: dict, target: Path, title: str) -> str:
    """The data-quality page: every table's rows, customers, dates, amounts and what reading did;
    how the tables join; the warnings. Returns its path relative to the report folder."""
    e = html.escape

    def cell(v, key: str) -> str:      # numbers as the index shows them (_fmt); lists of notes one a line
        if isinstance(v, dict):
            return ", ".join(f"{e(str(k))} {e(_fmt(key, x))}" for k, x in v.items())
        if isinstance(v, list):
            return "<br>".join(e(str(x)) for x in v) or "none"
        return e(_fmt(key, v))

    def table_rows(figures: dict) -> str:
        return "".join(f"<tr><td class='k'>{e(k.replace('_', ' '))}</td><td class='v'>{cell(v, k)}</td></tr>"
                       for k, v in figures.items())

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{CSS}</style></head><body><header><h1>{e(title)}</h1>"
             "<p>What the data hold and how they were read, to check before reading any result.</p></header><main>",
             _quality_summary(profile, link=False)]
    for table, err in profile.get("errors", {}).items():
        parts.append(f"<section class='card'><h2>{e(table)}<span class='badge failed'>refused</span></h2>"
                     f"<div class='error'>{e(err)}</div></section>")
    for table, prof in profile.get("tables", {}).items():
        rows = table_rows(prof)
        source = profile.get("sources", {}).get(table, "")
        parts.append(f"<section class='card'><h2>{e(table)}</h2><div class='stem'>{e(Path(str(source)).name)}</div>"
                     f"<table>{rows}</table></section>")
    cross = profile.get("cross") or {}
    if cross:
        rows = table_rows(cross)
        parts.append(f"<section class='card'><h2>How the tables join</h2><table>{rows}</table></section>")
    parts.append("<footer><a href='../index.html'>back to the report</a></footer></main></body></html>")
    atomic_write_text(target, "".join(parts))
    return str(target.relative_to(target.parents[1]))


_LOCAL_LINK = re.compile(r"\]\((?![A-Za-z][\w+.-]*:|#|/)([^)\s#]+)(#[^)\s]*)?\)")


def relink(markdown: str, source_dir: Path, page_dir: Path) -> str:
    """Markdown links relative to the notebook's folder (``../playbook/en/02-find-them.md``) made
    relative to the page's folder, so that they still open from the report; links to files that do
    not exist are left as they are."""
    def fix(m: re.Match) -> str:
        path = (Path(source_dir) / m.group(1)).resolve()
        if not path.exists():
            return m.group(0)
        return f"]({Path(os.path.relpath(path, Path(page_dir).resolve())).as_posix()}{m.group(2) or ''})"

    return _LOCAL_LINK.sub(fix, markdown)


def notebook_page(executed: Path, target: Path, title: str, source_dir: Path = NOTEBOOKS_DIR) -> str:
    """Write the executed notebook as an HTML page without code or stderr; return its path
    relative to the report folder. Links relative to ``source_dir`` (the notebooks' folder) still
    open from the page (:func:`relink`)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:  # warnings on stderr are for the analyst, not the client
        if cell.cell_type == "markdown":
            cell.source = relink(cell.source, source_dir, target.parent)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.metadata["title"] = title
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(target, body)
    return str(target.relative_to(target.parents[1]))
