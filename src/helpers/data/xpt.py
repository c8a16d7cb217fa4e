"""Read a SAS transport file (.xpt, version 5 or 8) of a study data folder into text columns
(helpers.data.formats: the cells a CSV would hold), column by column.

pyreadstat reads the header (names, storage widths, types, formats). The observations are
fixed-width records, so that numpy reads them as a structured array, CHUNK_ROWS at a time (no
Python object per cell): a character column is decoded once per distinct value, a numeric
column converted from IBM floating point in one vectorised step (`ibm_to_float`; a SAS missing
`.`, `._` or `.A`-`.Z` is NaN, i.e. ""). A numeric column with a display format (a SAS date,
say) is read by pyreadstat itself, which knows what the format makes of it.

Rules (data-spec.md, File formats), in the order they are checked:
1. A file cut short is an error naming the file (FormatError, "looks truncated"; a file that
   does not even start as a transport file is "not a readable SAS transport file"): its length
   is not a whole number of 80-byte records; the bytes after its last complete observation are
   not blank padding (an incomplete last observation); it holds fewer observations than its
   header states (version 8 states the number; version 5 states 0: there, blank observations
   in the last 80-byte record are its padding). More non-blank observations than stated are
   an error too.
2. Only the columns asked for (the contract's) are read; the others are neither read nor checked.
3. Text is decoded in the run's encoding (`data_encoding`, default UTF-8), once per distinct
   value, trailing blanks removed: a value not valid in it is a cell error naming column and
   record and the params key to set; the cell then holds the value with its bad bytes escaped
   (\\xf8).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pyarrow as pa

from helpers.data import DEFAULT_ENCODING
from helpers.data.formats import (
    FormatError,
    Part,
    RawTable,
    cell_errors,
    distinct_texts,
    raw_frame,
    text_column,
)

RECORD = 80
#: how a transport file starts (version 5: "LIBRARY ", version 8: "LIBV8   ")
LIBRARY_HEADER = b"HEADER RECORD*******LIB"
#: the header record after which the observations start (version 5: "OBS     ", 8: "OBSV8   ")
OBS_HEADER = b"HEADER RECORD*******OBS"
#: the first byte of a SAS numeric missing value (the other 7 bytes are 0): ".", "_", "A"-"Z"
MISSING_BYTES = np.array([0x2E, 0x5F, *range(0x41, 0x5B)], dtype=np.uint8)
#: the header (labels, formats) is read in this byte-transparent encoding: a label in any
#: encoding is no error (the contract's names are ASCII)
BYTES = "iso-8859-1"
#: observations read and converted at once (a few tens of MB)
CHUNK_ROWS = 1 << 20
#: a cut file's message ends in this
TRUNCATED = "the file looks truncated (cut short)"


def read_xpt(path: Path, columns: Collection[str], encoding: str = DEFAULT_ENCODING) -> RawTable:
    """The file's `columns` (those it has) as text columns (module docstring). Raises
    FormatError when the file is cut short or cannot be read."""
    import pyreadstat

    path = Path(path)
    try:
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True, encoding=BYTES)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        with path.open("rb") as f:
            if f.read(len(LIBRARY_HEADER)) == LIBRARY_HEADER:  # a transport file, cut short?
                _check_length(path.stat().st_size)
        raise FormatError(f"not a readable SAS transport file ({exc})") from exc
    widths = [meta.variable_storage_width[name] for name in meta.column_names]
    start, n_rows = _observations(path, sum(widths))
    layout = np.dtype({"names": meta.column_names, "formats": [f"S{w}" for w in widths],
                       "offsets": np.cumsum([0, *widths[:-1]]).tolist(), "itemsize": sum(widths)})
    wanted = [c for c in meta.column_names if c in columns]
    formatted = [c for c in wanted if meta.readstat_variable_types[c] != "string"
                 and meta.original_variable_types.get(c)]
    by_pyreadstat = (pyreadstat.read_xport(str(path), usecols=formatted, encoding=BYTES)[0]
                     if formatted else {})
    parts: dict[str, list[Part]] = {name: [] for name in wanted}
    errors: list[tuple[str, int, str, str]] = []
    with path.open("rb") as f:
        f.seek(start)
        for first in range(0, n_rows, CHUNK_ROWS):  # a chunk of observations at a time
            records = np.fromfile(f, dtype=layout, count=min(CHUNK_ROWS, n_rows - first))
            for name in wanted:
                if name in formatted:
                    values = by_pyreadstat[name].to_numpy()[first:first + len(records)]
                    parts[name].append(distinct_texts(values))
                elif meta.readstat_variable_types[name] == "string":
                    parts[name].append(_text(records[name], name, encoding, first, errors))
                else:
                    parts[name].append(distinct_texts(ibm_to_float(records[name])))
    text = {name: text_column(name_parts) for name, name_parts in parts.items()}
    return RawTable(raw_frame(text, n_rows), cell_errors(errors))


def _check_length(size: int) -> None:
    if size % RECORD:
        raise FormatError(f"{size} bytes is not a whole number of {RECORD}-byte records: "
                          f"{TRUNCATED}")


def _observations(path: Path, observation_bytes: int) -> tuple[int, int]:
    """Where the observations start, and how many there are (rule 1)."""
    size = path.stat().st_size
    _check_length(size)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    header = _find(data)
    if header < 0 or header % RECORD:
        raise FormatError(f"no observation header record: {TRUNCATED}")
    start = header + RECORD
    full, rest = divmod(size - start, observation_bytes) if observation_bytes else (0, 0)
    if (data[size - rest:] != ord(" ")).any():
        raise FormatError(f"its last observation is incomplete ({rest} of {observation_bytes} "
                          f"bytes): {TRUNCATED}")
    stated_text = bytes(data[header + 48:start]).strip()
    stated = int(stated_text) if stated_text.isdigit() else 0

    def blank(first: int, end: int) -> bool:  # observations first..end-1 all blanks
        return not (data[start + first * observation_bytes:start + end * observation_bytes]
                    != ord(" ")).any()

    if stated > full:
        raise FormatError(f"its header states {stated} observations, it holds {full}: "
                          f"{TRUNCATED}")
    if stated and not blank(stated, full):
        raise FormatError(f"it holds more observations than the {stated} its header states")
    if stated:
        return start, stated
    n = full  # version 5: blank observations within the last record are its padding
    while n and start + (n - 1) * observation_bytes > size - RECORD and blank(n - 1, n):
        n -= 1
    return start, n


def _find(data: np.memmap) -> int:
    """The offset of the observation header record (one of the first records after the
    variables' descriptions: 140 bytes each)."""
    end = RECORD * 64
    while (found := bytes(data[:end]).find(OBS_HEADER)) < 0 and end < len(data):
        end *= 4
    return found


def ibm_to_float(fields: np.ndarray) -> np.ndarray:
    """SAS numeric fields (IBM hexadecimal floating point, big-endian, 2-8 bytes: the missing
    bytes are 0) as float64, NaN for a SAS missing value. Exact for every value that came from
    a float64 (its 53-bit mantissa fits in IBM's 56 bits)."""
    width = fields.dtype.itemsize
    raw = np.zeros((len(fields), 8), dtype=np.uint8)
    raw[:, :width] = np.frombuffer(fields.tobytes(), dtype=np.uint8).reshape(-1, width)
    bits = raw.view(">u8").ravel()
    first = raw[:, 0]
    fraction = bits & np.uint64(0x00FF_FFFF_FFFF_FFFF)
    exponent = (first & 0x7F).astype(np.int64)
    value = np.ldexp(fraction.astype(np.float64), 4 * (exponent - 64) - 56)
    value[first >= 0x80] *= -1
    value[(fraction == 0) & np.isin(first, MISSING_BYTES)] = np.nan
    return value


def _text(fields: np.ndarray, name: str, encoding: str, first: int,
          errors: list[tuple[str, int, str, str]]) -> Part:
    """A chunk of a character column (its first row is row `first`, from 0) decoded in
    `encoding`, each distinct value once (rule 3)."""
    width = fields.dtype.itemsize  # distinct values by arrow's hash table, not a sort
    encoded = pa.array(np.ascontiguousarray(fields), type=pa.binary(width)).dictionary_encode()
    codes = encoded.indices.to_numpy()
    decoded = []
    for position, value in enumerate(v.rstrip(b"\0").rstrip(b" ")
                                     for v in encoded.dictionary.to_pylist()):
        try:
            decoded.append(value.decode(encoding))
        except UnicodeDecodeError:
            decoded.append(value.decode(encoding, errors="backslashreplace"))
            rule = (f"{name} is not valid {encoding} text; if the file is in another encoding "
                    f"(SAS WLATIN1 = windows-1252), set params data_encoding (or --encoding) "
                    f"to it")
            errors += [(name, first + int(line) + 1, decoded[-1], rule)
                       for line in np.flatnonzero(codes == position)]
    return codes, decoded
