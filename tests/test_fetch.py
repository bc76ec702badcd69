"""fetch: copy from a mirror or download, verified by sha256, never leaving a partial file.

Every test fetches into a throwaway project (``paths.Project``) in a tmp dir, passed explicitly; a
registry entry names its file relative to data/raw/ of whichever project it is fetched into. No
test touches the network.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

import workbooks as wb
from analysis import paths
from analysis.ingest import fetch
from analysis.core.errors import DataIntegrityError

FILES = {
    "ice_287g/participating_2025-01-19.xlsx": ("P0", "participating", "2025-01-19"),
    "ice_287g/pending_2025-09-02.xlsx": ("Q2", "pending", "2025-09-02"),
}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A fake mirror with two fixture sheets, a project with an empty data/raw, and their registry entries."""
    project = paths.Project.at(tmp_path / "project")
    mirror, raw = tmp_path / "mirror", project.raw
    entries = []
    for rel, (layout, kind, published) in FILES.items():
        wb.BUILDERS[layout](mirror / rel)
        entries.append(wb.raw_entry(mirror, rel, kind=kind, published=published, layout=layout))
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    return mirror, raw, entries, project


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_an_entry_lives_in_the_project_it_is_fetched_into(env, tmp_path):
    _, raw, entries, project = env
    assert entries[0].file_in(project) == raw / "ice_287g/participating_2025-01-19.xlsx"
    other = paths.Project.at(tmp_path / "other")
    assert entries[0].file_in(other) == tmp_path / "other" / "data" / "raw" / "ice_287g/participating_2025-01-19.xlsx"


def test_fetch_copies_and_verifies_then_does_nothing(env):
    mirror, raw, entries, P = env
    report = fetch.fetch(P, entries, mirror=mirror, quiet=True)
    assert sorted(report.fetched) == sorted(FILES)
    assert report.present == [] and report.replaced == []
    assert report.summary() == "raw data: fetched 2, 0 already present"
    for rel in FILES:
        assert (raw / rel).read_bytes() == (mirror / rel).read_bytes()
    assert listing(raw) == sorted(FILES)  # no temp files left behind
    fetch.verify(P, entries)

    mtimes = {rel: (raw / rel).stat().st_mtime_ns for rel in FILES}
    again = fetch.fetch(P, entries, mirror=mirror, quiet=True)
    assert again.fetched == [] and again.replaced == []
    assert sorted(again.present) == sorted(FILES)
    assert again.summary() == "all 2 raw files already present and verified; nothing to do"
    assert {rel: (raw / rel).stat().st_mtime_ns for rel in FILES} == mtimes  # not rewritten


def test_mirror_taken_from_data_mirror_env(env, monkeypatch):
    mirror, raw, entries, P = env
    monkeypatch.setenv("DATA_MIRROR", str(mirror))
    report = fetch.fetch(P, entries, quiet=True)
    assert sorted(report.fetched) == sorted(FILES)


def test_mirror_with_wrong_bytes_is_refused_and_leaves_nothing(env):
    mirror, raw, entries, P = env
    entry = entries[0]
    good = entry.sha256
    (mirror / entry.path).write_bytes(b"tampered" + (mirror / entry.path).read_bytes())
    actual = wb.sha256_bytes((mirror / entry.path).read_bytes())
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [entry], mirror=mirror, quiet=True)
    message = str(info.value)
    assert info.value.exit_code == 3
    assert entry.path in message
    assert good in message and actual in message
    assert "DATA_MIRROR" in message
    assert listing(raw) == []  # no partial or temp file in the target dir
    assert not entry.file_in(P).exists()


def test_missing_mirror_file_is_an_error(env):
    mirror, raw, entries, P = env
    (mirror / entries[1].path).unlink()
    with pytest.raises(DataIntegrityError, match="missing from DATA_MIRROR") as info:
        fetch.fetch(P, entries, mirror=mirror, quiet=True)
    assert entries[1].path in str(info.value)
    assert listing(raw) == [entries[0].path]  # the good one landed, nothing else


def test_locally_corrupted_file_is_replaced(env):
    mirror, raw, entries, P = env
    fetch.fetch(P, entries, mirror=mirror, quiet=True)
    target = entries[1].file_in(P)
    target.write_bytes(b"hand edited")
    report = fetch.fetch(P, entries, mirror=mirror, quiet=True)
    assert report.replaced == [entries[1].path]
    assert report.fetched == []
    assert report.present == [entries[0].path]
    assert "replaced 1" in report.summary() and entries[1].path in report.summary()
    assert target.read_bytes() == (mirror / entries[1].path).read_bytes()
    fetch.verify(P, entries)


def test_verify_refuses_a_hand_edited_file(env):
    mirror, raw, entries, P = env
    fetch.fetch(P, entries, mirror=mirror, quiet=True)
    target = entries[0].file_in(P)
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(DataIntegrityError) as info:
        fetch.verify(P, entries)
    message = str(info.value)
    assert entries[0].path in message
    assert entries[0].sha256 in message and wb.sha256_bytes(target.read_bytes()) in message


def test_verify_refuses_a_missing_file(env):
    mirror, raw, entries, P = env
    with pytest.raises(DataIntegrityError, match="missing from data/raw/"):
        fetch.verify(P, entries)


# ----------------------------------------------------------------------------- no mirror: upstream


def _transcribed(entry, url: str):
    from dataclasses import replace

    return replace(entry, url=url, bytes_from_upstream=False)


def test_transcribed_file_without_url_and_without_mirror(env, monkeypatch):
    _, raw, entries, P = env
    import pooch

    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("no download may be attempted"))
    entry = _transcribed(entries[0], "")
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [entry], quiet=True)
    message = str(info.value)
    assert entry.path in message
    assert "transcribed" in message and "DATA_MIRROR" in message
    assert listing(raw) == []


def _pooch_mismatch(known: str, got: str):
    def retrieve(url, known_hash=None, fname=None, path=None, **kw):
        # pooch writes the download, finds the hash wrong, deletes it and raises ValueError
        raise ValueError(
            f"SHA256 hash of downloaded file ({url}) does not match the known hash: expected {known_hash} "
            f"but got {got}. Deleted download for safety. The downloaded file may have been corrupted or "
            "the known hash may be outdated."
        )

    return retrieve


def test_transcribed_file_with_url_gets_the_mirror_hint_on_hash_mismatch(env, monkeypatch):
    _, raw, entries, P = env
    import pooch

    got = "ab" * 32
    entry = _transcribed(entries[0], "https://raw.githubusercontent.com/o/r/" + "0" * 40 + "/x.xlsx")
    monkeypatch.setattr(pooch, "retrieve", _pooch_mismatch(entry.sha256, got))
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [entry], quiet=True)
    message = str(info.value)
    assert entry.path in message
    assert f"expected {entry.sha256}, got {got}" in message
    assert "transcribed" in message and "DATA_MIRROR" in message
    assert listing(raw) == []


def test_upstream_file_hash_mismatch_says_fetch_again(env, monkeypatch):
    _, raw, entries, P = env
    import pooch

    got = "cd" * 32
    entry = entries[0].__class__(**{**entries[0].__dict__, "url": "https://example.invalid/x.xlsx"})
    monkeypatch.setattr(pooch, "retrieve", _pooch_mismatch(entry.sha256, got))
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [entry], quiet=True)
    message = str(info.value)
    assert got in message and entry.sha256 in message
    assert "transcribed" not in message
    assert listing(raw) == []


def test_upstream_download_lands_verified(env, monkeypatch):
    mirror, raw, entries, P = env
    import pooch

    calls = []

    def retrieve(url, known_hash=None, fname=None, path=None, **kw):
        calls.append((url, known_hash))
        Path(path, fname).write_bytes((mirror / entries[0].path).read_bytes())
        return str(Path(path, fname))

    entry = entries[0].__class__(**{**entries[0].__dict__, "url": "https://example.invalid/x.xlsx"})
    monkeypatch.setattr(pooch, "retrieve", retrieve)
    report = fetch.fetch(P, [entry], quiet=True)
    assert report.fetched == [entry.path]
    assert calls == [("https://example.invalid/x.xlsx", f"sha256:{entry.sha256}")]
    assert listing(raw) == [entry.path]
    fetch.verify(P, [entry])


def test_download_error_is_a_data_integrity_error(env, monkeypatch):
    _, raw, entries, P = env
    import pooch

    def retrieve(*a, **k):
        raise ConnectionError("connection refused")

    entry = entries[0].__class__(**{**entries[0].__dict__, "url": "https://example.invalid/x.xlsx"})
    monkeypatch.setattr(pooch, "retrieve", retrieve)
    with pytest.raises(DataIntegrityError, match="download failed"):
        fetch.fetch(P, [entry], quiet=True)
    assert listing(raw) == []


# ----------------------------------------------------------------------------- real pooch, local server


def _serve(tmp_path, monkeypatch, handler_class):
    """Serve tmp_path/www on 127.0.0.1 (no outside network) with ``handler_class``; yields (www, base url)."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    www = tmp_path / "www"
    www.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler_class, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_server(tmp_path, monkeypatch):
    yield from _serve(tmp_path, monkeypatch, _Quiet)


def test_real_pooch_download_and_real_hash_mismatch(env, local_server):
    mirror, raw, entries, P = env
    www, base = local_server
    good, bad = entries
    (www / "good.xlsx").write_bytes((mirror / good.path).read_bytes())
    (www / "bad.xlsx").write_bytes(b"not the registered bytes")
    good = good.__class__(**{**good.__dict__, "url": f"{base}/good.xlsx"})
    bad = _transcribed(bad, f"{base}/bad.xlsx")

    report = fetch.fetch(P, [good], quiet=True)
    assert report.fetched == [good.path]
    fetch.verify(P, [good])

    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [bad], quiet=True)
    message = str(info.value)
    assert wb.sha256_bytes(b"not the registered bytes") in message
    assert "transcribed" in message and "DATA_MIRROR" in message
    assert listing(raw) == [good.path]


@pytest.fixture
def slow_server(tmp_path, monkeypatch):
    """Like local_server, but each response waits 0.2 s and the most requests in flight at once is counted."""
    import time

    lock, state = threading.Lock(), {"now": 0, "most": 0}

    class Slow(_Quiet):
        def do_GET(self):
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            time.sleep(0.2)
            try:
                super().do_GET()
            finally:
                with lock:
                    state["now"] -= 1

    for www, base in _serve(tmp_path, monkeypatch, Slow):
        yield www, base, state


def _served_copies(env, www: Path, base: str, n: int) -> list:
    """n registry entries (the archive's shape: many files) served by the local server."""
    from dataclasses import replace

    mirror, _, entries, P = env
    out = []
    for i in range(n):
        (www / f"s{i}.xlsx").write_bytes((mirror / entries[0].path).read_bytes())
        out.append(replace(entries[0], path=f"ice_287g_archive/s{i}.xlsx", url=f"{base}/s{i}.xlsx"))
    return out


def test_downloads_run_several_at_a_time_each_verified(env, slow_server):
    """Without a mirror the 1,128 archive files must not download one after another."""
    _, raw, _, P = env
    www, base, state = slow_server
    entries = _served_copies(env, www, base, 8)
    report = fetch.fetch(P, entries, quiet=True)
    assert sorted(report.fetched) == sorted(e.path for e in entries)
    assert state["most"] >= 4  # several in flight, not one by one
    assert listing(raw) == sorted(e.path for e in entries)  # no temp files left
    fetch.verify(P, entries)


def test_a_bad_download_in_the_pool_is_refused_and_leaves_no_partial_file(env, slow_server):
    from dataclasses import replace

    _, raw, _, P = env
    www, base, _ = slow_server
    entries = _served_copies(env, www, base, 6)
    (www / "s3.xlsx").write_bytes(b"not the registered bytes")
    entries[5] = replace(entries[5], url=f"{base}/missing.xlsx")  # 404: a later failure in registry order
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, entries, quiet=True)
    assert str(info.value).startswith("ice_287g_archive/s3.xlsx: sha256 mismatch")  # the first in registry order
    assert "ice_287g_archive/s3.xlsx" not in listing(raw)
    assert all(p.endswith(".xlsx") and not Path(p).name.startswith(".") for p in listing(raw))
    fetch.verify(P, [e for e in entries if e.path in listing(raw)])


# ----------------------------------------------------------------------------- zip CRCs, checked once, here

DAMAGED = "ice_287g/participating_2025-10-01.xlsx"


def _write_crc_damaged(path: Path) -> Path:
    """A P3 sheet whose stored sharedStrings part was changed after its CRC was computed
    (FLORIDA -> GEORGIA): calamine would read it as a different count by state."""
    import zipfile

    import mutations as mu

    good = mu.xlsx_bytes(wb.HEADERS["P3"], wb.PM_ROWS, compression=zipfile.ZIP_STORED)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(good.replace(b">FLORIDA<", b">GEORGIA<"))
    return path


@pytest.fixture
def damaged(env):
    """A fixture registry whose sha256 is that of the damaged bytes: the hash alone passes them."""
    mirror, raw, entries, P = env
    _write_crc_damaged(mirror / DAMAGED)
    entry = wb.raw_entry(mirror, DAMAGED, kind="participating", published="2025-10-01", layout="P3")
    return mirror, raw, entries, entry, P


def test_mirror_file_with_matching_sha256_but_damaged_crc_is_refused(damaged):
    mirror, raw, entries, entry, P = damaged
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [entries[0], entry], mirror=mirror, quiet=True)
    message = str(info.value)
    assert info.value.exit_code == 3
    assert len(message.splitlines()) == 1
    assert message.startswith(f"{DAMAGED}: corrupt xlsx: part xl/sharedStrings.xml fails its CRC check")
    assert "DATA_MIRROR" in message and "sha256 matches the registry" in message
    assert listing(raw) == [entries[0].path]  # the good file landed; nothing of the damaged one, no temp file
    with pytest.raises(DataIntegrityError, match="missing from data/raw/"):
        fetch.verify(P, [entry])


def test_download_with_matching_sha256_but_damaged_crc_is_refused(damaged, local_server):
    mirror, raw, _, entry, P = damaged
    www, base = local_server
    (www / "damaged.xlsx").write_bytes((mirror / DAMAGED).read_bytes())
    entry = entry.__class__(**{**entry.__dict__, "url": f"{base}/damaged.xlsx"})
    with pytest.raises(DataIntegrityError) as info:
        fetch.fetch(P, [entry], quiet=True)  # real pooch: the sha256 matches, the CRC does not
    message = str(info.value)
    assert message.startswith(f"{DAMAGED}: corrupt xlsx: part xl/sharedStrings.xml fails its CRC check")
    assert f"{base}/damaged.xlsx" in message
    assert listing(raw) == []


def test_an_already_present_file_is_not_crc_checked_again(env, monkeypatch):
    """Present and sha256-verified means the bytes that passed the check when they came in."""
    mirror, raw, entries, P = env
    fetch.fetch(P, entries, mirror=mirror, quiet=True)
    monkeypatch.setattr(fetch, "zip_problem", lambda p, label: pytest.fail(f"CRC checked again: {p}"))
    assert sorted(fetch.fetch(P, entries, mirror=mirror, quiet=True).present) == sorted(FILES)


def test_only_xlsx_files_are_crc_checked(env):
    mirror, raw, _, P = env
    rel = "context/table.csv"
    (mirror / "context").mkdir()
    (mirror / rel).write_bytes(b"PK\x03\x04 not a zip, a csv that starts like one\n")
    entry = wb.raw_entry(mirror, rel, kind="context", published="2025-01-01")
    assert fetch.fetch(P, [entry], mirror=mirror, quiet=True).fetched == [rel]
