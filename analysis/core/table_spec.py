"""The processed tables' columns, declared once: name, type, missing or not, allowed values, meaning.

Everything else about a column is derived from here: the column order the build writes
(tidy.AGREEMENT_COLUMNS, history.COLUMNS, qa.COLUMNS ...), the pandera schemas that check a table
before it is written (schemas.py), the Stata names of `export --format dta`, and the processed
tables' part of docs/data-dictionary.md (`python -m analysis docs` writes it; a test fails when the
committed file is stale). Add or change a column here, then run that command.

Plain data, no pandas: the docs command and the up-to-date check import it cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("participating", "pending")
#: ICE's support models, code -> the name ICE prints; every list of models is read from here
MODEL_NAMES = {"JEM": "Jail Enforcement Model", "TFM": "Task Force Model", "WSO": "Warrant Service Officer"}
MODELS = tuple(MODEL_NAMES)
#: what a count counts: rows of ICE's sheet (agreements) or distinct agency ids (agencies)
UNITS = ("agreements", "agencies")
LINK_STATUSES = ("link", "link pending", "archived url", "none", "other")
# Where an agreement is (geography.py places it; a row is never dropped for want of a county).
GEO_LEVELS = ("county", "statewide", "territory", "unknown")
LAYOUTS = ("P0", "P1", "P2", "P3", "Q1", "Q2", "Q3")
USPS = r"^[A-Z]{2}$"
# The dictionary's types; a trailing "?" means the column may be missing (see the dictionary's preamble).
TYPES = ("string", "int64", "float64", "bool", "datetime", "date", "object")
STATA_NAME_MAX = 32


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of TYPES, "?" appended when values may be missing
    meaning: str
    isin: tuple[str, ...] = ()
    regex: str | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    unique: bool = False
    stata: str | None = None  # Stata name, when the export's rule (stata_names) should not decide it

    def __post_init__(self):
        if self.dtype not in TYPES:
            raise ValueError(f"column {self.name!r}: type {self.type!r} is not one of {TYPES}")

    @property
    def dtype(self) -> str:
        return self.type.removesuffix("?")

    @property
    def nullable(self) -> bool:
        return self.type.endswith("?")


@dataclass(frozen=True)
class Table:
    path: str  # under data/processed/
    intro: str
    own: tuple[Column, ...] = ()
    same_as: Table | None = None  # its columns come first, then ``own``
    keys: bool = False  # a JSON file: the rows are its top-level keys, not columns
    # pandera options of the whole table (schemas.schema)
    strict: bool = False
    ordered: bool = False
    unique: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[Column, ...]:
        return (self.same_as.columns if self.same_as else ()) + tuple(self.own)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def typed(self, *types: str) -> tuple[str, ...]:
        """Names of the columns of these types (``"string?"``: text that may be missing)."""
        return tuple(c.name for c in self.columns if c.type in types)

    def stata_names(self) -> dict[str, str]:
        return stata_names(self.names, {c.name: c.stata for c in self.columns if c.stata})


def stata_names(columns: list[str], chosen: dict[str, str] | None = None) -> dict[str, str]:
    """Column -> valid, unique Stata name (<= 32 chars; letters, digits, underscore); ``chosen``
    names come from the spec (Column.stata) and are kept as they are."""
    chosen = chosen or {}
    out: dict[str, str] = {}
    used: set[str] = {n.lower() for n in chosen.values()}
    for col in columns:
        if col in chosen:
            out[col] = chosen[col]
            continue
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(col)) or "v"
        if name[0].isdigit():
            name = "_" + name
        name = name[:STATA_NAME_MAX]
        base, i = name, 2
        while name.lower() in used:
            suffix = f"_{i}"
            name = base[: STATA_NAME_MAX - len(suffix)] + suffix
            i += 1
        used.add(name.lower())
        out[col] = name
    return out


@dataclass(frozen=True)
class Group:
    title: str
    intro: str
    tables: tuple[Table, ...]


# ----------------------------------------------------------------------------- data/processed/

AGREEMENTS = Table(
    'agreements.parquet',
    (
        'One row per data row of every ICE sheet (participating and pending), cleaned; the raw cells are'
        ' kept beside the cleaned ones. Filter on `snapshot_id` (or use `python -m analysis query`) to '
        'get one sheet.'
    ),
    (
        Column('snapshot_id', 'string', (
            'Sheet the row comes from: its registered file name without extension (e.g. '
            '`participating_2025-09-02_pm`).'
        )),
        Column('kind', 'string', (
            "`participating` (signed agreements) or `pending` (applications), decided by the sheet's header,"
            ' not its file name.'
        ), isin=KINDS),
        Column('published', 'datetime', (
            "Publication date of the sheet (ICE's file-name date, or the Wayback capture date for P0 "
            'transcriptions).'
        )),
        Column('file', 'string', 'Raw file path relative to `data/raw/` (local sheets start with `local/`).'),
        Column('row', 'int64', 'Excel row number in the sheet (the header is row 1, so data start at 2).', ge=2),
        Column('state', 'string', 'USPS code of the STATE cell after cleaning (`FL`; territories `GU`, `MP`, ...).', regex=USPS),
        Column('state_name', 'string', 'Full state or territory name (`Florida`).'),
        Column('is_state', 'bool', 'True for the 50 states and DC; False for territories (Guam, Northern Mariana Islands ...).'),
        Column('agency_id', 'string', (
            'Stable agency id `STATE:slug` after folding (to ASCII: `[a-z0-9-]` only, accents dropped), '
            'reviewed aliases and the truncation rule (see docs/methods.md).'
        ), regex=r"^[A-Z]{2}:[a-z0-9-]+$"),
        Column('agency_name', 'string', 'Display name of the agency: its most frequent cleaned spelling across all sheets.', min_length=1),
        Column('agency', 'string', 'Agency name as printed in this row, whitespace and apostrophes normalised.'),
        Column('model', 'string?', (
            '287(g) support model: `JEM` (Jail Enforcement Model), `TFM` (Task Force Model), `WSO` (Warrant '
            'Service Officer); missing when SUPPORT TYPE is blank.'
        ), isin=MODELS),
        Column('signed', 'datetime?', (
            'Date the agreement was signed (participating only); missing for pending rows and for impossible'
            ' or blank SIGNED cells.'
        )),
        Column('signed_flag', 'string', (
            'Rule applied to SIGNED (`signed_missing_slash`, `signed_year_typo`, `signed_blank`, ...); empty'
            ' when read as printed.'
        )),
        Column('agreement_id', 'string', (
            '`agency_id:model:signed date` (participating) or `agency_id:model:pending`; '
            '`unstated`/`undated` fill gaps.'
        )),
        Column('is_duplicate', 'bool', (
            'True for the second and later rows with the same `agreement_id` in one sheet that differ in '
            'some cell (kept, flagged, counted as ICE printed them); exact duplicate rows are dropped before'
            ' (snapshots `rows_duplicate`).'
        )),
        Column('jurisdiction_type', 'string?', (
            'TYPE column cleaned (`County`, `Municipality`, `State Agency`, `State`); missing in P0 sheets, '
            'which have no TYPE.'
        )),
        Column('county', 'string?', (
            'COUNTY as printed, whitespace collapsed; missing for `#N/A` and in layouts without COUNTY (P0, '
            'P1, Q1).'
        )),
        Column('county_fips', 'string?', (
            '5-digit county FIPS code the agreement is placed in (`analysis/clean/geography.py`, docs/methods.md '
            '"Geography: county codes"); missing unless `geo_level` is `county`. Connecticut rows take the former '
            "county's code (09001-09015)."
        ), regex=r"^\d{5}$"),
        Column('geo_level', 'string', (
            '`county` (placed in a county), `statewide` (a state agency), `territory` (GU, MP, PR, VI, AS) or '
            '`unknown` (no rule placed it; listed by `python -m analysis.clean.geography`); never missing.'
        ), isin=GEO_LEVELS),
        Column('county_share', 'float64?', (
            "Share of the town's residents living in that county, for a placement by town (the Geocorr "
            'crosswalk, rule `crosswalk`); 1.0 when a county is named (COUNTY cell or agency name); missing when '
            'not in a county.'
        ), ge=0, le=1),
        Column('geo_rule', 'string', (
            'Rule that decided: `territory`, `state_agency`, `county_cell`, `county_alias`, `agency_name`, '
            '`crosswalk`, or `unknown: <reason>`.'
        ), min_length=1),
        Column('moa_status', 'string', (
            "MOA cell: `link`, `link pending`, `archived url` (P0's Wayback links), `none` (empty), `other`."
        ), isin=LINK_STATUSES),
        Column('addendum_status', 'string', 'ADDENDUM cell, same values as `moa_status` (`none` in layouts before P3).', isin=LINK_STATUSES),
        Column('state_raw', 'string', 'STATE cell as printed.'),
        Column('agency_raw', 'string', 'LAW ENFORCEMENT AGENCY cell as printed.'),
        Column('jurisdiction_type_raw', 'string', "TYPE cell as printed ('' where the layout has no TYPE)."),
        Column('county_raw', 'string', "COUNTY cell as printed ('' where the layout has no COUNTY)."),
        Column('support_type_raw', 'string', 'SUPPORT TYPE cell as printed.'),
        Column('signed_raw', 'string', "SIGNED cell as text (Excel dates as `YYYY-MM-DD`; '' in pending sheets)."),
        Column('moa_raw', 'string', 'MOA cell as printed (text `link`/`link pending`, or a web.archive.org URL in P0).'),
        Column('addendum_raw', 'string', "ADDENDUM cell as printed ('' before layout P3)."),
    ),
)

SNAPSHOTS = Table(
    'snapshots.parquet',
    'One row per ICE sheet read: what it is, where it came from, and how it was read.',
    (
        Column('snapshot_id', 'string', 'Registered file name without extension; unique.', unique=True),
        Column('file', 'string', 'Raw file path relative to `data/raw/`.', unique=True),
        Column('sha256', 'string', "SHA-256 of the raw file's bytes (as in the registry).", regex=r"^[0-9a-f]{64}$"),
        Column('set', 'string', (
            'Registry set: `ice_287g` (curated), `ice_287g_archive` (full archive) or `local` (added with '
            '`add-sheet`).'
        )),
        Column('kind', 'string', '`participating` or `pending`, by the header.', isin=KINDS),
        Column('kind_registry', 'string', 'Kind the registry gave; QA fails if it differs from `kind`.'),
        Column('published', 'date', 'Publication (or capture) date used to decide which sheet was in force on a day.'),
        Column('edition', 'string', (
            "Same-day edition: `am`, `mid`, `pm`, `pm2` ..., `hhmmss` for Wayback captures, '' when unknown."
        )),
        Column('edition_order', 'int64', 'Seconds into the day used to order same-day editions (am 32400 < mid 43200 < pm 61200).', ge=0, le=86399),
        Column('layout', 'string', 'Header layout read (P0-P3 participating, Q1-Q3 pending; see docs/methods.md).', isin=LAYOUTS),
        Column('layout_registry', 'string', "Layout the registry gave ('' when none); QA compares it with `layout`."),
        Column('worksheet', 'string', 'Name of the first worksheet, the one read.'),
        Column('rows', 'int64', (
            'Data rows read as printed (rows with both STATE and LAW ENFORCEMENT AGENCY), exact duplicates '
            'included.'
        ), ge=0),
        Column('rows_registry', 'int64', 'Row count the registry gave (-1 when none); QA compares it with `rows`.'),
        Column('rows_skipped', 'int64', 'Non-empty rows skipped because STATE or AGENCY was blank (each is in corrections.csv).'),
        Column('rows_duplicate', 'int64', (
            'Exact duplicate rows dropped: rows repeating an earlier row of the sheet cell for cell, counted'
            ' once (each is in corrections.csv, rule `row_exact_duplicate`; a count on this sheet says so).'
        ), ge=0),
        Column('is_ice_file', 'bool', "False for P0: RelevantResearch's transcription of ICE's HTML table, not an ICE workbook."),
        Column('source_note', 'string', (
            "`ICE workbook`, `transcription of ICE's HTML table (not an ICE file)`, or `local sheet, added "
            'from <original file name>` for a sheet registered with `add-sheet`.'
        )),
        Column('county_coverage', 'float64?', (
            "Share of the sheet's agreement rows placed in a county (`geo_level = county`; statewide, territory "
            'and unknown rows count in the denominator); missing for a sheet with no row. QA fails a build whose '
            'newest participating sheet is below `geography.COVERAGE_FLOOR` (0.92).'
        ), ge=0, le=1),
    ),
)

CORRECTIONS = Table(
    'corrections.csv',
    'Every cell the cleaning changed, one row per change, so no correction is silent.',
    (
        Column('snapshot_id', 'string', 'Sheet of the changed cell.'),
        Column('file', 'string', 'Raw file path relative to `data/raw/`.'),
        Column('row', 'int64', 'Excel row number.'),
        Column('field', 'string', (
            'Sheet column changed (`STATE`, `SUPPORT TYPE`, `TYPE`, `SIGNED`, `LAW ENFORCEMENT AGENCY`) or '
            '`(row)` for a skipped or dropped row.'
        )),
        Column('before', 'string', 'Cell as printed.'),
        Column('after', 'string', "Cleaned value ('' when the value became missing or the row was skipped or dropped)."),
        Column('rule', 'string', (
            'Named rule (`state_typo`, `support_type_variant`, `agency_alias`, `agency_truncated`, '
            '`signed_year_typo`, `row_skipped`, `row_exact_duplicate`, ...).'
        )),
    ),
)

QA = Table(
    'qa.csv',
    (
        'QA invariants checked after every build; any `fail` stops the build (this file is still '
        'written).'
    ),
    (
        Column('check', 'string', 'The invariant, in words (`rows read = registry rows`, `agencies <= agreements`, ...).'),
        Column('scope', 'string', '`snapshot_id` checked, or `all`.'),
        Column('value', 'string', 'Value found.'),
        Column('expected', 'string', 'Value required.'),
        Column('status', 'string', '`pass`, `warn` (recorded, counts unchanged) or `fail`.'),
    ),
)

BUILD_MANIFEST = Table(
    'build_manifest.json',
    'Cache key of the build: the processed tables are rebuilt only when it changes. Top-level keys:',
    (
        Column('code_version', 'string', (
                'Hash of the modules the build runs (build.py and everything it imports, read from the import graph by '
                '`analysis/core/codegraph.py`) and of the reviewed resource tables (`buildinfo.code_version()`).'
            )),
            Column('inputs', 'object', (
            'Registry row (all fields as text) of every raw file built, keyed by its path under `data/raw/`.'
        )),
        Column('outputs', 'object', (
            'SHA-256 of every file the build wrote, keyed by its path under `data/processed/` (not qa.csv, which a '
            'failed build rewrites, nor `archive/`): a table edited since is refused by readers and built again by '
            '`build` (`analysis/store/integrity.py`).'
        )),
    ),
    keys=True,
)

COUNTS = Table(
    'counts.sqlite',
    (
        'Counts for every snapshot, precomputed at build time so `python -m analysis query` answers '
        'without pandas (`analysis/store/counts_cache.py`; the same rules as `query.count`, checked by tests).'
        " One SQLite table, `snapshots`, one row per snapshot plus one row (`kind = 'names'`) holding "
        'the state-name map:'
    ),
    (
        Column('snapshot_id', 'string', "Snapshot id ('' for the names row)."),
        Column('kind', 'string', '`participating`, `pending`, or `names`.'),
        Column('published', 'string', 'Publication date (ISO); indexed with `kind` and `edition_order` to find the sheet in force.'),
        Column('edition_order', 'int64', 'Seconds into the day used to order same-day editions.'),
        Column('data', 'string', (
            'JSON: `meta` (id, file, kind, published, edition, edition_order, source_note, also_live_on), '
            '`states` (states + DC with a row), `territories`, and `counts[unit]` with `""` (total) and '
            '`state`/`model` lists of `[key, count]`. The state x model breakdown is not cached (the CLI '
            'reads the tables for it).'
        )),
    ),
)

# TRAC's counts, the same in its county and state tables (the area: the row's county or state).
_TRAC_COUNTS = (
    Column("pending", "int64", "Immigration-court cases pending whose respondent's most recent address is in the area."),
    Column("represented", "int64", "Of those, cases with an attorney."),
    Column("pending_90d", "int64", "Pending cases filed in the last 90 days before TRAC's snapshot."),
    Column("represented_90d", "int64", "Of those, represented."),
    Column("pct_represented", "float64", "Percent represented, as TRAC prints it (0-100)."),
    Column("pct_represented_90d", "float64", "Percent represented among the last 90 days' cases (0-100)."),
)

TRAC_COUNTY = Table(
    'trac_county.parquet',
    (
        'TRAC "Pending Court Cases by Immigrant\'s Address", county table (undated; inferred mid-to-late '
        '2025).'
    ),
    (
        Column('fips', 'string', '5-digit county FIPS code (leading zeros kept).'),
        Column('state', 'string', 'USPS code derived from the FIPS state part.'),
        Column('county', 'string', 'County name as TRAC prints it.'),
        *_TRAC_COUNTS,
        Column('is_nyc', 'bool', "True for New York City's five counties (Bronx, Kings, New York, Queens, Richmond)."),
    ),
)

TRAC_STATE = Table(
    'trac_state.parquet',
    (
        "TRAC's state table (50 states + DC); its totals are TRAC's own and differ from county sums by a"
        ' few cases.'
    ),
    (
        Column('fips', 'string', '2-digit state FIPS code.'),
        Column('state', 'string', 'USPS code.'),
        Column('state_name', 'string', 'State name as TRAC prints it.'),
        *_TRAC_COUNTS,
    ),
)

POPULATION = Table(
    'population.parquet',
    'Census Vintage 2024 population estimates (July 1, 2024), state-level rows.',
    (
        Column('fips', 'string', '2-digit state FIPS code.'),
        Column('state', 'string', 'USPS code.'),
        Column('state_name', 'string', 'State name.'),
        Column('population_2024', 'int64', 'Resident population estimate on 2024-07-01 (POPESTIMATE2024).'),
        Column('is_state', 'bool', 'False for Puerto Rico (territory); DC counts as a state here.'),
    ),
)

COUNTY_POPULATION = Table(
    'county_population.parquet',
    (
        'Census Vintage 2024 county population estimates (co-est2024-alldata.csv, July 1, 2024): 3,144 '
        'counties of the 50 states and DC (no Puerto Rico). Read as Latin-1; the build refuses the file '
        "when a state's counties do not sum to its state row. Connecticut appears as its 9 planning "
        'regions (09110-09190), not the 8 former counties ICE names (see docs/methods.md, "Geography: '
        'county codes").'
    ),
    (
        Column('fips', 'string', '5-digit county FIPS code (state + county, leading zeros kept).', regex=r"^\d{5}$", unique=True),
        Column('state', 'string', 'USPS code derived from the FIPS state part.', regex=USPS),
        Column('county_name', 'string', "County name as Census prints it ('Doña Ana County', 'Capitol Planning Region').", min_length=1),
        Column('population_2024', 'int64', 'Resident population estimate on 2024-07-01 (POPESTIMATE2024).', ge=0),
    ),
    strict=True,
    ordered=True,
)

PLACE_COUNTY = Table(
    'place_county.parquet',
    (
        'Geocorr 2022 place-to-county crosswalk (2020 Census geography): one row per part of a town '
        '(Census place) lying in one county. Rows for the rest of a county outside any place (place code'
        ' 99999) are dropped. Connecticut has its 8 former counties here, as in the us_atlas geometry.'
    ),
    (
        Column('state', 'string', 'USPS code.', regex=USPS),
        Column('place_code', 'string', '5-digit Census place code within the state (leading zeros kept).', regex=r"^\d{5}$"),
        Column('place_name', 'string', "Place name with its Census class and state, as Geocorr prints it ('Cape Coral city, FL').", min_length=1),
        Column('county_fips', 'string', '5-digit county FIPS code of this part.', regex=r"^\d{5}$"),
        Column('county_name', 'string', "County name as Geocorr prints it ('Lee FL').", min_length=1),
        Column('pop20', 'int64', '2020 Census residents of this part of the place.', ge=0),
        Column('share', 'float64?', (
            "Share of the place's residents living in this county (Geocorr's afact2, 0-1); missing for a "
            'place of no residents.'
        ), ge=0.0, le=1.0),
    ),
    strict=True,
    ordered=True,
    unique=("state", "place_code", "county_fips"),
)

ELECTION_2024 = Table(
    'election_2024.parquet',
    (
        'FiveThirtyEight / ABC News certified 2024 presidential general-election results by state (50 + '
        'DC).'
    ),
    (
        Column('state', 'string', 'USPS code (Maine/Nebraska district rows and Puerto Rico dropped).'),
        Column('state_name', 'string', 'State name.'),
        Column('trump_votes', 'int64', 'Votes for Donald Trump (all ballot lines summed, e.g. NY REP + CRV).'),
        Column('harris_votes', 'int64', 'Votes for Kamala Harris (all ballot lines summed, e.g. NY DEM + WFP).'),
        Column('total_votes', 'int64', 'All valid votes cast for president (blank, over-, under- and void ballots excluded).'),
        Column('trump_share', 'float64', '`trump_votes / total_votes` (0-1).'),
        Column('harris_share', 'float64', '`harris_votes / total_votes` (0-1).'),
        Column('trump_two_party_share', 'float64', '`trump_votes / (trump_votes + harris_votes)` (0-1).'),
    ),
)

REFERENCE_FIGURES = Table(
    'reference_figures.parquet',
    'Published point figures (TRAC, Axios and others) transcribed by hand, used as yardsticks.',
    (
        Column('figure_id', 'string', 'Unique id of the figure.'),
        Column('source_publisher', 'string', 'Who published it.'),
        Column('source_url', 'string', 'Page it was transcribed from.'),
        Column('published', 'string', 'Publication date of the source (ISO text).'),
        Column('period_or_as_of', 'string', 'Period or date the figure describes, as worded.'),
        Column('geography', 'string', 'Place the figure is about (`Harris County, TX`, `United States`).'),
        Column('measure', 'string', 'What is counted (`immigration-judge removal orders (TRAC data)`, pending cases ...).'),
        Column('value', 'int64', 'The figure.'),
        Column('value_qualifier', 'string', 'Wording of its precision as transcribed (`exact`, `approximate: ...`).'),
        Column('quote_context', 'string', 'The sentence it was printed in.'),
        Column('qualifier', 'string', 'Normalised precision: `exact`, `approximate`, `upper bound`, `lower bound`.'),
        Column('qualifier_text', 'string', 'Copy of `value_qualifier` (raw wording).'),
    ),
)

# ----------------------------------------------------------------------------- data/processed/archive/

ARCHIVE_AGREEMENTS = Table(
    'archive/agreements.parquet',
    (
        'A folder of parquet parts (read it whole '
        'with `pandas.read_parquet`, `pyarrow.parquet.read_table` or any parquet dataset reader): a full'
        " build writes the older sheets' rows, then the last 90 days' rows, each split by agency into up"
        " to 8 parts (a hash of `agency_id`: an agency's rows are in one part of each), and each append "
        "one more part with the new sheets' rows. Splitting by agency bounds what an append rewrites "
        "when ICE corrects an agency's spelling. Rows keep their order within a part; for one canonical "
        'order sort by `kind`, `published`, `snapshot_id`, `row`.'
    ),
    same_as=AGREEMENTS,
)

ARCHIVE_SNAPSHOTS = Table(
    "archive/snapshots.parquet",
    (
        "Plus three columns for files ICE re-posted unchanged (`analysis/store/panel.py`). A row is one distinct "
        "file: `set` is the registry set of the naming file (`ice_287g_archive` wins ties; `ice_287g` or "
        "`local` for bytes no archive file holds) and `published` the first date any name gave these bytes."
    ),
    (
        Column("names", "string", "Every registry path and original (ICE or Wayback) file name that carried these bytes, `;`-separated."),
        Column("also_live_on", "string", (
                "Later dates (at most 366 days after `published`) the same bytes were published under, "
                "`;`-separated ('' if none); garbled names such as `11114025am` are in `names` only."
            )),
            Column("confirmed_until", "date", "Last date these bytes were seen live: the latest of `published` and `also_live_on`."),
        ),
    same_as=SNAPSHOTS,
)

ARCHIVE_CORRECTIONS = Table(
    'archive/corrections.csv',
    '',
    same_as=CORRECTIONS,
)

ARCHIVE_QA = Table(
    'archive/qa.csv',
    '',
    same_as=QA,
)

HISTORY = Table(
    'archive/history.parquet',
    (
        'How long each agreement and agency was listed (`analysis/store/history.py`): one row per *spell*, a '
        'run of consecutive snapshots of one kind (in publication order) that list the id.'
    ),
    (
        Column('unit', 'string', '`agreement` or `agency`.'),
        Column('kind', 'string', '`participating` or `pending`.'),
        Column('id', 'string', '`agreement_id` or `agency_id`.'),
        Column('agency_id', 'string', 'The agency (equals `id` for agency rows).'),
        Column('state', 'string', 'USPS code.'),
        Column('model', 'string?', 'JEM, TFM or WSO (agreement rows; missing for agency rows or an unstated model).'),
        Column('signed', 'datetime?', 'Signed date of the agreement (missing for agency rows, pending rows and undated agreements).'),
        Column('spell', 'int64', '1 for the first listing spell of this id, 2 after its first gap, ...'),
        Column('first_snapshot', 'string', 'First snapshot of the spell.'),
        Column('first_seen', 'datetime', 'Its publication date.'),
        Column('last_snapshot', 'string', 'Last snapshot of the spell.'),
        Column('last_seen', 'datetime', 'Its publication date.'),
        Column('n_snapshots', 'int64', 'Snapshots in the spell.'),
        Column('status', 'string', (
            '`active` (on the newest snapshot of its kind), `removed`, `re-signed` (participating '
            'agreements: the same agency and model appear under a later signed date after this spell began '
            'and at the latest on the first sheet without it) or `signed date changed` (the same, with an '
            'earlier or missing date; see docs/methods.md).'
        )),
        Column('removed_by_snapshot', 'string?', 'First snapshot that no longer listed it (missing when active).'),
        Column('removed_by', 'datetime?', 'Its publication date: the removal happened between `last_seen` and this date.'),
        Column('window_days', 'int64?', 'Days in that removal window (0: an am sheet listed it, the pm sheet did not).'),
        Column('replaced_by', 'string?', 'For `re-signed` / `signed date changed`: the agreement id that took over.'),
        Column('replaces', 'string?', 'The agreement id this spell took over from.'),
    ),
)

ARCHIVE_COUNTS = Table(
    'archive/counts.sqlite',
    'Read by `python -m analysis query --archive`.',
    same_as=COUNTS,
)

ARCHIVE_BUILD_MANIFEST = Table(
    'archive/build_manifest.json',
    'Cache key of the archive build: `build --archive` does nothing while it is unchanged.',
    (
        Column('code_version', 'string', (
                'Hash of the modules the curated build and panel.py run (their imports, transitively) and of the '
                'reviewed resource tables (`panel.code_version()`).'
            )),
            Column('inputs', 'object', (
            'For every ICE sheet registered (curated, archive, local), keyed by its path under `data/raw/`: '
            'a digest (32 hex digits of SHA-256) of its registry row, all fields as text. Any changed field '
            'changes it; the rows themselves are in `data/raw/registry*.csv`.'
        )),
        Column('gazetteer', 'object', (
            'SHA-256 of `data/processed/county_population.parquet` and `place_county.parquet`, the county tables '
            'the rows are placed from (written by `python -m analysis build`, which must run first): a rebuilt '
            'county table marks the panel stale.'
        )),
        Column('outputs', 'object', (
            'SHA-256 of every file the build wrote (each part of `agreements.parquet/` apart), keyed by its path '
            'under `data/processed/archive/` (not qa.csv, the parse cache, nor the files that carry their own '
            'digest): a table edited since is refused by readers and built again by `build --archive`.'
        )),
    ),
    keys=True,
)

# The county tables agreements are placed from (geography); the archive panel's manifest carries their
# sha256, so `build` writes them first.
GAZETTEER_TABLES = (COUNTY_POPULATION.path, PLACE_COUNTY.path)

GROUPS = (
    Group(
        "Processed tables (`data/processed/`, written by `python -m analysis build`)",
        "",
        (AGREEMENTS, SNAPSHOTS, CORRECTIONS, QA, BUILD_MANIFEST, COUNTS, TRAC_COUNTY, TRAC_STATE, POPULATION,
         COUNTY_POPULATION, PLACE_COUNTY, ELECTION_2024, REFERENCE_FIGURES),
    ),
    Group(
        "Archive panel (`data/processed/archive/`, built from the full archive)",
        (
        'Written by `python -m analysis build --archive` (`analysis/store/panel.py`, `analysis/store/history.py`) '
        'from every registered ICE sheet, one snapshot per distinct file (see docs/methods.md). The '
        'folder also holds `cache/sheets-v4-<reader version>/pack-*.arrow`, the parse cache (parsed '
        'sheets keyed by sha256, as Arrow IPC files: one row per sheet, each text column as its distinct'
        ' values and uint32 codes; one pack per build that parsed something, dropped when the reader '
        'code changes), and `append_context.json`, what an append needs to extend the agency ids (each '
        "name's key, the truncation candidates listed together, the spelling counts behind display "
        'names, the agencies in each part): caches, not data products. Both carry data only, never '
        'pickled objects (loading a pickle runs code, so anyone able to write this folder could run code'
        ' as the next person who builds). Each has its sha256 in a file beside it (`<name>.sha256`) that'
        ' is checked on every load: a file that fails the check is not loaded; a one-line note on stderr'
        ' says so and it is rebuilt (its sheets parsed again, or a full build instead of an append).'
    ),
        (ARCHIVE_AGREEMENTS, ARCHIVE_SNAPSHOTS, ARCHIVE_CORRECTIONS, ARCHIVE_QA, HISTORY, ARCHIVE_COUNTS,
         ARCHIVE_BUILD_MANIFEST),
    ),
)  # fmt: skip
TABLES = {t.path: t for g in GROUPS for t in g.tables}  # path under data/processed/ -> Table
