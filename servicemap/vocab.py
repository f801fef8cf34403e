"""The controlled vocabularies: needs, client groups, interventions and the rest.

Every categorical field of the model takes a term from one of these vocabularies, so
that two partners who write "drugs" and "substance misuse" still mean one need. A term
is a short ``snake_case`` identifier with a human label and a description. The
vocabularies are documented in one place, here, and are extensible per map: a map may
declare extra terms (a workshop's ``Vocabulary`` sheet does this), and an unknown term
is an error with a did-you-mean.

Categories
----------
need
    What a service meets and what an area's need indicators measure.
client_group
    Who a service is for, such as ``children`` or ``people_leaving_prison``.
intervention
    What a service does, such as ``opioid_substitution_daily_supervised``.
pathway_kind
    The kind of hand-off between two services.
consent_basis
    The lawful basis on which information moves along a pathway.
entry_point
    Where people first meet the system: ``police_custody``, ``a_and_e``, ...
hour_band
    The four bands of the week used in coverage (a partition of its 168 hours).
attendance_mode
    How a client reaches a site: ``in_person``, ``outreach``, ``phone``, ``online``.
reach
    How a catchment reaches residents: ``distance``, ``minutes`` or ``none``.
partnership_kind, organisation_kind, capacity_unit, visit_frequency, service_status
    The kinds of records the model holds.

Examples
--------
>>> from servicemap.vocab import VOCABULARY
>>> VOCABULARY.terms("hour_band")
('weekday_daytime', 'weekday_evening', 'overnight', 'weekend')
>>> VOCABULARY.label("need", "early_help")
'Early help and family support'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["CLIENT_GROUP_AGES", "INTERVENTION_KINDS", "PROVISION", "VOCABULARY", "Term",
           "UnknownTermError", "Vocabulary"]


@dataclass(frozen=True)
class Term:
    """One term of a vocabulary.

    Parameters
    ----------
    term : str
        The identifier, lower-case ``snake_case``, as written in data.
    label : str
        A short human label, as shown in tables and legends.
    description : str
        What the term means, for the docs and the workbook's README sheet.
    declared : bool
        ``True`` for a term a map declared on top of the built-in vocabulary.
    """

    term: str
    label: str
    description: str = ""
    declared: bool = False


class UnknownTermError(ValueError):
    """A value is not a term of its vocabulary; the message suggests the closest."""


_TERM = re.compile(r"^[a-z][a-z0-9_]*$")

# (term, label, description). The order is the order shown in tables and legends.
_BUILTIN: dict[str, list[tuple[str, str, str]]] = {
    "need": [
        ("drug", "Drug use", "Harmful or dependent use of illicit or prescribed drugs."),
        ("alcohol", "Alcohol use", "Harmful or dependent drinking."),
        ("mental_health", "Mental health", "Mental ill health, including co-occurring "
         "mental health and substance use conditions."),
        ("physical_health", "Physical health", "Physical health care, including blood-borne "
         "virus testing and treatment."),
        ("housing", "Housing and homelessness", "Homelessness, rough sleeping and insecure "
         "or unsuitable accommodation."),
        ("domestic_abuse", "Domestic abuse", "Domestic abuse, for victims, survivors and "
         "those who harm."),
        ("early_help", "Early help and family support", "Help for children and families "
         "before problems need statutory social work."),
        ("child_protection", "Child protection", "Children at risk of significant harm "
         "(statutory social work)."),
        ("adult_safeguarding", "Adult safeguarding", "Adults at risk of abuse or neglect."),
        ("criminal_justice", "Criminal justice", "Offending and reoffending, custody, "
         "court, probation and resettlement."),
        ("employment", "Employment, education and training", "Getting into or back to "
         "work, education or training."),
        ("finance_debt", "Finance, benefits and debt", "Money, benefits and debt advice."),
        ("parenting", "Parenting", "Support for parents, including parents who use drugs "
         "or alcohol."),
        ("youth", "Young people's wellbeing", "Positive activities and support for "
         "young people."),
        ("exploitation", "Exploitation", "Criminal and sexual exploitation, including "
         "county lines."),
        ("sexual_health", "Sexual health", "Sexual and reproductive health."),
        ("gambling", "Gambling harm", "Harmful gambling."),
        ("wellbeing", "Personal wellbeing", "Emotional wellbeing, lifestyle, "
         "relationships and social inclusion."),
    ],
    "client_group": [
        ("children", "Children", "Children aged 0 to 12 (the age fields narrow it)."),
        ("young_people", "Young people", "Young people aged 11 to 17 (a service's "
         "ages may take it further, such as to 24 for a transition service)."),
        ("adults", "Adults", "Adults aged 18 and over."),
        ("older_people", "Older people", "Adults aged 65 and over."),
        ("families", "Families", "Parents, carers and children together."),
        ("women", "Women", "Services for women only."),
        ("men", "Men", "Services for men only."),
        ("people_leaving_prison", "People leaving prison", "People released from "
         "prison, in the weeks around release."),
        ("people_on_probation", "People on probation", "People on a community order, "
         "licence or post-sentence supervision."),
        ("people_in_police_custody", "People in police custody", "People detained in a "
         "police custody suite."),
        ("rough_sleepers", "People sleeping rough", "People sleeping rough or at risk."),
        ("carers", "Carers", "Family members and carers of people who use services."),
        ("care_leavers", "Care leavers", "Young people leaving local-authority care."),
        ("veterans", "Veterans", "Former members of the armed forces."),
        ("pregnant_women", "Pregnant women", "Pregnant women and new mothers."),
    ],
    "intervention": [
        ("assessment", "Assessment", "Assessment of need and risk, and care planning."),
        ("brief_intervention", "Brief intervention", "Identification and brief advice."),
        ("psychosocial", "Psychosocial", "Structured one-to-one psychosocial support "
         "and counselling."),
        ("group_work", "Group work", "Group sessions and programmes."),
        ("counselling", "Counselling", "Counselling and talking therapies."),
        ("opioid_substitution_daily_supervised", "Opioid substitution, daily "
         "supervised", "Methadone or buprenorphine taken daily under supervision, "
         "usually at a pharmacy."),
        ("opioid_substitution", "Opioid substitution", "Opioid substitution therapy "
         "collected less often than daily."),
        ("long_acting_injectable_buprenorphine", "Long-acting injectable "
         "buprenorphine", "Buprenorphine injected weekly or monthly, so clients need "
         "not attend daily."),
        ("needle_exchange", "Needle and syringe programme", "Sterile injecting "
         "equipment and harm-reduction advice."),
        ("naloxone", "Naloxone", "Take-home naloxone to reverse opioid overdose."),
        ("detox_community", "Community detoxification", "Medically assisted "
         "withdrawal at home or in the community."),
        ("detox_inpatient", "Inpatient detoxification", "Medically managed withdrawal "
         "in hospital or a specialist unit."),
        ("residential_rehab", "Residential rehabilitation", "A residential recovery "
         "programme."),
        ("recovery_support", "Recovery support", "Mutual aid, peer support and "
         "recovery communities."),
        ("outreach", "Outreach", "Workers who go to where people are."),
        ("alcohol_liaison", "Alcohol care and liaison", "Hospital alcohol care teams "
         "seeing patients in A&E and on wards."),
        ("liaison_and_diversion", "Liaison and diversion", "Health workers in police "
         "custody and courts who assess and refer."),
        ("blood_borne_virus", "Blood-borne virus testing", "Testing, vaccination and "
         "treatment for hepatitis and HIV."),
        ("family_support", "Family support", "Key work with a whole family."),
        ("parenting_programme", "Parenting programme", "A structured parenting course."),
        ("youth_work", "Youth work", "Youth workers and positive activities."),
        ("social_work", "Social work", "Statutory social work assessment and support."),
        ("housing_support", "Housing support", "Advice, tenancy sustainment and "
         "supported accommodation."),
        ("employment_support", "Employment support", "Individual placement and "
         "support, training and job search."),
        ("advocacy", "Advocacy", "Independent advocacy, such as an IDVA."),
        ("mentoring", "Mentoring", "Mentoring and through-the-gate support."),
        ("crisis_response", "Crisis response", "Urgent and out-of-hours response."),
        ("information_advice", "Information and advice", "Information, advice and "
         "signposting."),
    ],
    "pathway_kind": [
        ("referral", "Referral", "One service refers a client to another."),
        ("step_down", "Step-down", "A client moves to a less intensive service."),
        ("step_up", "Step-up", "A client moves to a more intensive service."),
        ("in_reach", "In-reach", "Staff of one service work inside another's setting."),
        ("shared_care", "Shared care", "Two services care for a client together, "
         "such as a GP and a treatment service."),
        ("information_sharing", "Information sharing", "Information moves without a "
         "referral, such as a police notification."),
        ("continuity_of_care", "Continuity of care", "A planned hand-over at a "
         "transition, such as release from prison."),
    ],
    "consent_basis": [
        ("explicit_consent", "Explicit consent", "The client agrees to the referral and "
         "to the information shared."),
        ("public_task", "Public task", "A public body's official function or legal "
         "duty; no consent needed (UK GDPR 6(1)(e))."),
        ("legal_obligation", "Legal obligation", "A statute requires the sharing "
         "(UK GDPR 6(1)(c))."),
        ("vital_interests", "Vital interests", "To protect someone's life "
         "(UK GDPR 6(1)(d))."),
        ("safeguarding", "Safeguarding", "Sharing to protect a child or an adult at risk, "
         "without consent where needed."),
        ("legitimate_interests", "Legitimate interests", "A non-public body's "
         "legitimate interests (UK GDPR 6(1)(f))."),
        ("court_order", "Court order", "A court requires the referral, such as a drug "
         "rehabilitation requirement."),
        ("not_recorded", "Not recorded", "The basis is not known."),
    ],
    "entry_point": [
        ("police_custody", "Police custody", "People detained in a custody suite."),
        ("police_vulnerable_persons", "Police vulnerable-persons referral", "Police "
         "refer vulnerable people from a vulnerable-persons database."),
        ("a_and_e", "A&E", "Attendance at an emergency department."),
        ("gp", "GP", "A general practice."),
        ("prison_release", "Prison release", "Release from prison into the community."),
        ("probation", "Probation", "Supervision by the probation service."),
        ("school", "School", "A school or college."),
        ("self_referral", "Self-referral", "People who come forward themselves."),
        ("social_work", "Social work", "Children's or adults' social work."),
        ("court", "Court", "A magistrates' or crown court."),
        ("hospital_ward", "Hospital ward", "An inpatient ward."),
        ("housing_services", "Housing services", "A council housing options team."),
    ],
    "hour_band": [
        ("weekday_daytime", "Weekday daytime", "Monday to Friday, 08:00 to 18:00."),
        ("weekday_evening", "Weekday evening", "Monday to Friday, 18:00 to 22:00."),
        ("overnight", "Overnight", "Every night, 22:00 to 08:00."),
        ("weekend", "Weekend", "Saturday and Sunday, 08:00 to 22:00."),
    ],
    "attendance_mode": [
        ("in_person", "In person", "Clients come to the site."),
        ("outreach", "Outreach", "Staff go out from the site to clients."),
        ("phone", "Phone", "By telephone."),
        ("online", "Online", "Online or by video."),
    ],
    "reach": [
        ("distance", "Straight-line distance", "Reaches areas within max_distance "
         "metres of the nearest of the service's sites."),
        ("minutes", "Travel time", "Reaches areas within max_minutes of the nearest "
         "site, by a travel-time table the user supplies."),
        ("none", "Whole footprint", "Outreach, phone or online: reaches every area of "
         "the footprint whatever the distance."),
    ],
    "partnership_kind": [
        ("drug_alcohol_partnership", "Drug and alcohol partnership", "A drug and alcohol "
         "action team or partnership (DAAT, DAP, ADP in Scotland)."),
        ("combating_drugs_partnership", "Combating drugs partnership", "The local "
         "partnership of the 2021 drugs strategy."),
        ("community_safety_partnership", "Community safety partnership", "The statutory "
         "partnership on crime and disorder."),
        ("integration_joint_board", "Integration joint board", "Health and social care "
         "integration in Scotland."),
        ("safeguarding_children_partnership", "Safeguarding children partnership",
         "The statutory children's safeguarding arrangements."),
        ("safeguarding_adults_board", "Safeguarding adults board", "The statutory adults' "
         "safeguarding board."),
        ("health_and_wellbeing_board", "Health and wellbeing board", "The council's "
         "statutory health and wellbeing board."),
        ("integrated_care_partnership", "Integrated care partnership", "An NHS integrated "
         "care system's partnership."),
        ("reducing_reoffending_board", "Reducing reoffending board", "Partners working "
         "on reoffending."),
        ("police_and_crime_area", "Police and crime commissioner area", "The area of a "
         "police and crime commissioner and the services commissioned for it."),
        ("other", "Other partnership", "Any other partnership."),
    ],
    "organisation_kind": [
        ("local_authority", "Local authority", "A county, district, unitary or "
         "borough council."),
        ("police", "Police", "A police force."),
        ("police_and_crime_commissioner", "Police and crime commissioner", "A PCC's "
         "office."),
        ("nhs_trust", "NHS trust", "An NHS trust or foundation trust."),
        ("nhs_commissioner", "NHS commissioner", "An integrated care board or "
         "health board."),
        ("gp_practice", "GP practice", "A general practice."),
        ("pharmacy", "Pharmacy", "A community pharmacy."),
        ("probation", "Probation", "The probation service."),
        ("prison", "Prison", "A prison or young offender institution."),
        ("government", "Central government", "A government department or agency."),
        ("voluntary", "Voluntary sector", "A charity or community organisation."),
        ("private", "Private sector", "A company providing services."),
        ("housing_provider", "Housing provider", "A housing association or provider."),
        ("education", "Education", "A school, college or academy trust."),
        ("other", "Other organisation", "Any other organisation."),
    ],
    "capacity_unit": [
        ("places", "Places", "Clients that can be held at once (caseload places)."),
        ("clients_per_year", "Clients a year", "New clients the service can take a year."),
        ("appointments_per_week", "Appointments a week", "Appointments or sessions a "
         "week."),
        ("beds", "Beds", "Beds, such as detox or rehab beds."),
        ("referrals_per_year", "Referrals a year", "Referrals the service can accept "
         "a year."),
    ],
    "visit_frequency": [
        ("daily", "Daily", "The client attends every day."),
        ("several_weekly", "Several times a week", "Two to six visits a week."),
        ("weekly", "Weekly", "One visit a week."),
        ("fortnightly", "Fortnightly", "One visit every two weeks."),
        ("monthly", "Monthly", "One visit a month."),
        ("one_off", "One-off", "A single contact."),
        ("as_needed", "As needed", "No set pattern."),
    ],
    "service_status": [
        ("active", "Active", "Running now."),
        ("planned", "Planned", "Commissioned but not yet running."),
        ("paused", "Paused", "Temporarily not taking clients."),
        ("decommissioned", "Decommissioned", "No longer running; kept for history."),
    ],
}

CATEGORIES: tuple[str, ...] = tuple(_BUILTIN)


def _fold(text: str) -> str:
    """Fold a value for a forgiving match: case, spaces, hyphens and '&' aside."""
    text = text.strip().lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


class Vocabulary(Mapping[str, Mapping[str, Term]]):
    """The controlled vocabularies of one map: built-in terms plus declared ones.

    A Vocabulary is a read-only mapping ``category -> {term: Term}``. It never changes;
    :meth:`extend` returns a new one.

    Parameters
    ----------
    terms : mapping of str to mapping of str to Term, optional
        The terms by category. By default the built-in vocabulary.

    Examples
    --------
    >>> vocab = Vocabulary().extend("need", {"chemsex": "Chemsex support"})
    >>> "chemsex" in vocab["need"], "chemsex" in Vocabulary()["need"]
    (True, False)
    >>> vocab.check("need", "Mental Health")
    'mental_health'
    >>> vocab.check("need", "alcohl")
    Traceback (most recent call last):
    ...
    servicemap.vocab.UnknownTermError: 'alcohl' is not a need. Did you mean 'alcohol'?
    """

    def __init__(self, terms: Mapping[str, Mapping[str, Term]] | None = None) -> None:
        if terms is None:
            terms = {
                cat: {t: Term(t, label, desc) for t, label, desc in rows}
                for cat, rows in _BUILTIN.items()
            }
        self._terms = {cat: dict(ts) for cat, ts in terms.items()}
        self._folded = {
            cat: {**{_fold(t.label): t.term for t in ts.values()},
                  **{_fold(k): k for k in ts}}
            for cat, ts in self._terms.items()
        }

    # Mapping interface -------------------------------------------------------------
    def __getitem__(self, category: str) -> Mapping[str, Term]:
        self._check_category(category)
        return dict(self._terms[category])

    def __iter__(self) -> Iterator[str]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._terms == other._terms

    def __hash__(self) -> int:
        return hash(tuple((c, tuple(t)) for c, t in self._terms.items()))

    def __repr__(self) -> str:
        declared = sum(t.declared for ts in self._terms.values() for t in ts.values())
        n = sum(len(ts) for ts in self._terms.values())
        return f"<Vocabulary: {len(self)} categories, {n} terms ({declared} declared)>"

    # Queries ------------------------------------------------------------------------
    def _check_category(self, category: str) -> None:
        if category not in self._terms:
            msg = (f"{category!r} is not a vocabulary category. "
                   f"Use one of: {', '.join(self._terms)}.")
            raise KeyError(msg)

    def terms(self, category: str) -> tuple[str, ...]:
        """Return the terms of a category, in their documented order.

        Parameters
        ----------
        category : str
            A category such as ``"need"``.

        Returns
        -------
        tuple of str

        Examples
        --------
        >>> Vocabulary().terms("attendance_mode")
        ('in_person', 'outreach', 'phone', 'online')
        """
        self._check_category(category)
        return tuple(self._terms[category])

    def label(self, category: str, term: str) -> str:
        """Return the human label of a term.

        Examples
        --------
        >>> Vocabulary().label("entry_point", "a_and_e")
        'A&E'
        """
        return self[category][term].label

    def match(self, category: str, value: Any) -> str | None:
        """Return the term a value means, or ``None`` if it means none.

        The match forgives case, spaces and hyphens, and accepts a term's label as well
        as the term itself.

        Examples
        --------
        >>> Vocabulary().match("entry_point", "A&E")
        'a_and_e'
        >>> Vocabulary().match("need", "drugs") is None
        True
        """
        self._check_category(category)
        if not isinstance(value, str):
            return None
        if value in self._terms[category]:
            return value
        return self._folded[category].get(_fold(value))

    def suggest(self, category: str, value: Any, n: int = 3) -> list[str]:
        """Return up to ``n`` terms close to a value, for a did-you-mean.

        Examples
        --------
        >>> Vocabulary().suggest("client_group", "adult")
        ['adults']
        """
        self._check_category(category)
        folded = _fold(str(value))
        pool = self._folded[category]
        hits = difflib.get_close_matches(folded, list(pool), n=n, cutoff=0.6)
        if not hits:  # a contained word, such as "drugs" in "drugs_misuse"
            hits = [k for k in pool if folded and (folded in k or k in folded)][:n]
        return list(dict.fromkeys(pool[h] for h in hits))

    def check(self, category: str, value: Any) -> str:
        """Return the term a value means, or raise with a did-you-mean.

        Parameters
        ----------
        category : str
            The vocabulary category.
        value : str
            A term, or a term's label in any case.

        Returns
        -------
        str
            The term.

        Raises
        ------
        UnknownTermError
            If the value is no term of the category.

        Examples
        --------
        >>> Vocabulary().check("hour_band", "Weekend")
        'weekend'
        """
        term = self.match(category, value)
        if term is not None:
            return term
        raise UnknownTermError(self.unknown_message(category, value))

    def unknown_message(self, category: str, value: Any) -> str:
        """Say that a value is not a term, with the closest terms or the valid ones."""
        noun = category.replace("_", " ")
        article = "an" if noun[0] in "aeiou" else "a"
        head = f"{value!r} is not {article} {noun}."
        hits = self.suggest(category, value)
        if hits:
            return f"{head} Did you mean {' or '.join(repr(h) for h in hits)}?"
        terms = self.terms(category)
        listed = ", ".join(terms) if len(terms) <= 30 else ", ".join(terms[:30]) + ", ..."
        return (f"{head} Use one of: {listed}; or declare it in the map's "
                "vocabulary.")

    # Changes ------------------------------------------------------------------------
    def extend(
        self,
        category: str | None = None,
        terms: Mapping[str, str] | None = None,
        **by_category: Mapping[str, str],
    ) -> Vocabulary:
        """Return a new vocabulary with extra terms declared.

        Parameters
        ----------
        category : str, optional
            The category to extend, with ``terms``.
        terms : mapping of str to str, optional
            New terms and their descriptions (the description's first clause serves as
            the label when no better one is known).
        **by_category : mapping of str to str
            Several categories at once, as ``need={...}, client_group={...}``.

        Returns
        -------
        Vocabulary

        Raises
        ------
        ValueError
            If a term is not lower-case ``snake_case`` or the category is unknown.

        Examples
        --------
        >>> v = Vocabulary().extend(client_group={"sex_workers": "Sex workers"})
        >>> v.label("client_group", "sex_workers"), v["client_group"]["sex_workers"].declared
        ('Sex workers', True)
        """
        wanted: dict[str, Mapping[str, str]] = dict(by_category)
        if category is not None:
            wanted[category] = {**wanted.get(category, {}), **(terms or {})}
        new = {cat: dict(ts) for cat, ts in self._terms.items()}
        for cat, extra in wanted.items():
            self._check_category(cat)
            for term, description in extra.items():
                if not isinstance(term, str) or not _TERM.match(term):
                    msg = (f"{term!r} cannot be a {cat.replace('_', ' ')} term: write it "
                           f"in lower-case snake_case, such as {_fold(str(term))!r}.")
                    raise ValueError(msg)
                if term in new[cat]:
                    continue
                label = str(description).split(":")[0].strip() or term
                new[cat][term] = Term(term, label, str(description), declared=True)
        return Vocabulary(new)

    def declared(self) -> dict[str, dict[str, str]]:
        """Return the terms a map declared on top of the built-in ones.

        Examples
        --------
        >>> Vocabulary().extend("need", {"chemsex": "Chemsex support"}).declared()
        {'need': {'chemsex': 'Chemsex support'}}
        """
        out: dict[str, dict[str, str]] = {}
        for cat, ts in self._terms.items():
            extra = {t.term: t.description for t in ts.values() if t.declared}
            if extra:
                out[cat] = extra
        return out

    def to_frame(self):
        """Return every term as a DataFrame: category, term, label, description, declared.

        Examples
        --------
        >>> df = Vocabulary().to_frame()
        >>> df.loc[df.category == "hour_band", "term"].tolist()
        ['weekday_daytime', 'weekday_evening', 'overnight', 'weekend']
        """
        rows = [
            {"category": cat, "term": t.term, "label": t.label,
             "description": t.description, "declared": t.declared}
            for cat, ts in self._terms.items() for t in ts.values()
        ]
        return pd.DataFrame(rows)


VOCABULARY = Vocabulary()
"""The built-in vocabulary, shared by every map that declares no extra terms."""

#: The ages (lowest, highest; None for no upper limit) that an age group implies.
#: A service serves an age group when it lists the group and its own ages overlap the
#: group's, or when it lists another age group and its ages take in all of this one's
#: (an 18+ adult service serves older people; family hubs for ages 0-19 serve young
#: people). The other client groups (``women``, ``people_leaving_prison``, ...) imply
#: no age and are served only by services that list them.
CLIENT_GROUP_AGES: dict[str, tuple[int, int | None]] = {
    "children": (0, 12), "young_people": (11, 17), "adults": (18, None),
    "older_people": (65, None)}

#: What each intervention is, by kind. An analysis asked about a need counts, by
#: default, the services that offer one of the need's :data:`PROVISION` kinds.
INTERVENTION_KINDS: dict[str, tuple[str, ...]] = {
    "treatment": ("psychosocial", "group_work", "counselling",
                  "opioid_substitution_daily_supervised", "opioid_substitution",
                  "long_acting_injectable_buprenorphine", "detox_community"),
    "residential": ("detox_inpatient", "residential_rehab"),
    "harm_reduction": ("needle_exchange", "naloxone", "blood_borne_virus"),
    "engagement": ("assessment", "brief_intervention", "information_advice",
                   "alcohol_liaison", "liaison_and_diversion", "outreach"),
    "support": ("recovery_support", "mentoring", "advocacy", "housing_support",
                "employment_support", "family_support", "parenting_programme",
                "youth_work", "social_work"),
    "crisis": ("crisis_response",),
}

#: The kinds of intervention that count, by default, as provision for a need: for
#: drug and alcohol, structured treatment in the community (psychosocial and
#: pharmacological treatment, community detox), not harm reduction, advice or a
#: crisis line alone, and not residential treatment (inpatient detox, rehab), which
#: people are placed in by referral, often out of the area, rather than reach from
#: home: count it with ``intervention=["treatment", "residential"]``. A need not listed
#: here counts every service that lists it. A service that lists no intervention of a
#: known kind counts too, and the analysis notes say so.
PROVISION: dict[str, tuple[str, ...]] = {
    "drug": ("treatment",),
    "alcohol": ("treatment",),
}
