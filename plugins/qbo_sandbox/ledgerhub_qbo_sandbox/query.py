"""The subset of QBO's query language the sandbox understands.

``SELECT * | COUNT(*) | field, ... FROM Entity [WHERE cond AND cond ...] [ORDER BY field [ASC|DESC]]
[STARTPOSITION n] [MAXRESULTS n]`` where a condition is ``field (= | != | < | > | <= | >= | LIKE) value``
or ``field IN (value, ...)``. String literals use single quotes and ``\\'`` for a quote, as
python-quickbooks writes them; string comparisons ignore case. Like QBO, a query of a name list
(customers, vendors, items, accounts, employees) returns only active objects unless it filters
on ``Active``; at most 1000 objects per answer, 100 when MAXRESULTS is not given.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerhub_qbo_sandbox import errors
from ledgerhub_qbo_sandbox.company import ENTITIES, present
from ledgerhub_qbo_sandbox.names import customer_balances
from ledgerhub_qbo_sandbox.store import Realm

NAME_LISTS = ("Customer", "Vendor", "Item", "Account", "Employee")
QUERYABLE = frozenset(
    "Id Name DisplayName DocNumber Active FullyQualifiedName TxnDate Type GivenName FamilyName CompanyName "
    "CustomerRef AccountType Sku Balance TotalAmt RateValue MetaData.CreateTime "
    "MetaData.LastUpdatedTime".split()
)
#: Fields the server computes when an object is read (so a query on them needs the computed value).
COMPUTED = frozenset({"Balance", "RateValue"})
_NUMERIC = re.compile(r"-?\d+(\.\d+)?")
_OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 1000
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),*])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


@dataclass
class Condition:
    """``field op value`` (``values`` holds the list for IN)."""

    field: str
    op: str
    values: list[Any]
    path: list[str] = field(default_factory=list, compare=False)
    wanted: list[Any] = field(default_factory=list, compare=False)
    pattern: re.Pattern[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Computed once per query, not once per row.
        self.path = self.field.split(".")
        self.wanted = [_comparable(value) for value in self.values]
        if self.op == "LIKE":
            parts = str(self.values[0]).casefold().split("%")
            self.pattern = re.compile("^" + ".*".join(re.escape(part) for part in parts) + "$", re.DOTALL)


@dataclass
class Query:
    """A parsed SELECT."""

    entity: str
    count: bool = False
    columns: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def parse(text: str) -> Query:
    """Parse a statement or raise 4000 (syntax) / 4001 (unsupported)."""
    tokens = _tokenize(text)
    reader = _Reader(tokens)
    reader.keyword("SELECT")
    count = False
    columns: list[str] = []
    if reader.peek_word("COUNT"):
        reader.next()
        reader.punct("(")
        reader.punct("*")
        reader.punct(")")
        count = True
    else:
        while True:
            token = reader.next()
            if token != ("punct", "*") and token[0] != "word":
                raise errors.query_syntax(f"unexpected {token[1]!r} in the column list")
            columns.append(token[1])
            if not reader.accept_punct(","):
                break
    reader.keyword("FROM")
    entity_word = reader.word()
    entity = next((name for name in ENTITIES.values() if name.lower() == entity_word.lower()), None)
    if entity is None:
        raise errors.query_invalid(f"entity {entity_word!r} is not supported")
    query = Query(entity=entity, count=count, columns=columns)
    if reader.accept_word("WHERE"):
        query.conditions.append(_condition(reader))
        while reader.accept_word("AND"):
            query.conditions.append(_condition(reader))
    if reader.accept_word("ORDERBY") or (reader.accept_word("ORDER") and reader.keyword("BY") is None):
        query.order_by = _queryable(reader.word())
        if reader.accept_word("DESC"):
            query.descending = True
        else:
            reader.accept_word("ASC")
    if reader.accept_word("STARTPOSITION"):
        query.start = reader.integer()
    if reader.accept_word("MAXRESULTS"):
        query.max_results = reader.integer()
        if not 1 <= query.max_results <= MAX_RESULTS:
            raise errors.query_invalid(f"MAXRESULTS must be between 1 and {MAX_RESULTS}")
    if reader.position < len(tokens):
        raise errors.query_syntax(f"unexpected {tokens[reader.position][1]!r}")
    if query.start < 1:
        raise errors.query_invalid("STARTPOSITION must be 1 or more")
    return query


def run(realm: Realm, text: str) -> dict[str, Any]:
    """Run a statement on a realm; the body of QBO's answer."""
    query = parse(text)
    conditions = list(query.conditions)
    if query.entity in NAME_LISTS and not any(cond.field == "Active" for cond in conditions):
        conditions.append(Condition("Active", "=", [True]))
    order = query.order_by or "Id"
    # Computed fields are filled in for every row only when the query looks at them.
    computed = bool(COMPUTED & {order, *(cond.field for cond in conditions)})
    with realm.lock:
        rows = list(realm.table(query.entity).values())
        balances = customer_balances(realm) if query.entity == "Customer" else None
        if computed:
            rows = [present(realm, query.entity, row, balances) for row in rows]
        rows = [row for row in rows if all(_matches(row, cond) for cond in conditions)]
        if query.count:
            return {"QueryResponse": {"totalCount": len(rows)}}
        order_path = order.split(".")
        rows.sort(key=lambda row: _sort_key(_value(row, order_path)), reverse=query.descending)
        page = rows[query.start - 1 : query.start - 1 + query.max_results]
        if not computed:
            page = [present(realm, query.entity, row, balances) for row in page]
    if not page:
        return {"QueryResponse": {}}
    if query.columns and "*" not in query.columns:
        wanted = set(query.columns) | {"Id", "SyncToken", "MetaData", "domain", "sparse"}
        page = [{key: value for key, value in row.items() if key in wanted} for row in page]
    return {"QueryResponse": {query.entity: page, "startPosition": query.start, "maxResults": len(page)}}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise errors.query_syntax(
                f"unexpected character at position {position}: {text[position : position + 10]!r}"
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def next(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise errors.query_syntax("the statement ends too early")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def peek_word(self, word: str) -> bool:
        return (
            self.position < len(self.tokens)
            and self.tokens[self.position][0] == "word"
            and self.tokens[self.position][1].upper() == word
        )

    def accept_word(self, word: str) -> bool:
        if self.peek_word(word):
            self.position += 1
            return True
        return False

    def keyword(self, word: str) -> None:
        if not self.accept_word(word):
            found = self.tokens[self.position][1] if self.position < len(self.tokens) else "the end"
            raise errors.query_syntax(f"expected {word} but found {found!r}")

    def word(self) -> str:
        kind, value = self.next()
        if kind != "word":
            raise errors.query_syntax(f"expected a name but found {value!r}")
        return value

    def integer(self) -> int:
        kind, value = self.next()
        if kind != "number" or not value.isdigit():
            raise errors.query_syntax(f"expected a whole number but found {value!r}")
        return int(value)

    def punct(self, char: str) -> None:
        if self.next() != ("punct", char):
            raise errors.query_syntax(f"expected {char!r}")

    def accept_punct(self, char: str) -> bool:
        if self.position < len(self.tokens) and self.tokens[self.position] == ("punct", char):
            self.position += 1
            return True
        return False


def _queryable(name: str) -> str:
    if name not in QUERYABLE:
        raise errors.query_invalid(f"property '{name}' is not queryable")
    return name


def _condition(reader: _Reader) -> Condition:
    name = _queryable(reader.word())
    if reader.accept_word("IN"):
        reader.punct("(")
        values = [_literal(reader)]
        while reader.accept_punct(","):
            values.append(_literal(reader))
        reader.punct(")")
        return Condition(name, "IN", values)
    if reader.accept_word("LIKE"):
        return Condition(name, "LIKE", [_literal(reader)])
    kind, op = reader.next()
    if kind != "op":
        raise errors.query_syntax(f"expected an operator after {name} but found {op!r}")
    return Condition(name, "!=" if op == "<>" else op, [_literal(reader)])


def _literal(reader: _Reader) -> Any:
    kind, value = reader.next()
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if kind == "number":
        return Decimal(value)
    if kind == "word" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise errors.query_syntax(f"expected a value but found {value!r}")


def _value(row: dict[str, Any], path: list[str]) -> Any:
    value: Any = row
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    return value


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | int):
        return Decimal(value)
    text = str(value)
    if _NUMERIC.fullmatch(text):
        return Decimal(text)
    return text.casefold()


def _matches(row: dict[str, Any], cond: Condition) -> bool:
    actual = _comparable(_value(row, cond.path))
    if cond.op == "IN":
        return actual in cond.wanted
    if cond.pattern is not None:
        return actual is not None and cond.pattern.match(str(actual)) is not None
    if actual is None:
        return cond.op == "!="
    try:
        return bool(_OPERATORS[cond.op](actual, cond.wanted[0]))
    except TypeError:  # a number compared with text matches nothing, as in QBO
        return cond.op == "!="


def _sort_key(value: Any) -> tuple[int, Any]:
    comparable = _comparable(value)
    if comparable is None:
        return (0, "")
    if isinstance(comparable, Decimal):
        return (1, comparable)
    return (2, str(comparable))
