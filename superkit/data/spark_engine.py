"""The Spark engine: the kit's SQL on Spark SQL, for transactions that live in a warehouse or outgrow
one machine (an optional extra: ``pip install 'superkit[spark]'``, which brings pyspark and sqlglot;
Spark needs Java 17).

What runs on Spark, and what comes back:

* ``superkit summarize --engine spark`` (:class:`SparkEngine`) runs ``summary.sql`` -- the same file
  the DuckDB engine runs, unchanged -- on a CSV or Parquet path (a file or a folder of parts) or a
  table of the warehouse (``table:db.orders``, or a name that is not a path); the per-customer
  summary comes back to the driver.
* ``engine: spark`` in a report config reads the client's transactions with Spark (:func:`stage`)
  and every transaction-level query of the notebooks (:func:`superkit.data.store.query`) runs on
  Spark SQL: the analyses write their SQL once, in DuckDB's dialect, and it is translated to Spark's
  by sqlglot (a maintained SQL transpiler) rather than kept twice by hand.

**Reading rules on Spark.** A warehouse table or a Parquet file has typed columns; those are read as
they are. For text (CSV, string columns) the Spark reader applies the kit's rules in the forms such
data take: ids as text (``10.0`` -> ``10``; leading zeros kept unless ``strip_leading_zeros``),
ISO times and ``2025/1/5``-style dates, amounts with ``¥``, ``￥``, ``元`` or thousands separators,
``amount_unit: fen``; empty ids, times or amounts, absurd amounts, rows after the observation end
and an order id under two customers are refused with the same messages as the DuckDB path, and exact
repeats under one order id are dropped and counted. A text form it does not know (a Chinese date,
a GBK file with a title line) is refused, never guessed: such an export is read by the DuckDB
engine, which knows every form of :mod:`superkit.data.reading`.
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from superkit.core.errors import DataError, EngineError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SPARK_FIX", "SparkEngine", "query", "read_transactions", "session", "stage", "to_spark_sql"]

SPARK_FIX = ("install the Spark extra (pip install 'superkit[spark]': pyspark and sqlglot) and Java 17, "
             "or use the DuckDB engine (the default)")
_SESSION = None
# text forms of a time the Spark reader knows (Spark datetime patterns), tried in this order
_TIME_FORMATS = ("yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd",
                 "yyyy/M/d H:mm:ss", "yyyy/M/d H:mm", "yyyy/M/d", "yyyyMMdd")
_PLACEHOLDERS = ("", "nan", "none", "null", "#n/a", "n/a", "na", "\\n", "-", "--")


def session():
    """The SparkSession every Spark query uses (started once per process, quietly): the master from
    ``SUPERKIT_SPARK_MASTER`` (default ``local[*]``), the driver's memory from
    ``SUPERKIT_SPARK_DRIVER_MEMORY`` (default 2g), times in UTC so a wall-clock time is never shifted."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(f"the Spark engine needs pyspark, which is not installed. Remedy: {SPARK_FIX}.") from None
    import warnings
    # pyspark warns that it does not yet support pandas 3 fully; the kit sends it only plain
    # columns (text, numbers, times), which the tests check on both engines
    warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas.*")
    warnings.filterwarnings("ignore", message=".*The copy keyword is deprecated.*", module="pyspark.*")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    log4j = Path(__file__).resolve().parent / "spark_log4j2.properties"
    java_opts = f"-Dlog4j2.configurationFile=file:{log4j} -Dspark.log.structuredLogging.enabled=false"
    # the driver's JVM starts with these (its log settings must be known before it logs anything)
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", f'--driver-java-options "{java_opts}" pyspark-shell')
    try:
        builder = (SparkSession.builder.master(os.environ.get("SUPERKIT_SPARK_MASTER", "local[*]"))
                   .appName("superkit")
                   .config("spark.driver.memory", os.environ.get("SUPERKIT_SPARK_DRIVER_MEMORY", "2g"))
                   .config("spark.driver.extraJavaOptions", java_opts)
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.sql.shuffle.partitions", os.environ.get("SUPERKIT_SPARK_PARTITIONS", "8"))
                   .config("spark.sql.ansi.enabled", "false"))
        _SESSION = builder.getOrCreate()
    except Exception as exc:  # no Java, a port in use ...: one message with the remedy
        text = str(exc).strip().splitlines()
        raise EngineError(f"Spark could not start ({type(exc).__name__}: {text[0] if text else ''}). "
                          f"Remedy: check that Java 17 is installed (java -version), or {SPARK_FIX}.") from None
    _SESSION.sparkContext.setLogLevel("OFF")   # failures reach the user as the kit's messages
    return _SESSION


def to_spark_sql(sql: str) -> str:
    """A query written in DuckDB's dialect, in Spark SQL's (sqlglot)."""
    try:
        import sqlglot
    except ImportError:
        raise EngineError(f"the Spark engine needs sqlglot, which is not installed. Remedy: {SPARK_FIX}.") from None
    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write="spark"))


def _view(spark, df, stem: str) -> str:
    name = f"_superkit_{stem}_{hashlib.sha1(str(id(df)).encode()).hexdigest()[:8]}"
    df.createOrReplaceTempView(name)
    return name


def _to_spark(spark, frame: "pd.DataFrame"):
    """A small pandas table (members' dates, spans) as a Spark DataFrame: text as strings, times as
    timestamps without a zone (as the staged columns are)."""
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        col = frame[c]
        out[c] = col.astype(object).where(col.notna(), None) if not pd.api.types.is_datetime64_any_dtype(col) \
            else col
    from pyspark.sql import types as T

    fields = []
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            kind = T.TimestampNTZType()
        elif pd.api.types.is_bool_dtype(col):
            kind = T.BooleanType()
        elif pd.api.types.is_integer_dtype(col):
            kind = T.LongType()
        elif pd.api.types.is_float_dtype(col):
            kind = T.DoubleType()
        else:
            kind = T.StringType()
        fields.append(T.StructField(str(c), kind, True))
    rows = [tuple(None if (v is None or (isinstance(v, float) and v != v) or v is pd.NaT) else
                  (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in r)
            for r in out.itertuples(index=False, name=None)]
    return spark.createDataFrame(rows, schema=T.StructType(fields))


def _to_pandas(sdf) -> "pd.DataFrame":
    """A (small) Spark result as pandas: decimals as floats, times as datetime64[ns], text as str."""
    import pandas as pd
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    cols = [F.col(f"`{f.name}`").cast("double").alias(f.name) if isinstance(f.dataType, T.DecimalType)
            else F.col(f"`{f.name}`") for f in sdf.schema.fields]
    out = sdf.select(*cols).toPandas()      # through Arrow
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].astype("datetime64[ns]")
    return out


def query(store, sql: str, relations: Mapping[str, "pd.DataFrame"]) -> "pd.DataFrame":
    """:func:`superkit.data.store.query` on Spark: ``{tx}`` is the staged Parquet (read by Spark),
    each relation a small pandas table sent to Spark; the result comes back to the driver."""
    spark = session()
    names = {"tx": _view(spark, spark.read.parquet(str(store.path)), "tx")}
    for key, frame in relations.items():
        names[key] = _view(spark, _to_spark(spark, frame), key)
    try:
        return _to_pandas(spark.sql(to_spark_sql(sql.format(**names))))
    except Exception as exc:
        if type(exc).__name__ in ("AnalysisException", "ParseException", "SparkRuntimeException"):
            raise EngineError(f"Spark could not run the query: {str(exc).splitlines()[0]}. Remedy: this is a "
                              "fault of the kit's SQL on Spark; run the report with the DuckDB engine "
                              "(engine: duckdb).") from None
        raise
    finally:
        for name in names.values():
            spark.catalog.dropTempView(name)


# --------------------------------------------------------------------------------------------
# Reading on Spark
# --------------------------------------------------------------------------------------------
def _open(spark, source, options):
    """``(Spark DataFrame of the columns as written, name for messages)``."""
    if type(source).__name__ == "DataFrame" and hasattr(source, "columns") and not hasattr(source, "sparkSession"):
        return _to_spark(spark, source), "the DataFrame"
    if hasattr(source, "sparkSession"):
        return source, "the Spark DataFrame"
    text = str(source)
    path = Path(text).expanduser()
    if text.startswith("table:") or not (path.exists() or "/" in text or "\\" in text):
        name = text.removeprefix("table:")
        try:
            return spark.table(name), f"table {name}"
        except Exception:
            raise DataError(f"no file or warehouse table named '{name}'", source=text,
                            fix="give a CSV or Parquet path, or table:<database>.<table> of the warehouse "
                                "Spark is connected to.") from None
    if not path.exists():
        raise DataError("file not found", source=text, fix="check the path.")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))
    suffixes = {p.suffix.lower() for p in files}
    if suffixes & {".parquet", ".pq"} or (path.is_dir() and not suffixes & {".csv", ".txt"}):
        return spark.read.parquet(str(path)), str(path)
    encoding = getattr(options, "encoding", None) or "UTF-8"
    df = (spark.read.option("header", "true").option("inferSchema", "false").option("encoding", encoding)
          .option("mode", "FAILFAST").option("multiLine", "true").option("escape", '"').csv(str(path)))
    return df, str(path)


def _count(df, cond) -> int:
    return int(df.filter(cond).count())


def _examples(df, cond, col, n: int = 3) -> list:
    return [r[0] for r in df.filter(cond).select(col.cast("string")).distinct().orderBy(col.cast("string")).limit(n).collect()]


def read_transactions(spark, source, mapping=None, observation_end=None, options=None):
    """The transactions by the rules (module docstring) as a Spark DataFrame of the contract's
    columns, with ``(notes, warnings)``."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from superkit.core.checks import parse_date
    from superkit.data import rules
    from superkit.data.reading import map_columns, read_options
    from superkit.data.spec import ABSURD_AMOUNT

    options = read_options(options)
    raw, name = _open(spark, source, options)
    cols = map_columns(list(raw.columns), "transactions", mapping, name)
    types = {f.name: f.dataType for f in raw.schema.fields}
    notes, warnings = [], []
    out = {}

    def text(theirs):
        v = F.trim(F.col(f"`{theirs}`").cast("string"))
        return F.when(F.lower(v).isin(*_PLACEHOLDERS), F.lit(None)).otherwise(v)

    # ids: text as written; 10.0 -> 10; leading zeros dropped on request
    theirs = cols["customer_id"]
    if isinstance(types[theirs], (T.FloatType, T.DoubleType, T.DecimalType)):
        cid = F.col(f"`{theirs}`").cast("decimal(38,0)").cast("string")
    else:
        cid = F.regexp_replace(text(theirs), r"^([0-9]+)\.0+$", "$1")
    if options.strip_leading_zeros:
        cid = F.when(cid.rlike("^[0-9]+$"), F.regexp_replace(cid, "^0+(?=[0-9])", "")).otherwise(cid)
    out["customer_id"] = cid
    # times: typed as they are; text in the forms above, anything else refused
    theirs = cols["timestamp"]
    if isinstance(types[theirs], (T.TimestampType, T.TimestampNTZType, T.DateType)):
        ts = F.col(f"`{theirs}`").cast("timestamp_ntz")
    else:
        t = text(theirs)
        ts = F.coalesce(*[F.try_to_timestamp(t, F.lit(f)) for f in _TIME_FORMATS]).cast("timestamp_ntz")
    out["timestamp"] = ts
    # amounts: numbers as they are; text without currency marks and thousands separators
    theirs = cols["amount"]
    if isinstance(types[theirs], T.NumericType):
        amt = F.col(f"`{theirs}`").cast("double")
    else:
        a = F.regexp_replace(text(theirs), r"^(RMB|CNY)\s*|[¥￥,，元\s]", "")
        amt = F.when(a.rlike(r"^\((.*)\)$"), F.concat(F.lit("-"), F.regexp_extract(a, r"^\((.*)\)$", 1))).otherwise(a)
        amt = amt.cast("double")      # not ANSI: what is not a number becomes NULL, refused below
    per = {"yuan": 1, "fen": 100}[options.amount_unit]
    out["amount"] = amt / F.lit(float(per)) if per != 1 else amt
    for ours in cols:
        if ours not in out:
            out[ours] = text(cols[ours])
    staged = raw.select(*[F.col(f"`{cols[o]}`").alias(f"{o}__raw") for o in ("customer_id", "timestamp", "amount")],
                        *[e.alias(o) for o, e in out.items()])
    # not cached: Spark would serve a later read of the same path (a corrected export) from the cache

    def refuse_missing(ours, what):
        raw_col, col = F.col(f"{ours}__raw"), F.col(ours)
        written = raw_col.isNotNull() & ~F.lower(F.trim(raw_col.cast("string"))).isin(*_PLACEHOLDERS)
        n_missing = _count(staged, ~written)
        if n_missing:
            raise rules.missing_values(name, cols[ours], n_missing, what)
        bad = written & col.isNull()
        n_bad = _count(staged, bad)
        if n_bad:
            forms = ("ISO times (2025-01-05 14:30:00) and dates such as 2025/1/5" if ours == "timestamp"
                     else "numbers, with or without ¥, ￥, 元 and thousands separators")
            raise DataError(f"{n_bad:,} values that the Spark engine cannot read as {what}", source=name,
                            column=cols[ours], rows=n_bad, examples=_examples(staged, bad, raw_col),
                            fix=f"the Spark engine reads {forms}; read this export with the DuckDB engine "
                                "(the default), which knows every form the kit reads.")

    refuse_missing("customer_id", "customer ids")
    refuse_missing("timestamp", "dates")
    refuse_missing("amount", "values")
    absurd = F.abs(F.col("amount")) >= F.lit(float(ABSURD_AMOUNT))
    n = _count(staged, absurd)
    if n:
        raise rules.absurd_amounts(name, cols["amount"], n, _examples(staged, absurd, F.col("amount__raw")))
    end = parse_date(observation_end, "observation_end")
    if end is not None:
        late = F.col("timestamp") >= F.lit(str(rules.end_limit(end))).cast("timestamp_ntz")
        n = _count(staged, late)
        if n:
            raise rules.after_observation_end(end, name, cols["timestamp"], n,
                                              _examples(staged, late, F.col("timestamp__raw")))
    parsed = staged.select(*out.keys())
    if "order_id" in out:
        oid = F.col("order_id")
        clash = (parsed.filter(oid.isNotNull()).groupBy("order_id").agg(F.countDistinct("customer_id").alias("c"),
                                                                        F.count("*").alias("n"))
                 .filter("c > 1").orderBy("order_id"))
        found = clash.limit(3).collect()
        if found:
            rows = int(clash.agg(F.sum("n")).collect()[0][0])
            raise rules.order_conflicts(name, cols["order_id"], rows, [r["order_id"] for r in found])
        with_id = parsed.filter(oid.isNotNull())
        unique = with_id.dropDuplicates()
        dropped = with_id.count() - unique.count()
        if dropped:
            parsed = unique.unionByName(parsed.filter(oid.isNull()))
            notes.append(f"{dropped:,} row{'s' if dropped > 1 else ''} that repeat{'' if dropped > 1 else 's'} another "
                         "row exactly (same order id, customer, time and amount; overlapping exports) dropped")
    if per != 1:
        notes.append(f"{cols['amount']}: amounts read in {options.amount_unit} and divided by {per}")
    return parsed, notes, warnings


def stage(table: str, source, out: Path, mapping=None, options=None) -> dict:
    """Read the transactions with Spark and write the parsed columns to ``out`` (a folder of Parquet
    parts) with its record beside it (:func:`superkit.data.store.stage`'s format, engine ``spark``)."""
    import json
    import shutil

    from superkit.data.store import SIDECAR, STAGED_FORMAT

    if table != "transactions":
        raise DataError(f"the Spark engine stages the transactions only, not {table}", source=str(source),
                        fix="the other tables are small; the report reads them as usual.")
    spark = session()
    parsed, notes, warnings = read_transactions(spark, source, mapping, options=options)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    parsed.write.mode("overwrite").parquet(str(tmp))
    rows = spark.read.parquet(str(tmp)).count()
    cols = parsed.columns
    kinds = {"customer_id": "id", "timestamp": "time", "amount": "amount"}
    meta = {"format": STAGED_FORMAT, "engine": "spark", "table": table, "source": str(source), "columns": cols,
            "kinds": {c: kinds.get(c, "text") for c in cols}, "theirs": {c: c for c in cols}, "rows": int(rows),
            "notes": notes, "warnings": warnings}
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    side = out.with_name(out.name + SIDECAR)
    side.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    return meta


# --------------------------------------------------------------------------------------------
# The summary on Spark
# --------------------------------------------------------------------------------------------
@dataclass
class SparkEngine:
    """Run ``summary.sql`` on Spark SQL. ``notes`` and ``warnings``: what the last read did."""

    name: str = "spark"

    def __post_init__(self):
        self.notes: list[str] = []
        self.warnings: list[str] = []

    def _summary(self, source, observation_end, calibration_end, unit, mapping, options):
        from pyspark.sql import functions as F

        from superkit.data.store import is_store, staged_meta
        from superkit.data.summary import render

        spark = session()
        if is_store(source) or (isinstance(source, (str, os.PathLike)) and staged_meta(source)):
            from superkit.data.store import check_end, open_staged
            store = source if is_store(source) else open_staged(source, "transactions")
            check_end(store, observation_end)
            parsed = spark.read.parquet(str(store.path))
            self.notes, self.warnings = list(store.attrs.get("notes", [])), list(store.attrs.get("warnings", []))
        else:
            parsed, self.notes, self.warnings = read_transactions(spark, source, mapping, observation_end, options)
        days = parsed.select("customer_id", F.unix_date(F.to_date("timestamp")).cast("long").alias("day_num"),
                             "amount")
        view = _view(spark, days, "days")
        sql = "\n".join(line for line in render(view, observation_end, calibration_end, unit).splitlines()
                        if not line.lstrip().startswith("--"))
        return spark, spark.sql(sql), view

    def summarize(self, source, observation_end, calibration_end=None, unit: str = "D",
                  mapping: Mapping[str, str] | None = None, options=None) -> "pd.DataFrame":
        """One row per customer (see :func:`superkit.data.summary.summarize`)."""
        from superkit.data.summary import HOLDOUT_COLUMNS, SUMMARY_COLUMNS, no_purchases

        spark, result, view = self._summary(source, observation_end, calibration_end, unit, mapping, options)
        try:
            df = _to_pandas(result)
        finally:
            spark.catalog.dropTempView(view)
        if len(df) == 0:
            raise no_purchases(source)
        df["customer_id"] = df["customer_id"].astype(str)
        df = df.set_index("customer_id").sort_index()
        return df[SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if calibration_end is not None else [])]

    def summarize_to_file(self, source, out, observation_end, calibration_end=None, unit: str = "D",
                          mapping: Mapping[str, str] | None = None, options=None) -> int:
        """Summarise on Spark and write CSV or Parquet (the per-customer table comes to the driver)."""
        from superkit.core.io import atomic_write_frame

        df = self.summarize(source, observation_end, calibration_end, unit, mapping, options)
        atomic_write_frame(df.reset_index(), Path(out), index=False)
        return int(len(df))
