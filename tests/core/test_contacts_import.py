from pathlib import Path

import pytest

from voipdesk.core.contacts_import import read_contacts

VCF = """\
BEGIN:VCARD
VERSION:3.0
FN:Alice Smith
N:Smith;Alice;;;
TEL;TYPE=CELL:07700 900123
TEL;TYPE=HOME:+44 20 7946 0018
EMAIL:alice@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Jones;Bob;;;
TEL;TYPE=CELL:12ab
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Carol Diaz
TEL;VALUE=uri;TYPE=cell:tel:+1-202-555-0143
END:VCARD
"""

# Google Contacts export (the current format): several numbers in one cell joined by " ::: ".
GOOGLE_CSV = """\
First Name,Middle Name,Last Name,Phonetic First Name,Nickname,E-mail 1 - Label,E-mail 1 - Value,\
Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value
Dana,,Okafor,,,* Home,dana@example.com,Mobile,07700 900321 ::: +44 7700 900322,Work,020 7946 0999
Eve,,,,,,eve@example.com,,,,
,,,,Frankie,,,Mobile,+33 6 12 34 56 78,,
Gus,,Moreau,,,,,Mobile,not-a-number,,
"""

# Outlook export: First/Middle/Last Name and named phone columns, including ones to ignore.
OUTLOOK_CSV = (
    '"Title","First Name","Middle Name","Last Name","Suffix","Company","Business Fax",'
    '"Business Phone","Home Phone","Mobile Phone","Pager","E-mail Address"\r\n'
    '"","Hana","","Kim","","Acme","020 7946 0100","020 7946 0101","","07700 900654",'
    '"07700 900999","hana@example.com"\r\n'
    '"Dr","","","","","Acme Ltd","","020 7946 0555","","","",""\r\n'
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def test_vcard_with_several_numbers_and_a_bad_one(tmp_path):
    names, problems = read_contacts(write(tmp_path, "contacts.vcf", VCF), "GB")
    assert names == {
        "+447700900123": "Alice Smith",
        "+442079460018": "Alice Smith",
        "+12025550143": "Carol Diaz",
    }
    # Bob has no FN: his name comes from N, and his only number is reported with its line.
    assert problems == ["line 12: “12ab” is not a phone number (Bob Jones)."]


def test_a_vcard_without_a_phone_number_is_said_to_be_skipped(tmp_path):
    text = VCF + "BEGIN:VCARD\nVERSION:3.0\nFN:Dora Only-Mail\nEMAIL:dora@example.com\nEND:VCARD\n"
    names, problems = read_contacts(write(tmp_path, "contacts.vcf", text), "GB")
    assert "Dora Only-Mail" not in names.values()
    assert problems[-1] == "line 19: Dora Only-Mail has no phone number, so it was skipped."


def test_vcard_with_a_broken_card_keeps_the_others(tmp_path):
    broken = VCF.replace("N:Jones;Bob;;;\n", "N:Jones;Bob;;;\nPHOTO;ENCODING=b:\x00\x01\n  \n:::\n")
    names, problems = read_contacts(write(tmp_path, "contacts.vcf", broken), "GB")
    assert names["+447700900123"] == "Alice Smith"
    assert names["+12025550143"] == "Carol Diaz"
    assert len(problems) == 1 and problems[0].startswith("line ")


def test_google_csv(tmp_path):
    names, problems = read_contacts(write(tmp_path, "google.csv", GOOGLE_CSV), "GB")
    assert names == {
        "+447700900321": "Dana Okafor",
        "+447700900322": "Dana Okafor",
        "+442079460999": "Dana Okafor",
        "+33612345678": "Frankie",  # no first or last name: the nickname
    }
    assert problems == [
        "line 3: Eve has no phone number, so it was skipped.",
        "line 5: “not-a-number” is not a phone number (Gus Moreau).",
    ]


def test_outlook_csv_skips_fax_and_pager(tmp_path):
    path = write(tmp_path, "outlook.csv", OUTLOOK_CSV, encoding="cp1252")
    names, problems = read_contacts(path, "GB")
    assert names == {
        "+442079460101": "Hana Kim",
        "+447700900654": "Hana Kim",
        "+442079460555": "Acme Ltd",  # a company card: the company name
    }
    assert problems == []


def test_semicolon_csv_with_full_name_and_bom(tmp_path):
    text = "\ufeffName;Mobile\nÉlodie Martin;06 12 34 56 78\n;07700 900111\n"
    names, problems = read_contacts(write(tmp_path, "excel.csv", text), "FR")
    assert names == {"+33612345678": "Élodie Martin"}
    assert problems == ["line 3: 07700 900111 has no name, so it was skipped."]


def test_same_number_with_two_names_keeps_the_first(tmp_path):
    text = "Name,Phone\nAnn,07700 900222\nAnnie,+447700900222\n"
    names, problems = read_contacts(write(tmp_path, "dupes.csv", text), "GB")
    assert names == {"+447700900222": "Ann"}
    assert problems == [
        "line 3: +447700900222 is already saved as “Ann”, so “Annie” was not used for it."
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", "just some notes\nnothing here\n", "neither a vCard"),
        ("people.csv", "Name,Email\nAnn,ann@example.com\n", "no phone column"),
        ("numbers.csv", "Phone,Email\n07700 900222,x@example.com\n", "no name column"),
        ("empty.vcf", "\n\n", "is empty"),
    ],
    ids=["text", "no-phone-column", "no-name-column", "empty"],
)
def test_files_that_are_not_contacts_raise_a_sentence(tmp_path, name, content, message):
    with pytest.raises(ValueError, match=message):
        read_contacts(write(tmp_path, name, content), "GB")


def test_binary_file_is_not_a_crash(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ValueError, match="neither a vCard"):
        read_contacts(path, "GB")
