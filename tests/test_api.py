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


