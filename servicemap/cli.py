"""The ``servicemap`` command line, for workshops and quick looks.

Examples
--------
>>> from typer.testing import CliRunner
>>> result = CliRunner().invoke(app, ["--version"])
>>> result.output.startswith("servicemap ")
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="servicemap",
    help="Map services, sites, catchments and referral pathways over geography, to "
         "find gaps, overlaps and merge options.",
    no_args_is_help=True,
    context_settings={"max_content_width": 100},
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from servicemap._version import __version__

        typer.echo(f"servicemap {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Show the version and exit.")] = False,
) -> None:
    """Map services, sites, catchments and referral pathways over geography."""


def _show(title: str, table: object) -> None:
    typer.echo(f"\n{title}")
    typer.echo("-" * len(title))
    typer.echo(str(table))


@app.command(short_help="Run the Bedfordshire exercise end to end, offline.")
def demo(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Folder to write the results to (made if missing; files "
                               "of the same names are replaced).")] = Path(
            "servicemap-demo"),
) -> None:
    """Run the Bedfordshire exercise end to end on the shipped data, offline.

    Loads the map, validates it and prints areas, population and estimated need by
    local authority, services by need and commissioning partnership, the referral
    pathways, coverage by need and hour band, access to capacity (2SFCA) by local
    authority, the gaps (by need and reason, the largest, and how they move with the
    distance cut-off), the overlaps between services of different partnerships, and
    the routes of referrals from a police vulnerable-persons referral and from prison
    release to drug treatment, area by area, with their barriers and single points of
    failure. Counts of people under 5 are suppressed in every report.
    Writes to OUTPUT: bedfordshire.gpkg (layers areas and sites), a CSV of each table
    (areas without geometry, sites with easting and northing), the summary tables,
    coverage.csv, coverage_summary.csv, accessibility.csv, gaps.csv,
    gaps_summary.csv, gaps_by_lad.csv, gaps_sensitivity.csv, overlaps.csv,
    overlaps_by_area.csv, routes.csv, routes_by_partnership.csv,
    routes_single_points.csv, a pathway diagram and a route map per route (PNG),
    the services, organisations, partnerships and pathways for Kumu
    (bedfordshire_kumu.json) and Gephi (bedfordshire.gexf), validation.csv and
    ATTRIBUTION.txt.
    """
    import pandas as pd

    from servicemap import datasets

    smap = datasets.bedfordshire()
    report = smap.validate()
    typer.echo(str(smap))
    summary = smap.summary()
    with pd.option_context("display.width", 120, "display.max_columns", 20,
                           "display.float_format", "{:,.0f}".format):
        _show("Areas, population and estimated need by local authority",
              summary["areas"])
        _show("Active services by need and commissioning partnership",
              summary["services_by_need"])
        typer.echo("A service commissioned by two partnerships counts under each; "
                   "'total' counts it once.")
        typer.echo("Partnerships: " + "; ".join(
            f"{pid} = {name}" for pid, name in smap.partnerships["name"].items()))
        _show("Referral pathways by where they start and their kind",
              summary["pathways"])
    cov, access, notes = _analyses(smap)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        _show("Services reaching an area, by need and hour band: median (fewest)",
              _coverage_table(smap))
        _show("Access to capacity per 1,000 people in need (2SFCA), by local authority: "
              "need-weighted mean (lowest area)", _access_table(smap, access))
    typer.echo("A service meeting several needs counts its whole capacity for each; "
               "capacities and catchments are illustrative.")
    for note in notes:
        typer.echo("  note: " + note.replace("; attrs['excluded'] lists them", ""))
    gaps, overlaps = _gaps_and_overlaps(smap)
    _show_gaps(gaps)
    _show_overlaps(overlaps)
    routes = _routes(smap)
    _show_routes(routes)
    typer.echo(f"\nValidation: {report._counts()}")
    for problem in report.errors + report.warnings:
        typer.echo(f"  {problem.severity:<8} {problem}")

    output.mkdir(parents=True, exist_ok=True)
    written = _write_demo(smap, summary, report, output)
    written += _write_analyses(cov, access, output)
    written += _write_gaps_and_overlaps(gaps, overlaps, output)
    written += _write_routes(routes, output)
    smap.to_kumu(output / "bedfordshire_kumu.json")
    smap.to_gexf(output / "bedfordshire.gexf")
    written += ["bedfordshire_kumu.json", "bedfordshire.gexf"]
    typer.echo(f"\nWrote {len(written)} files to {output}/: {', '.join(written)}")


#: The needs the demo measures access for, with the capacity unit of their services.
DEMO_ACCESS = {"drug": "places", "alcohol": "places", "early_help": "clients_per_year"}


def _analyses(smap):
    """Coverage and accessibility for the demo, with any warnings turned into notes."""
    import warnings

    import pandas as pd

    import servicemap as sm

    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sm.ServiceMapWarning)
        needs = list(smap.need_columns)
        cov = sm.coverage(smap, by=("need", "client_group", "hour_band"), need=needs)
        frames = {}
        for need, unit in DEMO_ACCESS.items():
            for method in ("2sfca", "e2sfca"):
                acc = sm.accessibility(smap, need=need, method=method, capacity_unit=unit)
                frames[(need, method)] = acc
    notes += [str(w.message) for w in caught
              if issubclass(w.category, sm.ServiceMapWarning)]
    notes = list(dict.fromkeys(notes))
    columns = {}
    for (need, method), acc in frames.items():
        columns[f"{need}_{DEMO_ACCESS[need]}_per_1000_{method}"] = acc["access_per_1000"]
    first = frames[(next(iter(DEMO_ACCESS)), "2sfca")]
    access = pd.DataFrame(columns, index=first.index)
    for need in DEMO_ACCESS:
        access[f"{need}_demand"] = frames[(need, "2sfca")]["demand"]
        access[f"{need}_services"] = frames[(need, "2sfca")]["services"]
    access.attrs["supply"] = {need: frames[(need, "2sfca")].attrs["supply"]
                              for need in DEMO_ACCESS}
    return cov, access, notes


#: Distances the demo's gap sensitivity tries, in metres.
DEMO_SENSITIVITY = [5_000, 10_000, 15_000]


#: The routes the demo traces: entry point, and the groups the person belongs to.
DEMO_ROUTES = {"police_vulnerable_persons": ("adults",),
               "prison_release": ("adults", "people_leaving_prison")}
#: What counts as drug treatment at the end of a route (not assessment or harm
#: reduction alone).
DEMO_TREATMENT = ("opioid_substitution", "detox_inpatient", "residential_rehab")


def _routes(smap):
    import servicemap as sm

    return {entry: sm.trace_pathways(smap, entry=entry, need="drug",
                                     intervention=DEMO_TREATMENT,
                                     client_group=list(groups))
            for entry, groups in DEMO_ROUTES.items()}


def _show_routes(routes):
    import pandas as pd

    from servicemap.disclosure import suppress

    for entry, report in routes.items():
        label = report._smap.vocabulary.label("entry_point", entry)
        chains = report.chains.copy()
        chains["chain"] = chains["chain"].map(" -> ".join)
        chains["barriers"] = chains["barriers"].map(", ".join).replace("", "none")
        chains = suppress(chains, ["need_drug"], marker="<5*")
        summary = report.summary("partnership")
        summary = summary.loc[summary["areas"] > 0]
        for c in ("clear", "barriers", "no_route"):
            summary[c] = summary[c].astype("object").where(summary[c].notna(), "<5*")
        summary["share_with_route"] = summary["share_with_route"].map(
            lambda v: "" if pd.isna(v) else f"{v:.0%}")
        spof = report.single_points_of_failure().head(5)
        spof = suppress(spof, ["need_drug"], marker="<5*")
        with pd.option_context("display.width", 140, "display.max_columns", 20,
                               "display.max_colwidth", 48):
            _show(f"Routes from {label} to {report.attrs['to_label']} (best chain per "
                  "area: fewest hand-offs, then least wait)",
                  chains[["chain", "hand_offs", "wait_days", "barriers", "areas",
                          "need_drug"]])
            lost = report.table["status"] == "no_route"
            typer.echo(f"No route: {int(lost.sum())} areas, "
                       f"{report.table.loc[lost, 'need_drug'].sum():,.0f} people with a "
                       "drug need (see the partnership table and routes.csv).")
            _show(f"People with a drug need by route status, per partnership "
                  f"({label})", summary)
            if len(spof):
                _show(f"Single points of failure ({label}): services every route "
                      "from there passes through", spof[["name", "areas", "need_drug"]])
        for note in report.notes:
            typer.echo("  note: " + note)
    typer.echo("Treatment here is a service offering opioid substitution, inpatient "
               "detox or residential rehab; assessment and harm reduction alone are not "
               "the end of a route. 'No route' often means the treatment service's reach "
               "(its distance from home) leaves the area out.")
    typer.echo("Barriers: consent = a hand-off needing explicit consent on a route "
               "entered without it; no_isa = no information-sharing agreement; "
               "cross_boundary = services of different commissioning partnerships; "
               "bottleneck = more referrals a year than it can take a year.")


def _write_routes(routes, output: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from servicemap.disclosure import suppress
    from servicemap.io.exports import write_csv
    from servicemap.plotting import pathways

    marker = "[suppressed]"
    tables, summaries, points = [], [], []
    written = []
    for entry, report in routes.items():
        # the analysis per area; counts of people are published only in aggregate
        table = report.table.drop(columns=["population", "need_drug"]).reset_index(
            ).assign(entry=entry)
        for c in ("chain", "pathways", "barriers"):
            table[c] = table[c].map("; ".join)
        tables.append(table)
        summaries.append(report.summary("partnership").reset_index().assign(entry=entry))
        points.append(report.single_points_of_failure().reset_index().assign(
            entry=entry, partnerships=lambda f: f["partnerships"].map("; ".join)))
        short = "police" if entry.startswith("police") else "prison"
        ax = pathways(report)
        ax.figure.savefig(output / f"pathways_{short}.png", dpi=110, bbox_inches="tight")
        ax = report.plot()
        ax.figure.savefig(output / f"routes_{short}.png", dpi=110, bbox_inches="tight")
        plt.close("all")
        written += [f"pathways_{short}.png", f"routes_{short}.png"]
    written.append(write_csv(pd.concat(tables, ignore_index=True), output / "routes.csv",
                             index=False).name)
    written.append(write_csv(pd.concat(summaries, ignore_index=True),
                             output / "routes_by_partnership.csv", index=False,
                             na_rep=marker).name)
    spof = suppress(pd.concat(points, ignore_index=True), ["need_drug"], marker=marker)
    written.append(write_csv(spof, output / "routes_single_points.csv",
                             index=False).name)
    return written


def _gaps_and_overlaps(smap):
    import servicemap as sm

    gaps = sm.find_gaps(smap)
    swept = sm.find_gaps(smap, need="drug", max_distance=DEMO_SENSITIVITY)
    gaps.attrs["demo_sensitivity"] = swept.sensitivity
    overlaps = sm.find_overlaps(smap, across="partnership")
    return gaps, overlaps


def _gap_tables(gaps):
    """Return the published gap tables: by need and reason, and the largest gaps."""
    import pandas as pd

    from servicemap.disclosure import suppress

    def cells(frame):
        return frame["need_in_gaps"].iloc[:-1]

    raw = cells(gaps.summary(["need", "reason"], suppress=None)).unstack("reason")
    published = gaps.summary(["need", "reason"])
    shown = cells(published).unstack("reason")
    reasons = [r for r in gaps.table["reason"].cat.categories if r in raw.columns]
    # no gap of a reason is 0; a count hidden for disclosure is marked
    wide = shown.reindex(columns=reasons).astype("object")
    wide = wide.where(shown[reasons].notna(), "<5*").where(raw[reasons].notna(), 0)
    sums = published.attrs["subtotals"]
    totals = pd.Series({k[1]: v for k, v in sums.items() if k[0] == "need"},
                       dtype="Int64").reindex(wide.index)
    wide["all reasons"] = totals.astype("object").where(totals.notna(), "<5*")
    columns = ["code", "name", "lad_name", "need", "client_group", "hour_band",
               "reason", "severity"]
    top = gaps.table.loc[gaps.table["headline"], columns].head(8)
    top = suppress(top, ["severity"], marker="<5*")
    return wide, top


def _show_gaps(gaps):
    import pandas as pd

    wide, top = _gap_tables(gaps)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        _show("Gaps: people in need in areas where provision falls short, by need and "
              "reason", wide)
        typer.echo("Each area counts once per need, under its most fundamental reason; "
                   "<5* = suppressed.")
        _show("The largest gaps (people with the need in the area)",
              top.set_index("code"))
        sens = gaps.attrs["demo_sensitivity"]
        sens = sens.reset_index()[["max_distance", "areas_in_gaps", "need_in_gaps"]]
        sens["need_in_gaps"] = sens["need_in_gaps"].round(0).astype(int)
        _show("People with a drug need in gaps if every service reached "
              + ", ".join(f"{d // 1000} km" for d in DEMO_SENSITIVITY),
              sens.set_index("max_distance"))
    for note in gaps.notes:
        typer.echo("  note: " + note)


def _show_overlaps(overlaps):
    import pandas as pd

    from servicemap.disclosure import suppress

    t = overlaps.table
    columns = ["needs", "shared_areas", "shared_population", "share_a", "share_b"]
    top = suppress(t[columns].head(8).reset_index(), ["shared_population"],
                   marker="<5*")
    top["needs"] = top["needs"].map(", ".join)
    for c in ("share_a", "share_b"):
        top[c] = top[c].map("{:.0%}".format)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        _show(f"Overlaps: {len(t)} pairs of services of different partnerships meeting "
              "the same need for the same people, largest first",
              top.set_index(["service_a", "service_b"]))
    dup = overlaps.duplication["duplication"]
    typer.echo(f"Duplication (services beyond one reaching an area, in these pairs): "
               f"median {dup.median():.0f}, highest {dup.max():.0f}.")


def _write_gaps_and_overlaps(gaps, overlaps, output: Path) -> list[str]:
    import pandas as pd

    from servicemap.disclosure import suppress
    from servicemap.io.exports import write_csv

    marker = "[suppressed]"
    table = suppress(gaps.table, ["population", "severity"], marker=marker)
    written = [write_csv(table, output / "gaps.csv").name]
    for name, frame in (("gaps_summary", gaps.summary(["need", "reason"])),
                        ("gaps_by_lad", gaps.summary("lad"))):
        frame = frame.assign(share_of_need=frame["share_of_need"].round(4))
        written.append(write_csv(frame.reset_index(), output / f"{name}.csv",
                                 index=False, na_rep=marker).name)
    sens = gaps.attrs["demo_sensitivity"].round(4).reset_index()
    written.append(write_csv(sens, output / "gaps_sensitivity.csv", index=False).name)
    pairs = overlaps.table.copy()
    for c in pairs.columns:
        if pairs[c].map(type).eq(tuple).any():
            pairs[c] = pairs[c].map("; ".join)
    people = ["shared_population"] + [c for c in pairs if c.startswith("need_")]
    pairs = suppress(pairs.reset_index(), people, marker=marker)
    written.append(write_csv(pairs, output / "overlaps.csv", index=False).name)
    dup = pd.DataFrame(overlaps.duplication)
    written.append(write_csv(dup, output / "overlaps_by_area.csv").name)
    return written


def _coverage_table(smap):
    import servicemap as sm

    cov = sm.coverage(smap, by=("need", "hour_band"), need=list(smap.need_columns))
    grouped = cov.table.groupby(["need", "hour_band"], observed=True, sort=False)["services"]
    return (grouped.median().astype(int).astype(str) + " ("
            + grouped.min().astype(str) + ")").unstack("hour_band")


def _access_table(smap, access):
    import pandas as pd

    lad = smap.areas["lad_name"] if "lad_name" in smap.areas else smap.areas["lad_code"]
    out = {}
    for need in DEMO_ACCESS:
        per = access[f"{need}_{DEMO_ACCESS[need]}_per_1000_2sfca"]
        demand = access[f"{need}_demand"]
        weighted = (per * demand).groupby(lad).sum() / demand.groupby(lad).sum()
        label = f"{need} ({DEMO_ACCESS[need].replace('_', ' ')})"
        out[label] = (weighted.round(0).astype(int).map("{:,}".format) + " ("
                      + per.groupby(lad).min().round(0).astype(int).map("{:,}".format)
                      + ")")
    return pd.DataFrame(out).rename_axis(None)


def _write_analyses(cov, access, output: Path) -> list[str]:
    from servicemap.io.exports import write_csv

    written = [write_csv(cov.table.reset_index(), output / "coverage.csv",
                         index=False).name]
    summary = cov.summary().round(4)
    written.append(write_csv(summary, output / "coverage_summary.csv").name)
    written.append(write_csv(access.round(3), output / "accessibility.csv").name)
    return written


def _write_demo(smap, summary, report, output: Path) -> list[str]:
    """Write the demo's files and return their names."""
    import pandas as pd

    from servicemap.io.exports import write_csv

    gpkg = output / "bedfordshire.gpkg"
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
    for col, values in (("easting", smap.sites.geometry.x), ("northing",
                                                         smap.sites.geometry.y)):
        sites_table[col] = values.where(located).round(0).astype("Int64")
    tables = {"areas": areas, "sites": sites_table}
    tables.update({name: getattr(smap, name) for name in
                   ("services", "pathways", "organisations", "partnerships")})
    for name, table in tables.items():
        written.append(write_csv(table, output / f"{name}.csv").name)
    for name, table in summary.items():
        written.append(write_csv(table.round(1), output / f"summary_{name}.csv").name)
    written.append(write_csv(report.to_frame(), output / "validation.csv",
                             index=False).name)
    provenance = smap.provenance
    (output / "ATTRIBUTION.txt").write_text(
        f"{provenance.get('name', '')}\n\n{provenance.get('illustrative', '')}\n\n"
        f"Licence: {provenance.get('licence', '')}\n\n{provenance.get('attribution', '')}"
        "\n", encoding="utf-8")
    written.append("ATTRIBUTION.txt")
    return written


@app.command(short_help="Write an empty workbook (or CSV folder) to fill in.")
def template(
    path: Annotated[Path, typer.Argument(
        help="The workbook to write, such as mapping.xlsx; a name without an extension "
             "writes a folder of CSV files instead.")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the file (or write into the folder) if it exists.")] = False,
) -> None:
    """Write an empty workshop workbook to capture services, sites and referral routes.

    One sheet per table (Organisations, Partnerships, Services, Catchments, Sites,
    Pathways, Areas, Travel times), a README sheet explaining every column with an
    example, drop-downs for the vocabularies (listed on the Vocabulary sheet) and an
    About sheet for the map's name and licence. Check it with `servicemap validate`.
    """
    from servicemap.io.workbook import write_template

    try:
        written = write_template(path, overwrite=force)
    except (FileExistsError, ValueError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    kind = "workbook" if written.suffix else "folder of CSV files"
    typer.echo(f"Wrote the {kind} {written}. Fill it in, then run: servicemap validate "
               f"{written} --areas <areas.gpkg or a dataset name>")


_FORMATS = ("table", "json")


@app.command(short_help="Check a workbook (or CSV folder) and list every problem.")
def validate(
    path: Annotated[Path, typer.Argument(
        help="The workbook (.xlsx) or folder of CSV files to check.")],
    areas: Annotated[str | None, typer.Option(
        "--areas", help="The area polygons: a GeoPackage, GeoJSON or shapefile, or a "
                        "shipped dataset's name such as bedfordshire. Without them, "
                        "sites and footprints are not checked against areas.")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", help="table (for people) or json (for tools).")] = "table",
) -> None:
    """Check a workshop workbook and print every problem, naming sheet, row and column.

    Exits with 1 if any problem is an error, 0 otherwise (warnings and notes of what
    would be normalised on reading do not fail).
    """
    import json

    from servicemap.io.workbook import validate_workbook

    if output_format not in _FORMATS:
        typer.echo(f"Error: --format {output_format!r} is not one of: "
                   f"{', '.join(_FORMATS)}.", err=True)
        raise typer.Exit(2)
    try:
        report = validate_workbook(path, areas=areas)
    except FileNotFoundError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    if output_format == "json":
        problems = [{"severity": p.severity, "sheet": p.table, "row": p.row,
                     "column": p.field, "cell": getattr(p, "cell", None), "id": p.id,
                     "value": p.value, "message": p.message} for p in report.problems]
        typer.echo(json.dumps({"source": str(path), "ok": report.ok,
                               "errors": len(report.errors),
                               "warnings": len(report.warnings),
                               "notes": len(report.notes), "problems": problems},
                              indent=2, default=str, ensure_ascii=False))
    else:
        typer.echo(_problem_table(report, path))
    raise typer.Exit(0 if report.ok else 1)


def _problem_table(report, path: Path) -> str:
    """Lay the problems out as a plain-text table, one line each."""
    head = ("severity", "sheet", "row", "column", "value", "message")
    rows = []
    for p in report.problems:
        value = "" if p.value is None else repr(p.value) if isinstance(p.value, str) \
            else str(p.value)
        if len(value) > 30:
            value = value[:27] + "..."
        rows.append((p.severity, p.table, "" if p.row is None else str(p.row),
                     p.field or "", value, p.message))
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(head[:-1])]
    lines = [f"{path.name}: {report._counts()}"]
    if rows:
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False))
                     + "  message")
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False))
                  + "  " + r[-1] for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    app()
