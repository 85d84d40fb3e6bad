"""The data-quality profile: per table, across tables, in `superkit validate` and in the report."""
from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from superkit import report as rep
from superkit.data import load_tables
from superkit.data.contract import read_members, read_transactions
from superkit.data.quality import cross_checks, profile_tables, table_profile

TX = ("customer_id,timestamp,amount,order_id\n"
      + "".join(f"{i:06d},2025-0{1 + i % 6}-1{i % 9} 10:00,{25 + i},O{i}\n" for i in range(1, 41))
      + "000001,2025-07-01,-25,R1\n")
MEMBERS_NO_ZEROS = "customer_id,joined_at,tier\n" + "".join(f"{i},2025-02-01,V1\n" for i in range(1, 15))
MEMBERS_SAME = "customer_id,joined_at,tier\n" + "".join(f"{i:06d},2025-02-01,V1\n" for i in range(1, 15))


def write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_members_whose_ids_lost_their_leading_zeros_are_named_with_the_fix(tmp_path):
    tx = read_transactions(write(tmp_path, "t.csv", TX))
    m = read_members(write(tmp_path, "m.csv", MEMBERS_NO_ZEROS))
    figures, warnings = cross_checks({"transactions": tx, "members": m})
    assert figures["members_among_buyers"] == 0 and figures["members"] == 14
    assert figures["members_among_buyers_share_without_leading_zeros"] == 1.0
    assert len(warnings) == 1 and "0 of 14 member ids (0%)" in warnings[0]
    assert "strip_leading_zeros" in warnings[0] and "'1'" in warnings[0]
    # read both with the option: they join, nothing to warn about
    opts = {"strip_leading_zeros": True}
    tx2 = read_transactions(tmp_path / "t.csv", options=opts)
    m2 = read_members(tmp_path / "m.csv", options=opts)
    figures, warnings = cross_checks({"transactions": tx2, "members": m2})
    assert figures["members_among_buyers"] == 14 and figures["members_who_never_bought"] == 0 and not warnings


def test_ids_that_do_not_match_at_all_get_a_different_hint(tmp_path):
    tx = read_transactions(write(tmp_path, "t.csv", TX))
    phones = "customer_id,joined_at\n" + "".join(f"1380000{i:04d},2025-02-01\n" for i in range(14))
    _, warnings = cross_checks({"transactions": tx, "members": read_members(write(tmp_path, "m.csv", phones))})
    assert len(warnings) == 1 and "same customer id" in warnings[0] and "strip_leading_zeros" not in warnings[0]


def test_events_of_unknown_customers_are_counted(tmp_path):
    tx = read_transactions(write(tmp_path, "t.csv", TX))
    ev = pd.DataFrame({"customer_id": ["000001", "999", "998"], "timestamp": ["2025-03-01"] * 3,
                       "kind": ["share"] * 3})
    from superkit.data.contract import read_events

    figures, warnings = cross_checks({"transactions": tx, "events": read_events(ev)})
    assert figures["events_of_unknown_customers"] == 2
    assert len(warnings) == 1 and "2 of 3 events" in warnings[0]


def test_the_table_profile_counts_what_a_consultant_checks(tmp_path):
    df = read_transactions(write(tmp_path, "t.csv", TX.replace("customer_id", "\ufeffcustomer_id")))
    p = table_profile("transactions", df)
    amounts = [25 + i for i in range(1, 41)]
    assert p["rows"] == 41 and p["customers"] == 40 and p["orders"] == 41
    assert p["revenue"] == pytest.approx(sum(amounts) - 25)
    assert p["refund_rows"] == 1 and p["refund_share_of_sales"] == pytest.approx(25 / sum(amounts))
    assert p["amount_quantiles"]["max"] == 65 and p["amount_quantiles"]["p50"] == pytest.approx(45.5)
    assert p["first_date"] == "2025-01-10" and p["last_date"] == "2025-07-01"


def test_amounts_that_look_like_fen_are_warned_about_and_read_right_with_the_unit(tmp_path):
    fen = "customer_id,timestamp,amount\n" + "".join(f"C{i},2025-03-0{1 + i % 9},{2500 + 100 * i}\n" for i in range(30))
    f = write(tmp_path, "fen.csv", fen)
    df = read_transactions(f)
    assert any("look like fen" in w for w in df.attrs["warnings"])
    yuan = read_transactions(f, options={"amount_unit": "fen"})
    assert not yuan.attrs["warnings"] and yuan["amount"].sum() == pytest.approx(df["amount"].sum() / 100)
    prof = profile_tables({"transactions": str(f)})
    assert any("look like fen" in w for w in prof.warnings)


def test_load_tables_carries_the_notes_and_the_join_warning(tmp_path):
    t = write(tmp_path, "t.csv", "订单导出 2025\n" + TX, encoding="gb18030")
    m = write(tmp_path, "m.csv", MEMBERS_NO_ZEROS)
    tables = load_tables(str(t), str(m))
    assert any("GB18030" in n for n in tables.notes["transactions"])
    assert any("title" in n for n in tables.notes["transactions"])
    assert any("do not join" in w for w in tables.warnings)
    assert "do not join" in tables.quality()
    joined = load_tables(str(t), str(m), read_options={"strip_leading_zeros": True})
    assert not joined.warnings


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "superkit.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def test_validate_prints_the_profile_and_a_config_checks_the_join(tmp_path):
    write(tmp_path, "t.csv", TX)
    write(tmp_path, "m.csv", MEMBERS_NO_ZEROS)
    r = cli("validate", "transactions", tmp_path / "t.csv")
    assert r.returncode == 0 and "41 rows, 40 customers" in r.stdout and "1 refund rows" in r.stdout, r.stderr
    cfg = write(tmp_path, "client.yml", "data: {transactions: t.csv, members: m.csv}\n")
    r = cli("validate", "--config", cfg)
    assert r.returncode == 0, r.stderr
    assert "members among buyers: 0 of 14 (0%)" in r.stdout and "strip_leading_zeros" in r.stdout
    write(tmp_path, "client.yml", "data: {transactions: t.csv, members: m.csv}\n"
                                  "reading: {strip_leading_zeros: true}\n")
    r = cli("validate", "--config", cfg)
    assert r.returncode == 0 and "members among buyers: 14 of 14 (100%)" in r.stdout and "WARNING" not in r.stdout
    write(tmp_path, "client.yml", "data: {transactions: t.csv, members: m.csv}\nreading: {amount_unit: cents!}\n")
    r = cli("validate", "--config", cfg)
    assert r.returncode == 2 and "amount_unit" in r.stderr and "Traceback" not in r.stderr


def test_the_report_puts_a_failed_join_at_the_top_of_its_index(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('read_options: dict = {}  # how exports are read\n'
                                       'output_dir: str = ""  # where results go')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "from superkit.report.publish import resolve_output_dir, write_results\n"
        "out = resolve_output_dir(output_dir, '01_stub')\n"
        "write_results({'headline': 'ok', 'read_options': read_options}, out, '01_stub')")
    nb.cells = [nbformat.v4.new_markdown_cell("# Stub"), params, body]
    nbformat.write(nb, str(nbs / "01_stub.ipynb"))
    write(tmp_path, "t.csv", TX)
    write(tmp_path, "m.csv", MEMBERS_NO_ZEROS)
    cfg = write(tmp_path, "client.yml", "data: {transactions: t.csv, members: m.csv}\n")
    out = tmp_path / "report"
    rep.build_report(cfg, out, notebooks_dir=nbs, progress=False)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Data quality: 1 thing to check" in index and "do not join" in index
    assert index.index("do not join") < index.index("01_stub")
    quality = json.loads((out / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["cross"]["members_among_buyers"] == 0
    assert "strip_leading_zeros" in (out / "html" / "data_quality.html").read_text(encoding="utf-8")
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["data_quality"]["warnings"]
    # the fix in the config reaches the notebooks and clears the warning
    write(tmp_path, "client.yml", "data: {transactions: t.csv, members: m.csv}\n"
                                  "reading: {strip_leading_zeros: true}\n")
    rep.build_report(cfg, out, notebooks_dir=nbs, progress=False)
    assert "Data quality: no warnings" in (out / "index.html").read_text(encoding="utf-8")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["01_stub"]["read_options"] == {"strip_leading_zeros": True}
