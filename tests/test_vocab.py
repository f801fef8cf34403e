"""The controlled vocabularies."""

import pytest

from servicemap.vocab import VOCABULARY, UnknownTermError, Vocabulary

REQUIRED = {
    "need": {"drug", "alcohol", "mental_health", "housing", "domestic_abuse",
             "early_help", "criminal_justice", "employment"},
    "client_group": {"children", "young_people", "adults", "older_people", "families",
                     "women", "people_leaving_prison", "people_on_probation"},
    "intervention": {"assessment", "psychosocial", "group_work",
                     "opioid_substitution_daily_supervised",
                     "long_acting_injectable_buprenorphine", "needle_exchange",
                     "naloxone", "detox_community", "residential_rehab", "outreach",
                     "family_support", "youth_work"},
    "pathway_kind": {"referral", "step_down", "in_reach", "shared_care",
                     "information_sharing"},
    "consent_basis": {"explicit_consent", "public_task", "vital_interests"},
    "entry_point": {"police_custody", "police_vulnerable_persons", "a_and_e", "gp",
                    "prison_release", "probation", "school", "self_referral",
                    "social_work"},
    "hour_band": {"weekday_daytime", "weekday_evening", "overnight", "weekend"},
    "partnership_kind": {"drug_alcohol_partnership", "community_safety_partnership",
                         "integration_joint_board", "combating_drugs_partnership",
                         "safeguarding_children_partnership"},
}


@pytest.mark.parametrize("category", sorted(REQUIRED))
def test_required_terms_are_there(category):
    assert REQUIRED[category] <= set(VOCABULARY.terms(category))


def test_every_term_is_documented_and_snake_case():
    df = VOCABULARY.to_frame()
    assert df["term"].str.fullmatch(r"[a-z][a-z0-9_]*").all()
    assert (df["label"].str.len() > 0).all()
    assert (df["description"].str.len() > 10).all()
    assert not df.duplicated(["category", "term"]).any()


@pytest.mark.parametrize(
    ("category", "value", "term"),
    [("need", "drug", "drug"), ("need", "Mental health", "mental_health"),
     ("need", "MENTAL-HEALTH", "mental_health"), ("entry_point", "A&E", "a_and_e"),
     ("entry_point", "a and e", "a_and_e"),
     ("client_group", "People leaving prison", "people_leaving_prison"),
     ("consent_basis", "Public task", "public_task")],
)
def test_match_forgives_case_spaces_and_labels(category, value, term):
    assert VOCABULARY.check(category, value) == term


@pytest.mark.parametrize(
    ("category", "value", "suggestion"),
    [("need", "alcohl", "'alcohol'"), ("need", "drugs", "'drug'"),
     ("client_group", "adult", "'adults'"),
     ("entry_point", "police custody suite", "'police_custody'"),
     ("intervention", "naloxon", "'naloxone'")],
)
def test_unknown_term_suggests(category, value, suggestion):
    with pytest.raises(UnknownTermError, match=f"Did you mean {suggestion}"):
        VOCABULARY.check(category, value)


def test_unknown_term_without_suggestion_lists_terms():
    with pytest.raises(UnknownTermError, match="Use one of: in_person, outreach"):
        VOCABULARY.check("attendance_mode", "zzz")


def test_extend_is_per_map_and_does_not_change_the_builtin():
    v = VOCABULARY.extend(need={"gambling_harm_x": "Gambling: a declared need"})
    assert v.check("need", "gambling_harm_x") == "gambling_harm_x"
    assert v["need"]["gambling_harm_x"].declared
    assert v.label("need", "gambling_harm_x") == "Gambling"
    with pytest.raises(UnknownTermError):
        VOCABULARY.check("need", "gambling_harm_x")
    assert v.declared() == {"need": {"gambling_harm_x": "Gambling: a declared need"}}
    assert v != VOCABULARY and Vocabulary() == VOCABULARY


def test_extend_rejects_bad_terms_and_categories():
    with pytest.raises(ValueError, match="lower-case snake_case, such as 'chem_sex'"):
        VOCABULARY.extend("need", {"Chem Sex": "x"})
    with pytest.raises(KeyError, match="not a vocabulary category"):
        VOCABULARY.extend("needs", {"x": "y"})


def test_vocabulary_is_read_only():
    need = VOCABULARY["need"]
    need.pop("drug")  # a copy
    assert "drug" in VOCABULARY["need"]
