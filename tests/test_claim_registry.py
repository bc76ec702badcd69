"""The claim registry: the real claims.toml loads, and malformed registries fail with one-line errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest

from analysis import claim_registry as cr
from analysis.factcheck import verdicts
from analysis.core.errors import UsageError

# ---------------------------------------------------------------------------------- the real registry


@pytest.fixture(scope="module")
def registry():
    return cr.load_registry()


def test_default_path_is_anchored_on_the_package():
    assert cr.DEFAULT_PATH == Path(cr.__file__).parent.parent / "resources" / "claims.toml"
    assert cr.DEFAULT_PATH.is_file()


def test_real_registry_loads(registry):
    claims = cr.load_claims()
    assert len(claims) >= 20
    assert all(isinstance(c, cr.Claim) for c in claims)
    assert claims == list(registry.claims)


def test_ids_unique(registry):
    ids = [c.id for c in registry.claims]
    assert len(ids) == len(set(ids))
    art_ids = [a.id for a in registry.articles]
    assert len(art_ids) == len(set(art_ids))


def test_every_quote_non_empty(registry):
    for c in registry.claims:
        assert c.quote.strip(), c.id


def test_each_article_has_claims_and_every_claim_an_article(registry):
    art_ids = {a.id for a in registry.articles}
    for a in registry.articles:
        assert any(c.article == a.id for c in registry.claims), a.id
    for c in registry.claims:
        assert c.article in art_ids


def test_expected_articles_present(registry):
    pubs = {a.publication for a in registry.articles}
    assert {"Breitbart News", "Voz", "VisaVerge", "Axios"} <= pubs
    assert any(p.startswith("Citizens Against Tyranny Network") for p in pubs)


def test_urls_or_notes(registry):
    for a in registry.articles:
        assert a.url.startswith("https://") or (a.url == "" and a.url_note), a.id


def test_claim_fields(registry):
    for c in registry.claims:
        assert c.notebook in cr.NOTEBOOKS
        assert c.family in cr.FAMILIES
        assert isinstance(c.as_of, dt.date)
        assert c.point_in_time in cr.POINTS_IN_TIME
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.id)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.quantity)
        if c.as_of_basis == "inferred":
            assert c.as_of_note
        if c.comparison_type in verdicts.REASON_TYPES:
            assert c.not_checkable_reason


def test_key_claims(registry):
    c = cr.get_claim("breitbart-135-at-inauguration")
    assert c.claimed_value == 135 and c.as_of == dt.date(2025, 1, 20) and c.point_in_time == "fixed"
    assert c.is_measured and c.also_units and c.measure.unit == "agencies"
    assert c.quantity == "breitbart_135_at_inauguration"  # the engine's value is named by the claim
    assert c.core.measure == c.measure and c.core.claimed == 135 and c.core.date == "2025-01-20"  # a claims-file claim
    assert cr.get_claim("breitbart-almost-960-today").comparison_type == "almost"
    for cid in ("voz-641pct-increase", "voz-1001-agreements", "voz-more-than-1000-agencies", "voz-40-states"):
        v = cr.get_claim(cid)
        assert v.sensitivity and v.as_of_basis == "inferred"
    for cid in ("catn-florida-well-over-a-third", "catn-cook-la-close-behind"):
        # issue 13 finding 5: the post cites an Axios piece of 2025-11-29, so it cannot speak of an earlier day
        assert cr.get_claim(cid).as_of == dt.date(2025, 11, 29)
    assert cr.get_claim("visaverge-22-pending").comparison_type == "equal"
    assert cr.get_claim("visaverge-pending-by-model").comparison_type == "breakdown"
    assert {c.notebook for c in registry.claims} == set(cr.NOTEBOOKS)


def test_every_claim_on_ice_sheets_declares_its_measure(registry):
    """One engine for every number: a claim about ICE's sheets is a measure, not a notebook's private key."""
    ice = [c for c in registry.claims if c.notebook in ("growth", "concentration", "pending", "courts")
           and c.comparison_type not in ("not_checkable", "policy")]  # fmt: skip
    assert ice and all(c.is_measured for c in ice), [c.id for c in ice if not c.is_measured]


def test_the_subject_noun_decides_the_unit(registry):
    # issue 13 finding 2: "local law enforcement agencies" and "police departments and sheriff's offices" are agencies
    for cid in ("axios-five-most-cooperative-states", "breitbart-135-at-inauguration", "breitbart-almost-960-today"):
        c = cr.get_claim(cid)
        assert c.unit == c.measure.unit == "agencies" and c.also_units, cid
    assert cr.get_claim("catn-florida-well-over-a-third").measure.unit == "agreements"  # "deals"


def test_claims_are_frozen():
    c = cr.get_claim("voz-40-states")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.claimed_value = 41  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.comparison["tolerance"] = 1  # type: ignore[index]


def test_to_dict_is_plain(registry):
    import json

    for c in registry.claims:
        json.dumps(c.to_dict())
    for a in registry.articles:
        json.dumps(a.to_dict())


def test_claims_for_notebook_and_get_claim():
    growth = cr.claims_for_notebook("growth")
    assert growth and all(c.notebook == "growth" for c in growth)
    with pytest.raises(UsageError, match="unknown notebook"):
        cr.claims_for_notebook("growht")
    with pytest.raises(UsageError, match="did you mean 'voz-40-states'"):
        cr.get_claim("voz-40-state")


def test_quantity_keys_shared_only_for_the_same_thing(registry):
    seen = {}
    for c in registry.claims:
        seen.setdefault(c.quantity, set()).add((c.as_of, c.notebook))
    assert all(len(v) == 1 for v in seen.values())
    assert "voz_135_agreements_at_inauguration" in cr.quantity_keys("growth")


# ---------------------------------------------------------------------------------- malformed registries

ARTICLE = """
[[article]]
id = "a1"
publication = "Pub"
title = "T"
date = "2025-09-03"
url = "https://example.org/a1"
"""

def _claim(**fields) -> str:
    """A registry claim as the TOML text the tests edit: ``key = value`` lines, each value as TOML."""
    return "\n[[claim]]\n" + "".join(f"{key} = {value}\n" for key, value in fields.items())


def good(cid="c-one") -> str:
    """A checkable claim that loads."""
    return _claim(id=f'"{cid}"', article='"a1"', quote='"Today, almost 960 agencies."', claimed_value=960, unit='"agencies"',
                  as_of='"2025-09-03"', as_of_basis='"article-date"', point_in_time='"now"', family='"growth"',
                  notebook='"growth"', measure='{ unit = "agencies" }', comparison='{ type = "almost", tolerance = 0.02 }')


def context(cid: str, as_of: str, quantity: str) -> str:
    """A claim no data can check: its value is a notebook's record under ``quantity``."""
    return _claim(id=f'"{cid}"', article='"a1"', quote='"ICE plans to hire 10,000 officers."', claimed_value=10000,
                  unit='"people-per-year"', as_of=f'"{as_of}"', as_of_basis='"explicit"', point_in_time='"fixed"',
                  family='"context"', notebook='"growth"', quantity=f'"{quantity}"', comparison='{ type = "not_checkable" }',
                  not_checkable_reason='"a plan, not a count"')


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "claims.toml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def expect_error(tmp_path, text: str, *needles: str) -> str:
    with pytest.raises(UsageError) as info:
        cr.load_claims(write(tmp_path, text))
    msg = str(info.value)
    assert "\n" not in msg
    for n in needles:
        assert n in msg, msg
    return msg


def test_minimal_registry_loads(tmp_path):
    claims = cr.load_claims(write(tmp_path, ARTICLE + good()))
    assert [c.id for c in claims] == ["c-one"]


def test_duplicate_claim_id(tmp_path):
    expect_error(tmp_path, ARTICLE + good("c-dup") + good("c-dup"), "claim 'c-dup'", "duplicate id")









@pytest.mark.parametrize("bad", ["2025-13-01", "03/09/2025", "2025-9-3", "20250903"])
def test_bad_as_of_date(tmp_path, bad):
    text = ARTICLE + good().replace('as_of = "2025-09-03"', f'as_of = "{bad}"').replace(
        'as_of_basis = "article-date"', 'as_of_basis = "explicit"')
    expect_error(tmp_path, text, "claim 'c-one'", "as_of")


def test_toml_native_date_accepted(tmp_path):
    text = ARTICLE + good().replace('as_of = "2025-09-03"', "as_of = 2025-09-03")
    assert cr.load_claims(write(tmp_path, text))[0].as_of == dt.date(2025, 9, 3)









def test_quantity_shared_with_different_as_of(tmp_path):
    first = context("c-one", "2025-09-03", "hires_planned")
    second = context("c-two", "2025-09-04", "hires_planned")
    expect_error(tmp_path, ARTICLE + first + second, "claim 'c-two'", "quantity 'hires_planned'", "c-one")


def test_a_checkable_registry_claim_is_a_claims_file_claim(tmp_path):
    """The judged part goes through the claims-file schema and checks: a checkable claim needs a
    measure, and what a claims file refuses the registry refuses too, naming the claim and field."""
    no_measure = good().replace('measure = { unit = "agencies" }\n', "")
    expect_error(tmp_path, ARTICLE + no_measure, "claim 'c-one'", "measure: missing")
    bad_unit = good().replace('measure = { unit = "agencies" }', 'measure = { unit = "agencys" }')
    expect_error(tmp_path, ARTICLE + bad_unit, "claim 'c-one'", "measure.unit")




def test_article_without_claims(tmp_path):
    extra = ARTICLE.replace('"a1"', '"a2"').replace("example.org/a1", "example.org/a2")
    expect_error(tmp_path, ARTICLE + extra + good(), "article 'a2'", "no claims")


def test_article_empty_url_needs_note(tmp_path):
    text = ARTICLE.replace('url = "https://example.org/a1"', 'url = ""') + good()
    expect_error(tmp_path, text, "article 'a1'", "url_note")


def test_article_empty_date_needs_note(tmp_path):
    text = ARTICLE.replace('date = "2025-09-03"', 'date = ""') + good().replace(
        'as_of_basis = "article-date"', 'as_of_basis = "explicit"')
    expect_error(tmp_path, text, "article 'a1'", "date_note")


def test_article_date_basis_without_article_date(tmp_path):
    text = ARTICLE.replace('date = "2025-09-03"', 'date = ""\ndate_note = "undated"') + good()
    expect_error(tmp_path, text, "claim 'c-one'", "article has no date")


def test_invalid_toml(tmp_path):
    msg = expect_error(tmp_path, ARTICLE + "[[claim]\nid = ", "not valid TOML")
    assert msg.startswith("claims.toml") or "claims.toml" in msg


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        cr.load_claims(tmp_path / "absent.toml")


def test_edit_is_picked_up_despite_cache(tmp_path):
    p = write(tmp_path, ARTICLE + good())
    assert len(cr.load_claims(p)) == 1
    p.write_text(textwrap.dedent(ARTICLE + good() + good("c-two")), encoding="utf-8")
    assert len(cr.load_claims(p)) == 2


def test_usage_error_exit_code(tmp_path):
    with pytest.raises(UsageError) as info:
        cr.load_claims(write(tmp_path, ARTICLE + good("c-dup") + good("c-dup")))
    assert info.value.exit_code == 2


MALFORMED = [
    pytest.param(lambda: ARTICLE + good().replace('article = "a1"', 'article = "nope"'), ("claim 'c-one'", "article 'nope'"), id='unknown_article'),
    pytest.param(lambda: ARTICLE + good().replace('notebook = "growth"', 'notebook = "growht"'), ("claim 'c-one'", "notebook", "did you mean 'growth'"), id='bad_notebook'),
    pytest.param(lambda: ARTICLE + good().replace('type = "almost", tolerance = 0.02', 'type = "roughly"'), ("claim 'c-one'", "comparison.type: must be one of", "not 'roughly'"), id='unknown_comparison_type'),
    pytest.param(lambda: ARTICLE + good().replace("tolerance = 0.02", "tolerence = 0.02"), ("claim 'c-one'", "comparison.tolerence: unknown field"), id='bad_comparison_parameter'),
    pytest.param(lambda: ARTICLE + good().replace('quote = "Today, almost 960 agencies."\n', ""), ("claim 'c-one'", "missing required field(s) quote"), id='missing_required_field'),
    pytest.param(lambda: ARTICLE + good().replace('id = "c-one"\n', ""), ("claim #1 (no id)", "missing required field(s) id"), id='missing_id_names_position'),
    pytest.param(lambda: ARTICLE + good().replace('quote = "Today, almost 960 agencies."', 'quote = "  "'), ("claim 'c-one'", "'quote' must not be empty"), id='empty_quote'),
    pytest.param(lambda: ARTICLE + good().replace('as_of = "2025-09-03"', 'as_of = "2025-09-04"'), ("claim 'c-one'", "differs from the article date"), id='article_date_basis_must_match'),
    pytest.param(lambda: ARTICLE + good().replace('as_of_basis = "article-date"', 'as_of_basis = "inferred"'), ("claim 'c-one'", "as_of_note"), id='inferred_needs_note'),
    pytest.param(lambda: ARTICLE + good() + 'verdict = "supported"\n', ("claim 'c-one'", "'verdict' is not allowed"), id='typed_in_verdict_is_rejected'),
    pytest.param(lambda: ARTICLE + good() + 'colour = "red"\n', ("claim 'c-one'", "unknown field(s) colour"), id='unknown_field'),
    pytest.param(lambda: ARTICLE + good().replace('{ type = "almost", tolerance = 0.02 }', '{ type = "not_checkable" }'), ("claim 'c-one'", "must say why it cannot be checked"), id='not_checkable_needs_reason'),
    pytest.param(lambda: ARTICLE + good() + 'not_checkable_reason = "x"\n', ("claim 'c-one'", "is checkable"), id='reason_on_checkable_claim'),
    pytest.param(lambda: ARTICLE + good() + 'also_check_units = ["agencies", "agreements"]\n', ("claim 'c-one'", "unknown field(s) also_check_units"), id='also_check_units_is_gone'),
    pytest.param(lambda: ARTICLE + good().replace("claimed_value = 960", 'claimed_value = ["Texas"]'), ("claim 'c-one'", "claimed_value"), id='claimed_value_shape_checked_against_comparison'),
    pytest.param(lambda: ARTICLE + good() + "quote_verbatim = false\n", ("claim 'c-one'", "quote_note"), id='quote_not_verbatim_needs_note'),
]


@pytest.mark.parametrize(("make_text", "expected"), MALFORMED)
def test_malformed_registry_is_rejected(tmp_path, make_text, expected):
    expect_error(tmp_path, make_text(), *expected)


def test_every_quote_is_verbatim_from_the_captured_article(registry, articles_dir):
    """Issue 13 finding 5: quotes are the article's own characters; '...' marks a cut."""
    folder = articles_dir
    for art in registry.articles:
        assert art.capture, f"article {art.id} names no capture file"
        text = " ".join((folder / art.capture).read_text(encoding="utf-8").replace("\xa0", " ").split())
        for c in (c for c in registry.claims if c.article == art.id):
            for part in c.quote.split(" ... "):
                assert " ".join(part.split()) in text, (c.id, part)
            assert c.quote_verbatim, c.id
