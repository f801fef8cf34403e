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
        from servicemap import __version__

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
    pathways, coverage by need and hour band and access to capacity (2SFCA) by local
    authority. Writes to OUTPUT: bedfordshire.gpkg (layers areas and sites), a CSV of
    each table (areas without geometry, sites with easting and northing), the summary
    tables, coverage.csv, coverage_summary.csv, accessibility.csv, validation.csv and
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
    typer.echo(f"\nValidation: {report._counts()}")
    for problem in report.errors + report.warnings:
        typer.echo(f"  {problem.severity:<8} {problem}")

    output.mkdir(parents=True, exist_ok=True)
    written = _write_demo(smap, summary, report, output)
    written += _write_analyses(cov, access, output)
    typer.echo(f"\nWrote {len(written)} files to {output}/: {', '.join(written)}")


#: The needs the demo measures access for, with the capacity unit of their services.
DEMO_ACCESS = {"drug": "places", "alcohol": "places", "early_help": "clients_per_year"}


def _analyses(smap):  # noqa: ANN001, ANN202
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


def _coverage_table(smap):  # noqa: ANN001, ANN202
    import servicemap as sm

    cov = sm.coverage(smap, by=("need", "hour_band"), need=list(smap.need_columns))
    grouped = cov.table.groupby(["need", "hour_band"], observed=True, sort=False)["services"]
    return (grouped.median().astype(int).astype(str) + " ("
            + grouped.min().astype(str) + ")").unstack("hour_band")


def _access_table(smap, access):  # noqa: ANN001, ANN202
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


def _write_analyses(cov, access, output: Path) -> list[str]:  # noqa: ANN001
    from servicemap.io.exports import write_csv

    written = [write_csv(cov.table.reset_index(), output / "coverage.csv",
                         index=False).name]
    summary = cov.summary().round(4)
    written.append(write_csv(summary, output / "coverage_summary.csv").name)
    written.append(write_csv(access.round(3), output / "accessibility.csv").name)
    return written


def _write_demo(smap, summary, report, output: Path) -> list[str]:  # noqa: ANN001
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


if __name__ == "__main__":  # pragma: no cover
    app()
