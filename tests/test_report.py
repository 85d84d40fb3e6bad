"""superkit report on small stand-in notebooks: one that works, one that fails, one that forgets its JSON."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from superkit import report as rep
from superkit.core.errors import DataError
from superkit.report import run as report_run

SECRET_CODE = "this_code_line_must_not_show_in_html = 1"

GOOD_PARAMS = '''observation_end: str = "2025-12-31"  # last day of data
scale: float = 1.0  # multiplies the numbers
column_mapping: dict = {}  # {table: {our column: your column}}
output_dir: str = ""  # where results go'''

GOOD_BODY = f'''
{SECRET_CODE}
import matplotlib.pyplot as plt
from superkit.report.publish import resolve_output_dir, write_results, save_figure
out = resolve_output_dir(output_dir, "01_good")
fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(["a", "b"], [1 * scale, 3 * scale])
ax.set_title("B is three times A")
save_figure(fig, out, "bars")
print("visible output line")
write_results({{"headline": "B is three times A.", "key_figure": "bars", "top20_revenue_share": 0.75,
               "scale": scale, "observation_end": observation_end, "mapping_tables": sorted(column_mapping),
               "n_customers": 42}}, out, "01_good")
'''


def make_notebook(path: Path, title: str, params: str, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nA test notebook."), p,
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def stub_notebooks(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("notebooks")
    make_notebook(d / "01_good.ipynb", "Good notebook", GOOD_PARAMS, GOOD_BODY)
    make_notebook(d / "02_broken.ipynb", "Broken notebook", 'output_dir: str = ""  # where results go',
                  'raise ValueError("the members file has no joined_at column")')
    make_notebook(d / "03_silent.ipynb", "Silent notebook", 'output_dir: str = ""  # where results go',
                  "x = 1")
    return d


@pytest.fixture(scope="module")
def built(stub_notebooks, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cfg")
    (tmp / "orders.csv").write_text("a,b\n1,2\n")
    cfg = tmp / "client.yml"
    cfg.write_text(
        "run_name: client-test\n"
        "timeout: 120\n"
        "data: {transactions: orders.csv}\n"
        "mapping:\n  transactions: {customer_id: member_no}\n"
        "parameters:\n"
        "  all: {observation_end: 2025-06-30, not_a_parameter_anywhere: 3}\n"
        "  01_good: {scale: 2.5}\n"
        "  03_silent: {nonsense: 1}\n")
    out = tmp / "report"
    result = rep.build_report(cfg, out, notebooks_dir=stub_notebooks, progress=False)
    return result, out


def test_report_runs_all_and_reports_failures(built):
    result, out = built
    assert result.path == out.resolve()
    assert [r.stem for r in result.runs] == ["01_good", "02_broken", "03_silent"]
    assert result.failed == ["02_broken", "03_silent"] and not result.ok
    runs = {r.stem: r for r in result.runs}
    assert "ValueError: the members file has no joined_at column" in runs["02_broken"].error
    assert "did not publish 03_silent.json" in runs["03_silent"].error


def test_results_json_keyed_by_stem_with_config_parameters(built):
    _, out = built
    results = json.loads((out / "results.json").read_text())
    assert set(results) == {"01_good", "02_broken", "03_silent"}
    assert results["02_broken"] is None and results["03_silent"] is None
    good = results["01_good"]
    assert good["scale"] == 2.5                       # per-notebook parameter
    assert good["observation_end"] == "2025-06-30"    # YAML date passed as ISO string via 'all'
    assert good["mapping_tables"] == ["transactions"]  # column mapping reached the notebook
    log = json.loads((out / "run.json").read_text())
    assert log["notebooks"]["01_good"]["ok"] and not log["notebooks"]["02_broken"]["ok"]
    assert any("nonsense" in n for n in log["notebooks"]["03_silent"]["notes"])
    assert ".building-" not in (out / "run.json").read_text()


def test_folder_layout_and_code_hidden(built):
    _, out = built
    for stem in ("01_good", "02_broken", "03_silent"):
        assert (out / "notebooks" / f"{stem}.ipynb").is_file()
        assert (out / "html" / f"{stem}.html").is_file()
    assert (out / "outputs" / "01_good" / "figures" / "bars.png").is_file()
    page = (out / "html" / "01_good.html").read_text()
    assert "visible output line" in page
    # the figure shows inline on the page even though the tests run with MPLBACKEND=Agg
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64', page)) == 1
    assert "this_code_line_must_not_show_in_html" not in page
    broken = (out / "html" / "02_broken.html").read_text()
    assert "no joined_at column" in broken             # the error is shown on the failing page
    assert not list(out.parent.glob(".building-*"))


def test_index_shows_headlines_figure_and_failures(built):
    _, out = built
    index = (out / "index.html").read_text()
    assert "1 of 3 notebooks ran" in index
    assert "B is three times A." in index
    assert index.count('class="figure"') == 1 and "data:image/png;base64," in index
    assert "75.0%" in index and ">42<" in index          # top20_revenue_share as a percent, count
    assert "Why it failed" in index and "has no joined_at column" in index
    assert "did not publish 03_silent.json" in index
    assert "href='html/01_good.html'" in index


def test_crash_leaves_no_half_report(stub_notebooks, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(report_run, "render_index", boom)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="disk full"):
        rep.build_report(None, out, notebooks_dir=stub_notebooks, only=["03_silent"], progress=False)
    assert not out.exists()
    assert not list(tmp_path.glob(".building-*"))


def test_existing_report_is_replaced_whole(stub_notebooks, tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    rep.build_report(None, out, notebooks_dir=stub_notebooks, only=["01_good"], progress=False)
    assert not (out / "stale.txt").exists() and (out / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_bad_config_is_a_data_error(tmp_path, stub_notebooks):
    bad = tmp_path / "bad.yml"
    bad.write_text("mapping: [1, 2]\n")
    with pytest.raises(DataError, match="mapping"):
        rep.load_config(bad)
    bad.write_text("colour: blue\n")
    with pytest.raises(DataError, match="unknown config keys"):
        rep.load_config(bad)
    bad.write_text("data: {transactions: missing.csv}\n")
    with pytest.raises(DataError, match="does not exist"):
        rep.load_config(bad)
    bad.write_text("run_name: ../escape\n")
    with pytest.raises(DataError, match="plain folder name"):
        rep.load_config(bad)
    # the one reading rule of every text file: no key twice, UTF-8 (a BOM allowed) or GB18030,
    # never decoded with replacement characters, never a traceback
    bad.write_text("timeout: 60\ntimeout: 600\n")
    with pytest.raises(DataError, match="the key 'timeout' appears twice"):
        rep.load_config(bad)
    bad.write_bytes("title: 咖啡会员\n".encode("gb18030"))
    assert rep.load_config(bad)["title"] == "咖啡会员"
    bad.write_bytes("\ufefftitle: 咖啡会员\n".encode("utf-8"))
    assert rep.load_config(bad)["title"] == "咖啡会员"
    bad.write_bytes(b"title: \xff\xfe\xff\xfe\n")
    with pytest.raises(DataError, match="neither UTF-8 nor GB18030"):
        rep.load_config(bad)
    bad.write_text("reading: {amount_unit: cents!}\n")
    with pytest.raises(DataError, match="amount_unit.*yuan.*fen"):
        rep.load_config(bad)
    with pytest.raises(DataError, match="no notebook named"):
        rep.discover(stub_notebooks, only=["99_missing"])


def test_cli_exits_nonzero_and_prints_where(stub_notebooks, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "superkit.cli", "report", "--no-progress",
                           "--notebooks", str(stub_notebooks), "--only", "01_good", "--only", "02_broken",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert f"Report: {out / 'index.html'}" in proc.stdout
    assert "FAILED: 02_broken" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "superkit.cli", "report", "--config",
                           str(tmp_path / "nope.yml")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "config file not found" in proc.stderr
    assert "Traceback" not in proc.stderr


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9]*.ipynb")), ids=lambda p: p.stem)
def test_notebook_follows_the_conventions_the_report_relies_on(path):
    """One parameters cell that papermill can read whole, output_dir, python3 kernel, no outputs."""
    import ast

    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("#")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assigned = [n.target.id if isinstance(n, ast.AnnAssign) else n.targets[0].id
                for n in ast.parse(tagged[0].source).body if isinstance(n, (ast.Assign, ast.AnnAssign))]
    import papermill as pm

    documented = pm.inspect_notebook(str(path))
    assert set(assigned) == set(documented), \
        "papermill --help-notebook cannot read some parameter lines (an '=' in the comment?)"
    assert "output_dir" in assigned
    if any(a.endswith("_path") for a in assigned):   # reads data: the config's mapping must reach it
        assert "column_mapping" in assigned, "a notebook that reads data needs a column_mapping parameter"
        assert "read_options" in assigned, "a notebook that reads data needs a read_options parameter"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.get("outputs") for c in code), "commit notebooks without outputs"
    assert not any(c.get("execution_count") for c in code), "clear execution counts before committing"


def test_client_config_with_renamed_columns_runs_every_notebook(tmp_path):
    """A consultant's run in Chinese: own file names and column names, mapping in the config, all
    notebooks ok, and no page shows English a Chinese client would have to translate."""
    import yaml

    from superkit.data.simulate import simulate

    w = simulate(800, seed=17)
    data = tmp_path / "client"
    data.mkdir()
    w.transactions.rename(columns={"customer_id": "member_no", "timestamp": "paid_at", "amount": "total"}) \
        .to_csv(data / "orders.csv", index=False)
    w.members.rename(columns={"customer_id": "member_no", "joined_at": "start_date"}) \
        .to_csv(data / "members.csv", index=False)
    w.events.rename(columns={"customer_id": "member_no"}).to_csv(data / "engagement.csv", index=False)
    from superkit.data import datasets

    (data / "benefits.csv").write_bytes(datasets.path("coffee_club", "benefits").read_bytes())
    cfg = {"run_name": "client", "timeout": 600,
           "data": {"transactions": "client/orders.csv", "members": "client/members.csv",
                    "events": "client/engagement.csv", "benefits": "client/benefits.csv"},
           "mapping": {"transactions": {"customer_id": "member_no", "timestamp": "paid_at", "amount": "total"},
                       "members": {"customer_id": "member_no", "joined_at": "start_date"},
                       "events": {"customer_id": "member_no"}},
           "language": "zh",
           "parameters": {"all": {"observation_end": "2025-12-31", "n_boot": 20, "n_draws": 200}}}
    (tmp_path / "client.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
    result = rep.build_report(tmp_path / "client.yml", tmp_path / "out", progress=False)
    failed = {r.stem: r.error for r in result.runs if not r.ok}
    assert not failed, failed
    from i18n_check import english_words

    pages = [tmp_path / "out" / "index.html", *sorted((tmp_path / "out" / "html").glob("*.html"))]
    assert len(pages) == len(result.runs) + 2
    # the run's name is the consultant's own ("client"), not the kit's English
    shown = {p.name: sorted(set(english_words(p.read_text(encoding="utf-8"), kept={"client"}))) for p in pages}
    assert not any(shown.values()), {k: v[:25] for k, v in shown.items() if v}
    assert all(re.search(r"[\u4e00-\u9fff]", r.results["headline"]) for r in result.runs)
    for p in pages:   # no raw keys or pandas dumps on a client's page
        text = p.read_text(encoding="utf-8")
        assert "dtype:" not in text and "top20_revenue_share" not in text and "Publishes" not in text, p.name
    assert len(result.runs) == len(list(NOTEBOOKS.glob("[0-9]*.ipynb")))
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["01_super_users"]["n_customers"] == 800
    assert res["04_spend_uplift"]["causal_ratio_ci"][0] <= w.truth["true_causal_ratio"] \
        <= res["04_spend_uplift"]["causal_ratio_ci"][1]
    # 05 takes 04's causal ratio from the same run, and no bundled survey slips into a client's report
    b = res["05_benefit_bundles"]
    assert b["causal_ratio"] == res["04_spend_uplift"]["causal_ratio"]
    assert b["causal_ratio_ci"] == res["04_spend_uplift"]["causal_ratio_ci"]
    assert b["causal_ratio_source"] == "04_spend_uplift in this report"
    assert b["survey"] is None and b["status"] == "optimal"
    # 06 joins 01-05 of the same run; with no plan in the config it uses the template and says so
    p = res["06_membership_phases"]
    src = p["inputs"]
    assert p["causal_ratio"] == res["04_spend_uplift"]["causal_ratio"]
    assert src["causal spend ratio"] == "04_spend_uplift in this report"
    assert src["renewal V1 (sBG)"].startswith("03_renewal in this report")
    assert src["member spend V1"] == "05_benefit_bundles in this report"
    assert src["benefit cost"].startswith("05_benefit_bundles in this report")
    assert src["probability active"] == "02_clv_churn's scores in this report"
    assert src["prospects and criteria"].startswith("01_super_users' rules in this report")
    assert any("no plan was given" in n for n in p["notes"])
    assert p["members_start"] == int(((w.members["ended_at"].isna()) | (w.members["ended_at"] > "2025-12-31")).sum())


def test_a_plan_in_the_config_reaches_notebook_06(tmp_path):
    import yaml

    from superkit.data import datasets
    from superkit.data.simulate import simulate

    w = simulate(400, seed=8)
    w.transactions.to_csv(tmp_path / "orders.csv", index=False)
    w.members.to_csv(tmp_path / "members.csv", index=False)
    (tmp_path / "benefits.csv").write_bytes(datasets.path("coffee_club", "benefits").read_bytes())
    plan = yaml.safe_load(datasets.path("coffee_club", "plan").read_text(encoding="utf-8"))
    plan["name"] = "client plan"
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    (tmp_path / "c.yml").write_text(yaml.safe_dump({"data": {"transactions": "orders.csv", "members": "members.csv",
                                                            "benefits": "benefits.csv", "plan": "plan.yaml"},
                                                   "parameters": {"all": {"n_sims": 100}}}))
    result = rep.build_report(tmp_path / "c.yml", tmp_path / "out", progress=False, only=["06_membership_phases"])
    (r,) = result.runs
    assert r.ok, r.error
    assert r.parameters["plan_path"] == str((tmp_path / "plan.yaml").resolve())
    assert r.parameters["contacts_path"] == "none"
    assert r.results["plan"] == "client plan" and r.results["plan_file"] == "plan.yaml"
    assert not any("no plan was given" in n for n in r.results["notes"])
    bad = yaml.safe_load((tmp_path / "c.yml").read_text())
    bad["data"]["plans"] = "plan.yaml"
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(bad))
    with pytest.raises(DataError, match="'data' must map table names"):
        rep.build_report(tmp_path / "bad.yml", tmp_path / "out2", progress=False)


def test_client_config_without_members_never_falls_back_to_the_bundled_sample(tmp_path):
    import yaml

    from superkit.data.simulate import simulate

    simulate(300, seed=5).transactions.to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "c.yml").write_text(yaml.safe_dump({"data": {"transactions": "orders.csv"}}))
    result = rep.build_report(tmp_path / "c.yml", tmp_path / "out", progress=False,
                              only=["03_renewal", "04_spend_uplift"])
    for r in result.runs:
        assert not r.ok and "no members table was given" in r.error, (r.stem, r.error)
        assert r.parameters["members_path"] == "none"


def test_a_client_report_without_a_benefit_catalog_says_so(tmp_path):
    import yaml

    from superkit.data.simulate import simulate

    w = simulate(300, seed=5)
    w.transactions.to_csv(tmp_path / "orders.csv", index=False)
    w.members.to_csv(tmp_path / "members.csv", index=False)
    (tmp_path / "c.yml").write_text(yaml.safe_dump({"data": {"transactions": "orders.csv",
                                                            "members": "members.csv"}}))
    result = rep.build_report(tmp_path / "c.yml", tmp_path / "out", progress=False, only=["05_benefit_bundles"])
    (r,) = result.runs
    assert not r.ok and "no benefits table was given, and designing the tiers needs one" in r.error
    assert r.parameters["benefits_path"] == "none" and r.parameters["choices_path"] == "none"
    assert r.parameters["results_dir"].endswith("outputs")        # the report's folder of results


def test_notebook_pages_keep_links_to_the_playbook_working(tmp_path):
    from superkit.report.html import notebook_page, relink

    (tmp_path / "playbook" / "en").mkdir(parents=True)
    (tmp_path / "playbook" / "en" / "02-find-them.md").write_text("# 2. Find them\n")
    src = tmp_path / "notebooks"
    src.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("[chapter 2](../playbook/en/02-find-them.md#run-it) · [web](https://x.org/a.md) "
                                              "· [gone](../playbook/zh/missing.md) · [top](#top)")]
    nbformat.write(nb, str(src / "01_x.ipynb"))
    page = tmp_path / "reports" / "run1" / "html" / "01_x.html"
    page.parent.mkdir(parents=True)
    notebook_page(src / "01_x.ipynb", page, "x", source_dir=src)
    hrefs = re.findall(r'href="([^"]+)"', page.read_text())
    local = [h for h in hrefs if h.endswith("02-find-them.md#run-it")]
    assert local == ["../../../playbook/en/02-find-them.md#run-it"]
    assert (page.parent / local[0].split("#")[0]).resolve().is_file()
    assert "https://x.org/a.md" in hrefs and "#top" in hrefs
    assert "../playbook/zh/missing.md" in hrefs            # a link to nothing is left as written
    assert relink("[a](b.md)", src, page.parent) == "[a](b.md)"


def test_notebooks_that_read_earlier_results_wait_only_for_those():
    """05 reads 04's causal ratio only (its metadata says so, and its analysis asks for no other
    notebook's results); 06 reads all of 01-05; 01-04 read none."""
    import re

    from superkit.core.paths import NOTEBOOKS_DIR
    from superkit.report.run import _reads, discover

    nbs = discover(NOTEBOOKS_DIR)
    stems = {p.stem: p for p in nbs}
    reads = {p.stem: [q.stem for q in _reads(p, nbs)] for p in nbs}
    assert reads["05_benefit_bundles"] == ["04_spend_uplift"]
    assert reads["06_membership_phases"] == [s for s in stems if s < "06"]
    assert all(reads[s] == [] for s in stems if s < "05")
    source = (Path(__file__).resolve().parents[1] / "superkit" / "analyses" / "benefits.py").read_text(encoding="utf-8")
    asked = set(re.findall(r"""result(?:_file)?\(["']([0-9a-z_]+)["']""", source))
    assert asked == {"04_spend_uplift"}


def test_the_notebook_that_holds_up_the_longest_chain_starts_first(monkeypatch):
    """04 (read by 05, which 06 reads) starts at once with 01; 05 starts only after 04 has
    finished, and 06 after every other; with one kernel the order is 04 first, then the rest."""
    import threading
    import time as _time

    from superkit.core.paths import NOTEBOOKS_DIR
    from superkit.report import run as run_mod

    nbs = run_mod.discover(NOTEBOOKS_DIR)
    heights = run_mod._heights({p: run_mod._reads(p, nbs) for p in nbs})
    assert {p.stem: h for p, h in heights.items()} == {
        "01_super_users": 2, "02_clv_churn": 2, "03_renewal": 2, "04_spend_uplift": 3,
        "05_benefit_bundles": 2, "06_membership_phases": 1}
    for jobs in (1, 2):
        events, lock = [], threading.Lock()

        def fake(path, build, cfg, timeout):
            with lock:
                events.append(("start", path.stem))
            _time.sleep(0.05)
            with lock:
                events.append(("end", path.stem))
            return run_mod.NotebookRun(stem=path.stem, ok=True)

        monkeypatch.setattr(run_mod, "run_notebook", fake)
        runs = run_mod._run_all(nbs, Path("."), {}, 10, jobs, progress=False)
        assert [r.stem for r in runs] == [p.stem for p in nbs]     # returned in the notebooks' order
        starts = [s for e, s in events if e == "start"]
        assert starts[0] == "04_spend_uplift"
        if jobs == 1:
            assert starts == ["04_spend_uplift", "01_super_users", "02_clv_churn", "03_renewal",
                              "05_benefit_bundles", "06_membership_phases"]
        else:
            assert set(starts[:2]) == {"04_spend_uplift", "01_super_users"}
        assert events.index(("start", "05_benefit_bundles")) > events.index(("end", "04_spend_uplift"))
        assert all(events.index(("start", "06_membership_phases")) > events.index(("end", s))
                   for s in starts[:-1]) and starts[-1] == "06_membership_phases"


def test_the_scale_settings_of_02_and_04_say_the_package_constants():
    """The notebooks' defaults and parameter comments quote the numbers the code uses: 02's model
    comparison sample and its switch from refitting to parameter draws, 04's control sample."""
    from superkit.analyses import clv, uplift
    from superkit.core.paths import NOTEBOOKS_DIR
    from superkit.report.run import declared_parameters

    p02 = declared_parameters(NOTEBOOKS_DIR / "02_clv_churn.ipynb")
    p04 = declared_parameters(NOTEBOOKS_DIR / "04_spend_uplift.ipynb")
    assert int(p02["max_customers"]["default"]) == clv.COMPARE_MAX_CUSTOMERS
    assert f"refit up to {clv.REFIT_MAX_ROWS:,} distinct customers" in p02["interval_method"]["help"]
    assert int(p04["max_controls"]["default"]) == uplift.MAX_CONTROLS


# ------------------------------------------------------------------------------ languages and labels
def _tagged_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cells = [("markdown", "# The title\n\nEnglish narrative.", ["lang-en"]),
             ("markdown", "# 标题\n\n中文说明。", ["lang-zh"]),
             ("markdown", "**Publishes** `x.json` with keys `a`.", ["analyst"]),
             ("markdown", "Shown in both.", [])]
    for kind, src, tags in cells:
        c = nbformat.v4.new_markdown_cell(src)
        c.metadata["tags"] = tags
        nb.cells.append(c)
    code = nbformat.v4.new_code_cell("sources_table")
    code.metadata["tags"] = ["analyst"]
    code.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "read from: /data/orders.csv"},
                                           execution_count=1)]
    nb.cells.append(code)
    nbformat.write(nb, str(path))
    return path


@pytest.mark.parametrize("lang, shown, hidden, attr", [
    ("en", ["English narrative.", "Shown in both."], ["中文说明", "**Publishes**", "Publishes", "/data/orders.csv"], "en"),
    ("zh", ["中文说明。", "Shown in both.", "返回报告首页"], ["English narrative", "Publishes", "/data/orders.csv"], "zh-CN"),
])
def test_a_page_keeps_one_language_and_no_analyst_cells(tmp_path, lang, shown, hidden, attr):
    from superkit.report.html import notebook_page, notebook_title

    src = _tagged_notebook(tmp_path / "nb.ipynb")
    target = tmp_path / "report" / "html" / "nb.html"
    notebook_page(src, target, "t", source_dir=tmp_path, lang=lang)
    page = target.read_text(encoding="utf-8")
    for text in shown:
        assert text in page
    for text in hidden:
        assert text not in page
    assert f'<html lang="{attr}"' in page
    assert notebook_title(nbformat.read(str(src), as_version=4), lang) == ("The title" if lang == "en" else "标题")


def test_the_report_language_reaches_notebooks_that_declare_it(tmp_path):
    from superkit.report.config import load_config

    path = tmp_path / "nb.ipynb"
    make_notebook(path, "L", 'language: str = "en"  # en or zh\noutput_dir: str = ""  # where results go', "x = 1")
    cfg = load_config(None)
    cfg["language"] = "zh"
    params, notes = report_run.parameters_for(path, report_run.declared_parameters(path), cfg, tmp_path)
    assert params["language"] == "zh" and not notes
    other = tmp_path / "other.ipynb"
    make_notebook(other, "O", 'output_dir: str = ""  # where results go', "x = 1")
    params, _ = report_run.parameters_for(other, report_run.declared_parameters(other), cfg, tmp_path)
    assert "language" not in params


@pytest.mark.parametrize("line, message", [("language: fr\n", "unknown language"),
                                           ("pdf: maybe\n", "pdf must be true or false")])
def test_bad_language_or_pdf_in_the_config(tmp_path, line, message):
    from superkit.report.config import load_config

    (tmp_path / "c.yml").write_text(line)
    with pytest.raises(DataError, match=message):
        load_config(tmp_path / "c.yml")


def test_config_language_and_pdf_are_read(tmp_path):
    from superkit.report.config import load_config

    (tmp_path / "c.yml").write_text("language: zh-CN\npdf: true\n")
    cfg = load_config(tmp_path / "c.yml")
    assert cfg["language"] == "zh" and cfg["pdf"] is True


def test_index_labels_numbers_from_the_catalogue_in_both_languages(tmp_path):
    import html

    from superkit.core import i18n
    from superkit.report.html import render_index
    from superkit.report.run import NotebookRun

    results = {"headline": "h", "n_customers": 2000, "top20_revenue_share": 0.685, "total_revenue": 1032869.14}
    run = NotebookRun(stem="01_super_users", title="T", ok=True, results=results)
    meta = {"title": "R", "run": "r", "started": "2026-01-01 10:00", "data": "d", "how": "h", "seconds": 3.0}
    for lang in ("en", "zh"):
        page = render_index([run], tmp_path, {**meta, "language": lang})
        for key in ("n_customers", "top20_revenue_share", "total_revenue"):
            assert html.escape(i18n.label("01_super_users", key, lang)) in page
            assert key not in page.replace("id='01_super_users'", "")
        assert "68.5%" in page
        assert ("¥103.3万" if lang == "zh" else "¥1,032,869") in page


def test_pdf_without_chromium_is_refused_before_any_notebook_runs(stub_notebooks, tmp_path, monkeypatch):
    from superkit.core.errors import EngineError

    monkeypatch.setenv("SUPERKIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    called = []
    monkeypatch.setattr(report_run, "run_notebook", lambda *a, **k: called.append(a))
    with pytest.raises(EngineError, match="PDF needs headless Chromium.*apt-get install chromium"):
        rep.build_report(None, tmp_path / "out", notebooks_dir=stub_notebooks, only=["01_good"],
                         progress=False, pdf=True)
    assert not called and not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9]*.ipynb")), ids=lambda p: p.stem)
def test_notebook_pages_are_written_for_clients_in_two_languages(path):
    """Narrative in pairs of languages with the same numbered sections, the keys for analysts only,
    and the page ends with the labelled results table (not a pandas dump)."""
    nb = nbformat.read(str(path), as_version=4)
    tags = lambda c: set(c.metadata.get("tags", []))  # noqa: E731
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    en = [c for c in md if "lang-en" in tags(c)]
    zh = [c for c in md if "lang-zh" in tags(c)]
    assert en and len(en) == len(zh), "every narrative cell has its Chinese twin"
    assert "lang-en" in tags(nb.cells[0]) and "lang-zh" in tags(nb.cells[1])
    for c in zh:
        assert re.search(r"[\u4e00-\u9fff]{2}", c.source), c.source[:80]
        # a line break between two Chinese characters shows as a space in Chromium's rendering
        cjk = "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
        assert not re.search(f"{cjk}\n{cjk}", c.source), c.source[:80]
    untagged = [c.source[:60] for c in md if not tags(c) & {"lang-en", "lang-zh", "analyst"}]
    assert not untagged, f"markdown cells shown in both languages: {untagged}"

    def sections(cells):
        return [m.group(1) for c in cells for m in re.finditer(r"^## (\d+)\. ", c.source, re.M)]

    heads = [m for c in en for m in re.findall(r"^## .*", c.source, re.M)]
    assert heads and all(re.match(r"## \d+\. ", h) for h in heads), heads
    assert sections(en) == [str(i) for i in range(1, len(sections(en)) + 1)] == sections(zh)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "show_results(" in code[-1].source and "pd.Series" not in code[-1].source
    assert any("language" in c.source for c in nb.cells if "parameters" in tags(c))


def test_a_messy_export_reads_in_chinese_on_the_data_quality_page(tmp_path):
    """GB18030 with a title line, amounts in fen, member ids that kept zeros the orders lost: the
    notes and warnings of the Chinese data-quality page and index box are Chinese."""
    from i18n_check import english_words

    from superkit.data.simulate import simulate
    from superkit.report.config import load_config
    from superkit.report.html import quality_page

    w = simulate(300, seed=11)
    tx = w.transactions.copy()
    tx["customer_id"] = tx["customer_id"].str[1:].astype(int).astype(str)
    tx["amount"] = (tx["amount"] * 100).round().astype(int)
    with open(tmp_path / "orders.csv", "w", encoding="gb18030", newline="") as fh:
        fh.write("2025年订单导出\n")
        tx.rename(columns={"customer_id": "会员号", "amount": "实付金额"}).to_csv(fh, index=False)
    m = w.members.copy()
    m["customer_id"] = m["customer_id"].str[1:].str.zfill(6)
    m.to_csv(tmp_path / "members.csv", index=False)
    (tmp_path / "c.yml").write_text("data: {transactions: orders.csv, members: members.csv}\n"
                                    "mapping: {transactions: {customer_id: 会员号, amount: 实付金额}}\n"
                                    "reading: {amount_unit: fen}\nlanguage: zh\n", encoding="utf-8")
    profile = report_run.data_quality(load_config(tmp_path / "c.yml")).to_json()
    assert any("leading zeros" in x for x in profile["warnings"])
    assert any("GB18030" in x for x in profile["tables"]["transactions"]["notes"])
    page = tmp_path / "r" / "html" / "dq.html"
    quality_page(profile, page, "数据质量", "zh")
    text = page.read_text(encoding="utf-8")
    assert not english_words(text), sorted(set(english_words(text)))
    assert "GB18030" in text and "<code>strip_leading_zeros: true</code>" in text


def test_a_page_that_will_not_print_costs_its_pdf_only(stub_notebooks, tmp_path, monkeypatch):
    """A 'Chromium' that exits without writing a PDF: the report is still written whole, the index
    says which page has no PDF and links none that does not exist."""
    true = "/bin/true" if Path("/bin/true").is_file() else "/usr/bin/true"
    monkeypatch.setenv("SUPERKIT_CHROMIUM", true)
    result = rep.build_report(None, tmp_path / "out", notebooks_dir=stub_notebooks, only=["01_good"],
                              progress=False, pdf=True)
    assert result.ok and (tmp_path / "out" / "index.html").is_file()
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "could not be printed to PDF" in index and "pdf/" not in index
    assert not list((tmp_path / "out").glob("pdf/*.pdf"))


def test_printed_pages_keep_no_links_to_the_report_folder():
    from superkit.report.pdf import printable

    page = ("<a href='html/01.html'>完整页面</a> <a class='k' href=\"../playbook/zh/02.md#x\">第 2 章</a> "
            "<a href='https://example.org'>web</a> <a href='#top'>top</a>")
    out = printable(page)
    assert "html/01.html" not in out and "playbook" not in out and "<span class='k'>第 2 章</span>" in out
    assert "https://example.org" in out and "#top" in out
