"""Contact names from a vCard (.vcf) or a CSV export (Google, Outlook, phones), keyed by E.164."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from voipdesk.core.phone import InvalidNumber, normalize

# Header words, compared after lower-casing and squeezing spaces.
_FULL_NAME = ("name", "full name", "display name", "contact name")
_FIRST = ("first name", "given name", "firstname", "first")
_MIDDLE = ("middle name", "additional name")
_LAST = ("last name", "family name", "surname", "lastname", "last")
_FALLBACK_NAME = ("nickname", "company", "organization 1 - name", "organization name", "file as")
_PHONE_WORDS = {"phone", "mobile", "cell", "cellphone", "tel", "telephone", "handy"}
_PHONE_KEYS = {"number", "phone number", "mobile number"}
_NOT_PHONE = {"fax", "pager", "label", "type", "extension", "id", "account"}


def read_contacts(path: Path, country: str) -> tuple[dict[str, str], list[str]]:
    """Number (E.164) → name from a .vcf or .csv file, and the skipped entries as sentences.

    Raises ValueError (with a sentence) for a file that is neither, OSError when unreadable."""
    path = Path(path)
    text = _decode(path.read_bytes())
    if not text.strip():
        raise ValueError(f"“{path.name}” is empty.")
    if re.search(r"^\s*BEGIN:VCARD\s*$", text, re.IGNORECASE | re.MULTILINE):
        return _read_vcards(text, country)
    if "\x00" in text:  # a picture, a spreadsheet, an archive: not text at all
        raise ValueError(_neither(path.name))
    return _read_csv(text, country, path.name)


def _neither(filename: str) -> str:
    return (
        f"“{filename}” is neither a vCard (.vcf) nor a CSV file with a header row of name and "
        "phone columns. Export your contacts in one of those formats and try again."
    )


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older Outlook exports


class _Names:
    """Collects number → name, noting duplicates and bad numbers as it goes."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.names: dict[str, str] = {}
        self.problems: list[str] = []

    def add(self, where: str, raw: str, name: str) -> None:
        raw = raw.strip()
        if raw.lower().startswith("tel:"):
            raw = raw[4:]
        if not raw:
            return
        try:
            number = normalize(raw, self.country)
        except InvalidNumber:
            self.problems.append(f"{where}: “{raw}” is not a phone number ({name}).")
            return
        known = self.names.get(number)
        if known is None:
            self.names[number] = name
        elif known != name:
            self.problems.append(
                f"{where}: {raw} is already saved as “{known}”, so “{name}” was not used for it."
            )


# -- vCard ---------------------------------------------------------------------------------------
def _read_vcards(text: str, country: str) -> tuple[dict[str, str], list[str]]:
    import vobject

    out = _Names(country)
    for start, card in _split_cards(text):
        try:
            component = vobject.readOne(card)
        except Exception:  # vobject raises many kinds; one bad card is skipped, never the file
            out.problems.append(f"line {start}: this contact could not be read, so it was skipped.")
            continue
        name = _vcard_name(component)
        tels = [str(tel.value) for tel in component.contents.get("tel", [])]
        if not tels:
            who = name or "a contact with no name"
            out.problems.append(f"line {start}: {who} has no phone number, so it was skipped.")
            continue
        if not name:
            out.problems.append(
                f"line {start}: a contact with {tels[0].strip()} has no name, so it was skipped."
            )
            continue
        for tel in tels:
            out.add(f"line {_line_of(card, tel, start)}", tel, name)
    return out.names, out.problems


def _split_cards(text: str) -> list[tuple[int, str]]:
    """Each BEGIN:VCARD … END:VCARD block with the line number it starts on."""
    cards: list[tuple[int, str]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        keyword = line.strip().upper()
        if keyword == "BEGIN:VCARD":
            current, start = [line], number
        elif current is not None:
            current.append(line)
            if keyword == "END:VCARD":
                cards.append((start, "\r\n".join(current) + "\r\n"))
                current = None
    return cards


def _line_of(card: str, value: str, start: int) -> int:
    """The file line of the TEL property holding `value` (the card's first line if not found)."""
    value = value.strip()
    for offset, line in enumerate(card.splitlines()):
        head, _, rest = line.partition(":")
        if "TEL" in head.upper().split(";")[0].split(".")[-1] and rest.strip().endswith(value):
            return start + offset
    return start


def _vcard_name(component: object) -> str:
    contents = getattr(component, "contents", {})
    for fn in contents.get("fn", []):
        if str(fn.value).strip():
            return " ".join(str(fn.value).split())
    for n in contents.get("n", []):
        value = n.value
        parts = [value.prefix, value.given, value.additional, value.family, value.suffix]
        words = " ".join(" ".join(p) if isinstance(p, list) else str(p or "") for p in parts)
        if words.strip():
            return " ".join(words.split())
    for org in contents.get("org", []):
        value = org.value
        words = " ".join(value) if isinstance(value, list) else str(value)
        if words.strip():
            return " ".join(words.split())
    return ""


# -- CSV -----------------------------------------------------------------------------------------
def _read_csv(text: str, country: str, filename: str) -> tuple[dict[str, str], list[str]]:
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise ValueError(_neither(filename))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValueError(f"“{filename}” could not be read as a CSV file.") from None
    columns = _columns(header)
    if not columns["phones"]:
        raise ValueError(
            f"“{filename}” has no phone column. Export your contacts as a vCard (.vcf), or as a "
            "CSV file with a header row that has a name column and a Phone or Mobile column."
        )
    if not (columns["full"] or columns["first"] or columns["last"] or columns["fallback"]):
        raise ValueError(
            f"“{filename}” has no name column (looked for Name, Full Name, or First Name and "
            "Last Name)."
        )
    out = _Names(country)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.problems.append(f"line {reader.line_num}: this row could not be read ({exc}).")
            continue
        where = f"line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        name = _row_name(row, columns)
        raws = [
            part
            for index in columns["phones"]
            if index < len(row)
            for part in re.split(r"\s*:::\s*", row[index])  # Google joins several with " ::: "
            if part.strip()
        ]
        if not raws:
            if name:  # (a row of other columns only, e.g. an e-mail address, says nothing)
                out.problems.append(f"{where}: {name} has no phone number, so it was skipped.")
            continue
        if not name:
            out.problems.append(f"{where}: {raws[0].strip()} has no name, so it was skipped.")
            continue
        for raw in raws:
            out.add(where, raw, name)
    return out.names, out.problems


def _columns(header: list[str]) -> dict[str, list[int]]:
    keys = [" ".join(h.strip().strip('"').lower().split()) for h in header]
    found: dict[str, list[int]] = {k: [] for k in ("full", "first", "middle", "last", "fallback")}
    found["phones"] = []
    for index, key in enumerate(keys):
        if key in _FULL_NAME:
            found["full"].append(index)
        elif key in _FIRST:
            found["first"].append(index)
        elif key in _MIDDLE:
            found["middle"].append(index)
        elif key in _LAST:
            found["last"].append(index)
        elif key in _FALLBACK_NAME:
            found["fallback"].append(index)
        else:
            # Google: "Phone 1 - Value"; Outlook: "Mobile Phone", "Home Phone 2"; phones: "Mobile".
            # Whole words, so "Phonetic First Name" and "Phone 1 - Label" are not phone columns.
            words = set(re.findall(r"[a-z]+", key))
            if (words & _PHONE_WORDS or key in _PHONE_KEYS) and not words & _NOT_PHONE:
                found["phones"].append(index)
    return found


def _row_name(row: list[str], columns: dict[str, list[int]]) -> str:
    def cell(kind: str) -> str:
        for index in columns[kind]:
            if index < len(row) and row[index].strip():
                return row[index].strip()
        return ""

    name = cell("full") or " ".join(filter(None, (cell("first"), cell("middle"), cell("last"))))
    return " ".join((name or cell("fallback")).split())
