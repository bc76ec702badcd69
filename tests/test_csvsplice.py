"""Appends keep CSV records as text and render only new rows: both must agree with pandas."""

import pandas as pd
import pytest

from analysis.store import csvsplice

AWKWARD = [
    ["plain", 1, "Albemarle District Jail"],
    ["comma, inside", 22, "Sheriff's Office"],
    ['say "hi"', 333, 'a "quoted" name, with comma'],
    ["line\nbreak", 4, "carriage\rreturn"],
    ["", 5, ""],
    ["Añasco, PR", 6, "ünïcode"],
    [" leading space", 7, "trailing space "],
    ['"', 8, '""'],
    ["two\n\nbreaks, and \"quotes\"", 9, "\n"],
]


def frame(rows):
    return pd.DataFrame(rows, columns=["text", "row", "other"]).astype({"text": "str", "row": "int64", "other": "str"})


def test_render_matches_pandas_to_csv_on_awkward_values(tmp_path):
    path = tmp_path / "t.csv"
    frame(AWKWARD).to_csv(path, index=False, lineterminator="\n")
    header, records = csvsplice.read(path)
    assert header == "text,row,other"
    assert records == csvsplice.render(AWKWARD)
    assert len(records) == len(AWKWARD)  # quoted line breaks stay inside their record


def test_missing_values_render_empty_as_pandas_does(tmp_path):
    rows = [["a", 1, None], ["b", 2, float("nan")], ["c", 3, pd.NA]]
    path = tmp_path / "t.csv"
    pd.DataFrame(rows, columns=["text", "row", "other"]).to_csv(path, index=False, lineterminator="\n")
    assert csvsplice.read(path)[1] == csvsplice.render(rows)


def test_written_file_is_the_bytes_pandas_writes(tmp_path):
    df = frame(AWKWARD)
    df.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    header, records = csvsplice.read(tmp_path / "pandas.csv")
    csvsplice.write(tmp_path / "spliced.csv", header, records[:4] + csvsplice.render(AWKWARD[4:]))
    assert (tmp_path / "spliced.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("i", range(len(AWKWARD)))
def test_fields_and_first_field_read_each_record_back(tmp_path, i):
    record = csvsplice.render([AWKWARD[i]])[0]
    assert csvsplice.fields(record) == [str(v) for v in AWKWARD[i]]
    assert csvsplice.first_field(record) == AWKWARD[i][0]


def test_an_unterminated_quote_is_an_error_not_a_silent_merge():
    with pytest.raises(ValueError, match="unterminated"):
        csvsplice.split_records('a,b\n"open,1\n')
