"""Bundled data sets, each documented by a datasheet ``datasets/<name>/README.md``.

* ``coffee_club``: a simulated coffee chain with a paid membership (V1/V2/V3 at 99/199/299 yuan a
  year, billed monthly); the default data of every notebook. Known truth in ``truth.json``.
* ``cdnow_sample`` (2,357 customers) and ``cdnow`` (23,570): the CDNOW transaction logs that
  lifetimes ships (Fader & Hardie), read in our contract.
* ``fader_hardie_2007``: published renewal cohorts.
* ``coffee_club_yearly``: simulated yearly-fee renewal cohorts (one per tier, counted at each
  anniversary), with their true sBG parameters in ``truth.json``; for notebook 03 with ``period="year"``.
* ``apparel_club``: a benefit catalog only, modelled on the JNBY (江南布衣) member benefits the method
  describes, with illustrative costs and values.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from superkit.core.errors import DataError
from superkit.core.paths import DATASETS_DIR
from superkit.data.contract import READERS, read_transactions

__all__ = [
    "CDNOW_FILES",
    "COFFEE_CLUB",
    "COFFEE_SURVEY",
    "build_coffee_club",
    "cdnow",
    "cdnow_master",
    "cdnow_sample",
    "coffee_survey",
    "has_table",
    "load",
    "names",
    "path",
    "table",
    "truth",
]

CDNOW_FILES = {"cdnow_sample": "CDNOW_sample.txt", "cdnow": "CDNOW_master.txt"}
# Generator call for coffee_club (the datasheet repeats it; tests check the files match it).
COFFEE_CLUB = dict(n_customers=2000, seed=2024, start="2024-01-01", end="2025-12-31",
                   refund_rate=0.005)
# The bundled conjoint survey of coffee_club members: design, and the respondents' true willingness to
# pay (yuan a year) behind their simulated answers (the datasheet repeats it; a test checks the file).
COFFEE_SURVEY = {
    "design": dict(benefits=["member_price", "free_monthly_drink", "bogo_tuesday", "seasonal_blend",
                             "skip_queue", "size_upgrade", "double_points", "birthday_treat"],
                   n_respondents=200, n_tasks=8, n_alternatives=3, prices=(49, 99, 149, 199, 299),
                   none_option=True, seed=7),
    "true_wtp": {"member_price": 60.0, "free_monthly_drink": 150.0, "bogo_tuesday": 40.0,
                 "seasonal_blend": 35.0, "skip_queue": 45.0, "size_upgrade": 40.0, "double_points": 20.0,
                 "birthday_treat": 50.0},
    "price_coefficient": -0.012,
    "none_utility": 1.0,
    "seed": 8,
}


def names() -> list[str]:
    """Bundled data sets (folders with a datasheet) plus the CDNOW sets from lifetimes."""
    local = sorted(p.parent.name for p in DATASETS_DIR.glob("*/README.md"))
    return sorted(set(local) | set(CDNOW_FILES))


def path(name: str, table: str) -> Path:
    """Path of a bundled table file, e.g. ``path("coffee_club", "transactions")``.

    The CDNOW files are lifetimes' raw text logs (no header): read them with :func:`table` or
    :func:`cdnow`, not with the contract readers.
    """
    if name in CDNOW_FILES:
        if table != "transactions":
            raise DataError(f"{name} has only a transactions table", fix="ask for 'transactions'.")
        return Path(str(resources.files("lifetimes") / "datasets" / CDNOW_FILES[name]))
    folder = DATASETS_DIR / name
    if not folder.is_dir():
        raise DataError(f"no bundled data set called '{name}'", fix=f"use one of {names()}.")
    for suffix in (".csv", ".parquet", ".csv.gz", ".yaml", ".yml"):
        candidate = folder / f"{table}{suffix}"
        if candidate.exists():
            return candidate
    have = sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".parquet", ".gz", ".yaml", ".yml"))
    raise DataError(f"data set '{name}' has no {table} table", fix=f"it has {have}.")


def has_table(name: str, table: str) -> bool:
    """Whether bundled data set ``name`` has ``table``."""
    try:
        path(name, table)
    except DataError:
        return False
    return True


def table(name: str, table_name: str, observation_end=None) -> pd.DataFrame:
    """One bundled table, validated (dates after ``observation_end`` are refused, as for any file)."""
    if name in CDNOW_FILES:
        path(name, table_name)  # explains that CDNOW has only transactions
        return read_transactions(cdnow("sample" if name == "cdnow_sample" else "master"),
                                 observation_end=observation_end)
    return READERS[table_name](path(name, table_name), observation_end=observation_end)


def load(name: str) -> dict[str, pd.DataFrame]:
    """All tables of a data set, validated, keyed by table name."""
    if name in CDNOW_FILES:
        return {"transactions": cdnow(name == "cdnow_sample" and "sample" or "master")}
    return {t: table(name, t) for t in READERS if has_table(name, t)}


def truth(name: str) -> dict:
    """The known truth of a simulated data set (``truth.json``)."""
    p = DATASETS_DIR / name / "truth.json"
    if not p.exists():
        raise DataError(f"data set '{name}' has no truth.json (it is not simulated)",
                        fix="only simulated data sets carry their true parameters.")
    return json.loads(p.read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def _cdnow_raw(which: str) -> pd.DataFrame:
    p = resources.files("lifetimes") / "datasets" / CDNOW_FILES["cdnow_sample" if which == "sample" else "cdnow"]
    if which == "sample":  # master id, sample id (1..2357), date, CDs, dollars; no header
        return pd.read_csv(str(p), sep=r"\s+", header=None, dtype={2: str},
                           names=["master_id", "customer_id", "date", "quantity", "amount"])
    # the master file has a header: customer_id date number_of_cds dollar_value
    raw = pd.read_csv(str(p), sep=r"\s+", header=0, dtype={"date": str, "customer_id": str})
    return raw.rename(columns={"number_of_cds": "quantity", "dollar_value": "amount"})


def cdnow(which: str = "sample") -> pd.DataFrame:
    """CDNOW transactions (1997-01-01 .. 1998-06-30) in our contract.

    ``which="sample"``: the 1/10 sample, 2,357 customers (ids 1..2357); ``"master"``: all
    23,570 customers. Columns: customer_id, timestamp, amount (dollars), quantity (CDs).
    """
    raw = _cdnow_raw(which)
    ids = raw["customer_id"].astype(str).str.lstrip("0")
    df = pd.DataFrame({"customer_id": ids,
                       "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d"),
                       "amount": raw["amount"].astype(float)})
    out = read_transactions(df)
    out["quantity"] = raw["quantity"].to_numpy()
    return out


def cdnow_sample() -> pd.DataFrame:
    """The CDNOW 1/10 sample (2,357 customers) used by Fader, Hardie & Lee (2005)."""
    return cdnow("sample")


def cdnow_master() -> pd.DataFrame:
    """The full CDNOW cohort (23,570 customers)."""
    return cdnow("master")


def coffee_survey() -> pd.DataFrame:
    """The coffee_club conjoint survey, generated from :data:`COFFEE_SURVEY` (known willingness to pay)."""
    from superkit.data.survey import choice_design, simulate_choices

    s = COFFEE_SURVEY
    beta = -s["price_coefficient"]
    design = choice_design(**s["design"])
    return simulate_choices(design, {b: w * beta for b, w in s["true_wtp"].items()}, s["price_coefficient"],
                            none_utility=s["none_utility"], seed=s["seed"])


def build_coffee_club(out_dir: Path | None = None) -> Path:
    """(Re)generate the bundled coffee_club files from the simulator (see its datasheet): the four
    tables of the world, the conjoint survey ``choices.csv``, and ``truth.json`` with both truths.
    ``benefits.csv`` is written by hand (assumptions, not simulated) and is left as it is."""
    from superkit.core.io import atomic_write_frame, atomic_write_text, to_jsonable
    from superkit.data.simulate import simulate

    world = simulate(**COFFEE_CLUB)
    out = world.write(out_dir or DATASETS_DIR / "coffee_club")
    atomic_write_frame(coffee_survey(), out / "choices.csv", index=False)
    truth = {**world.truth, "survey": {k: v for k, v in COFFEE_SURVEY.items() if k != "design"}}
    atomic_write_text(out / "truth.json", json.dumps(to_jsonable(truth), indent=2))
    return out
