"""Read a CDISC Dataset-JSON 1.1 file (.json) or its NDJSON form (.ndjson) of a study data folder
into text columns (helpers.data.formats: the cells a CSV would hold), in chunks of rows.

Rules (data-spec.md, File formats; CDISC DataExchange-DatasetJson, doc/dataset-json1-1.md and
doc/dataset-json-ndjson1-1.md), in the order they are checked; each structural error is a
FormatError naming what is wrong (which `columns` entry, which row or line):
1. UTF-8 JSON (a byte-order mark is allowed); NaN and Infinity are not JSON. A .json file is one
   object; an .ndjson file has the metadata object on line 1 and one row array a line.
2. The metadata (everything but `rows`) against METADATA_SCHEMA, checked with jsonschema: our
   transcription of the published schema's rules on what this reader uses (datasetJSONVersion
   1.1.x; the required keys; each `columns` entry with itemOID, name, label and a dataType of
   DATA_TYPES), lenient where real writers are: other keys are ignored, and a label may be []
   (as R's datasetjson package writes an empty label). The 1.0 layout (clinicalData /
   referenceData) is named as such. Column names are unique.
3. Each row an array of one value per column; an NDJSON line that does not parse is named, and
   a last line cut short "looks truncated".
4. `records` equals the number of rows ("looks truncated" when there are fewer).
Then per value, for the contract's columns only (the others are neither read nor checked): its
JSON type agrees with its column's dataType (ALLOWED: null always; numbers in integer, float
and double; a string of a decimal number, or a number, in decimal; true/false in boolean;
strings otherwise); one that does not is a cell error of that record. A decimal string's
surrounding spaces (" -7", as R's format() pads) are not part of the value.

The rows are parsed in chunks of about CHUNK_BYTES (json.loads of many rows at once), and each
chunk's columns turned into codes of distinct texts (helpers.data.formats), so that neither the
rows nor a Python object per cell of the whole file are ever held at once.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from helpers.data.formats import (
    FormatError,
    Part,
    RawTable,
    cell_errors,
    cell_text,
    distinct_texts,
    raw_frame,
    text_column,
)

DATA_TYPES = ("string", "integer", "decimal", "float", "double", "boolean", "datetime", "date",
              "time", "URI")
NUMBER = (int, float)
#: the Python types (json.loads) that a value of each dataType may have, besides None
ALLOWED: dict[str, tuple[type, ...]] = {
    "integer": NUMBER, "float": NUMBER, "double": NUMBER, "decimal": (str, *NUMBER),
    "boolean": (bool,),
} | {t: (str,) for t in ("string", "datetime", "date", "time", "URI")}
#: a decimal number as text, "." as decimal separator
DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_LABEL = {"anyOf": [{"type": "string"}, {"type": "array", "maxItems": 0}]}
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["datasetJSONCreationDateTime", "datasetJSONVersion", "itemGroupOID", "records",
                 "name", "label", "columns"],
    "properties": {
        "datasetJSONCreationDateTime": {"type": "string"},
        "datasetJSONVersion": {"type": "string", "pattern": r"^1\.1(\.(0|[1-9][0-9]*))?$"},
        "itemGroupOID": {"type": "string"},
        "records": {"type": "integer", "minimum": 0},
        "name": {"type": "string"},
        "label": _LABEL,
        "columns": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["itemOID", "name", "label", "dataType"],
            "properties": {
                "itemOID": {"type": "string"},
                "name": {"type": "string", "minLength": 1},
                "label": _LABEL,
                "dataType": {"enum": list(DATA_TYPES)},
                "targetDataType": {"enum": ["integer", "decimal"]},
            },
        }},
    },
}
#: bytes of rows parsed at once
CHUNK_BYTES = 1 << 22
BOM = b"\xef\xbb\xbf"
TRUNCATED = "the file looks truncated (cut short)"
_ROWS = re.compile(rb'"rows"\s*:\s*\[')
_ROW_END = re.compile(rb"\]\s*,")
_SPACE = re.compile(rb"\s*")


def read_dataset_json(path: Path, columns: Collection[str]) -> RawTable:
    """The file's `columns` (those it has) as text columns (module docstring); .ndjson files in
    their NDJSON form. Raises FormatError when the file breaks rules 1-4."""
    data = Path(path).read_bytes().removeprefix(BOM)
    with _no_gc():
        if Path(path).suffix == ".ndjson":
            return _read_ndjson(data, columns)
        return _read_json(data, columns)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Parsing creates millions of containers, none of them cyclic: the cyclic garbage collector
    would only run over them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _reject_constant(name: str) -> None:
    raise FormatError(f"{name} is not JSON (a number must be finite)")


def _loads(text: bytes | str, where: str) -> Any:
    """json.loads (rule 1); `where` names the part of the file in the message."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise FormatError(f"{where} is not UTF-8 ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise _not_json(exc, where) from exc


def _not_json(exc: json.JSONDecodeError, where: str) -> FormatError:
    """The message of a parse error; one at the end of the text means the file was cut short."""
    cut = exc.pos >= len(exc.doc.rstrip()) - 1
    return FormatError(f"{where} is not valid JSON ({exc.msg} at character {exc.pos})"
                       + (f": {TRUNCATED}" if cut else ""))


class _Columns:
    """The contract's columns of a file, built chunk by chunk of rows (the value rules of the
    module docstring)."""

    def __init__(self, metadata: Any, wanted: Collection[str], ndjson: bool = False) -> None:
        _check_metadata(metadata)
        self.metadata = metadata
        self.ndjson = ndjson  # a message names an NDJSON row by its line (row k = line k + 1)
        self.width = len(metadata["columns"])
        self.read = [(i, c["name"], c["dataType"]) for i, c in enumerate(metadata["columns"])
                     if c["name"] in wanted]
        self.parts: dict[str, list[Part]] = {name: [] for _, name, _ in self.read}
        self.errors: list[tuple[str, int, str, str]] = []
        self.n_rows = 0

    def add(self, rows: Any) -> None:
        """One chunk of rows (rule 3)."""
        if not isinstance(rows, list):
            raise FormatError("`rows` must be an array of row arrays")
        if rows and (set(map(type, rows)) != {list} or set(map(len, rows)) != {self.width}):
            k, row = next((k, r) for k, r in enumerate(rows)
                          if not isinstance(r, list) or len(r) != self.width)
            row_number = self.n_rows + k + 1
            name = f"line {row_number + 1} (a row)" if self.ndjson else f"row {row_number}"
            shape = f"has {len(row)} values" if isinstance(row, list) else "is not an array"
            raise FormatError(f"{name} {shape}; `columns` has {self.width} (one value each)")
        for i, name, data_type in self.read:
            values = self._checked(list(map(itemgetter(i), rows)), name, data_type)
            if data_type == "decimal":
                part = distinct_texts(values, _decimal_text)
                self._check_decimals(part, name)
            else:
                part = distinct_texts(values)
            self.parts[name].append(part)
        self.n_rows += len(rows)

    def _checked(self, values: list[Any], name: str, data_type: str) -> list[Any]:
        """The values, each of a type its dataType allows; one that is not is a cell error and
        is replaced by its text (so that an array or object in a row is a value too)."""
        allowed = {*ALLOWED[data_type], type(None)}
        if set(map(type, values)) <= allowed:
            return values
        rule = _type_rule(name, data_type)
        wrong = [k for k, v in enumerate(values) if type(v) not in allowed]
        self.errors += [(name, self.n_rows + k + 1, cell_text(values[k]), rule) for k in wrong]
        for k in wrong:
            values[k] = cell_text(values[k])
        return values

    def _check_decimals(self, part: Part, name: str) -> None:
        codes, texts = part
        for position, text in enumerate(texts):
            if not DECIMAL.fullmatch(text):
                rule = _type_rule(name, "decimal")
                self.errors += [(name, self.n_rows + int(k) + 1, text, rule)
                                for k in np.flatnonzero(codes == position)]

    def table(self) -> RawTable:
        """The columns read (rule 4 checked first)."""
        records = self.metadata["records"]
        if records != self.n_rows:
            cut = f": {TRUNCATED}" if records > self.n_rows else ""
            raise FormatError(f"`records` says {records} but the file holds {self.n_rows} rows"
                              + cut)
        text = {name: text_column(parts) for name, parts in self.parts.items()}
        return RawTable(raw_frame(text, self.n_rows), cell_errors(self.errors))


def _decimal_text(value: Any) -> str:
    """A decimal value's text: a string without its surrounding spaces, a number by cell_text."""
    return value.strip() if isinstance(value, str) else cell_text(value)


def _type_rule(column: str, data_type: str) -> str:
    kinds = {"decimal": 'a decimal number as a JSON string ("." as decimal separator, e.g. '
                        '"30.8983") or a JSON number',
             "boolean": "true or false"}
    kind = kinds.get(data_type, "a JSON number" if ALLOWED[data_type] == NUMBER else "JSON text")
    article = "an" if data_type[0] in "aeiou" else "a"
    return f"{column} is {article} {data_type} column: each value must be {kind} or null"


def _check_metadata(metadata: Any) -> None:
    """Rule 2 (module docstring)."""
    if not isinstance(metadata, dict):
        raise FormatError("the metadata must be a JSON object (Dataset-JSON 1.1)")
    if isinstance(metadata, dict) and ("clinicalData" in metadata or
                                       "referenceData" in metadata):
        raise FormatError("this is the Dataset-JSON 1.0 layout (clinicalData / referenceData); "
                          "Dataset-JSON 1.1 is required (datasetJSONVersion, columns, rows)")
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(METADATA_SCHEMA).iter_errors(metadata))
    if error is not None:
        raise FormatError(_where(metadata, list(error.absolute_path)) + error.message)
    names = [c["name"] for c in metadata["columns"]]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise FormatError(f"column names must be unique: {', '.join(repeated)} repeated")


def _where(metadata: Any, path: list[str | int]) -> str:
    """Where in the metadata a schema error is: "`columns` entry 3 (AGE), dataType: "."""
    if not path:
        return ""
    if path[0] == "columns" and len(path) > 1:
        entry = metadata["columns"][path[1]]
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"`columns` entry {path[1] + 1}" + (f" ({name})" if isinstance(name, str) else "")
        return where + "".join(f", {p}" for p in path[2:]) + ": "
    return f"`{'.'.join(map(str, path))}`: "


def _read_json(data: bytes, wanted: Collection[str]) -> RawTable:
    """A .json file: the rows are parsed in chunks when the metadata before `rows` holds the
    columns (as writers write it), else the file is parsed at once (the same rules)."""
    found = _ROWS.search(data)
    head = _head_metadata(data, found)
    if head is None or "columns" not in head:
        document = _loads(data, "the file")
        rows = document.pop("rows", []) if isinstance(document, dict) else []
        columns = _Columns(document, wanted)
        columns.add(rows)
        return columns.table()
    assert found is not None
    chunks, end = _row_chunks(data, found.end())
    tail = _loads(data[:found.start()] + b'"rows":[]' + data[end:], "the file")
    if tail.pop("rows") != []:
        raise FormatError("`rows` must be given once")
    columns = _Columns(tail, wanted)
    for chunk in chunks:
        columns.add(chunk)
    return columns.table()


def _head_metadata(data: bytes, found: re.Match[bytes] | None) -> dict[str, Any] | None:
    """The keys before `rows` as an object, or None when the match is not the top-level `rows`
    (then the text before it is not the start of one object)."""
    if found is None:
        return None
    try:
        head = json.loads(data[:found.start()] + b'"rows":[]}')
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return head if isinstance(head, dict) else None


def _row_chunks(data: bytes, start: int) -> tuple[list[list[Any]], int]:
    """The rows of the array that starts at `start` (after its "["), parsed in chunks, and the
    position after its closing "]". A chunk ends at the first "]," after CHUNK_BYTES that
    completes a row; the last one (or one that will not parse so) is parsed by raw_decode up to
    the closing "]", which also reports a file cut short."""
    chunks, position = [], start
    while True:
        position = _SPACE.match(data, position).end()  # type: ignore[union-attr]
        if data[position:position + 1] == b"]":
            return chunks, position + 1
        end = _ROW_END.search(data, position + CHUNK_BYTES)
        if end is not None:
            try:
                chunks.append(json.loads(b"[" + data[position:end.start() + 1] + b"]",
                                         parse_constant=_reject_constant))
                position = end.end()
                continue
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass  # a "]," inside a text, or the end of `rows`: parsed below
        rest = "[" + _decoded(data[position:])
        try:
            rows, stop = json.JSONDecoder(parse_constant=_reject_constant).raw_decode(rest)
        except json.JSONDecodeError as exc:
            raise _not_json(exc, "`rows`") from exc
        chunks.append(rows)
        return chunks, position + len(rest[1:stop].encode("utf-8"))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 ({exc})") from exc


def _read_ndjson(data: bytes, wanted: Collection[str]) -> RawTable:
    """An .ndjson file: line 1 the metadata, each further line a row (rules 1-4); the lines are
    parsed in chunks of about CHUNK_BYTES, and a chunk that does not parse line by line to name
    the line."""
    first = data.find(b"\n")
    first = len(data) if first < 0 else first
    columns = _Columns(_loads(data[:first], "line 1 (the metadata)"), wanted, ndjson=True)
    body = data[first + 1:]
    position, line = 0, 2
    while position < len(body):
        end = body.find(b"\n", position + CHUNK_BYTES)
        end = len(body) if end < 0 else end
        lines = body[position:end].rstrip(b"\n").split(b"\n")
        try:
            rows = json.loads(b"[" + b",".join(lines) + b"]", parse_constant=_reject_constant)
        except (UnicodeDecodeError, json.JSONDecodeError):
            rows = [_ndjson_row(text, line + k, last=end == len(body) and k == len(lines) - 1)
                    for k, text in enumerate(lines)]
        columns.add(rows)
        position, line = end + 1, line + len(lines)
    return columns.table()


def _ndjson_row(text: bytes, line: int, last: bool) -> Any:
    """One NDJSON line parsed; a last line that does not parse was cut short."""
    try:
        return _loads(text, f"line {line}")
    except FormatError as exc:
        if last:
            raise FormatError(f"line {line}, the last, is not a complete row: {TRUNCATED}"
                              ) from exc
        raise
