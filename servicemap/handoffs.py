"""Referral hand-offs: every pathway of a map as a row, with its barriers.

What every route traced by :func:`servicemap.trace_pathways` and the pathway diagram
(:func:`servicemap.plotting.pathways`) read: who refers to whom, on what consent basis,
under which information-sharing agreement, with what wait and volume, and whether a
hand-off along it meets a barrier (consent, no agreement, a commissioning boundary, a
bottleneck).

Examples
--------
>>> steps = referral_steps(sm.datasets.bedfordshire())
>>> steps.index.name, bool(steps["consent"].dtype == bool)
('pathway', True)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from servicemap.servicemap import ServiceMap

__all__ = ["EXPLICIT_CONSENT", "TURNOVER", "WITHOUT_CONSENT", "referral_steps"]

#: People a year per unit of capacity, to compare with referrals a year. Only yearly
#: flows are compared by default: a place, a bed or an appointment a week holds or
#: sees an unknown number of people a year, so give, say, ``turnover={"places": 2,
#: "beds": 12}`` (six-month caseloads, month-long stays) to judge those too.
TURNOVER = {"clients_per_year": 1.0, "referrals_per_year": 1.0}
#: Bases on which a referral is made without the client's consent.
WITHOUT_CONSENT = frozenset({"public_task", "legal_obligation", "vital_interests",
                             "safeguarding", "legitimate_interests", "court_order"})
#: The consent basis of a hand-off that needs the client's consent.
EXPLICIT_CONSENT = "explicit_consent"


def referral_steps(smap: ServiceMap, *,
                   turnover: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Return every pathway's figures, and the barriers a hand-off along it meets.

    Parameters
    ----------
    smap : ServiceMap
        The map, with its pathways.
    turnover : mapping, optional
        People a year per unit of capacity, by capacity unit; :data:`TURNOVER` by
        default. A service whose unit has none is not judged a bottleneck.

    Returns
    -------
    pandas.DataFrame
        Indexed by pathway id (``pathway``): ``from`` (a service or an entry point),
        ``to``, ``kind``, ``consent_basis``, ``information_sharing_agreement``,
        ``wait_days``, ``volume_per_year``, ``referred_in_per_year`` (all pathways
        into the service referred to; missing where no volume is recorded),
        ``capacity_per_year`` (its capacity times the turnover of its unit), and a
        boolean column per barrier: ``consent`` (explicit consent needed),
        ``no_isa`` (no information-sharing agreement, or none recorded),
        ``cross_boundary`` (the two services have no commissioner in common,
        counting a partnership's members with it; not judged where either has no
        commissioner) and ``bottleneck`` (more referrals a year than capacity).

    Examples
    --------
    >>> steps = referral_steps(sm.datasets.bedfordshire())
    >>> steps.index.name, steps.columns[-4:].tolist()
    ('pathway', ['consent', 'no_isa', 'cross_boundary', 'bottleneck'])
    >>> bool(steps["bottleneck"].any())
    True
    """
    rates = dict(TURNOVER if turnover is None else turnover)
    services, pw = smap._services, smap._pathways
    index = services.index
    to = index.get_indexer(pw["to_service"].to_numpy(dtype=object))
    volume = pw["volume_per_year"].to_numpy(dtype=float, na_value=np.nan)
    inflow = (pd.Series(np.nan_to_num(volume), index=pw["to_service"].to_numpy())
              .groupby(level=0).sum())
    known_in = (pd.Series(~np.isnan(volume), index=pw["to_service"].to_numpy())
                .groupby(level=0).any())
    into = inflow.where(known_in).reindex(pw["to_service"].to_numpy()).to_numpy()
    unit = services["capacity_unit"].to_numpy(dtype=object)
    per_year = services["capacity"].to_numpy(dtype=float, na_value=np.nan) * np.array(
        [rates.get(u, np.nan) if isinstance(u, str) else np.nan for u in unit])
    cap_to = per_year[to]
    # who commissions each service, a partnership's member organisations with it
    members = smap._partnerships["members"].to_dict()
    bodies = [frozenset(c).union(*(members.get(x, ()) for x in c))
              for c in services["commissioners"]]
    frm = index.get_indexer(pw["from_service"].fillna("").to_numpy(dtype=object))
    cross = np.array([f >= 0 and t >= 0 and bool(bodies[f]) and bool(bodies[t])
                      and not (bodies[f] & bodies[t])
                      for f, t in zip(frm, to, strict=True)], dtype=bool)
    isa = pw["information_sharing_agreement"]
    frame = pd.DataFrame({
        "from": pw["from_service"].fillna(pw["from_entry"]).to_numpy(dtype=object),
        "to": pw["to_service"].to_numpy(dtype=object),
        "kind": pw["kind"].to_numpy(dtype=object),
        "consent_basis": pw["consent_basis"].to_numpy(dtype=object),
        "information_sharing_agreement": isa.to_numpy(dtype=object),
        "wait_days": pw["wait_days"].to_numpy(dtype=float, na_value=np.nan),
        "volume_per_year": volume,
        "referred_in_per_year": into,
        "capacity_per_year": cap_to,
    }, index=pw.index.rename("pathway"))  # a new index: the map's is left alone
    frame["consent"] = (pw["consent_basis"] == EXPLICIT_CONSENT).to_numpy()
    frame["no_isa"] = ~isa.fillna(False).astype(bool).to_numpy()
    frame["cross_boundary"] = cross
    frame["bottleneck"] = np.nan_to_num(into) > np.where(np.isnan(cap_to), np.inf, cap_to)
    return frame
