"""The command line."""

import numpy as np
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

import servicemap as sm
from servicemap.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"servicemap {sm.__version__}"


def test_help_everywhere():
    for args in (["--help"], ["demo", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output
    assert "Bedfordshire" in runner.invoke(app, ["demo", "--help"]).output


def test_demo_prints_the_summary_and_writes_the_outputs(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "381, population 652,223 in 3 LADs" in text
    assert "Luton" in text and "Central Bedfordshire" in text
    assert "Validation: 0 errors, 0 warnings" in text
    assert f"to {out}/" in text
    layers = dict(pyogrio.list_layers(out / "map" / "bedfordshire.gpkg"))
    assert set(layers) == {"areas", "sites"}
    areas = pyogrio.read_dataframe(out / "map" / "bedfordshire.gpkg", layer="areas")
    assert len(areas) == 381 and areas.crs.to_epsg() == 27700
    services = pd.read_csv(out / "map" / "services.csv")
    assert len(services) == len(sm.datasets.bedfordshire().services)
    by_need = pd.read_csv(out / "map" / "summary_services_by_need.csv", index_col=0)
    assert by_need.loc["drug", "total"] >= 1
    # the set to publish, and beside it the map as given (working data)
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "map", "coverage.csv", "coverage_summary.csv",
        "accessibility.csv", "gaps.csv", "gaps_summary.csv", "gaps_by_lad.csv",
        "gaps_sensitivity.csv", "overlaps.csv", "overlaps_by_area.csv", "routes.csv",
        "routes_by_partnership.csv", "routes_single_points.csv", "pathways_police.png",
        "routes_police.png", "pathways_prison.png", "routes_prison.png", "answers.txt",
        "ATTRIBUTION.txt"])
    assert sorted(p.name for p in (out / "map").iterdir()) == sorted([
        "bedfordshire.gpkg", "areas.csv", "sites.csv", "services.csv", "pathways.csv",
        "organisations.csv", "partnerships.csv", "summary_areas.csv",
        "summary_services_by_need.csv", "summary_pathways.csv", "summary_sites.csv",
        "validation.csv", "ATTRIBUTION.txt", "README.txt", "bedfordshire_kumu.json",
        "bedfordshire.gexf"])
    # the answers come first, in plain words, by name, as the library gives them
    gaps = sm.find_gaps(sm.datasets.bedfordshire())
    assert text.lstrip().startswith("Where are the gaps?\n- Drug treatment: ")
    first = gaps.headlines()[0]
    answers_part, detail = " ".join(text.split()).split("The detail follows.")
    assert first in answers_part and "381, population 652,223" in detail
    assert "Most alike: " in answers_part and "(bcb-" not in answers_part  # names
    answers = (out / "answers.txt").read_text(encoding="utf-8")
    assert first in answers and "Who has a route of referrals to treatment?" in answers
    sites = pd.read_csv(out / "map" / "sites.csv", index_col="id")
    beds_sites = sm.datasets.bedfordshire().sites
    assert sites["easting"].dropna().astype(int).equals(
        beds_sites.geometry.x.dropna().round().astype(int).rename("easting"))
    for folder in (out, out / "map"):
        assert "Crown copyright" in (folder / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    summary = pd.read_csv(out / "map" / "summary_areas.csv", index_col=0)
    assert summary.loc["total", "population"] == 652_223
    # coverage and accessibility, against the library called directly
    assert "Services reaching an area, by need and hour band" in text
    assert "systemic gaps, listed once" in text
    coverage = pd.read_csv(out / "coverage.csv")
    assert len(coverage) == 381 * 3 * len(set(coverage["client_group"])) * 4
    access = pd.read_csv(out / "accessibility.csv", index_col="code")
    smap = sm.datasets.bedfordshire()
    direct = sm.accessibility(smap, need="drug", capacity_unit="places")
    column = "drug_places_per_1000_2sfca"
    assert access[column].round(3).equals(
        direct.table["access_per_1000"].round(3).rename(column))
    # supply is shared out: need x access adds up to the places of the counted services
    places = (access[column] / 1000 * direct.table["demand"]).sum()
    # per-area need is published by the one rule: hidden 1-7, else to the nearest 5
    demand = direct.table["demand"].round()
    hidden = (demand >= 1) & (demand < 8)
    assert (access.loc[hidden, "drug_demand"] == "[suppressed]").all()
    shown = access.loc[~hidden, "drug_demand"].astype(int)
    assert shown.equals((np.floor(demand[~hidden] / 5 + 0.5) * 5).astype(int).rename(
        "drug_demand"))
    services = smap.services
    # drug treatment in the community (the default provision), with a site in person
    treatment = set(sm.vocab.INTERVENTION_KINDS["treatment"])
    sites = smap.sites.explode("services")
    present = set(sites.loc[sites["mode"].isin(["in_person", "outreach"]), "services"])
    counted = services[services["needs"].map(lambda n: "drug" in n)
                       & services["interventions"].map(lambda i: bool(treatment & set(i)))
                       & services.index.isin(list(present))
                       & (services["capacity_unit"] == "places")
                       & (services["status"] == "active")]
    assert places == pytest.approx(counted["capacity"].sum(), rel=1e-3)
    # gaps and overlaps, against the library called directly, small counts suppressed
    assert "Gaps: people in need in areas where provision falls short" in text
    by_lad = pd.read_csv(out / "gaps_by_lad.csv", index_col="lad_code")
    exact = gaps.summary("lad", suppress=None)["need_in_gaps"]
    # every count rounded to the nearest 5 (none here is 1-7), the total too
    assert by_lad["need_in_gaps"].astype(int).tolist() == (
        np.floor(exact.round() / 5 + 0.5) * 5).astype(int).tolist()
    table = pd.read_csv(out / "gaps.csv", index_col="gap", dtype={"severity": str})
    assert len(table) == len(gaps.table)
    rounded = gaps.table["severity"].round()
    small = (rounded >= 1) & (rounded < 8)
    assert small.any() and (table.loc[small[small].index, "severity"] == "[suppressed]"
                            ).all()
    sens = pd.read_csv(out / "gaps_sensitivity.csv")
    assert sens["max_distance"].tolist() == [5_000, 10_000, 15_000]
    # wider reach, fewer out of reach (the other reasons need not fall)
    assert sens["unreachable"].is_monotonic_decreasing
    pairs = pd.read_csv(out / "overlaps.csv")
    assert len(pairs) == len(sm.find_overlaps(smap).table)
    assert "the most alike first" in text
    # routes from the police and from prison, against the library called directly
    police = sm.trace_pathways(smap, entry="police_vulnerable_persons", need="drug",
                               client_group="adults")
    label = police.attrs["to_label"]
    assert f"Routes from Police vulnerable-persons referral to {label}" in text
    assert f"Routes from Prison release to {label}" in text
    assert "No route: 146 areas, 970 people with a drug need" in text
    routes = pd.read_csv(out / "routes.csv", keep_default_na=False)
    # per area, the analysis without counts of people (published in aggregate only)
    assert not {"population", "need_drug"} & set(routes.columns)
    written_police = routes[routes["entry"] == "police_vulnerable_persons"]
    assert written_police["status"].value_counts().to_dict() == (
        police.table["status"].value_counts()[lambda c: c > 0].to_dict())
    assert set(written_police["barriers"]) == {"", "consent; no_isa"}
    spof = pd.read_csv(out / "routes_single_points.csv")
    prison = spof[spof["entry"] == "prison_release"]
    # prison leavers reach treatment only through the hub that reaches their home
    assert prison["service"].tolist() == ["lut-adult-hub", "bcb-adult-hub"]
    assert prison["areas"].tolist() == [121, 114]
    # the network exports: every pathway a connection, and a graph Gephi can read
    import json

    import networkx as nx

    kumu = json.loads((out / "map" / "bedfordshire_kumu.json").read_text(encoding="utf-8"))
    refers = [c for c in kumu["connections"] if c["type"] == "refers to"]
    assert len(refers) == len(smap.pathways)
    gexf = nx.read_gexf(out / "map" / "bedfordshire.gexf")
    referrals = {d["pathway"] for *_, d in gexf.edges(data=True)
                 if d["relation"] == "refers_to"}
    assert referrals == set(smap.pathways.index)
    # running again over the same folder works
    assert runner.invoke(app, ["demo", "-o", str(out)]).exit_code == 0


def test_no_arguments_shows_help():
    result = runner.invoke(app, [])
    assert "demo" in result.output
