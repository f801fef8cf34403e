"""The public face: a short, sorted __all__, and a light import."""


import servicemap as sm


def test_all_is_sorted_and_importable():
    assert sm.__all__ == sorted(sm.__all__)
    assert len(sm.__all__) == len(set(sm.__all__))
    for name in sm.__all__:
        assert hasattr(sm, name), name


def test_all_names_the_public_face():
    expected = {"ServiceMap", "ValidationReport", "InputError", "CRSError",
                "ServiceMapError", "ReprojectionWarning", "Vocabulary", "datasets",
                "Service", "Site", "Pathway", "Area", "Organisation", "Partnership",
                "Catchment", "parse_hours"}
    assert expected <= set(sm.__all__)


def test_errors_are_value_errors():
    assert issubclass(sm.InputError, ValueError) and issubclass(sm.CRSError, ValueError)
    assert issubclass(sm.InputError, sm.ServiceMapError)


def test_every_warning_and_error_the_library_defines_is_public():
    import inspect
    import pkgutil
    from importlib import import_module

    defined = set()
    for info in pkgutil.walk_packages(sm.__path__, "servicemap."):
        if info.name.endswith("__main__"):
            continue
        module = import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and obj.__module__ == info.name
                    and issubclass(obj, Warning | sm.ServiceMapError)):
                defined.add(name)
    assert "HSDSWarning" in defined and "ExportWarning" in defined
    assert defined <= set(sm.__all__), defined - set(sm.__all__)


def test_every_report_shares_the_one_protocol():
    from servicemap.analysis._report import Report

    for cls in (sm.Coverage, sm.AccessReport, sm.GapReport, sm.OverlapReport,
                sm.PathwayReport):
        assert issubclass(cls, Report), cls
        for method in ("summary", "explain", "plot", "_repr_html_"):
            assert getattr(cls, method) is not getattr(Report, method) or \
                method == "_repr_html_", (cls, method)
        assert not cls.__abstractmethods__, cls


def test_a_report_without_the_whole_protocol_cannot_be_made():
    import pandas as pd
    import pytest

    from servicemap.analysis._report import Report

    class Half(Report):
        def summary(self, by=None, *, suppress=5):
            return pd.DataFrame()

        def explain(self, key):
            return pd.DataFrame()

    with pytest.raises(TypeError, match="abstract method 'plot'|abstract methods? .*plot"):
        Half()


def test_a_wrong_key_says_what_to_give(bedfordshire):
    import warnings

    import pytest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.ServiceMapWarning)
        cov = sm.coverage(bedfordshire)
        gaps = sm.find_gaps(bedfordshire, need="drug")
    first = cov.table.index[0]
    # each area once, though the coverage table repeats it per combination
    with pytest.raises(KeyError, match=rf"'nonsense' is not an area of this report: give "
                                       rf"a label of .table's index \(such as '{first}', "
                                       rf"'(?!{first})"):
        cov.explain("nonsense")
    with pytest.raises(KeyError, match=r"'0' is not a gap .* Give it as 0 \(int\)\."):
        gaps.explain("0")
    with pytest.raises(KeyError, match=r"-1 is not a gap .*\.\.\.\)\.\"$"):
        gaps.explain(-1)  # no did-you-mean from the text of a number
