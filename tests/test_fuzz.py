"""Property-based tests (hypothesis): whatever a user passes to `simulate`, to `--set` or in an experiment
file, the only exception is the package's own one-line error, and it names the field.

Each target runs 2,000 examples. They fuzz the checking layers; a run starts only where a value is refused
(refused before any month is simulated), so the file stays fast.
"""

import functools
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lcsim
from lcsim.assumptions import PREFIX
from lcsim.assumptions import TABLE as ASSUMPTIONS
from lcsim.errors import LcsimError
from lcsim.experiments import load_experiment, parse_settings
from lcsim.parameters import SCHEMA, check_params

SETTINGS = settings(max_examples=2000, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
NAMES = sorted(SCHEMA) + [PREFIX + n for n in sorted(ASSUMPTIONS)]

ODD = st.sampled_from([10**400, -10**400, 2**63, -2**63 - 1, float("nan"), float("inf"), -float("inf"), 1e308,
                       -0.0, 5e-324, "", "nan", "1e400", "\n", "0x10", " 3 ", None, [], {}, [1, 2], (1,), b"1",
                       1j, np.nan, np.inf, np.float64("nan"), np.int64(2**62), np.uint64(2**64 - 1),
                       np.array(3), np.array(0.5), np.array([1, 2]), np.array([True]), np.zeros((2, 2)),
                       np.bool_(True), np.float32(0.5), np.int8(-3), "phase_out", "stay", True, False])
SCALARS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=12),
                    st.none(), ODD)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2))


def assert_one_line(err: BaseException, *names: str) -> None:
    text = str(err)
    assert isinstance(err, LcsimError), repr(err)
    assert "\n" not in text and len(text) < 600, text
    assert any(name in text for name in names), (names, text)


# -- simulate's keywords --------------------------------------------------------------------------
@SETTINGS
@given(name=st.sampled_from(NAMES), value=VALUES)
def test_any_keyword_value_is_accepted_or_refused_with_the_packages_error(name, value):
    bare = name.removeprefix(PREFIX)
    tiny = {"months": 2, "n_members": 5, "exit_month": 1}
    try:
        if name.startswith(PREFIX):
            lcsim.Assumptions.of({bare: value})
        else:
            check_params({**tiny, name: value})
        return  # a valid value: the model would run with it
    except Exception as err:  # noqa: BLE001 - the property: nothing but the package's error
        assert_one_line(err, bare)
    with pytest.raises(LcsimError) as info:  # simulate refuses it the same way, before any month runs
        lcsim.simulate(seed=1, **{**tiny, name: value})
    assert_one_line(info.value, bare, *tiny)


# -- --set strings ----------------------------------------------------------------------------------
SET_TEXT = st.one_of(
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(NAMES + ["contrl", "assumptions.nope", "", "="]),
              st.one_of(st.text(max_size=15), st.sampled_from(["nan", "inf", "-inf", "1e400", "9" * 400, "1_0",
                                                                "0x1f", "True", "yes", "phase_down", "1e-400",
                                                                " 5 ", "5.0", "-0", "\x00", "１"]),
                        st.floats().map(repr), st.integers().map(str))),
    st.text(max_size=20))
GOOD = {"name": "fuzz", "design": "grid", "replicates": 1, "root_seed": 1,
        "fixed": {"n_members": 10, "months": 12, "exit_month": 6}, "vary": {"control": [0.2, 0.8]}}


@SETTINGS
@given(text=SET_TEXT)
def test_any_set_string_is_parsed_or_refused_with_the_packages_error(text):
    name = text.partition("=")[0].strip().replace("-", "_")
    try:
        settings_ = parse_settings([text])
    except Exception as err:  # noqa: BLE001
        assert_one_line(err, f"'{name.removeprefix(PREFIX)}'", "--set")
        return
    try:
        load_experiment(GOOD, settings_)
    except Exception as err:  # noqa: BLE001
        assert_one_line(err, *[k.removeprefix(PREFIX) for k in settings_], "field '")


# -- experiment documents ------------------------------------------------------------------------------
FIELD_VALUES = {
    "name": st.one_of(st.just("fuzz"), st.text(max_size=8), VALUES),
    "design": st.one_of(st.sampled_from(["grid", "lhs", "sobol", "morris", "Grid", ""]), VALUES),
    "replicates": st.one_of(st.integers(-3, 5), VALUES),
    "root_seed": st.one_of(st.integers(-3, 2**64), VALUES),
    "samples": st.one_of(st.sampled_from([1, 2, 3, 4, 8, 16, 0, -1, 10**400]), VALUES),
    "num_levels": st.one_of(st.sampled_from([2, 3, 4, 6, 0, 10**400]), VALUES),
    "calc_second_order": st.one_of(st.booleans(), VALUES),
    "common_seeds": st.one_of(st.booleans(), VALUES),
    "scenario": st.one_of(st.just("default"), VALUES),
    "description": st.one_of(st.text(max_size=5), VALUES),
}
PARAM_NAMES = st.sampled_from(NAMES + ["assumptions", "contrl", "assumptions.nope"])
NESTED = st.dictionaries(st.sampled_from(sorted(ASSUMPTIONS) + ["nope"]), VALUES, max_size=2)
FIXED = st.one_of(st.dictionaries(PARAM_NAMES, st.one_of(VALUES, NESTED), max_size=4), VALUES)
RANGES = st.one_of(st.lists(st.one_of(st.integers(0, 60), st.floats(0, 1), SCALARS), min_size=0, max_size=4),
                   st.just("sweep"), VALUES, NESTED)
VARY = st.one_of(st.dictionaries(PARAM_NAMES, RANGES, max_size=3), VALUES)


@st.composite
def documents(draw):
    doc = dict(GOOD, fixed=dict(GOOD["fixed"]))
    for key, values in FIELD_VALUES.items():
        action = draw(st.sampled_from(["keep", "keep", "set", "drop"]))
        if action == "set":
            doc[key] = draw(values)
        elif action == "drop":
            doc.pop(key, None)
    if draw(st.booleans()):
        doc["fixed"] = draw(FIXED)
    if draw(st.booleans()):
        doc["vary"] = draw(VARY)
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.text(max_size=6))] = draw(VALUES)
    return doc


@SETTINGS
@given(doc=documents())
def test_any_experiment_document_is_accepted_or_refused_naming_the_field(doc):
    try:
        exp = load_experiment(doc)
    except Exception as err:  # noqa: BLE001
        assert_one_line(err, "field '")
        return
    assert exp.runs >= 1 and math.isfinite(exp.runs)


# -- numbers in --set, as a user means them (issue 24) ----------------------------------------------------
ASCII_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**30, 10**30).map(str),
    st.from_regex(r"[+-]?[0-9_]{0,4}\.?[0-9_]{0,4}([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    st.text(alphabet="0123456789١٢٣１２３߀𝟘²_.eE+- nainf", max_size=10),
    st.sampled_from(["１５", "1_0", "1e-400", "-1e-400", "0e-400", "1e400", "nan", "NaN", "inf", "-Infinity", "0x1",
                     "٣", "15", " 0.5 ", "5e-324", "1E2", ".5", "5.", "+3", "0.0000"]))


@SETTINGS
@given(name=st.sampled_from(["control", "n_members", "months", PREFIX + "hosting_cost"]), text=NUMBER_TEXT)
def test_set_numbers_are_read_as_the_user_means_them_or_refused_in_one_line(name, text):
    try:
        value = parse_settings([f"{name}={text}"])[name]
    except Exception as err:  # noqa: BLE001
        assert_one_line(err, f"'{name.removeprefix(PREFIX)}'")
        return
    raw = text.strip()
    assert ASCII_NUMBER.fullmatch(raw), f"{text!r} was taken as {value!r}"  # only 0-9, no 1_0, no nan/inf
    assert math.isfinite(value) and value == float(raw)
    mantissa = ASCII_NUMBER.fullmatch(raw).group(1)
    assert value != 0 or not any(c in "123456789" for c in mantissa), f"{text!r} underflowed to 0"


def test_the_numbers_issue_24_found_are_refused():
    for text in ("n_members=１５", "n_members=1_0", "control=1e-400", "control=nan", "control=inf", "months=1e400"):
        with pytest.raises(LcsimError, match="is not allowed"):
            parse_settings([text])
    assert parse_settings(["n_members=15", "control=1e-3", "months=24.0"]) == {"n_members": 15, "control": 0.001,
                                                                           "months": 24}


# -- seeds ------------------------------------------------------------------------------------------------
@SETTINGS
@given(seed=st.one_of(st.integers(-2**70, 2**70), SCALARS, st.text(alphabet="0123456789-_１ ", max_size=8)))
def test_any_seed_is_taken_whole_or_refused_in_one_line_before_a_run(seed):
    from lcsim.values import SEED_MAX, check_seed

    try:
        value = check_seed(seed, allow_none=True)  # as simulate takes it (None: a seed from the system)
    except Exception as err:  # noqa: BLE001
        assert_one_line(err, "seed")
        with pytest.raises(LcsimError) as info:  # simulate refuses it the same way, before any month
            lcsim.simulate(seed=seed, months=2, n_members=5, exit_month=1)
        assert_one_line(info.value, "seed")
        return
    if seed is None:
        return
    assert isinstance(value, int) and 0 <= value <= SEED_MAX
    assert not isinstance(seed, (bool, float)) and value == int(str(seed).strip())


# -- pages: no string becomes markup ---------------------------------------------------------------------
HOSTILE = st.one_of(st.text(max_size=30), st.sampled_from(["<script>alert(1)</script>", '" onload="x', "'><b>",
                                                            "</style><script>", "&lt;script&gt;", "<!--", "]]>"]))


@functools.cache
def _comparison_table():
    """A real comparison table, from a small comparison run once."""
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        return lcsim.compare("default", strategies=["phase_out", "phase_over"], replicates=4, out=out, workers=1,
                             progress=False, overrides={"n_members": 10, "months": 12, "exit_month": 6,
                                                        "transition_months": 3}).table


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(words=st.lists(HOSTILE, min_size=8, max_size=8))
def test_no_string_given_to_the_page_builder_becomes_markup(words):
    from lcsim.analysis.report import build_report
    from lcsim.pages import Markup, element, fill, image, join, rows

    words = [f"ZQ{k}{' '.join(w.split())}QZ{k}" for k, w in enumerate(words)]  # findable, whitespace as the page has it

    made = join([fill("<p>{} {:.0%}</p>", words[0], 0.5), element("td", words[1], title=words[2]),
                 rows([words[3]], [[words[4]]]), image(b"\x89PNG", alt=words[5]), words[6]])
    assert isinstance(made, Markup)
    for w in words[:7]:
        assert ("<" not in w and ">" not in w and '"' not in w and "'" not in w and "&" not in w) or w not in made
    page = build_report(table=_comparison_table(), params=lcsim.parameters.DEFAULTS, figures={words[0]: "iVBORw0KGgo="},
                        scenario={"name": words[1], "title": words[2], "description": words[3]},
                        meta={"version": words[4], "replicates": words[5], "command": words[6],
                              "uncertainty_note": words[7], "date": words[0]},
                        overrides={words[2]: words[3]}, advice_html=words[4])
    assert "<script" not in page.lower()
    for w in words:  # a word that could be markup appears only escaped
        assert not any(c in w for c in "<>\"'&") or w not in page, w
