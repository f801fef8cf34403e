"""The workshop sequence: one map, the three questions, the tables a room is shown.

:func:`run_workshop` runs, on one map, what a workshop shows a room of partners: the
map's summary and validation, coverage by need and hour band, access to capacity
(2SFCA and E2SFCA), the gaps (and how they move with the distance cut-off), the overlaps
between services of different partnerships, and the routes of referrals from named
entry points to treatment. It returns a :class:`Workshop` holding every report;
:meth:`Workshop.tables` gives the tables as shown (counts of people under 5 suppressed),
and :meth:`Workshop.write` writes the files a consultant takes away. ``servicemap demo``
is this sequence on the shipped Bedfordshire map.

Examples
--------
>>> ws = run_workshop(sm.datasets.bedfordshire())
>>> sorted(ws.routes)
['police_vulnerable_persons', 'prison_release']
>>> ws.tables()["gaps"].columns.tolist()[-1]
'all reasons'
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from servicemap.analysis.accessibility import accessibility
from servicemap.analysis.coverage import Coverage, coverage
from servicemap.analysis.gaps import GapReport, find_gaps
from servicemap.analysis.overlaps import OverlapReport, find_overlaps
from servicemap.analysis.pathways import PathwayReport, trace_pathways
from servicemap.disclosure import DEFAULT_THRESHOLD, in_words, suppress
from servicemap.errors import ServiceMapWarning
from servicemap.io.exports import write_csv
from servicemap.plotting import pathways as pathway_diagram
from servicemap.servicemap import ServiceMap, ValidationReport

if TYPE_CHECKING:  # for annotations only: matplotlib.axes loads when drawing
    from matplotlib.axes import Axes

__all__ = ["ACCESS", "ROUTES", "SENSITIVITY", "Workshop", "run_workshop"]

#: The needs access is measured for, with the capacity unit of their services.
ACCESS = {"drug": "places", "alcohol": "places", "early_help": "clients_per_year"}
#: Distances the gap sensitivity tries, in metres.
SENSITIVITY = (5_000, 10_000, 15_000)
#: The routes traced: entry point, and the groups the person belongs to.
ROUTES = {"police_vulnerable_persons": ("adults",),
          "prison_release": ("adults", "people_leaving_prison")}
#: How a suppressed count is shown on screen, and in a written file.
SHOWN, WRITTEN = "<5*", "[suppressed]"
#: The rule every count of people in a written file passes (see :func:`_published`).
PUBLISHED_RULE = "hes"
#: The folder, inside the one written, that holds the map as given: working data.
MAP_FOLDER = "map"


@dataclass(frozen=True)
class Workshop:
    """Every result of the workshop sequence on one map.

    Attributes
    ----------
    smap : ServiceMap
        The map.
    validation : ValidationReport
        Its problems.
    summary : dict of str to pandas.DataFrame
        :meth:`ServiceMap.summary`.
    coverage : Coverage
        By need, client group and hour band, for the map's needs.
    coverage_by_hours : Coverage
        By need and hour band: a service counts for an area when it takes any of the
        area's residents (the median of the full cube would count client groups
        nobody serves).
    access : pandas.DataFrame
        Per area: access to capacity per 1,000 people in need for each need of
        :data:`ACCESS` by 2SFCA and E2SFCA, and the demand and services behind it.
    gaps : GapReport
        Every need.
    sensitivity : pandas.DataFrame
        People with a drug need in gaps at each distance of :data:`SENSITIVITY`.
    overlaps : OverlapReport
        Every pair of services for the same need whose catchments overlap, the most
        alike first.
    routes : dict of str to PathwayReport
        Per entry point of :data:`ROUTES`, to drug treatment (the default
        provision: structured treatment in the community).
    notes : list of str
        What the analyses warned of.
    """

    smap: ServiceMap
    validation: ValidationReport
    summary: dict[str, pd.DataFrame]
    coverage: Coverage
    coverage_by_hours: Coverage
    access: pd.DataFrame
    gaps: GapReport
    sensitivity: pd.DataFrame
    overlaps: OverlapReport
    routes: dict[str, PathwayReport]
    notes: list[str] = field(default_factory=list)

    def answers(self, *, suppress: int = DEFAULT_THRESHOLD) -> dict[str, list[str]]:
        """Return the questions answered in plain sentences, by name.

        Where the gaps are (:meth:`GapReport.headlines`), who has a route of
        referrals to treatment from each entry point, and which services overlap and
        are alike enough to count as duplication. Counts of people are the published
        ones: rounded, and hidden under ``suppress``.

        Examples
        --------
        >>> ws = run_workshop(sm.datasets.bedfordshire())
        >>> list(ws.answers())
        ['Where are the gaps?', 'Who has a route of referrals to treatment?', \
'Where do services overlap?']
        """
        return {"Where are the gaps?": self.gaps.headlines(suppress=suppress),
                "Who has a route of referrals to treatment?": [
                    _route_sentence(self.smap, entry, report, suppress)
                    for entry, report in self.routes.items()],
                "Where do services overlap?": _overlap_sentences(self.smap,
                                                                 self.overlaps,
                                                                 suppress)}

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables as a room is shown them, small counts suppressed.

        Returns
        -------
        dict of str to pandas.DataFrame
            ``coverage`` (services reaching an area by need and hour band: median and
            fewest), ``access`` (need-weighted mean access per local authority, and the
            lowest area), ``gaps`` (people in gaps by need and reason), ``largest_gaps``,
            ``sensitivity``, ``overlaps`` (the largest pairs), and per entry point
            ``routes_<entry>``, ``route_status_<entry>`` and
            ``single_points_<entry>``.

        Examples
        --------
        >>> ws = run_workshop(sm.datasets.bedfordshire())
        >>> ws.tables()["sensitivity"].index.tolist()
        [5000, 10000, 15000]
        """
        wide, top = _gap_tables(self.gaps)
        out = {"coverage": _coverage_table(self.coverage_by_hours),
               "access": _access_table(self.smap, self.access),
               "gaps": wide, "largest_gaps": top.set_index("code"),
               "sensitivity": _sensitivity_table(self.sensitivity),
               "overlaps": _overlap_table(self.overlaps)}
        for entry, report in self.routes.items():
            chains, status, points = _route_tables(report)
            out[f"routes_{entry}"] = chains
            out[f"route_status_{entry}"] = status
            out[f"single_points_{entry}"] = points
        return out

    def write(self, folder: str | Path, *, stem: str = "map") -> list[str]:
        """Write the files a workshop takes away into ``folder``; return their names.

        The set to publish: the answers in plain sentences (answers.txt, as
        :meth:`answers`), coverage, accessibility, gaps, overlaps and routes as CSV
        (every count of people by one rule, :func:`_published`: 1-7 written as
        ``[suppressed]``, the rest rounded to the nearest 5; per-area routes without
        counts of people), a pathway diagram and a route map per entry point (PNG)
        and ATTRIBUTION.txt. Beside it, in ``map/``, the map as given, working data
        not for publication: its tables as CSV, its areas and sites as a GeoPackage,
        the summary tables, validation.csv, the network for Kumu and Gephi, a
        README.txt saying what it is, and ATTRIBUTION.txt. ``stem`` names the
        GeoPackage and the network files (``<stem>.gpkg``, ``<stem>_kumu.json``,
        ``<stem>.gexf``).

        Examples
        --------
        >>> import tempfile
        >>> ws = run_workshop(sm.datasets.bedfordshire())
        >>> with tempfile.TemporaryDirectory() as d:
        ...     written = ws.write(d)
        >>> len(written), "answers.txt" in written, "map/areas.csv" in written
        (34, True, True)
        """
        output = Path(folder)
        output.mkdir(parents=True, exist_ok=True)
        written = _write_map(self.smap, self.summary, self.validation, output, stem)
        written += _write_analyses(self.coverage, self.access, output)
        written += _write_gaps_and_overlaps(self.gaps, self.sensitivity, self.overlaps,
                                            output)
        written += _write_routes(self.routes, output)
        lines = [line for question, said in self.answers().items()
                 for line in (question, *(f"- {x}" for x in said), "")]
        (output / "answers.txt").write_text("\n".join(lines), encoding="utf-8")
        written.append("answers.txt")
        # the published files draw on the same boundaries and statistics: same credit
        shutil.copyfile(output / MAP_FOLDER / "ATTRIBUTION.txt", output / "ATTRIBUTION.txt")
        written.append("ATTRIBUTION.txt")
        self.smap.to_kumu(output / MAP_FOLDER / f"{stem}_kumu.json")
        self.smap.to_gexf(output / MAP_FOLDER / f"{stem}.gexf")
        return [*written, f"{MAP_FOLDER}/{stem}_kumu.json", f"{MAP_FOLDER}/{stem}.gexf"]


def run_workshop(smap: ServiceMap) -> Workshop:
    """Run the workshop sequence on a map.

    Parameters
    ----------
    smap : ServiceMap
        The map, with needs ``drug``, ``alcohol`` and ``early_help`` among its areas'
        need columns.

    Returns
    -------
    Workshop

    Examples
    --------
    >>> ws = run_workshop(sm.datasets.bedfordshire())
    >>> ws.validation.ok, len(ws.overlaps.table) > 0
    (True, True)
    """
    validation = smap.validate()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ServiceMapWarning)
        needs = list(smap.need_columns)
        cov = coverage(smap, by=("need", "client_group", "hour_band"), need=needs)
        by_hours = coverage(smap, by=("need", "hour_band"), need=needs)
        access = _access(smap)
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if issubclass(w.category, ServiceMapWarning)))
    swept = find_gaps(smap, need="drug", max_distance=list(SENSITIVITY))
    routes = {entry: trace_pathways(smap, entry=entry, need="drug",
                                    client_group=list(groups))
              for entry, groups in ROUTES.items()}
    assert swept.sensitivity is not None  # several distances give a sensitivity
    return Workshop(smap=smap, validation=validation, summary=smap.summary(),
                    coverage=cov, coverage_by_hours=by_hours, access=access,
                    gaps=find_gaps(smap),
                    sensitivity=swept.sensitivity,
                    overlaps=find_overlaps(smap),
                    routes=routes, notes=notes)


# -- the analyses ----------------------------------------------------------------------
def _access(smap: ServiceMap) -> pd.DataFrame:
    """Access per area for each need of ACCESS, by 2SFCA and E2SFCA, in one frame."""
    frames = {(need, method): accessibility(smap, need=need, method=method,
                                            capacity_unit=unit)
              for need, unit in ACCESS.items() for method in ("2sfca", "e2sfca")}
    columns = {f"{need}_{ACCESS[need]}_per_1000_{method}": acc.table["access_per_1000"]
               for (need, method), acc in frames.items()}
    access = pd.DataFrame(columns, index=smap.areas.index)
    for need in ACCESS:
        access[f"{need}_demand"] = frames[(need, "2sfca")].table["demand"]
        access[f"{need}_services"] = frames[(need, "2sfca")].table["services"]
    return access


# -- the tables shown ------------------------------------------------------------------
def _coverage_table(cov: Coverage) -> pd.DataFrame:
    """Services reaching an area by need and hour band: median (fewest)."""
    grouped = cov.table.groupby(["need", "hour_band"], observed=True,
                                sort=False)["services"].agg(["median", "min"])
    text = (grouped["median"].astype(int).astype(str) + " ("
            + grouped["min"].astype(str) + ")")
    return text.unstack("hour_band")


def _access_table(smap: ServiceMap, access: pd.DataFrame) -> pd.DataFrame:
    """Need-weighted mean access per local authority (lowest area), by 2SFCA."""
    areas = smap.areas
    lad = areas["lad_name"] if "lad_name" in areas else areas["lad_code"]
    out = {}
    for need, unit in ACCESS.items():
        per = access[f"{need}_{unit}_per_1000_2sfca"]
        demand = access[f"{need}_demand"]
        weighted = (per * demand).groupby(lad).sum() / demand.groupby(lad).sum()
        label = f"{need} ({unit.replace('_', ' ')})"
        out[label] = (weighted.round(0).astype(int).map("{:,}".format) + " ("
                      + per.groupby(lad).min().round(0).astype(int).map("{:,}".format)
                      + ")")
    return pd.DataFrame(out).rename_axis(None)


def _gap_tables(gaps: GapReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People in gaps by need and reason (suppressed), and the largest gaps."""
    def cells(frame: pd.DataFrame) -> pd.Series:
        return frame["need_in_gaps"].iloc[:-1]

    raw = cells(gaps.summary(["need", "reason"], suppress=None)).unstack("reason")
    published = gaps.summary(["need", "reason"])
    shown = cells(published).unstack("reason")
    reasons = [r for r in gaps.table["reason"].cat.categories if r in raw.columns]
    # no gap of a reason is 0; a count hidden for disclosure is marked
    wide = shown.reindex(columns=reasons).astype("object")
    wide = wide.where(shown[reasons].notna(), SHOWN).where(raw[reasons].notna(), 0)
    sums = published.attrs["subtotals"]["need_in_gaps"]
    totals = pd.Series({k[1]: v for k, v in sums.items() if k[0] == "need"},
                       dtype="Int64").reindex(wide.index)
    wide["all reasons"] = totals.astype("object").where(totals.notna(), SHOWN)
    columns = [c for c in ("code", "name", "lad_name", "need", "client_group",
                           "hour_band", "reason", "counted") if c in gaps.table]
    top = (gaps.table.loc[gaps.table["counted"] > 0, columns]
           .sort_values("counted", ascending=False, kind="stable").head(8)
           .rename(columns={"counted": "people"}))
    return wide, suppress(top, ["people"], marker=SHOWN)


def _sensitivity_table(sensitivity: pd.DataFrame) -> pd.DataFrame:
    sens = sensitivity.reset_index()[["max_distance", "areas_in_gaps", "need_in_gaps"]]
    sens["need_in_gaps"] = sens["need_in_gaps"].round(0).astype(int)
    return sens.set_index("max_distance")


def _overlap_table(overlaps: OverlapReport) -> pd.DataFrame:
    columns = ["needs", "similarity", "comparable", "shared_areas", "shared_population",
               "share_a", "share_b"]
    top = suppress(overlaps.table[columns].head(8).reset_index(), ["shared_population"],
                   marker=SHOWN)
    top["needs"] = top["needs"].map(", ".join)
    top["similarity"] = top["similarity"].map("{:.2f}".format)
    top["comparable"] = top["comparable"].map({True: "yes", False: "no"})
    for c in ("share_a", "share_b"):
        top[c] = top[c].map("{:.0%}".format)
    return top.set_index(["service_a", "service_b"])


def _route_sentence(smap: ServiceMap, entry: str, report: PathwayReport,
                    suppress: int) -> str:
    """One entry point's routes in a sentence, with the place most without one."""
    people = report.attrs["people"]
    need = report.attrs["need"] or "any"
    status = report.table.groupby("status", observed=True)[people].sum()
    total = float(report.table[people].sum())
    label = smap.vocabulary.label("entry_point", entry)
    label = label[:1].lower() + label[1:] if label[1:2].islower() else label
    groups = ", ".join(g.replace("_", " ") for g in report.attrs["client_group"])
    clear, barriers, lost = (float(status.get(k, 0.0)) for k in
                             ("clear", "barriers", "no_route"))
    hidden = any(0 < round(v) < suppress for v in (clear, barriers, lost))
    share = "" if hidden else f" ({(clear + barriers) / total:.0%} with a route)"
    sentence = (f"From {label} ({groups}) to {report.attrs['to_label']}: of "
                f"{total:,.0f} people with a {need.replace('_', ' ')} need{share}, "
                f"{in_words(clear, suppress)} have a clear route of referrals, "
                f"{in_words(barriers, suppress)} one with barriers and "
                f"{in_words(lost, suppress)} none.")
    if lost and "lad" in smap.parent_levels:
        by_lad = report.summary("lad", suppress=suppress)["no_route"].dropna()
        if len(by_lad) and by_lad.max() > 0:
            most = by_lad.astype(float).idxmax()
            name = smap._areas.loc[smap._areas["lad_code"] == most, "lad_name"]
            sentence += (f" Most without one live in "
                         f"{name.iloc[0] if len(name) else most} "
                         f"({int(by_lad[most]):,}).")
    return sentence


def _overlap_sentences(smap: ServiceMap, overlaps: OverlapReport,
                       suppress: int) -> list[str]:
    """Say which pair is most alike, and how many pairs are duplication."""
    table = overlaps.table
    names = smap._services["name"]
    counted = table[table["comparable"]]
    if not len(counted):
        return [f"No two local services are alike enough to count as duplication "
                f"({len(table)} pairs overlap; see the overlap table)."]
    (a, b) = counted["similarity"].idxmax()
    row = counted.loc[(a, b)]
    first = (f"Most alike: {names[a]} and {names[b]} ({', '.join(row['needs'])}), "
             f"similarity {row['similarity']:.2f}, overlapping in "
             f"{int(row['shared_areas']):,} areas where about "
             f"{in_words(row['shared_population'], suppress)} people live "
             f"({row['share_a']:.0%} and {row['share_b']:.0%} of their catchments).")
    areas = int((overlaps.duplication["duplication"] > 0).sum())
    second = (f"{len(counted)} of {len(table)} overlapping pairs are alike enough to "
              f"count as duplication, in {areas:,} of {len(smap._areas):,} areas; "
              "pairs with an area-wide or remote service are listed apart.")
    return [first, second]


def _route_tables(report: PathwayReport) -> tuple[pd.DataFrame, pd.DataFrame,
                                                  pd.DataFrame]:
    """Return the best chains, people by route status per partnership, single points."""
    chains = report.chains.copy()
    chains["chain"] = chains["chain"].map(" -> ".join)
    chains["barriers"] = chains["barriers"].map(", ".join).replace("", "none")
    chains = suppress(chains, ["need_drug"], marker=SHOWN)
    status = report.summary("partnership")
    status = status.loc[status["areas"] > 0]
    for c in ("clear", "barriers", "no_route"):
        status[c] = status[c].astype("object").where(status[c].notna(), SHOWN)
    status["share_with_route"] = status["share_with_route"].map(
        lambda v: "" if pd.isna(v) else f"{v:.0%}")
    points = suppress(report.single_points_of_failure().head(5), ["need_drug"],
                      marker=SHOWN)
    return (chains[["chain", "hand_offs", "wait_days", "barriers", "areas", "need_drug"]],
            status, points[["name", "areas", "need_drug"]])


# -- the files written ------------------------------------------------------------------
def _published(frame: pd.DataFrame, people: Sequence[str],
               shares: Mapping[str, str | Sequence[str]] | None = None) -> pd.DataFrame:
    """Give counts of people as every written file does: hidden 1-7, else to the 5.

    One rule, applied cell by cell (NHS England's for Hospital Episode Statistics), so
    a count is hidden or rounded the same way in every file that gives it: no file
    shows what another hides, and no published sum, less the rounded counts shown,
    pins a hidden one (each rounding leaves 5 values open). A share computed from a
    hidden count (``shares``: share column -> the count columns it is computed from)
    is hidden with it, and every share is given to the whole percent, too coarse to
    undo the rounding of the counts it is computed from.
    """
    people = [c for c in people if c in frame]
    out = suppress(frame, people, rule=PUBLISHED_RULE, marker=WRITTEN)
    for share, counts in (shares or {}).items():
        counts = [counts] if isinstance(counts, str) else list(counts)
        if share in out:
            gone = out[[c for c in counts if c in out]].eq(WRITTEN).any(axis=1)
            rounded = pd.to_numeric(out[share]).round(2)
            out[share] = rounded.astype("object").where(~gone.to_numpy(), WRITTEN)
    return out


def _write_map(smap: ServiceMap, summary: dict[str, pd.DataFrame],
               validation: ValidationReport, output: Path, stem: str) -> list[str]:
    """Write the map as given into ``map/``: working data, not for publication.

    The map's layers and tables hold the counts the analyses start from (population
    and need per area, capacities), small ones included; they stay with the
    partnership that gave them. The analyses' files beside ``map/`` are the set to
    publish.
    """
    folder = output / MAP_FOLDER
    folder.mkdir(exist_ok=True)
    written = [f"{MAP_FOLDER}/{name}" for name in _write_map_tables(
        smap, summary, validation, folder, stem)]
    (folder / "README.txt").write_text(
        "The map as given: its areas (with population and need per area), services, "
        "sites, pathways, organisations and partnerships, the summaries of them and "
        "the validation report. These are working data for the partnership: they hold "
        "small counts of people that the files one folder up hide or round. Publish "
        "the files one folder up, not these.\n", encoding="utf-8")
    return [*written, f"{MAP_FOLDER}/README.txt"]


def _write_map_tables(smap: ServiceMap, summary: dict[str, pd.DataFrame],
                      validation: ValidationReport, output: Path, stem: str) -> list[str]:
    """Write the map's layers and tables, its summary, validation and attribution."""
    gpkg = output / f"{stem}.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    smap.areas.to_file(gpkg, layer="areas", engine="pyogrio")
    sites = smap.sites
    sites["services"] = sites["services"].map("; ".join)
    sites.to_file(gpkg, layer="sites", engine="pyogrio")
    written = [gpkg.name]
    areas = pd.DataFrame(smap.areas.drop(columns="geometry"))
    sites_table = pd.DataFrame(smap.sites.drop(columns="geometry"))
    located = smap.sites.geometry.notna()
    for col, values in (("easting", smap.sites.geometry.x),
                        ("northing", smap.sites.geometry.y)):
        sites_table[col] = values.where(located).round(0).astype("Int64")
    tables = {"areas": areas, "sites": sites_table}
    tables.update({name: getattr(smap, name) for name in
                   ("services", "pathways", "organisations", "partnerships")})
    for name, table in tables.items():
        written.append(write_csv(table, output / f"{name}.csv").name)
    for name, table in summary.items():
        written.append(write_csv(table.round(1), output / f"summary_{name}.csv").name)
    written.append(write_csv(validation.to_frame(), output / "validation.csv",
                             index=False).name)
    provenance = smap.provenance
    (output / "ATTRIBUTION.txt").write_text(
        f"{provenance.get('name', '')}\n\n{provenance.get('illustrative', '')}\n\n"
        f"Licence: {provenance.get('licence', '')}\n\n{provenance.get('attribution', '')}"
        "\n", encoding="utf-8")
    return [*written, "ATTRIBUTION.txt"]


def _write_analyses(cov: Coverage, access: pd.DataFrame, output: Path) -> list[str]:
    written = [write_csv(cov.table.reset_index(), output / "coverage.csv",
                         index=False).name]
    summary = _published(cov.summary(suppress=None).round(4).reset_index(),
                         ["population", "population_reached"],
                         {"share_of_population": "population_reached"})
    written.append(write_csv(summary, output / "coverage_summary.csv", index=False).name)
    demand = [c for c in access if c.endswith("_demand")]
    written.append(write_csv(_published(access.round(3).reset_index(), demand),
                             output / "accessibility.csv", index=False).name)
    return written


def _write_gaps_and_overlaps(gaps: GapReport, sensitivity: pd.DataFrame,
                             overlaps: OverlapReport, output: Path) -> list[str]:
    table = _published(gaps.table.reset_index(), ["population", "severity", "counted"])
    written = [write_csv(table, output / "gaps.csv", index=False).name]
    for name, frame in (("gaps_summary", gaps.summary(["need", "reason"], suppress=None)),
                        ("gaps_by_lad", gaps.summary("lad", suppress=None))):
        frame = frame.assign(share_of_need=frame["share_of_need"].round(4))
        written.append(write_csv(
            _published(frame.reset_index(), ["need_in_gaps"],
                       {"share_of_need": "need_in_gaps"}),
            output / f"{name}.csv", index=False).name)
    sens = _published(sensitivity.round(4).reset_index(),
                      ["need_total", "need_in_gaps", "need_beside_gaps", "need_covered"],
                      {"share_in_gaps": "need_in_gaps"})
    written.append(write_csv(sens, output / "gaps_sensitivity.csv", index=False).name)
    pairs = overlaps.table.copy()
    for c in pairs.columns:
        if pairs[c].map(type).eq(tuple).any():
            pairs[c] = pairs[c].map("; ".join)
    people = ["shared_population"] + [c for c in pairs if c.startswith("need_")]
    pairs = _published(pairs.reset_index(), people)
    written.append(write_csv(pairs, output / "overlaps.csv", index=False).name)
    dup = pd.DataFrame(overlaps.duplication)
    written.append(write_csv(dup, output / "overlaps_by_area.csv").name)
    return written


def _save(ax: Axes, path: Path) -> None:
    """Save the figure an Axes was drawn on, and close that figure alone."""
    import matplotlib.pyplot as plt

    figure = ax.get_figure(root=True)
    assert figure is not None  # an Axes that was drawn on has a figure
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)  # the user's own figures stay open


def _write_routes(routes: dict[str, PathwayReport], output: Path) -> list[str]:
    tables, summaries, points = [], [], []
    written = []
    for entry, report in routes.items():
        # the analysis per area; counts of people are published only in aggregate
        table = report.table.drop(columns=["population", "need_drug"]).reset_index(
            ).assign(entry=entry)
        for c in ("chain", "pathways", "barriers"):
            table[c] = table[c].map("; ".join)
        tables.append(table)
        summaries.append(report.summary("partnership", suppress=None).reset_index(
            ).assign(entry=entry))
        points.append(report.single_points_of_failure().reset_index().assign(
            entry=entry, partnerships=lambda f: f["partnerships"].map("; ".join)))
        short = "police" if entry.startswith("police") else "prison"
        _save(pathway_diagram(report), output / f"pathways_{short}.png")
        _save(report.plot(), output / f"routes_{short}.png")
        written += [f"pathways_{short}.png", f"routes_{short}.png"]
    written.append(write_csv(pd.concat(tables, ignore_index=True), output / "routes.csv",
                             index=False).name)
    by_partnership = pd.concat(summaries, ignore_index=True)
    counts = [c for c in by_partnership if c not in ("partnership", "areas", "entry")
              and not c.startswith("share")]
    written.append(write_csv(_published(by_partnership, counts,
                                        {"share_with_route": counts}),
                             output / "routes_by_partnership.csv", index=False).name)
    spof = _published(pd.concat(points, ignore_index=True), ["need_drug"])
    written.append(write_csv(spof, output / "routes_single_points.csv",
                             index=False).name)
    return written
