"""Build the shipped Bedfordshire dataset from the public source files.

Usage::

    python datasets/build_bedfordshire.py --source <folder of the public source files>

The source folder is laid out as the staged public data: ``boundaries/``, ``indicators/``
and ``services/`` (see ``datasets/README.md`` for every file, its origin and licence).
The script writes, next to itself:

- ``bedfordshire/areas.gpkg`` (layer ``areas``): the 381 2011 LSOAs of Bedford, Central
  Bedfordshire and Luton in EPSG:27700, with parent areas, mid-2015 population, IMD 2019
  deciles and illustrative need indicators;
- ``bedfordshire/sites.csv``: the sites of the (mostly illustrative) services, from the
  site specification below; real premises are looked up in the NHS Choices 2014 file;
- ``bedfordshire/wards.gpkg`` (layer ``wards``): the 77 December 2013 electoral wards of
  the three LADs in EPSG:27700, a second geography to move values to (out of date:
  see ``datasets/README.md``);
- the ``capacity`` column of ``bedfordshire/services.csv``, for the illustrative
  services calibrated to need (see ``calibrated_capacities`` and the calibration table
  in ``datasets/README.md``). The rest of that file is hand-authored.

The other CSVs of ``bedfordshire/`` are hand-authored and are not touched here.
Nothing is repaired silently: any failed check stops the build with an error.
"""

from __future__ import annotations

import argparse
import csv
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
OUT = HERE / "bedfordshire"

# -- inputs (relative to --source) -----------------------------------------------------
LSOA_FILE = "boundaries/bedfordshire_lsoa2011.geojson"
MSOA_FILE = "boundaries/bedfordshire_msoa2011.geojson"
WARD_FILE = "boundaries/bedfordshire_wards2013.geojson"
IMD_FILE = "indicators/imd2019_lsoa2011_study_areas.csv"
NHS_FILE = "services/nhs_choices_2014_services_study_areas.geojson"

LADS = {"E06000055": "Bedford", "E06000056": "Central Bedfordshire", "E06000032": "Luton"}
N_LSOA = 381
N_WARD = {"E06000055": 27, "E06000056": 31, "E06000032": 19}  # wards per LAD, Dec 2013
WARD_COLUMNS = ["code", "name", "lad_code", "lad_name", "geometry"]
CRS = "EPSG:27700"

# -- illustrative need formulas (documented in datasets/README.md) ----------------------
# A deprivation multiplier m(d) for IMD decile d (1 = most deprived) falls linearly from
# decile 1 to decile 10 and is divided by its mean over the ten deciles, so the mean of
# m over the deciles is 1. England has equal numbers of LSOAs per decile, so applying
# m keeps the national average rate. m(d) = (top - (d - 1) * drop / 9) / mean.
DRUG_RATE = 0.0089        # opiate and/or crack cocaine users per person aged 15-64,
                          # England 2016/17 (OHID/PHE estimate, about 8.9 per 1,000)
ALCOHOL_RATE = 0.0137     # adults with alcohol dependence potentially in need of
                          # specialist treatment, England 2016/17 (about 1.37%)
EARLY_HELP_RATE = 0.05    # ASSUMED share of children aged 0-15 who would benefit from
                          # early help (an assumption for teaching, not an estimate)
DRUG_MULT = (2.0, 1.5, 1.25)        # (top, drop, mean): m from 2.0 (d=1) to 0.5 (d=10)
ALCOHOL_MULT = (1.5, 0.75, 1.125)   # m from 1.5 (d=1) to 0.75 (d=10), before / mean
EARLY_HELP_MULT = (2.0, 1.5, 1.25)  # as for drugs

# -- calibration of the illustrative capacities (documented in datasets/README.md) ------
# Capacities are sized from the areas' need columns, so that capacity per person in need
# is that of a plausible English treatment system. National ratios, England 2016/17 (the
# year of the need rates above):
OPIATE_IN_TREATMENT = 0.47    # opiate clients in treatment in the year (146,536, NDTMS)
                              # per estimated opiate and/or crack user (about 314,000)
ALCOHOL_IN_TREATMENT = 0.18   # alcohol clients in the year (alcohol only 80,454 plus
                              # non-opiate and alcohol 28,242) per estimated dependent
                              # drinker (about 595,000): about 1 in 5
YOUNG_IN_TREATMENT = 0.0015   # under-18s in specialist services in the year (about
                              # 16,500) per child aged 0-15 (about 10.7 million)
# ASSUMED conversions and shares (teaching assumptions, not published figures):
PLACES_PER_CLIENT = {"opiate": 0.8,   # most opiate clients stay from year to year
                     "alcohol": 0.5,  # alcohol episodes last about six months
                     "young": 0.5}    # young people's episodes about six months
OST_SHARE = 0.9               # opiate places whose client is on opioid substitution
SUPERVISED_SHARE = 0.3        # OST clients on daily supervised consumption at a time
LAIB_SHARE = 0.05             # OST clients on long-acting injectable buprenorphine
INJECTING_PER_OCU = 0.3       # needle and syringe clients a year per opiate/crack user
NALOXONE_PER_OCU = 0.3        # people given take-home naloxone a year per user
CJ_SHARE = 0.15               # community places whose client comes through the
                              # criminal justice system (the CJ team's caseload)
DETOX_SHARE, DETOX_WEEKS = 0.03, 2    # adults in treatment admitted a year; stay
REHAB_SHARE, REHAB_WEEKS = 0.015, 12
# Illustrative local variation: each partnership's numbers in treatment relative to
# England's ratios (Luton's compact, one-hub system reaches more of its need).
PENETRATION = {"bcb-dap": 0.85, "lut-dap": 1.15}
BCB_HUB_SHARE = 0.75          # of bcb-dap's community places at the Bedford hub; the
                              # rest at the part-time Central Bedfordshire satellites
# Early help (need_early_help is itself an assumption): children and families given
# early help a year per child in need, by council; Central Bedfordshire's is lower.
FAMILY_HUB_RATE = {"E06000055": 0.9, "E06000056": 0.6, "E06000032": 0.9}
FAMILY_SUPPORT_RATE = {"E06000055": 0.25, "E06000056": 0.12, "E06000032": 0.25}
DAP_LADS = {"bcb-dap": ("E06000055", "E06000056"), "lut-dap": ("E06000032",)}
ALL_LADS = tuple(LADS)


def calibrated_capacities(areas: pd.DataFrame) -> dict[str, int]:
    """Each calibrated service's capacity, from the need of the areas it serves."""
    def total(column: str, lads: tuple[str, ...]) -> float:
        return float(areas.loc[areas["lad_code"].isin(lads), column].sum())

    def tidy(value: float, step: int) -> int:
        return max(step, int(round(value / step)) * step) if step > 1 else round(value)

    places: dict[str, float] = {}       # community treatment places per partnership
    opiate: dict[str, float] = {}       # of which opiate places
    clients: dict[str, float] = {}      # adults in treatment a year per partnership
    young: dict[str, float] = {}
    for dap, lads in DAP_LADS.items():
        pen = PENETRATION[dap]
        drug_clients = total("need_drug", lads) * OPIATE_IN_TREATMENT * pen
        alcohol_clients = total("need_alcohol", lads) * ALCOHOL_IN_TREATMENT * pen
        clients[dap] = drug_clients + alcohol_clients
        opiate[dap] = drug_clients * PLACES_PER_CLIENT["opiate"]
        places[dap] = opiate[dap] + alcohol_clients * PLACES_PER_CLIENT["alcohol"]
        young[dap] = (total("pop_0_15", lads) * YOUNG_IN_TREATMENT * pen
                      * PLACES_PER_CLIENT["young"])
    county_clients = sum(clients.values())
    out = {
        "bcb-adult-hub": tidy(places["bcb-dap"] * BCB_HUB_SHARE, 10),
        "bcb-satellites": tidy(places["bcb-dap"] * (1 - BCB_HUB_SHARE), 10),
        "lut-adult-hub": tidy(places["lut-dap"], 10),
        "bcb-yp": tidy(young["bcb-dap"], 5),
        "lut-yp": tidy(young["lut-dap"], 5),
        "bcb-pharm-sc": tidy(opiate["bcb-dap"] * OST_SHARE * SUPERVISED_SHARE, 10),
        "lut-pharm-sc": tidy(opiate["lut-dap"] * OST_SHARE * SUPERVISED_SHARE, 10),
        "bcb-laib": tidy(opiate["bcb-dap"] * OST_SHARE * LAIB_SHARE, 5),
        "bcb-pharm-nsp": tidy(total("need_drug", DAP_LADS["bcb-dap"])
                              * INJECTING_PER_OCU, 10),
        "lut-pharm-nsp": tidy(total("need_drug", DAP_LADS["lut-dap"])
                              * INJECTING_PER_OCU, 10),
        "beds-naloxone": tidy(total("need_drug", ALL_LADS) * NALOXONE_PER_OCU, 50),
        "beds-cjdat": tidy(sum(places.values()) * CJ_SHARE, 10),
        "beds-detox": tidy(county_clients * DETOX_SHARE * DETOX_WEEKS / 52, 1),
        "beds-rehab": tidy(county_clients * REHAB_SHARE * REHAB_WEEKS / 52, 1),
    }
    for council, prefix in (("E06000055", "bbc"), ("E06000056", "cbc"),
                            ("E06000032", "lbc")):
        need = total("need_early_help", (council,))
        out[f"{prefix}-family-hubs"] = tidy(need * FAMILY_HUB_RATE[council], 50)
        out[f"{prefix}-family-support"] = tidy(need * FAMILY_SUPPORT_RATE[council], 10)
    return out


def calibrate_services(areas: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Write the calibrated capacities into the hand-authored services table."""
    services = pd.read_csv(path, dtype=str, keep_default_na=False)
    capacities = calibrated_capacities(areas)
    missing = set(capacities) - set(services["id"])
    if missing:
        sys.exit(f"error: calibrated services missing from {path.name}: {sorted(missing)}.")
    row = services["id"].map(capacities)
    services.loc[row.notna(), "capacity"] = row.dropna().astype(int).astype(str)
    return services


# -- the IMD file's columns ------------------------------------------------------------
IMD_COLUMNS = {
    "LSOA code (2011)": "code",
    "Local Authority District code (2019)": "imd_lad_code",
    "Total population: mid 2015 (excluding prisoners)": "population",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": "pop_0_15",
    "Population aged 16-59: mid 2015 (excluding prisoners)": "pop_16_59",
    "Older population aged 60 and over: mid 2015 (excluding prisoners)": "pop_60_plus",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)":
        "imd_decile",
    "Income Decile (where 1 is most deprived 10% of LSOAs)": "imd_income_decile",
    "Employment Decile (where 1 is most deprived 10% of LSOAs)": "imd_employment_decile",
    "Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)":
        "imd_health_decile",
    "Crime Decile (where 1 is most deprived 10% of LSOAs)": "imd_crime_decile",
    "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)":
        "imd_housing_decile",
}
INT_COLUMNS = ["population", "pop_0_15", "pop_16_59", "pop_60_plus", "imd_rank",
               "imd_decile", "imd_income_decile", "imd_employment_decile",
               "imd_health_decile", "imd_crime_decile", "imd_housing_decile"]
AREA_COLUMNS = ["code", "name", "lad_code", "lad_name", "msoa_code", "msoa_name",
                *INT_COLUMNS, "need_drug", "need_alcohol", "need_early_help", "geometry"]

# -- the site specification ------------------------------------------------------------
# Each site: (id, name, services, mode, location, notes). ``location`` is
# ("nhs", OrganisationCode) for real premises in the NHS Choices 2014 file,
# ("lonlat", lon, lat) for an illustrative location, or None (phone / online).
# Every service delivered at these sites is illustrative (see services.csv).
NHS = "nhs"
LL = "lonlat"
SITES: list[tuple[str, str, str, str, tuple | None, str]] = [
    # adult drug and alcohol treatment
    ("site-bed-hub", "Bedford treatment hub, town centre (illustrative)",
     "bcb-adult-hub; bcb-laib; beds-naloxone", "in_person", (LL, -0.4655, 52.1365),
     "Illustrative hub of the Bedford Borough and Central Bedfordshire adult service."),
    ("site-lut-hub", "Luton treatment hub, town centre (illustrative)",
     "lut-adult-hub; beds-naloxone", "in_person", (LL, -0.4155, 51.8800),
     "Illustrative hub of the Luton adult service."),
    ("site-sat-dunstable", "Dunstable satellite clinic (illustrative)", "bcb-satellites",
     "in_person", (LL, -0.5200, 51.8855), ""),
    ("site-sat-leighton", "Leighton Buzzard satellite clinic (illustrative)",
     "bcb-satellites; bcb-laib", "in_person", (LL, -0.6610, 51.9170), ""),
    ("site-sat-biggleswade", "Biggleswade satellite clinic (illustrative)",
     "bcb-satellites", "in_person", (LL, -0.2650, 52.0870), ""),
    ("site-sat-flitwick", "Flitwick and Ampthill satellite clinic (illustrative)",
     "bcb-satellites", "in_person", (LL, -0.4960, 52.0045), ""),
    ("site-sat-sandy", "Sandy satellite clinic (illustrative)", "bcb-satellites",
     "in_person", (LL, -0.2870, 52.1285), ""),
    # young people's substance use
    ("site-yp-bedford", "Young people's service base, Bedford (illustrative)", "bcb-yp",
     "outreach", (LL, -0.4680, 52.1380), "Outreach base: workers go to schools and homes."),
    ("site-yp-dunstable", "Young people's service base, Dunstable (illustrative)", "bcb-yp",
     "outreach", (LL, -0.5180, 51.8870), "Outreach base: workers go to schools and homes."),
    ("site-yp-luton", "Young people's service base, Luton (illustrative)", "lut-yp",
     "outreach", (LL, -0.4190, 51.8810), "Outreach base: workers go to schools and homes."),
    # community pharmacies (real premises, NHS Choices 2014; the schemes are illustrative)
    ("site-ph-bed-union", "Bedford Pharmacy, Union Street, Bedford",
     "bcb-pharm-sc; bcb-pharm-nsp", "in_person", (NHS, "PH_FLV26__000003_MK402SF"), ""),
    ("site-ph-bed-castle", "Kidmans Surgical Chemist, Castle Road, Bedford",
     "bcb-pharm-sc; bcb-pharm-nsp", "in_person", (NHS, "PH_FJ835__000001_MK403RS"), ""),
    ("site-ph-bed-london", "Ellis Chemists, London Road, Bedford", "bcb-pharm-sc",
     "in_person", (NHS, "PH_FEG14__000001_MK420NT"), ""),
    ("site-ph-bed-stpeters", "Goldharts Chemist, St Peters Street, Bedford",
     "bcb-pharm-sc", "in_person", (NHS, "PH_FCG26__000002_MK402PN"), ""),
    ("site-ph-bed-queens", "The Co-Operative Pharmacy, Queens Drive, Bedford",
     "bcb-pharm-sc", "in_person", (NHS, "PH_FGL66__000001_MK419BS"), ""),
    ("site-ph-kempston", "Lloydspharmacy, Bedford Road, Kempston", "bcb-pharm-sc",
     "in_person", (NHS, "PH_FW482__000003_MK428BG"), ""),
    ("site-ph-sharnbrook", "Sharnbrook Pharmacy, High Street, Sharnbrook",
     "bcb-pharm-sc", "in_person", (NHS, "PH_FWV87__000003_MK441PB"), ""),
    ("site-ph-dunstable", "West Street Pharmacy, Dunstable",
     "bcb-pharm-sc; bcb-pharm-nsp", "in_person", (NHS, "PH_FDF16__000001_LU61SX"), ""),
    ("site-ph-houghton", "Houghton Regis Pharmacy, Houghton Regis", "bcb-pharm-sc",
     "in_person", (NHS, "FRR79"), ""),
    ("site-ph-leighton", "Cox and Robinson (Chemists), Lake Street, Leighton Buzzard",
     "bcb-pharm-sc; bcb-pharm-nsp", "in_person", (NHS, "PH_FD698__000001_LU78RS"), ""),
    ("site-ph-biggleswade", "Lloydspharmacy, Market Square, Biggleswade",
     "bcb-pharm-sc; bcb-pharm-nsp", "in_person", (NHS, "PH_FJ800__000001_SG188AP"), ""),
    ("site-ph-sandy", "Lloydspharmacy, Market Square, Sandy", "bcb-pharm-sc",
     "in_person", (NHS, "PH_FVP06__000002_SG191HU"), ""),
    ("site-ph-flitwick", "The Highlands Pharmacy, Flitwick", "bcb-pharm-sc",
     "in_person", (NHS, "PH_FE843__000002_MK451DZ"), ""),
    ("site-ph-ampthill", "W Cheeseman and Son, Church Street, Ampthill", "bcb-pharm-sc",
     "in_person", (NHS, "PH_FEL81__000001_MK452PJ"), ""),
    ("site-ph-lut-calverton", "Calverton Pharmacy, Calverton Road, Luton",
     "lut-pharm-sc; lut-pharm-nsp", "in_person", (NHS, "PH_FD082__000001_LU32SZ"),
     "The only Bedfordshire pharmacy flagged for supervised consumption in the NHS "
     "Choices 2014 PharmacyServices file."),
    ("site-ph-lut-castle", "F G Bull Pharmacy, Castle Street, Luton",
     "lut-pharm-sc; lut-pharm-nsp", "in_person", (NHS, "PH_FWE65__000002_LU13AG"), ""),
    ("site-ph-lut-dunstable-rd", "Harris Chemist, Dunstable Road, Luton",
     "lut-pharm-sc; lut-pharm-nsp", "in_person", (NHS, "PH_FDD52__000002_LU11BW"), ""),
    ("site-ph-lut-hightown", "Royal Pharmacy, High Town Road, Luton", "lut-pharm-sc",
     "in_person", (NHS, "PH_FJ538__000001_LU20BW"), ""),
    ("site-ph-lut-lewsey", "B M and S B Patel, Dominic Square, Luton", "lut-pharm-sc",
     "in_person", (NHS, "PH_FQG21__000001_LU40UN"), ""),
    ("site-ph-lut-midland", "Chemist Express, Midland House, Luton", "lut-pharm-sc",
     "in_person", (NHS, "FRM30"), ""),
    ("site-ph-lut-windsor", "Kamsons Pharmacy, Windsor Street, Luton", "lut-pharm-sc",
     "in_person", (NHS, "PH_FMG05__000002_LU13ET"), ""),
    ("site-ph-lut-ashcroft", "Ashcroft Pharmacy, Ashcroft Road, Luton", "lut-pharm-sc",
     "in_person", (NHS, "PH_FP458__000001_LU29AB"), ""),
    ("site-ph-lut-sundon", "Rowlands Pharmacy, Sundon Park Road, Luton",
     "lut-pharm-sc; lut-pharm-nsp", "in_person", (NHS, "PH_FJK07__000003_LU33AH"), ""),
    # hospitals (real premises, NHS Choices 2014)
    ("site-bedford-hospital", "Bedford Hospital South Wing (A&E), Kempston Road",
     "bht-act", "in_person", (NHS, "RC110"), ""),
    ("site-ld-hospital", "Luton and Dunstable Hospital (A&E)", "ldh-act", "in_person",
     (NHS, "RC971"), ""),
    # criminal-justice services (inpatient detox and residential rehab are bought out of
    # the county and have no site here: see services.csv)
    ("site-cjdat-bedford", "Criminal justice drug and alcohol team, Bedford "
     "(illustrative)", "beds-cjdat", "in_person", (LL, -0.4700, 52.1340), ""),
    ("site-cjdat-luton", "Criminal justice drug and alcohol team, Luton (illustrative)",
     "beds-cjdat", "in_person", (LL, -0.4170, 51.8790), ""),
    ("site-custody-kempston", "Police custody suite, Kempston (illustrative location)",
     "beds-liaison-diversion", "in_person", (LL, -0.5040, 52.1120),
     "Plausible custody suite location; not a surveyed address."),
    ("site-custody-luton", "Police custody suite, Luton (illustrative location)",
     "beds-liaison-diversion", "in_person", (LL, -0.4180, 51.8770),
     "Plausible custody suite location; not a surveyed address."),
    ("site-dualdx-bedford", "Weller Wing, Bedford (mental health)", "elft-dual-diagnosis",
     "in_person", (NHS, "RWNM7"), ""),
    ("site-dualdx-leighton", "Wichellows Wharf (mental health services), Leighton Buzzard",
     "elft-dual-diagnosis", "in_person", (NHS, "RWNM6"), ""),
    ("site-dualdx-luton", "Luton Wellbeing Service, Trend House, Luton",
     "elft-dual-diagnosis", "in_person", (NHS, "RWK1J"), ""),
    # early help: family hubs (the central hubs also host family support and parenting)
    ("site-fh-bed-central", "Bedford central family hub (illustrative)",
     "bbc-family-hubs; bbc-family-support; beds-parenting", "in_person",
     (LL, -0.4700, 52.1390), ""),
    ("site-fh-bed-kempston", "Kempston family hub (illustrative)", "bbc-family-hubs",
     "in_person", (LL, -0.4990, 52.1170), ""),
    ("site-fh-bed-goldington", "Goldington family hub (illustrative)", "bbc-family-hubs",
     "in_person", (LL, -0.4320, 52.1460), ""),
    ("site-fh-bed-queenspark", "Queens Park family hub (illustrative)", "bbc-family-hubs",
     "in_person", (LL, -0.4900, 52.1340), ""),
    ("site-fh-cb-dunstable", "Dunstable family hub (illustrative)",
     "cbc-family-hubs; cbc-family-support; beds-parenting", "in_person",
     (LL, -0.5230, 51.8830), ""),
    ("site-fh-cb-houghton", "Houghton Regis family hub (illustrative)", "cbc-family-hubs",
     "in_person", (LL, -0.5200, 51.9060), ""),
    ("site-fh-cb-leighton", "Leighton Buzzard family hub (illustrative)",
     "cbc-family-hubs", "in_person", (LL, -0.6640, 51.9190), ""),
    ("site-fh-cb-biggleswade", "Biggleswade family hub (illustrative)",
     "cbc-family-hubs; beds-parenting", "in_person", (LL, -0.2660, 52.0840), ""),
    ("site-fh-cb-flitwick", "Flitwick family hub (illustrative)", "cbc-family-hubs",
     "in_person", (LL, -0.4970, 52.0030), ""),
    ("site-fh-lut-marsh", "Marsh Farm family hub (illustrative)",
     "lbc-family-hubs; beds-parenting", "in_person", (LL, -0.4440, 51.9170), ""),
    ("site-fh-lut-lewsey", "Lewsey family hub (illustrative)", "lbc-family-hubs",
     "in_person", (LL, -0.4860, 51.8990), ""),
    ("site-fh-lut-bury", "Bury Park family hub (illustrative)",
     "lbc-family-hubs; lbc-family-support; beds-parenting", "in_person",
     (LL, -0.4330, 51.8860), ""),
    ("site-fh-lut-farley", "Farley Hill family hub (illustrative)", "lbc-family-hubs",
     "in_person", (LL, -0.4330, 51.8650), ""),
    ("site-fh-lut-stopsley", "Stopsley family hub (illustrative)", "lbc-family-hubs",
     "in_person", (LL, -0.3950, 51.9010), ""),
    # early help front doors (telephone and online)
    ("site-ehfd-bbc", "Bedford Borough early help front door (phone and online)",
     "bbc-early-help-front-door", "phone", None, ""),
    ("site-ehfd-cbc", "Central Bedfordshire early help front door (phone and online)",
     "cbc-early-help-front-door", "phone", None, ""),
    ("site-ehfd-lbc", "Luton early help front door (phone and online)",
     "lbc-early-help-front-door", "phone", None, ""),
    # youth work
    ("site-youth-bed-central", "Bedford town youth centre (illustrative)",
     "bbc-youth-work", "in_person", (LL, -0.4640, 52.1350), ""),
    ("site-youth-kempston", "Kempston youth centre (illustrative)", "bbc-youth-work",
     "in_person", (LL, -0.4980, 52.1190), ""),
    ("site-youth-bus-shefford", "Youth bus stop, Shefford (illustrative)",
     "cbc-youth-work", "outreach", (LL, -0.3340, 52.0385),
     "A mobile youth bus visits one evening a week."),
    ("site-youth-bus-cranfield", "Youth bus stop, Cranfield (illustrative)",
     "cbc-youth-work", "outreach", (LL, -0.6050, 52.0700),
     "A mobile youth bus visits one evening a week."),
    ("site-youth-bus-stotfold", "Youth bus stop, Stotfold (illustrative)",
     "cbc-youth-work", "outreach", (LL, -0.2300, 52.0180),
     "A mobile youth bus visits one evening a week."),
    ("site-youth-houghton", "Houghton Regis youth centre (illustrative)",
     "cbc-youth-work", "in_person", (LL, -0.5210, 51.9040), ""),
    ("site-youth-lut-marsh", "Marsh Farm youth centre (illustrative)", "lbc-youth-work",
     "in_person", (LL, -0.4450, 51.9180), ""),
    ("site-youth-lut-lewsey", "Lewsey youth centre (illustrative)", "lbc-youth-work",
     "in_person", (LL, -0.4870, 51.8980), ""),
    ("site-youth-lut-hightown", "High Town youth centre (illustrative)", "lbc-youth-work",
     "in_person", (LL, -0.4130, 51.8850), ""),
    # domestic abuse, housing, crisis line
    ("site-idva-bedford", "Domestic abuse service office, Bedford (illustrative)",
     "beds-idva", "in_person", (LL, -0.4670, 52.1355), ""),
    ("site-idva-luton", "Domestic abuse service office, Luton (illustrative)",
     "beds-idva", "in_person", (LL, -0.4160, 51.8795), ""),
    ("site-rso-luton", "Rough sleeper outreach base, Luton (illustrative)",
     "lbc-rough-sleeper-outreach", "outreach", (LL, -0.4175, 51.8805), ""),
    ("site-ts-bedford", "Tenancy sustainment team, Bedford (illustrative)",
     "bbc-tenancy-support", "outreach", (LL, -0.4660, 52.1370), ""),
    ("site-crisis-line", "Out-of-hours crisis line (phone)", "beds-crisis-line", "phone",
     None, ""),
]
SITE_COLUMNS = ["id", "name", "services", "mode", "easting", "northing", "postcode",
                "source", "illustrative", "notes"]


def multiplier(decile: pd.Series, top: float, drop: float, mean: float) -> pd.Series:
    """The deprivation multiplier m(d), normalised to mean 1 over the ten deciles."""
    return (top - (decile - 1) * drop / 9) / mean


def read_source(source: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame,
                                       gpd.GeoDataFrame, gpd.GeoDataFrame]:
    for rel in (LSOA_FILE, MSOA_FILE, IMD_FILE, NHS_FILE, WARD_FILE):
        if not (source / rel).is_file():
            sys.exit(f"error: {rel} is missing from the source folder.")
    lsoa = gpd.read_file(source / LSOA_FILE)
    msoa = gpd.read_file(source / MSOA_FILE)
    imd = pd.read_csv(source / IMD_FILE)
    nhs = gpd.read_file(source / NHS_FILE)
    wards = gpd.read_file(source / WARD_FILE)
    return lsoa, msoa, imd, nhs, wards


def build_areas(lsoa: gpd.GeoDataFrame, msoa: gpd.GeoDataFrame,
                imd: pd.DataFrame) -> gpd.GeoDataFrame:
    if lsoa.crs is None or msoa.crs is None:
        sys.exit("error: a boundary file has no CRS.")
    if len(lsoa) != N_LSOA or not lsoa["LSOA11CD"].is_unique:
        sys.exit(f"error: expected {N_LSOA} unique LSOAs, found {len(lsoa)}.")
    if not lsoa.is_valid.all():
        sys.exit("error: the source LSOA geometries are not all valid.")
    bad_lad = set(lsoa["LAD13CD"]) - set(LADS)
    if bad_lad:
        sys.exit(f"error: LSOAs in unexpected LADs: {sorted(bad_lad)}.")

    areas = lsoa.rename(columns={"LSOA11CD": "code", "LSOA11NM": "name",
                                 "LAD13CD": "lad_code", "LAD13NM": "lad_name"})
    # MSOA from the LSOA name: 'Bedford 005A' is in MSOA 'Bedford 005'.
    areas["msoa_name"] = areas["name"].str[:-1]
    if not areas["name"].str.match(r"^.+ \d{3}[A-Z]$").all():
        sys.exit("error: an LSOA name does not end in a 3-digit MSOA number and a letter.")
    if not msoa["MSOA11NM"].is_unique:
        sys.exit("error: MSOA names are not unique.")
    codes = msoa.set_index("MSOA11NM")["MSOA11CD"]
    areas["msoa_code"] = areas["msoa_name"].map(codes)
    missing = areas.loc[areas["msoa_code"].isna(), "name"].tolist()
    if missing:
        sys.exit(f"error: {len(missing)} LSOAs have no MSOA by name: {missing[:5]}.")

    wanted = imd[list(IMD_COLUMNS)].rename(columns=IMD_COLUMNS)
    areas = areas.merge(wanted, on="code", how="left", validate="1:1")
    if len(areas) != N_LSOA or areas[list(IMD_COLUMNS.values())].isna().any().any():
        sys.exit("error: not every LSOA joined to the IMD file.")
    if not (areas["imd_lad_code"] == areas["lad_code"]).all():
        sys.exit("error: the IMD file's LAD codes disagree with the boundaries.")
    for col in INT_COLUMNS:
        areas[col] = areas[col].astype("int64")

    groups = areas["pop_0_15"] + areas["pop_16_59"] + areas["pop_60_plus"]
    off = areas.loc[groups != areas["population"], ["code", "population"]]
    if len(off):
        print(f"NOTE: in {len(off)} LSOAs the three age groups do not sum to population "
              f"(largest difference {int((groups - areas['population']).abs().max())}); "
              "the values are kept as published.")
    else:
        print("check: pop_0_15 + pop_16_59 + pop_60_plus == population in every LSOA.")

    d = areas["imd_decile"]
    areas["need_drug"] = (areas["pop_16_59"] * DRUG_RATE
                          * multiplier(d, *DRUG_MULT)).round(2)
    areas["need_alcohol"] = ((areas["pop_16_59"] + areas["pop_60_plus"]) * ALCOHOL_RATE
                             * multiplier(d, *ALCOHOL_MULT)).round(2)
    areas["need_early_help"] = (areas["pop_0_15"] * EARLY_HELP_RATE
                                * multiplier(d, *EARLY_HELP_MULT)).round(2)

    with warnings.catch_warnings():
        # PROJ without the OSTN15 grid falls back to a Helmert transformation (about 2 m
        # accuracy) and pyproj warns that the best transformation is not available.
        # This is documented in datasets/README.md; the warning is silenced here only.
        warnings.filterwarnings("ignore", message=".*[Bb]est transformation is not "
                                "available.*")
        areas = areas.to_crs(CRS)
    if not areas.is_valid.all():
        bad = areas.loc[~areas.is_valid, "code"].tolist()
        sys.exit(f"error: geometries became invalid in the transformation: {bad}.")
    areas = areas[AREA_COLUMNS].sort_values("code").reset_index(drop=True)
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=CRS)


def build_sites(nhs: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Bb]est transformation is not "
                                "available.*")
        to_bng = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    if nhs.crs is None or nhs.crs.to_epsg() != 4326:
        sys.exit("error: the NHS Choices file is not in EPSG:4326.")
    rows = []
    ids = [s[0] for s in SITES]
    if len(ids) != len(set(ids)):
        sys.exit("error: duplicate site ids in the specification.")
    for sid, name, services, mode, location, notes in SITES:
        easting = northing = None
        postcode, source, illustrative = "", "", "true"
        if location is not None and location[0] == NHS:
            hits = nhs[nhs["OrganisationCode"] == location[1]]
            if hits.empty:
                sys.exit(f"error: {sid}: OrganisationCode {location[1]} is not in the "
                         "NHS Choices file.")
            if hits.geometry.nunique() != 1:
                sys.exit(f"error: {sid}: OrganisationCode {location[1]} has several "
                         "locations.")
            point = hits.geometry.iloc[0]
            lon, lat = point.x, point.y
            postcode = str(hits["Postcode"].iloc[0])
            source = f"NHS Choices 2014, OrganisationCode {location[1]}"
            real = (f"Real premises and location (NHS Choices 2014, "
                    f"{hits['OrganisationName'].iloc[0].strip()}, {postcode}); the "
                    "services listed at this site are illustrative.")
            notes = f"{real} {notes}".strip()
        elif location is not None and location[0] == LL:
            lon, lat = location[1], location[2]
            source = "illustrative location"
        else:
            lon = lat = None
            if mode not in {"phone", "online"}:
                sys.exit(f"error: {sid} has no location but mode {mode!r}.")
        if lon is not None:
            e, n = to_bng.transform(lon, lat)
            easting, northing = round(e), round(n)
        rows.append({"id": sid, "name": name, "services": services, "mode": mode,
                     "easting": easting, "northing": northing, "postcode": postcode,
                     "source": source, "illustrative": illustrative, "notes": notes})
    sites = pd.DataFrame(rows, columns=SITE_COLUMNS)
    sites["easting"] = sites["easting"].astype("Int64")
    sites["northing"] = sites["northing"].astype("Int64")

    # every located site must fall inside the union of the LSOAs
    located = sites.dropna(subset=["easting"])
    points = gpd.GeoSeries(gpd.points_from_xy(located["easting"].astype(float),
                                              located["northing"].astype(float)),
                           crs=CRS, index=located.index)
    inside = points.within(areas.union_all())
    if not inside.all():
        sys.exit(f"error: sites outside the LSOAs: {located.loc[~inside, 'id'].tolist()}.")
    return sites


def build_wards(wards: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if wards.crs is None or wards.crs.to_epsg() != 4326:
        sys.exit("error: the ward file is not in EPSG:4326.")
    if not wards["WD13CD"].is_unique:
        sys.exit("error: ward codes are not unique.")
    counts = wards.groupby("LAD13CD").size().to_dict()
    if counts != N_WARD:
        sys.exit(f"error: expected wards per LAD {N_WARD}, found {counts}.")
    names = wards.drop_duplicates("LAD13CD").set_index("LAD13CD")["LAD13NM"].to_dict()
    if names != LADS:
        sys.exit(f"error: the ward file's LAD names {names} are not {LADS}.")
    if not wards.is_valid.all():
        sys.exit("error: the source ward geometries are not all valid.")
    wards = wards.rename(columns={"WD13CD": "code", "WD13NM": "name",
                                  "LAD13CD": "lad_code", "LAD13NM": "lad_name"})
    with warnings.catch_warnings():
        # the Helmert fallback, as for the LSOAs (see build_areas)
        warnings.filterwarnings("ignore", message=".*[Bb]est transformation is not "
                                "available.*")
        wards = wards.to_crs(CRS)
    if not wards.is_valid.all():
        bad = wards.loc[~wards.is_valid, "code"].tolist()
        sys.exit(f"error: geometries became invalid in the transformation: {bad}.")
    # Wards and LSOAs come from the same generalised ONS boundaries: each ward's
    # representative point lies in an LSOA of the same LAD, and the two layers cover
    # the same ground to within a small fraction of the county's area.
    inner = gpd.sjoin(gpd.GeoDataFrame(wards[["code", "lad_code"]],
                                       geometry=wards.representative_point(), crs=CRS),
                      areas[["lad_code", "geometry"]], how="left", predicate="within")
    if inner["lad_code_right"].isna().any() or not (
            inner["lad_code_left"] == inner["lad_code_right"]).all():
        sys.exit("error: a ward's representative point is not in an LSOA of its LAD.")
    lsoa_union, ward_union = areas.union_all(), wards.union_all()
    mismatch = lsoa_union.symmetric_difference(ward_union).area / lsoa_union.area
    if mismatch > 0.001:
        sys.exit(f"error: wards and LSOAs cover different ground ({mismatch:.3%}).")
    print(f"check: wards and LSOAs cover the same ground to within {mismatch:.4%} of "
          "its area (generalised boundaries do not match exactly).")
    wards = wards[WARD_COLUMNS].sort_values("code").reset_index(drop=True)
    return gpd.GeoDataFrame(wards, geometry="geometry", crs=CRS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, type=Path,
                        help="folder of the public source files (boundaries/, "
                             "indicators/, services/)")
    args = parser.parse_args(argv)
    lsoa, msoa, imd, nhs, ward_source = read_source(args.source)
    areas = build_areas(lsoa, msoa, imd)
    sites = build_sites(nhs, areas)
    wards = build_wards(ward_source, areas)

    OUT.mkdir(exist_ok=True)
    gpkg = OUT / "areas.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    areas.to_file(gpkg, layer="areas", driver="GPKG")
    ward_gpkg = OUT / "wards.gpkg"
    if ward_gpkg.exists():
        ward_gpkg.unlink()
    wards.to_file(ward_gpkg, layer="wards", driver="GPKG")
    sites.to_csv(OUT / "sites.csv", index=False, quoting=csv.QUOTE_MINIMAL,
                 lineterminator="\n", encoding="utf-8")
    services = calibrate_services(areas, OUT / "services.csv")
    services.to_csv(OUT / "services.csv", index=False, quoting=csv.QUOTE_MINIMAL,
                    lineterminator="\n", encoding="utf-8")

    print(f"areas.gpkg: {len(areas)} LSOAs in {areas.crs.to_string()}, "
          f"{gpkg.stat().st_size / 1e6:.2f} MB")
    print(f"sites.csv: {len(sites)} sites "
          f"({int(sites['easting'].notna().sum())} with a location)")
    print(f"wards.gpkg: {len(wards)} wards (December 2013) in {wards.crs.to_string()}, "
          f"{ward_gpkg.stat().st_size / 1e6:.2f} MB")
    totals = areas.groupby(["lad_code", "lad_name"])[
        ["population", "need_drug", "need_alcohol", "need_early_help"]].sum()
    totals.loc[("all", "Bedfordshire"), :] = totals.sum()
    print("mid-2015 population and illustrative need by LAD:")
    print(totals.round(0).astype("int64").to_string())
    print("calibrated capacities (services.csv):")
    shown = services.set_index("id").loc[list(calibrated_capacities(areas)),
                                         ["capacity", "capacity_unit"]]
    print(shown.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
