"""The ``servicemap`` command line, for workshops and quick looks.

Examples
--------
>>> from typer.testing import CliRunner
>>> result = CliRunner().invoke(app, ["--version"])
>>> result.output.startswith("servicemap ")
True
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated

import matplotlib
import pandas as pd
import typer

from servicemap import datasets
from servicemap._version import __version__
from servicemap.errors import InputError
from servicemap.io.workbook import validate_workbook, write_template
from servicemap.servicemap import ValidationReport
from servicemap.workshop import SENSITIVITY, Workshop, run_workshop

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

    Prints first the answers in plain sentences: where the gaps are, who has a
    route of referrals to treatment, which services overlap and are alike enough to
    count as duplication. Then the detail: areas, population and estimated need by
    local authority, services by need and commissioning partnership, the referral
    pathways, coverage by need and hour band, access to capacity (2SFCA) by local
    authority, the gaps (by need and reason, the largest, and how they move with the
    distance cut-off), the overlapping services, the most alike first, and the routes
    of referrals from a police vulnerable-persons referral and from prison release to
    drug treatment, area by area, with their barriers and single points of failure.
    Counts of people under 5 are suppressed in every report.
    Writes to OUTPUT: answers.txt, bedfordshire.gpkg (layers areas and sites), a CSV
    of each table (areas without geometry, sites with easting and northing), the
    summary tables,
    coverage.csv, coverage_summary.csv, accessibility.csv, gaps.csv,
    gaps_summary.csv, gaps_by_lad.csv, gaps_sensitivity.csv, overlaps.csv,
    overlaps_by_area.csv, routes.csv, routes_by_partnership.csv,
    routes_single_points.csv, a pathway diagram and a route map per route (PNG),
    the services, organisations, partnerships and pathways for Kumu
    (bedfordshire_kumu.json) and Gephi (bedfordshire.gexf), validation.csv and
    ATTRIBUTION.txt.
    """
    matplotlib.use("Agg")  # the demo writes its figures to files, with or without a screen
    smap = datasets.bedfordshire()
    ws = run_workshop(smap)
    for question, said in ws.answers().items():
        typer.echo(f"\n{question}")
        for line in said:
            typer.echo(textwrap.fill(line, width=100, initial_indent="- ",
                                     subsequent_indent="  "))
    typer.echo("\nThe services are illustrative; the boundaries, population and "
               "deprivation are real. The detail follows.\n")
    typer.echo(str(smap))
    tables = ws.tables()
    with pd.option_context("display.width", 120, "display.max_columns", 20,
                           "display.float_format", "{:,.0f}".format):
        _show("Areas, population and estimated need by local authority",
              ws.summary["areas"])
        _show("Active services by need and commissioning partnership",
              ws.summary["services_by_need"])
        typer.echo("A service commissioned by two partnerships counts under each; "
                   "'total' counts it once.")
        typer.echo("Partnerships: " + "; ".join(
            f"{pid} = {name}" for pid, name in smap.partnerships["name"].items()))
        _show("Referral pathways by where they start and their kind",
              ws.summary["pathways"])
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        _show("Services reaching an area, by need and hour band: median (fewest)",
              tables["coverage"])
        _show("Access to capacity per 1,000 people in need (2SFCA), by local authority: "
              "need-weighted mean (lowest area)", tables["access"])
    typer.echo("A service meeting several needs counts its whole capacity for each; "
               "capacities and catchments are illustrative.")
    for note in ws.notes:
        typer.echo("  note: " + note.replace("; attrs['excluded'] lists them", ""))
    _show_gaps(ws, tables)
    _show_overlaps(ws, tables)
    _show_routes(ws, tables)
    typer.echo(f"\nValidation: {ws.validation.counts}")
    for problem in ws.validation.errors + ws.validation.warnings:
        typer.echo(f"  {problem.severity:<8} {problem}")
    written = ws.write(output, stem="bedfordshire")
    typer.echo(f"\nWrote {len(written)} files to {output}/: {', '.join(written)}")
    typer.echo(f"The files in {output}/ are the set to publish: counts of people 1-7 are "
               "hidden and the rest rounded to the nearest 5, alike in every file. "
               f"{output}/map/ holds the map as given (population and need per area): "
               "working data for the partnership, not for publication.")


def _show_gaps(ws: Workshop, tables: dict[str, pd.DataFrame]) -> None:
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        _show("Gaps: people in need in areas where provision falls short, by need and "
              "reason", tables["gaps"])
        typer.echo("Each person counts once per need, under the most fundamental reason "
                   "for them; "
                   "<5* = suppressed.")
        _show("The largest gaps (people with the need in the area)",
              tables["largest_gaps"])
        _show("People with a drug need in gaps if every service reached "
              + ", ".join(f"{d // 1000} km" for d in SENSITIVITY), tables["sensitivity"])
    for note in ws.gaps.notes:
        typer.echo("  note: " + note)


def _show_overlaps(ws: Workshop, tables: dict[str, pd.DataFrame]) -> None:
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        _show(f"Overlaps: {len(ws.overlaps.table)} pairs of services meeting the same "
              "need for the same people, the most alike first (local services; pairs "
              "with an area-wide or remote service after)", tables["overlaps"])
    dup = ws.overlaps.duplication["duplication"]
    typer.echo("Similarity (0 to 1) combines shared interventions, client groups, needs "
               "and catchment; pairs of 0.5 or more count as duplication. Alike services "
               f"overlapping per area: median {dup.median():.0f}, highest {dup.max():.0f}, "
               f"none in {int((dup == 0).sum())} areas.")


def _show_routes(ws: Workshop, tables: dict[str, pd.DataFrame]) -> None:
    for entry, report in ws.routes.items():
        label = ws.smap.vocabulary.label("entry_point", entry)
        with pd.option_context("display.width", 140, "display.max_columns", 20,
                               "display.max_colwidth", 48):
            _show(f"Routes from {label} to {report.attrs['to_label']} (best chain per "
                  "area: fewest hand-offs, then least wait)", tables[f"routes_{entry}"])
            lost = report.table["status"] == "no_route"
            typer.echo(f"No route: {int(lost.sum())} areas, "
                       f"{report.table.loc[lost, 'need_drug'].sum():,.0f} people with a "
                       "drug need (see the partnership table and routes.csv).")
            _show(f"People with a drug need by route status, per partnership "
                  f"({label})", tables[f"route_status_{entry}"])
            points = tables[f"single_points_{entry}"]
            if len(points):
                _show(f"Single points of failure ({label}): services every route "
                      "from there passes through", points)
        for note in report.notes:
            typer.echo("  note: " + note)
    typer.echo("Treatment here is structured treatment in the community (psychosocial, "
               "opioid substitution, community detox); assessment, harm reduction and a "
               "crisis line are not the end of a route. 'No route' often means the "
               "treatment service's reach (its distance from home) leaves the area out.")
    typer.echo("Barriers: consent = a hand-off needing explicit consent on a route "
               "entered without it; no_isa = no information-sharing agreement; "
               "cross_boundary = services of different commissioning partnerships; "
               "bottleneck = more referrals a year than it can take a year.")


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
    if output_format not in _FORMATS:
        typer.echo(f"Error: --format {output_format!r} is not one of: "
                   f"{', '.join(_FORMATS)}.", err=True)
        raise typer.Exit(2)
    try:
        report = validate_workbook(path, areas=areas)
    except InputError as exc:  # an input that cannot be checked at all: its problems
        report = ValidationReport(tuple(exc.problems), source=path.name)
    except OSError as exc:  # missing, a folder that is not one, not allowed to read
        typer.echo(f"Error: {exc.strerror or exc}: {path}" if exc.strerror
                   else f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    if output_format == "json":
        problems = [{"severity": p.severity, "code": p.code, "sheet": p.table,
                     "row": p.row, "column": p.field, "cell": getattr(p, "cell", None),
                     "id": p.id, "value": p.value, "ref_table": p.ref_table,
                     "ref_id": p.ref_id, "message": p.message}
                    for p in report.problems]
        typer.echo(json.dumps({"source": str(path), "ok": report.ok,
                               "errors": len(report.errors),
                               "warnings": len(report.warnings),
                               "notes": len(report.notes), "problems": problems},
                              indent=2, default=str, ensure_ascii=False))
    else:
        typer.echo(_problem_table(report, path))
    raise typer.Exit(0 if report.ok else 1)


def _problem_table(report: ValidationReport, path: Path) -> str:
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
    lines = [f"{path.name}: {report.counts}"]
    if rows:
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False))
                     + "  message")
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False))
                  + "  " + r[-1] for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    app()
