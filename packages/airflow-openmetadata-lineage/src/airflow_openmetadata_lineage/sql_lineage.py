"""Lineage from the SQL a task ran: table edges and column lineage, with no annotation.

A *SQL task* is an operator with a ``sql`` attribute and a ``get_db_hook()`` method
(``SQLExecuteQueryOperator`` and every ``BaseSQLOperator``, on PostgreSQL, SQL Server, ...).
When it succeeds, its (rendered) SQL is split into statements with ``sqlparse.split`` (what the
SQL provider's ``DbApiHook.split_sql_string`` uses) and each statement is parsed on its own by the ``openlineage-sql``
parser (the parser of the OpenLineage provider, extra ``sql``). The hook says what the provider's
extractors would: its dialect (``get_openlineage_database_dialect``), its namespace
(``DbApiHook.get_openlineage_authority_part``) and its default schema
(``get_openlineage_default_schema``: one query, made only when a statement names a table
without its schema; the dialect's default when it fails).

Rules (each statement counts, in order):

- a statement that writes tables draws an edge from every table it reads to every table it
  writes; a read-only statement (``SELECT``) or one that reads nothing (``TRUNCATE``,
  ``CREATE TABLE (...)``, ``INSERT ... VALUES``, ``DROP``) draws none; no self-edge;
- CTEs and subqueries are resolved by the parser to the tables they read;
- a temporary table (``CREATE TEMP TABLE``, ``SELECT ... INTO TEMP``, SQL Server ``#name``,
  schema ``pg_temp``) is never an edge end: a later statement reading it gets the temp
  table's own sources instead (followed through, with its column lineage), so
  ``a -> tmp -> b`` becomes ``a -> b``. Recognising ``TEMP`` is a keyword test of the statement's
  head, not parsing;
- column lineage (``toColumn`` <- ``fromColumns``) comes from the parser's column lineage, per
  edge (only the source columns of that edge's source table); the parser gives no function;
- a statement the parser cannot parse is reported (its number and head) and skipped; the others
  still count.

Tables are mapped to OpenMetadata as table Assets are (``AssetServices.service_for`` on
``scheme://host:port`` + ``database``), else to the service named like the task's connection
(the convention of ``asset_connections``). Tables not in the catalog are the sender's business
(one warning each; the other edges are sent).

Importing this module is cheap; ``openlineage_sql`` (a compiled parser, ~1 ms) is imported
when a task is parsed. The provider's ``SQLParser`` module is not imported: it costs ~0.6 s per
task process (it loads ``airflow.models``), more than the whole lineage budget.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from airflow_openmetadata_lineage import fqn as fqn_lib
from airflow_openmetadata_lineage.assets import AssetServices, TableAssetRef
from airflow_openmetadata_lineage.config import DEFAULT_PORTS
from airflow_openmetadata_lineage.sender import Edge

log = logging.getLogger("airflow_openmetadata_lineage")

OPT_OUT_PARAM = "openmetadata_sql_lineage"
OPT_OUT_TAG = "openmetadata_lineage:no_sql"
DEFAULT_SCHEMAS = {"postgres": "public", "redshift": "public", "mssql": "dbo"}
_TEMP_HEAD = re.compile(
    r"^\s*(?:create\s+(?:(?:global|local)\s+)?(?:temp|temporary)\s+(?:unlogged\s+)?table\b"
    r"|select\b.*?\binto\s+(?:temp|temporary)\b)", re.IGNORECASE | re.DOTALL)
_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*(?:\n|$)|\s*/\*.*?\*/)*\s*", re.DOTALL)
_availability: dict[str, str | None] = {}

Key = tuple[str, str, str]  # (database, schema, table) as OpenMetadata names them
Col = tuple[Key, str]


@dataclass
class SqlLineage:
    """What a task's SQL says: its edges (with details), and problems to report as warnings."""

    edges: tuple[Edge, ...] = ()
    statements: int = 0
    problems: list[str] = field(default_factory=list)


def is_sql_task(task: Any) -> bool:
    """Cheap: does the operator run SQL through a DB-API hook?"""
    return (task is not None and isinstance(getattr(task, "sql", None), (str, list, tuple))
            and callable(getattr(task, "get_db_hook", None)))


def opt_out_reason(task: Any) -> str | None:
    """Why this task's SQL is not to be parsed (DAG tag, DAG or task param), else None."""
    dag = getattr(task, "dag", None)
    if OPT_OUT_TAG in (getattr(dag, "tags", None) or ()):
        return f"its DAG has the tag {OPT_OUT_TAG!r}"
    params = getattr(task, "params", None)
    try:
        value = params[OPT_OUT_PARAM] if params is not None and OPT_OUT_PARAM in params else None
    except Exception:
        value = None
    if value is not None and str(value).strip().lower() in {"false", "0", "no", "off"}:
        return f"param {OPT_OUT_PARAM}={value!r}"
    return None


def parser_missing() -> str | None:
    """None when the automatic part can run; else why not (cached per process)."""
    if "reason" not in _availability:
        from importlib.util import find_spec

        reason = None
        try:
            if find_spec("airflow.providers.openlineage") is None:
                reason = "the OpenLineage provider is not installed"
            else:
                import openlineage_sql  # noqa: F401
        except Exception as exc:
            reason = f"the openlineage-sql parser cannot be imported ({type(exc).__name__}: {exc})"
        if reason:
            log.warning("openmetadata lineage: lineage from SQL is off: %s. Fix: pip install "
                        "'airflow-openmetadata-lineage[sql]' (Astro Runtime ships it)", reason)
        _availability["reason"] = reason
    return _availability["reason"]


def task_sql(task: Any, render: bool = False) -> list[str]:
    """The task's SQL as a list of texts; ``render``: resolve template files and Jinja first
    (a task of a parsed DAG, outside a run: the replay after a catalog refresh)."""
    if render:
        task.resolve_template_files()
        task.sql = task.render_template(task.sql, {}, task.get_template_env())
    sql = task.sql
    return [sql] if isinstance(sql, str) else [str(s) for s in sql]


class _Target:
    """Where a task's tables live: dialect, namespace, database, default schema, service."""

    def __init__(self, task: Any, services: AssetServices) -> None:
        from airflow.providers.common.sql.hooks.sql import DbApiHook

        self.hook = hook = task.get_db_hook()
        self.conn_id = getattr(hook, getattr(hook, "conn_name_attr", ""), None) or getattr(task, "conn_id", None)
        conn = hook.get_connection(self.conn_id)
        self.dialect = hook.get_openlineage_database_dialect(conn)
        self.authority = DbApiHook.get_openlineage_authority_part(conn, default_port=DEFAULT_PORTS.get(self.dialect))
        self.database = getattr(hook, "database", None) or conn.schema or ""
        self.services = services
        self._fqns: dict[Key, str] = {}
        self._default_schema: str | None = None

    @property
    def default_schema(self) -> str:
        """Asked of the database (one query) only when a statement names a table without its schema."""
        if self._default_schema is None:
            try:
                self._default_schema = (self.hook.get_openlineage_default_schema()
                                        or DEFAULT_SCHEMAS.get(self.dialect, ""))
            except Exception as exc:
                self._default_schema = DEFAULT_SCHEMAS.get(self.dialect, "")
                log.debug("default schema of %s not read (%s); using %r", self.conn_id, exc, self._default_schema)
        return self._default_schema

    @property
    def namespace(self) -> str:
        return f"{self.dialect}://{self.authority}"

    def fold(self, name: str | None, quoted: bool = False) -> str:
        """PostgreSQL folds unquoted names to lower case; SQL Server keeps them as written."""
        text = name or ""
        return text if quoted or self.dialect == "mssql" else text.lower()

    def key(self, table: Any) -> Key:
        style = getattr(table, "quote_style", None)
        quoted = {part: getattr(style, part, None) is not None for part in ("database", "schema", "name")}
        return (self.fold(table.database, quoted["database"]) or self.database,
                self.fold(table.schema, quoted["schema"]) or self.default_schema,
                self.fold(table.name, quoted["name"]))

    def table_fqn(self, key: Key) -> str:
        if key not in self._fqns:
            host, _, port = self.authority.rpartition(":")
            if not port.isdigit():
                host, port = self.authority, str(DEFAULT_PORTS.get(self.dialect, 0))
            ref = TableAssetRef(self.dialect, host, int(port), *key)
            service = self.services.service_for(ref) or str(self.conn_id)
            self._fqns[key] = fqn_lib.build(service, *key)
        return self._fqns[key]


def is_temp(key: Key, statement_creates_temp: bool) -> bool:
    return statement_creates_temp or key[2].startswith("#") or key[1].lower().startswith("pg_temp")


def _parse(statement: str, dialect: str) -> Any:
    from openlineage_sql import parse

    try:
        # No default schema: a table named without one gets the database's (asked only then).
        return parse([statement], dialect=dialect, default_schema=None)
    except BaseException as exc:  # the Rust parser panics as a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ValueError(f"parser crashed: {type(exc).__name__}: {exc}") from None


class _Graph:
    """Edges and column lineage accumulated over a task's statements, temp tables followed through."""

    def __init__(self) -> None:
        self.temps: dict[Key, set[Key]] = {}
        self.temp_columns: dict[Key, dict[str, set[Col]]] = {}
        self.temp_sql: dict[Key, list[str]] = {}
        self.edges: dict[tuple[Key, Key], dict[str, Any]] = {}

    def sources(self, key: Key) -> set[Key]:
        return set(self.temps[key]) if key in self.temps else {key}

    def column_sources(self, col: Col) -> set[Col]:
        table, name = col
        if table in self.temps:
            return set(self.temp_columns.get(table, {}).get(name, ()))
        return {col}

    def add(self, statement: str, ins: Iterable[Key], outs: list[Key], columns: dict[str, set[Col]],
            creates_temp: bool) -> None:
        sources: set[Key] = set()
        used_temps: list[Key] = []
        for key in ins:
            sources |= self.sources(key)
            if key in self.temps:
                used_temps.append(key)
        resolved = {to: {c for col in cols for c in self.column_sources(col)} for to, cols in columns.items()}
        for out in outs:
            if out in self.temps or is_temp(out, creates_temp):
                self.temps.setdefault(out, set()).update(sources - {out})
                for to, cols in resolved.items():
                    self.temp_columns.setdefault(out, {}).setdefault(to, set()).update(cols)
                self.temp_sql.setdefault(out, []).append(statement)
                continue
            for source in sorted(sources - {out}):
                edge = self.edges.setdefault((source, out), {"sql": [], "columns": {}})
                for temp in used_temps:
                    edge["sql"] += [s for s in self.temp_sql.get(temp, []) if s not in edge["sql"]]
                if statement not in edge["sql"]:
                    edge["sql"].append(statement)
                for to, cols in resolved.items():
                    names = {name for table, name in cols if table == source}
                    if names:
                        edge["columns"].setdefault(to, set()).update(names)


def sql_lineage(task: Any, *, services: AssetServices, render: bool = False) -> SqlLineage:
    """The edges of a SQL task's statements (see the module doc). Raises only for what makes the
    whole task unusable (no connection, an unknown hook); a bad statement is a problem, not an error."""
    import sqlparse

    texts = task_sql(task, render=render)
    target = _Target(task, services)
    # sqlparse.split, as DbApiHook.split_sql_string does, without its comment-stripping format()
    # pass (3/4 of its time: 16 ms for film_revenue.sql, 124 ms for 200 lines); the parser
    # skips comments itself.
    statements = [s for text in texts for s in sqlparse.split(text) if s.strip()]
    result = SqlLineage(statements=len(statements))
    graph = _Graph()
    for number, statement in enumerate(statements, start=1):
        code = _LEADING_COMMENTS.sub("", statement)
        head = " ".join(code.split())[:80]
        if not code.strip():
            continue  # only comments
        try:
            meta = _parse(statement, target.dialect)
        except ValueError as exc:
            result.problems.append(f"statement {number} ({head!r}) could not be parsed: {exc}; it is skipped")
            continue
        if meta is None or meta.errors:
            detail = "; ".join(e.message for e in (meta.errors if meta else []))[:200] or "no result"
            result.problems.append(f"statement {number} ({head!r}) could not be parsed ({target.dialect}): "
                                   f"{detail}; it is skipped")
            continue
        outs = list(dict.fromkeys(target.key(t) for t in meta.out_tables))
        if not outs:
            continue  # read-only
        columns: dict[str, set[Col]] = {}
        origins: list[Key] = []
        for lineage in meta.column_lineage:
            for column in lineage.lineage:
                if column.origin is not None:
                    origin = target.key(column.origin)
                    origins.append(origin)
                    columns.setdefault(target.fold(lineage.descendant.name), set()).add(
                        (origin, target.fold(column.name)))
        # The parser leaves out the tables of some CTE shapes (WITH ... INSERT) but resolves their
        # columns: a column's origin table is read by the statement too.
        ins = list(dict.fromkeys([target.key(t) for t in meta.in_tables] + origins))
        if len(outs) > 1:
            columns = {}  # the parser's column lineage does not say which output it belongs to
        graph.add(statement, ins, outs, columns, bool(_TEMP_HEAD.match(code)))
    edges = []
    for (source, out), info in graph.edges.items():
        source_fqn, target_fqn = target.table_fqn(source), target.table_fqn(out)
        details: dict[str, Any] = {"sqlQuery": ";\n".join(s.rstrip().rstrip(";") for s in info["sql"]) + ";"}
        column_lineage = [
            {"fromColumns": [fqn_lib.build(*fqn_lib.split(source_fqn), name) for name in sorted(names)],
             "toColumn": fqn_lib.build(*fqn_lib.split(target_fqn), to)}
            for to, names in sorted(info["columns"].items())
        ]
        if column_lineage:
            details["columnsLineage"] = column_lineage
        edges.append(Edge(source_fqn, target_fqn, tuple(sorted(details.items()))))
    result.edges = tuple(edges)
    return result
