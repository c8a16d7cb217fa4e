"""Read a SAS transport file (.xpt, version 5 or 8) of a study data folder into text columns
(helpers.data.formats: the cells a CSV would hold), column by column (pyreadstat).

Rules (data-spec.md, File formats), in the order they are checked:
1. A file cut short is an error naming the file (a file that does not even start as a transport
   file is "not a readable SAS transport file") (FormatError, "looks truncated"): its length is
   not a whole number of 80-byte records; the bytes after its last complete observation are not
   blank padding (an incomplete last observation); it holds fewer or more observations than its
   header states (version 8 states the number; version 5 states 0, not checked).
2. Only the columns asked for (the contract's) are read; the others are neither read nor checked.
3. Text is read as bytes and decoded in the run's encoding (`data_encoding`, default UTF-8), once
   per distinct value: a value not valid in it is a cell error naming column and record and the
   params key to set; the cell then holds the value with its bad bytes escaped (\\xf8).
"""

from __future__ import annotations

import mmap
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import DEFAULT_ENCODING
from helpers.data.formats import (
    FormatError,
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
#: readstat's name of the byte-transparent encoding that the text is first read in
BYTES = "iso-8859-1"
#: a cut file's message ends in this
TRUNCATED = "the file looks truncated (cut short)"


def read_xpt(path: Path, columns: Collection[str], encoding: str = DEFAULT_ENCODING) -> RawTable:
    """The file's `columns` (those it has) as text columns (module docstring). Raises
    FormatError when the file is cut short or cannot be read."""
    import pyreadstat

    try:
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True, encoding=BYTES)
        wanted = [c for c in meta.column_names if c in columns]
        frame, _ = pyreadstat.read_xport(str(path), usecols=wanted or None, encoding=BYTES)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        with path.open("rb") as f:
            if f.read(len(LIBRARY_HEADER)) == LIBRARY_HEADER:  # a transport file, cut short?
                _check_length(path, None, 0)
        raise FormatError(f"not a readable SAS transport file ({exc})") from exc
    _check_length(path, sum(meta.variable_storage_width.values()), len(frame))
    errors: list[tuple[str, int, str, str]] = []
    text = {name: _text(frame[name], name, encoding, errors) for name in wanted}
    return RawTable(raw_frame(text, len(frame)), cell_errors(errors))


def _check_length(path: Path, observation_bytes: int | None, n_read: int) -> None:
    """Rule 1 (module docstring); `observation_bytes` (the sum of the variables' widths) is None
    when the header could not be read (then only the length is checked)."""
    size = path.stat().st_size
    if size % RECORD:
        raise FormatError(f"{size} bytes is not a whole number of {RECORD}-byte records: "
                          f"{TRUNCATED}")
    if observation_bytes is None or size == 0:
        return
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        header = data.find(OBS_HEADER)
        if header < 0 or header % RECORD:
            raise FormatError(f"no observation header record: {TRUNCATED}")
        start = header + RECORD
        stated = data[header + 48:start].strip()  # version 8: the number of observations
        rest = (size - start) % observation_bytes if observation_bytes else 0
        padding = data[size - rest:size]
    if padding.strip(b" "):
        raise FormatError(f"its last observation is incomplete ({rest} of {observation_bytes} "
                          f"bytes): {TRUNCATED}")
    if stated.isdigit() and int(stated) not in (0, n_read):  # version 5 states 0
        raise FormatError(f"its header states {int(stated)} observations, it holds {n_read}: "
                          f"{TRUNCATED}")


def _text(column: pd.Series, name: str, encoding: str,
          errors: list[tuple[str, int, str, str]]) -> pd.Categorical:
    """One column as text (cell_text); a character column's values (and dates that pyreadstat
    has converted) decoded in `encoding` (rule 3), each distinct value once."""
    if column.dtype != object:
        return text_column([distinct_texts(column.to_numpy())])
    codes, texts = distinct_texts(column.to_numpy(dtype=object))
    decoded = []
    for position, text in enumerate(texts):
        try:
            decoded.append(text.encode(BYTES).decode(encoding))
        except UnicodeDecodeError as exc:
            decoded.append(text.encode(BYTES).decode(encoding, errors="backslashreplace"))
            rule = (f"{name} is not valid {encoding} text (byte 0x{exc.object[exc.start]:02x}); "
                    f"if the file is in another encoding (SAS WLATIN1 = windows-1252), set "
                    f"params data_encoding (or --encoding) to it")
            errors += [(name, int(line) + 1, decoded[-1], rule)
                       for line in np.flatnonzero(codes == position)]
    return text_column([(codes, decoded)])
