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
    local authority, services by need and commissioning partnership, and the referral
    pathways. Writes to OUTPUT: bedfordshire.gpkg (layers areas and sites), a CSV of
    each table (areas without geometry, sites with easting and northing), the summary
    tables, validation.csv and ATTRIBUTION.txt.
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
    typer.echo(f"\nValidation: {report._counts()}")
    for problem in report.errors + report.warnings:
        typer.echo(f"  {problem.severity:<8} {problem}")

    output.mkdir(parents=True, exist_ok=True)
    written = _write_demo(smap, summary, report, output)
    typer.echo(f"\nWrote {len(written)} files to {output}/: {', '.join(written)}")


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
