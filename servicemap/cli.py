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


@app.command()
def demo(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Folder to write the results to.")] = Path(
            "servicemap-demo"),
) -> None:
    """Run the Bedfordshire exercise end to end on the shipped data, offline."""
    import pandas as pd

    from servicemap import datasets
    from servicemap.io.exports import write_csv

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
        _show("Referral pathways by where they start and their kind",
              summary["pathways"])
    typer.echo(f"\nValidation: {report._counts()}")
    for problem in report.errors + report.warnings:
        typer.echo(f"  {problem.severity:<8} {problem}")

    output.mkdir(parents=True, exist_ok=True)
    gpkg = output / "bedfordshire.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    smap.areas.to_file(gpkg, layer="areas", engine="pyogrio")
    sites = smap.sites
    sites["services"] = sites["services"].map("; ".join)
    sites.to_file(gpkg, layer="sites", engine="pyogrio")
    for name in ("services", "pathways", "organisations", "partnerships"):
        write_csv(getattr(smap, name), output / f"{name}.csv")
    for name, table in summary.items():
        write_csv(table, output / f"summary_{name}.csv")
    write_csv(report.to_frame(), output / "validation.csv", index=False)
    typer.echo(f"\nWrote {len(list(output.iterdir()))} files to {output}/")


if __name__ == "__main__":  # pragma: no cover
    app()
