"""Every reader, fuzzed: a corrupted input gives a map or one located InputError.

The corruptions and the classification are those of ``benchmarks/fuzz_readers.py``
(which runs a thousand per reader and prints the table); here hypothesis draws the
seeds, a few per reader, so the suite keeps every reader closed.
"""

import importlib.util
import random
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servicemap as sm

_SCRIPT = Path(__file__).parents[1] / "benchmarks" / "fuzz_readers.py"
_spec = importlib.util.spec_from_file_location("fuzz_readers", _SCRIPT)
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_readers"] = fuzz
_spec.loader.exec_module(fuzz)

READERS = {r.name: r for r in fuzz.readers()}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Each reader's uncorrupted input, written once."""
    base_map = fuzz.base_map()
    out = {}
    for name, reader in READERS.items():
        folder = tmp_path_factory.mktemp("clean")
        out[name] = (folder / "input", reader.write(base_map, folder / "input"))
    return out, fuzz.table_values(base_map)


@pytest.mark.parametrize("name", sorted(READERS))
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_a_corrupted_input_is_read_or_refused_with_its_place(name, seed, written,
                                                             tmp_path_factory):
    inputs, base = written
    clean, target = inputs[name]
    work = tmp_path_factory.mktemp("case")
    shutil.copytree(clean, work / "input")
    path = work / "input" / Path(target).relative_to(clean) if Path(target) != clean else (
        work / "input")
    reader = READERS[name]
    edit = reader.corrupt(path, random.Random(seed))
    if name == "servicemap validate":
        try:
            fuzz.cli_validate(path)
        except (fuzz._PassedError, sm.InputError):
            return
    outcome, detail = fuzz.classify(lambda: reader.read(path), base, edit)
    assert outcome in {"read", "located", "file_level"}, f"{detail} <- {edit.words}"


def test_the_classifier_tells_crashes_and_silent_changes():
    base_map = fuzz.base_map()
    base = fuzz.table_values(base_map)

    def crash():
        return {}["x"]

    assert fuzz.classify(crash, base, fuzz.Edit("x"))[0] == "crash"
    lost = base_map.replace(pathways=base_map.pathways.iloc[:1])
    assert fuzz.classify(lambda: lost, base, fuzz.Edit("x"))[0] == "silent"
    # the same loss, when the row was the one deleted, is read faithfully
    deleted = fuzz.Edit("x", rows_deleted={("pathways", "P2")})
    assert fuzz.classify(lambda: lost, base, deleted)[0] == "read"
    refused = sm.InputError([sm.Problem("services", 3, "name", None, "is empty.")])

    def refuse():
        raise refused

    assert fuzz.classify(refuse, base, fuzz.Edit("x"))[0] == "located"
    assert fuzz.main(["--per-reader", "2", "--reader", "from_frames"])[
        "from_frames"].total() == 2
