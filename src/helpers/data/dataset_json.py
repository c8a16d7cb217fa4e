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

How: the rows are parsed in chunks of about CHUNK_BYTES (json.loads of many rows at once), and
each chunk's columns turned into codes of distinct texts (helpers.data.formats), so that neither
the rows nor a Python object per cell of the whole file are ever held at once. An NDJSON file
whose lines split into their fields at commas (no comma inside a text) is read faster still:
pyarrow's CSV reader splits the lines on all cores and each distinct token is decoded by json
once (`_rows_by_arrow`); the same rules, the same cells and messages.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from helpers.data.csv_reader import CELL_TYPE
from helpers.data.formats import (
    FormatError,
    Part,
    RawTable,
    cell_errors,
    cell_text,
    factorized,
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
#: the part of METADATA_SCHEMA that reading the rows needs
COLUMNS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["columns"],
    "properties": {"columns": METADATA_SCHEMA["properties"]["columns"]},
}
#: bytes of rows parsed at once
CHUNK_BYTES = 1 << 22
BOM = b"\xef\xbb\xbf"
TRUNCATED = "the file looks truncated (cut short)"
_ROWS = re.compile(rb'"rows"\s*:\s*\[')
_ROW_END = re.compile(rb"\]\s*,")
#: "]" tried from the end of a .json file as the end of `rows` (_json_rows_by_arrow)
TAIL_TRIES = 8
_SPACE = re.compile(rb"\s*")


def read_dataset_json(path: Path, columns: Collection[str]) -> RawTable:
    """The file's `columns` (those it has) as text columns (module docstring); .ndjson files in
    their NDJSON form. Raises FormatError when the file breaks rules 1-4."""
    with _no_gc():
        if Path(path).suffix == ".ndjson":
            return _read_ndjson(Path(path), columns)
        return _read_json(_file_bytes(Path(path)), columns)


def _file_bytes(path: Path) -> bytearray:
    """The file's bytes without a byte-order mark, in a buffer that the fast path may edit in
    place (one copy of the file in memory)."""
    data = bytearray(path.stat().st_size)
    with path.open("rb") as f:
        f.readinto(data)
    if data.startswith(BOM):
        del data[:len(BOM)]
    return data


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
    cut = exc.pos >= len(exc.doc.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
    return FormatError(f"{where} is not valid JSON ({exc.msg} at character {exc.pos})"
                       + (f": {TRUNCATED}" if cut else ""))


class _Shown(str):
    """The text of a value already reported as of the wrong type (not checked again)."""


class _Columns:
    """The contract's columns of a file, built chunk by chunk of rows (the value rules of the
    module docstring)."""

    def __init__(self, columns: list[dict[str, Any]], wanted: Collection[str],
                 ndjson: bool = False) -> None:
        """`columns`: the metadata's entries, checked (_check_metadata)."""
        self.ndjson = ndjson  # a message names an NDJSON row by its line (row k = line k + 1)
        self.width = len(columns)
        self.read = [(i, c["name"], c["dataType"]) for i, c in enumerate(columns)
                     if c["name"] in wanted]
        self.parts: dict[str, list[Part]] = {name: [] for _, name, _ in self.read}
        self.errors: list[tuple[str, int, str, str]] = []
        self.n_rows = 0

    def add(self, rows: Any, booleans: bool = True) -> None:
        """One chunk of rows (rule 3), then the value rules on its values; `booleans`: whether
        the chunk may hold true or false (each value's type is then checked, not only each
        distinct value's: true equals 1 and would count as the same value)."""
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
            values = list(map(itemgetter(i), rows))
            checked = booleans
            if checked:
                values = self._checked(values, name, data_type)
            try:
                codes, uniques = factorized(values)
            except TypeError:  # an array or object among the values
                values, checked = self._checked(values, name, data_type), True
                codes, uniques = factorized(values)
            self.add_column(name, data_type, codes, uniques, checked)
        self.n_rows += len(rows)

    def add_column(self, name: str, data_type: str, codes: np.ndarray, uniques: Sequence[Any],
                   checked: bool = False) -> None:
        """One column of a chunk (to be followed by the chunk's other columns, then n_rows
        moved on): per row the position of its value among `uniques` (-1: null); each distinct
        value's type is checked unless `checked` (already done row by row)."""
        to_text = _decimal_text if data_type == "decimal" else cell_text
        texts = [to_text(value) for value in uniques]
        for k, value in enumerate(uniques):
            if value is None:
                continue
            if not checked and type(value) not in ALLOWED[data_type]:
                self._add_errors(name, data_type, codes, k, cell_text(value))
            elif (data_type == "decimal" and type(value) is not _Shown
                  and not DECIMAL.fullmatch(texts[k])):
                self._add_errors(name, data_type, codes, k, texts[k])
        self.parts[name].append((codes, texts))

    def _checked(self, values: list[Any], name: str, data_type: str) -> list[Any]:
        """The values, each of a type its dataType allows; one that is not is a cell error and
        is replaced by its text (_Shown: so that an array or object in a row is a value too)."""
        allowed = {*ALLOWED[data_type], type(None)}
        if set(map(type, values)) <= allowed:
            return values
        rule = _type_rule(name, data_type)
        wrong = [k for k, v in enumerate(values) if type(v) not in allowed]
        self.errors += [(name, self.n_rows + k + 1, cell_text(values[k]), rule) for k in wrong]
        for k in wrong:
            values[k] = _Shown(cell_text(values[k]))
        return values

    def _add_errors(self, name: str, data_type: str, codes: np.ndarray, position: int,
                    value: str) -> None:
        """A cell error for each row of this chunk whose value is distinct value `position`."""
        rule = _type_rule(name, data_type)
        self.errors += [(name, self.n_rows + int(k) + 1, value, rule)
                        for k in np.flatnonzero(codes == position)]

    def table(self, records: int) -> RawTable:
        """The columns read; rule 4 (`records` of the metadata) checked first."""
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


def _check_metadata(metadata: Any, schema: dict[str, Any] = METADATA_SCHEMA) -> None:
    """Rule 2 (module docstring); `schema` COLUMNS_SCHEMA checks the column entries only."""
    if not isinstance(metadata, dict):
        raise FormatError("the metadata must be a JSON object (Dataset-JSON 1.1)")
    if isinstance(metadata, dict) and ("clinicalData" in metadata or
                                       "referenceData" in metadata):
        raise FormatError("this is the Dataset-JSON 1.0 layout (clinicalData / referenceData); "
                          "Dataset-JSON 1.1 is required (datasetJSONVersion, columns, rows)")
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(metadata))
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


def _read_json(data: bytearray, wanted: Collection[str]) -> RawTable:
    """A .json file: the rows are parsed in chunks, each turned into columns at once, when the
    metadata before `rows` holds `columns` (as writers write it); else the file is parsed at
    once (the same rules)."""
    if not data.strip():
        raise FormatError("the file is empty")
    found = _ROWS.search(data)
    head = _head_metadata(data, found)
    if head is None or "columns" not in head:
        document = _loads(data, "the file")
        rows = document.pop("rows", []) if isinstance(document, dict) else []
        _check_metadata(document)
        columns = _Columns(document["columns"], wanted)
        columns.add(rows)
        return columns.table(document["records"])
    assert found is not None
    _check_metadata(head, COLUMNS_SCHEMA)
    fast = _json_rows_by_arrow(data, found, head["columns"], wanted)
    if fast is not None:
        return fast
    columns = _Columns(head["columns"], wanted)
    end = _row_chunks(data, found.end(), columns.add)
    metadata = _loads(data[:found.start()] + b'"rows":[]' + data[end:], "the file")
    if metadata.pop("rows") != []:
        raise FormatError("`rows` must be given once")
    _check_metadata(metadata)
    return columns.table(metadata["records"])


def _json_rows_by_arrow(data: bytearray, found: re.Match[bytes], entries: list[dict[str, Any]],
                        wanted: Collection[str]) -> RawTable | None:
    """The fast path of a .json file, or None to read it by json.loads: the text of `rows` (up to
    the last "]" after which the rest completes the metadata; a few tries from the end) with a
    line break between each two rows (compact JSON: "],[") is read as NDJSON lines are
    (_rows_by_arrow; rows spaced otherwise do not split right), and
    must give exactly `records` rows. (A "],[" inside a text would split a row in two: a line
    more than `records`, and a half that does not split right; then json.loads reads it.)"""
    end = len(data)
    for _ in range(TAIL_TRIES):
        end = data.rfind(b"]", found.end(), end)
        try:
            metadata = json.loads(data[:found.start()] + b'"rows":[]' + data[end + 1:])
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if end < 0 or not isinstance(metadata, dict) or metadata.pop("rows", None) != []:
            return None
        try:
            _check_metadata(metadata)
            columns = _Columns(entries, wanted)
            with _lines_in_place(data, found.end(), end) as lines:
                if not _rows_by_arrow(pa.BufferReader(lines), columns, skip_rows=0):
                    return None
            return columns.table(metadata["records"])
        except FormatError:
            return None
    return None


@contextmanager
def _lines_in_place(data: bytearray, start: int, end: int) -> Iterator[pa.Buffer]:
    """data[start:end] with the "," of each "],[" a line break while the block runs (edited in
    place, a slice at a time: no copy of the file), then restored."""
    array = np.frombuffer(data, dtype=np.uint8)
    commas = []
    for first in range(start, end, CHUNK_BYTES):
        piece = array[first:min(first + CHUNK_BYTES + 2, end)]
        at = np.flatnonzero((piece[:-2] == ord("]")) & (piece[1:-1] == ord(","))
                            & (piece[2:] == ord("["))) + first + 1
        commas.append(at[at < first + CHUNK_BYTES + 1])
    positions = np.concatenate(commas) if commas else np.zeros(0, dtype=np.int64)
    array[positions] = ord("\n")
    try:
        yield pa.py_buffer(data)[start:end]
    finally:
        array[positions] = ord(",")


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


def _row_chunks(data: bytes, start: int, add: Callable[[Any, bool], None]) -> int:
    """Parse the rows of the array that starts at `start` (after its "[") in chunks, `add` each,
    and return the position after its closing "]". A chunk ends at the first "]," after
    CHUNK_BYTES that completes a row; the last one (or one that will not parse so: a "]," in a
    text) is parsed by raw_decode up to the closing "]", which also reports a file cut short."""
    position = start
    while True:
        position = _SPACE.match(data, position).end()  # type: ignore[union-attr]
        if data[position:position + 1] == b"]":
            return position + 1
        end = _ROW_END.search(data, position + CHUNK_BYTES)
        if end is not None:
            try:
                rows = json.loads(b"[" + data[position:end.start() + 1] + b"]",
                                  parse_constant=_reject_constant)
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass  # parsed below
            else:
                piece = data[position:end.start()]
                add(rows, b"true" in piece or b"false" in piece)
                position = end.end()
                continue
        rest = "[" + _decoded(data[position:])
        try:
            rows, stop = json.JSONDecoder(parse_constant=_reject_constant).raw_decode(rest)
        except json.JSONDecodeError as exc:
            raise _not_json(exc, "`rows`") from exc
        add(rows, True)
        return position + len(rest[1:stop].encode("utf-8"))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 ({exc})") from exc


def _read_ndjson(path: Path, wanted: Collection[str]) -> RawTable:
    """An .ndjson file: line 1 the metadata, each further line a row (rules 1-4), read and
    parsed in chunks of about CHUNK_BYTES of lines; a chunk that does not parse is parsed line by
    line, to name the line."""
    with path.open("rb") as f:
        first = f.readline().removeprefix(BOM)
        if not first.strip():
            raise FormatError("line 1 (the metadata) is empty")
        metadata = _loads(first, "line 1 (the metadata)")
        _check_metadata(metadata)
        columns = _Columns(metadata["columns"], wanted, ndjson=True)
        if _rows_by_arrow(path, columns):
            return columns.table(metadata["records"])
        columns = _Columns(metadata["columns"], wanted, ndjson=True)
        line = 2
        while lines := f.readlines(CHUNK_BYTES):
            text = b"[" + b",".join(lines) + b"]"
            try:
                rows = json.loads(text, parse_constant=_reject_constant)
            except (UnicodeDecodeError, json.JSONDecodeError):
                rows = [_ndjson_row(text, line + k) for k, text in enumerate(lines)]
            columns.add(rows, b"true" in text or b"false" in text)
            line += len(lines)
    return columns.table(metadata["records"])


def _ndjson_row(text: bytes, line: int) -> Any:
    """One NDJSON line parsed; one that does not parse and has no line break at its end (the
    file's last line) was cut short."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if not text.endswith(b"\n"):
            raise FormatError(f"line {line}, the last, is not a complete row: {TRUNCATED}"
                              ) from exc
        raise FormatError(f"line {line} is not a JSON row ({exc})") from exc


def _rows_by_arrow(source: Path | pa.BufferReader, columns: _Columns, skip_rows: int = 1
                   ) -> bool:
    """The rows of an NDJSON file (after line 1: `skip_rows`) added to `columns` by pyarrow's CSV
    reader (many
    times faster than json.loads: on all cores, each distinct token decoded once), when every
    line is a row that it splits right: read as if a double quote were an ordinary character,
    each line must have one field a column, the first starting with "[" and the last ending
    with "]", and every token of a contract column must be one JSON value. False (nothing
    added) for any other file, e.g. a text with a comma in it, to be read by json.loads."""
    names = [str(i) for i in range(columns.width)]
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(skip_rows=skip_rows, column_names=names,
                                           block_size=CHUNK_BYTES),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=sorted({"0", names[-1], *(str(i) for i, _, _ in columns.read)},
                                       key=int),
                column_types=dict.fromkeys(names, CELL_TYPE), strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return False
    ends = [("0", b"["), (names[-1], b"]")]
    if not all(_edge_tokens(table.column(n), edge) for n, edge in ends):
        return False
    for batch in table.to_batches():
        for i, name, data_type in columns.read:
            cells = batch.column(str(i))
            try:
                uniques = [_token(t, i == 0, i == columns.width - 1)
                           for t in cells.dictionary.to_pylist()]
            except (UnicodeDecodeError, json.JSONDecodeError):
                return False
            columns.add_column(name, data_type, cells.indices.to_numpy(), uniques)
        columns.n_rows += batch.num_rows
    return True


def _edge_tokens(column: pa.ChunkedArray, edge: bytes) -> bool:
    """Every token of the first (last) column starts with "[" (ends with "]")."""
    for chunk in column.chunks:
        for token in chunk.dictionary.to_pylist():
            token = token.strip()
            if not (token.startswith(edge) if edge == b"[" else token.endswith(edge)):
                return False
    return True


def _token(token: bytes, first: bool, last: bool) -> Any:
    """One field of a row line as its JSON value (the row's "[" and "]" taken off)."""
    token = token.strip()
    token = token[1:] if first else token
    token = token[:-1] if last else token
    return json.loads(token, parse_constant=_reject_constant)
