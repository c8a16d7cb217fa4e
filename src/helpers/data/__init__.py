"""The study data contract's file formats (data-spec.md, File formats).

ENCODINGS: the text encodings an XPT file may be read in (params `data_encoding`, `--encoding`
on validate and derive): UTF-8 (the default), windows-1252 (what SAS calls WLATIN1), latin-1
(ISO 8859-1, SAS LATIN1) and iso-8859-15 (SAS LATIN9). CSV and Dataset-JSON are always UTF-8.
"""

ENCODINGS = ("utf-8", "windows-1252", "latin-1", "iso-8859-15")
DEFAULT_ENCODING = ENCODINGS[0]
