"""The report's pages: the index a client opens, and one HTML page per notebook with the code hidden."""
from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from superkit.core import i18n
from superkit.core.io import atomic_write_text
from superkit.data.quality import message_text, table_name
from superkit.core.paths import NOTEBOOKS_DIR

if TYPE_CHECKING:
    from superkit.report.run import NotebookRun

__all__ = ["ANALYST_TAG", "CHECK_FIGURES_JS", "CSS", "LANGUAGE_TAGS", "PRINT_CSS", "RESERVED_KEYS", "headline_rows",
           "hidden_tags", "notebook_page", "notebook_title", "quality_page", "relink", "render_index"]

RESERVED_KEYS = {"headline", "key_figure"}


def _fmt(key: str, value) -> str:
    """A value of a notebook that has no catalogue file (a notebook of your own), written plainly."""
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


def headline_rows(results: dict | None, stem: str = "", lang: str = "en", limit: int = 14) -> list[tuple[str, str]]:
    """The labelled numbers of a notebook's results: from the catalogue when the notebook has a file
    there (``core/labels/<stem>.yaml``), else its keys written as words ("Top20 revenue share")."""
    if stem in i18n.catalogue():
        return i18n.labelled_rows(stem, results, lang)
    rows = []
    for key, value in (results or {}).items():
        if key in RESERVED_KEYS:
            continue
        text = _fmt(key, value)
        if text and len(text) <= 120:
            rows.append((key.replace("_", " ").capitalize(), text))
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
table{border-collapse:collapse;font-size:14px;flex:0 1 380px}
td{padding:4px 10px;border-bottom:1px solid #eceff3} td.k{color:#4a5468;font-size:13.5px}
td.v{text-align:right;font-weight:600}
.links a{margin-right:16px;font-size:14px;color:#1d4ed8}
.error{background:#fff5f5;border:1px solid #f3c2c2;border-radius:6px;padding:10px 14px;margin:10px 0}
.error pre{white-space:pre-wrap;font-size:12px;color:#5b1a1a;max-height:260px;overflow:auto}
.note{color:#8a5a00;font-size:13px} footer{color:#6b7384;font-size:12.5px;margin:30px 0}
.analysts{color:#6b7384;font-size:13px}
@page{size:A4;margin:12mm}
@media print{body{background:#fff} .card{box-shadow:none;border:1px solid #e3e6ec} header{padding:16px 24px}
 main{margin:12px auto} figure,table,tr,.summary,.headline{break-inside:avoid} h2{break-after:avoid}}
"""

# a notebook page printed to PDF: A4, figures and tables kept whole
PRINT_CSS = ("@page{size:A4;margin:12mm} @media print{.jp-OutputArea-output img{max-width:100%} "
             "img,table,tr{break-inside:avoid} h1,h2,h3{break-after:avoid}}")

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


def _html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


def render_index(runs: list[NotebookRun], build: Path, meta: dict) -> str:
    """The index a client opens: per notebook its headline, key figure and labelled numbers (the
    catalogue's, in ``meta["language"]``), links to its page (and PDF), failures explained."""
    lang = i18n.check_language(meta.get("language", "en"))
    t = lambda key, **kw: i18n.text("report", key, lang, **kw)  # noqa: E731 - the page's one lookup
    n_ok = sum(r.ok for r in runs)
    failed = [r for r in runs if not r.ok]
    e = html.escape
    pdf = meta.get("pdf") or {}
    parts = [f"<!DOCTYPE html><html lang='{_html_lang(lang)}'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{e(meta['title'])}</title><style>{CSS}</style></head><body>",
             f"<header><h1>{e(meta['title'])}</h1><p>"
             + e(t("run_line", run=meta["run"], started=meta["started"], data=meta["data"]))
             + f"</p><p>{e(meta['how'])}"
             + (f" · <a style='color:#c9d2e3' href='{e(pdf['index'])}'>{e(t('pdf_page'))}</a>" if pdf.get("index") else "")
             + "</p></header><main>"]
    cls = "summary bad" if failed else "summary"
    text = e(t("all_ran", n_ok=n_ok, n=len(runs)))
    if failed:
        text += " " + e(t("some_failed", names=i18n.join((r.title or r.stem for r in failed), lang)))
    parts.append(f"<div class='{cls}'>{text}</div>")
    quality = meta.get("quality")
    if quality is not None:
        parts.append(_quality_summary(quality, lang=lang))
    for r in runs:
        badge = (f"<span class='badge ok'>{e(t('badge_ok'))}</span>" if r.ok
                 else f"<span class='badge failed'>{e(t('badge_failed'))}</span>")
        title = r.title or r.stem
        parts.append(f"<section class='card' id='{e(r.stem)}'><h2>{e(title)}{badge}</h2>"
                     f"<div class='stem'>{e(t('seconds', seconds=r.seconds))}</div>")
        if not r.ok:
            parts.append(f"<div class='error'><b>{e(t('why_failed'))}</b> {e(r.error)}"
                         + (f"<pre>{e(r.error_detail)}</pre>" if r.error_detail else "") + "</div>")
        headline = (r.results or {}).get("headline")
        if isinstance(headline, str) and headline:
            parts.append(f"<p class='headline'>{e(headline)}</p>")
        rows = headline_rows(r.results, r.stem, lang)
        fig = _img_tag(build, r.key_figure, t("key_figure_alt", title=title)) if r.key_figure else ""
        if fig or rows:
            table = "".join(f"<tr><td class='k'>{e(k)}</td><td class='v'>{e(v)}</td></tr>" for k, v in rows)
            parts.append("<div class='grid'>" + (f"<figure>{fig}</figure>" if fig else "")
                         + (f"<table>{table}</table>" if rows else "") + "</div>")
        links = []
        if r.html:
            links.append(f"<a href='{e(r.html)}'>{e(t('full_page'))}</a>")
        if pdf.get(r.stem):
            links.append(f"<a href='{e(pdf[r.stem])}'>{e(t('pdf_page'))}</a>")
        if links:
            parts.append(f"<p class='links'>{''.join(links)}</p>")
        analyst = []
        if r.executed:
            analyst.append(f"<a href='{e(r.executed)}'>{e(t('executed_notebook'))}</a>")
        if r.results is not None:
            analyst.append(f"<a href='outputs/{e(r.stem)}/{e(r.stem)}.json'>{e(t('published_json'))}</a>")
        if analyst:
            parts.append(f"<p class='analysts'>{t('for_analysts', links=' · '.join(analyst))}</p>")
        for note in r.notes:
            parts.append(f"<p class='note'>{e(t('note', note=note))}</p>")
        parts.append("</section>")
    parts.append("<footer>" + t("footer", seconds=meta["seconds"], results="<a href='results.json'>results.json</a>",
                                log="<a href='run.json'>run.json</a>")
                 + f"</footer></main><script>{CHECK_FIGURES_JS}</script></body></html>")
    return "".join(parts)


def _quality_summary(profile: dict, link: bool = True, lang: str = "en") -> str:
    """The index's data-quality box: the warnings first (a join that fails is a result that is
    wrong), then where the full profile is."""
    e = html.escape
    problems = ([i18n.text("report", "quality_refused", lang, table=table_name(t, lang), message=m)
                 for t, m in profile.get("errors", {}).items()]
                + [message_text(w, lang) for w in profile.get("warnings", [])])
    cls = "summary bad" if problems else "summary"
    head = (f"<b>{e(i18n.text('report', 'quality_problems' if len(problems) > 1 else 'quality_problem', lang, n=len(problems)))}</b>"
            if problems
            else f"<b>{e(i18n.text('report', 'quality_ok', lang))}</b>")
    items = "".join(f"<li>{_code_spans(e(w))}</li>" for w in problems)
    more = (f" <a href='html/data_quality.html'>{e(i18n.text('report', 'quality_more', lang))}</a>" if link else "")
    return f"<div class='{cls}' id='data-quality'>{head}" + (f"<ul>{items}</ul>" if items else "") + f"{more}</div>"


def _code_spans(escaped: str) -> str:
    """`options` in a message (``strip_leading_zeros: true``) as code, as the notebooks' Markdown shows them."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _source_name(source: str, lang: str) -> str:
    if source.startswith("bundled "):
        return i18n.text("quality", "bundled_source", lang, name=source.removeprefix("bundled "))
    return Path(str(source)).name


def quality_page(profile: dict, target: Path, title: str, lang: str = "en") -> str:
    """The data-quality page: every table's rows, customers, dates, amounts and what reading did;
    how the tables join; the warnings. Returns its path relative to the report folder."""
    e = html.escape
    lang = i18n.check_language(lang)
    entries = i18n.catalogue()["quality"]["results"]

    def cell(v, key: str) -> str:      # numbers as the catalogue writes them; lists of notes one a line
        entry = entries.get(key, {})
        if isinstance(v, dict):
            return ", ".join(f"{e(i18n.value_word(entry, k, lang))} {e(i18n.value_text(entry, x, lang))}"
                             for k, x in v.items())
        if isinstance(v, list):   # what reading did, the warnings: sentences of the data layer's templates
            return ("<br>".join(_code_spans(e(message_text(str(x), lang))) for x in v)
                    or e(i18n.text("common", "none", lang)))
        return e(i18n.value_text(entry, v, lang) if entry else _fmt(key, v))

    def name(key: str) -> str:
        return i18n.label("quality", key, lang) if key in entries else key.replace("_", " ")

    def table_rows(figures: dict) -> str:
        return "".join(f"<tr><td class='k'>{e(name(k))}</td><td class='v'>{cell(v, k)}</td></tr>"
                       for k, v in figures.items())

    parts = [f"<!DOCTYPE html><html lang='{_html_lang(lang)}'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{CSS}</style></head><body><header><h1>{e(title)}</h1>"
             f"<p>{e(i18n.text('report', 'quality_intro', lang))}</p></header><main>",
             _quality_summary(profile, link=False, lang=lang)]
    for table, err in profile.get("errors", {}).items():
        parts.append(f"<section class='card'><h2>{e(table_name(table, lang))}<span class='badge failed'>"
                     f"{e(i18n.text('report', 'badge_refused', lang))}</span></h2>"
                     f"<div class='error'>{e(err)}</div></section>")
    for table, prof in profile.get("tables", {}).items():
        rows = table_rows(prof)
        source = profile.get("sources", {}).get(table, "")
        parts.append(f"<section class='card'><h2>{e(table_name(table, lang))}</h2>"
                     f"<div class='stem'>{e(_source_name(str(source), lang))}</div><table>{rows}</table></section>")
    cross = profile.get("cross") or {}
    if cross:
        rows = table_rows(cross)
        parts.append(f"<section class='card'><h2>{e(i18n.text('report', 'quality_join', lang))}</h2>"
                     f"<table>{rows}</table></section>")
    parts.append(f"<footer><a href='../index.html'>{e(i18n.text('report', 'back', lang))}</a></footer>"
                 "</main></body></html>")
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


LANGUAGE_TAGS = {lang: f"lang-{lang}" for lang in i18n.LANGUAGES}
ANALYST_TAG = "analyst"


def hidden_tags(lang: str) -> set[str]:
    """The cell tags a page in ``lang`` leaves out: the other languages' narrative and the analysts' cells."""
    lang = i18n.check_language(lang)
    return {tag for other, tag in LANGUAGE_TAGS.items() if other != lang} | {ANALYST_TAG}


def notebook_title(nb, lang: str = "en") -> str:
    """The first heading of the first markdown cell a page in ``lang`` shows."""
    hidden = hidden_tags(lang)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and not hidden & set(cell.metadata.get("tags", [])):
            for line in cell.source.splitlines():
                if line.strip().startswith("#"):
                    return line.strip().lstrip("#").strip()
            break
    return ""


def notebook_page(executed: Path, target: Path, title: str, source_dir: Path = NOTEBOOKS_DIR,
                  lang: str = "en") -> str:
    """Write the executed notebook as an HTML page in ``lang``: no code, no stderr, none of the cells
    tagged for another language or for analysts (:func:`hidden_tags`); a link back to the index at
    the top. Returns its path relative to the report folder. Links relative to ``source_dir`` (the
    notebooks' folder) still open from the page (:func:`relink`)."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    lang = i18n.check_language(lang)
    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:  # warnings on stderr are for the analyst, not the client
        if cell.cell_type == "markdown":
            cell.source = relink(cell.source, source_dir, target.parent)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "papermill-error-cell" in cell.source:
            key = "failed_banner" if "An Exception was encountered" in cell.source else "stopped_here"
            anchor = "" if key == "failed_banner" else " id='papermill-error-cell'"
            cell.source = (f"<span{anchor} style='color:#c62828;font-size:1.4em'>"
                           f"{i18n.text('report', key, lang)}</span>")
    back = nbformat.v4.new_markdown_cell(f"[← {i18n.text('report', 'back', lang)}](../index.html)")
    nb.cells.insert(0, back)
    nb.metadata["title"] = title
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    remove = TagRemovePreprocessor(remove_cell_tags=hidden_tags(lang), enabled=True)
    exporter.register_preprocessor(remove, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    body = body.replace("</head>", f"<style>{PRINT_CSS}</style></head>", 1)
    body = re.sub(r"<html( lang=\"[^\"]*\")?", f"<html lang=\"{_html_lang(lang)}\"", body, count=1)
    atomic_write_text(target, body)
    return str(target.relative_to(target.parents[1]))
