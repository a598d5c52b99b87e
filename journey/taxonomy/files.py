"""Reading taxonomy files: validate everything first, so that a bad file writes nothing.

Two formats are read:

* the flat occupations file (one row per ESCO occupation, with its unit, minor, sub-major and major
  group codes and titles: ``esco_label, esco_key, isco_4_label, isco_4_key, ..., isco_1_key``), as
  published by eworx-org/iscoCrosswalks and shipped in tests/data/esco/occupations.csv;
* the official ESCO release: ``occupations_en.csv`` (conceptUri, preferredLabel, iscoGroup) with the
  ISCO-08 titles from ``ISCOGroups_en.csv`` (conceptUri, code, preferredLabel).

Both give the same thing: ISCO groups by code and ESCO occupations by URI.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
LABEL_MAX = 255
URI_MAX = 255
MAX_REPORTED = 50  # errors listed before "... and N more"

FLAT_COLUMNS = ("esco_label", "esco_key", "isco_4_label", "isco_4_key", "isco_3_label",
                "isco_3_key", "isco_2_label", "isco_2_key", "isco_1_label", "isco_1_key")
OFFICIAL_OCCUPATION_COLUMNS = ("conceptUri", "preferredLabel", "iscoGroup")
OFFICIAL_GROUP_COLUMNS = ("code", "preferredLabel")

_DIGITS = re.compile(r"\d{1,4}")
_ESCO_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")
_ISCO_URI = re.compile(r"/isco/C(\d{1,4})$")

Source = str | Path | IO[str]


def parent_code(code: str) -> str | None:
    """The code of the group above ('2221' → '222'); None for a major group."""
    return code[:-1] or None


class TaxonomyFileError(ValueError):
    """A taxonomy file that cannot be imported; errors name the file's lines."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:MAX_REPORTED]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        super().__init__(f"{len(errors)} error(s), nothing imported:\n" + "\n".join(shown) + more)


@dataclass
class Taxonomy:
    """What a file holds: group titles by code, and occupations by URI as (label, unit code)."""

    groups: dict[str, str] = field(default_factory=dict)
    occupations: dict[str, tuple[str, str]] = field(default_factory=dict)


@contextlib.contextmanager
def _open(source: Source) -> Iterator[IO[str]]:
    if isinstance(source, str | Path):
        # utf-8-sig: spreadsheets often save a byte-order mark before the header.
        with open(source, encoding="utf-8-sig", newline="") as f:
            yield f
    else:
        yield source


def _rows(source: Source, required: tuple[str, ...], errors: list[str], name: str
          ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each record; a missing column is one error and no rows."""
    try:
        with _open(source) as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                errors.append(f"{name} line 1: missing column(s) {', '.join(missing)}")
                return
            start = reader.line_num + 1
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    errors.append(f"{name} line {start}: wrong number of fields")
                else:
                    yield start, row
                start = reader.line_num + 1
    except FileNotFoundError:
        errors.append(f"{name}: no such file")
    except (csv.Error, UnicodeDecodeError) as err:
        errors.append(f"{name}: not a readable UTF-8 CSV file ({type(err).__name__}: {err})")


def _code(raw: str, level: int) -> str | None:
    """A code of the given level, its lost leading zeros restored ('110' → '0110'); None if bad."""
    raw = raw.strip()
    if not _DIGITS.fullmatch(raw) or len(raw) > level:
        return None
    return raw.zfill(level)


def _label(raw: str) -> str:
    # Non-breaking and repeated spaces occur in the published labels; they are not meaningful.
    return " ".join(raw.split())


class _Collector:
    """Accumulates groups and occupations, checking that the same key never says two things."""

    def __init__(self, name: str, errors: list[str]) -> None:
        self.name = name
        self.errors = errors
        self.taxonomy = Taxonomy()
        self._group_line: dict[str, int] = {}
        self._occupation_line: dict[str, int] = {}

    def error(self, line: int, message: str) -> None:
        self.errors.append(f"{self.name} line {line}: {message}")

    def label(self, line: int, column: str, raw: str) -> str | None:
        label = _label(raw)
        if not label:
            self.error(line, f"{column} is empty")
            return None
        if len(label) > LABEL_MAX:
            self.error(line, f"{column} is longer than {LABEL_MAX} characters")
            return None
        return label

    def group(self, line: int, code: str, label: str) -> None:
        seen = self.taxonomy.groups.get(code)
        if seen is None:
            self.taxonomy.groups[code] = label
            self._group_line[code] = line
        elif seen != label:
            self.error(line, f"ISCO group {code} is titled {label!r} here but {seen!r} on line "
                             f"{self._group_line[code]}")

    def occupation(self, line: int, uri: str, label: str, unit: str) -> None:
        if uri in self.taxonomy.occupations:
            self.error(line, f"duplicate occupation {uri} (first on line "
                             f"{self._occupation_line[uri]})")
            return
        self.taxonomy.occupations[uri] = (label, unit)
        self._occupation_line[uri] = line


def read_flat(source: Source, errors: list[str], name: str = "file") -> Taxonomy:
    """The flat occupations file (esco_label, esco_key, isco_4_label, isco_4_key, ...)."""
    out = _Collector(name, errors)
    for line, row in _rows(source, FLAT_COLUMNS, errors, name):
        codes: dict[int, str] = {}
        labels: dict[int, str] = {}
        for level in (4, 3, 2, 1):
            column = f"isco_{level}_key"
            code = _code(row[column], level)
            if code is None:
                out.error(line, f"{column} {row[column].strip()!r} is not an ISCO-08 code of "
                                f"{level} digit(s)")
                continue
            codes[level] = code
            label = out.label(line, f"isco_{level}_label", row[f"isco_{level}_label"])
            if label is not None:
                labels[level] = label
        for level in (4, 3, 2):
            if level in codes and level - 1 in codes and codes[level][:-1] != codes[level - 1]:
                out.error(line, f"isco_{level}_key {codes[level]} does not belong to "
                                f"isco_{level - 1}_key {codes[level - 1]}")
                codes.pop(level)
        for level, code in codes.items():
            if level in labels:
                out.group(line, code, labels[level])
        key = row["esco_key"].strip()
        if not _ESCO_KEY.fullmatch(key) or len(ESCO_OCCUPATION + key) > URI_MAX:
            out.error(line, f"esco_key {key!r} is not an ESCO identifier")
            continue
        label = out.label(line, "esco_label", row["esco_label"])
        if label is not None and 4 in codes:
            out.occupation(line, ESCO_OCCUPATION + key, label, codes[4])
    if not out.taxonomy.occupations and not errors:
        errors.append(f"{name}: no occupations")
    return out.taxonomy


def read_official_groups(source: Source, errors: list[str], name: str = "ISCO groups file"
                         ) -> Taxonomy:
    """ESCO's ISCOGroups_en.csv: code and preferredLabel of every ISCO-08 group."""
    out = _Collector(name, errors)
    for line, row in _rows(source, OFFICIAL_GROUP_COLUMNS, errors, name):
        # The concept URI (…/isco/C0110) keeps the leading zeros even when the code column lost
        # them in a spreadsheet, and only the URI tells a level-4 '110' from a level-3 one.
        found = _ISCO_URI.search(row.get("conceptUri") or "")
        raw = found.group(1) if found else row["code"].strip()
        if not _DIGITS.fullmatch(raw):
            out.error(line, f"code {raw!r} is not an ISCO-08 code")
            continue
        label = out.label(line, "preferredLabel", row["preferredLabel"])
        if label is not None:
            out.group(line, raw, label)
    groups = out.taxonomy.groups
    for code in groups:
        parent = parent_code(code)
        if parent is not None and parent not in groups:
            out.error(out._group_line[code], f"ISCO group {code} has no parent group {parent} "
                                             f"in the file")
    if not groups and not errors:
        errors.append(f"{name}: no ISCO groups")
    return out.taxonomy


def read_official_occupations(source: Source, errors: list[str], name: str = "file") -> Taxonomy:
    """ESCO's occupations_en.csv: conceptUri, preferredLabel and iscoGroup (a unit group code)."""
    out = _Collector(name, errors)
    for line, row in _rows(source, OFFICIAL_OCCUPATION_COLUMNS, errors, name):
        uri = row["conceptUri"].strip()
        if not uri.startswith(ESCO_OCCUPATION) or not _ESCO_KEY.fullmatch(
                uri.removeprefix(ESCO_OCCUPATION)) or len(uri) > URI_MAX:
            out.error(line, f"conceptUri {uri!r} is not an ESCO occupation URI")
            continue
        unit = _code(row["iscoGroup"], 4)
        if unit is None:
            out.error(line, f"iscoGroup {row['iscoGroup'].strip()!r} is not an ISCO-08 unit group")
            continue
        label = out.label(line, "preferredLabel", row["preferredLabel"])
        if label is not None:
            out.occupation(line, uri, label, unit)
    if not out.taxonomy.occupations and not errors:
        errors.append(f"{name}: no occupations")
    return out.taxonomy


def header(source: Source) -> list[str]:
    """The column names of a CSV file (empty when it cannot be read)."""
    try:
        with _open(source) as f:
            first = f.readline()
            if not isinstance(source, str | Path):
                f.seek(0)
    except (OSError, UnicodeDecodeError):
        return []
    return next(csv.reader(io.StringIO(first)), [])
