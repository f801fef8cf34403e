"""The sheets of the workshop workbook: their columns, what each holds, an example.

One specification drives the template, the README sheet, the reader and the writer,
so the three cannot drift apart. The workbook has one sheet per table:

==============  ============================  ==========================================
sheet           CSV file                      one row per
==============  ============================  ==========================================
Organisations   ``organisations.csv``         council, police force, trust, charity
Partnerships    ``partnerships.csv``          partnership of organisations
Services        ``services.csv``              service
Catchments      ``catchments.csv``            service: who it is for, how far it reaches
Sites           ``sites.csv``                 place a service is delivered from
Pathways        ``pathways.csv``              referral route
Areas           ``areas.csv`` (optional)      area: population, need, parents
Travel times    ``travel_times.csv`` (opt.)   area and site: minutes of travel
Vocabulary      ``vocabulary.csv``            term of a controlled vocabulary
About           ``about.csv`` (optional)      fact about the map: name, licence, ...
==============  ============================  ==========================================

Examples
--------
>>> from servicemap.io.sheets import SHEETS
>>> [s.name for s in SHEETS]  # doctest: +NORMALIZE_WHITESPACE
['Organisations', 'Partnerships', 'Services', 'Catchments', 'Sites', 'Pathways',
 'Areas', 'Travel times', 'Vocabulary', 'About']
>>> SHEETS[2].column("capacity").kind
'number'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from servicemap.schema import TABLES, Columns

__all__ = ["SHEETS", "Column", "Sheet", "readme_frame", "sheet"]

#: The kinds of value a column holds, as the README names them.
KINDS = {
    "id": "identifier (text)",
    "ids": "identifiers separated by ';'",
    "text": "text",
    "term": "a term of the vocabulary '{category}'",
    "terms": "terms of the vocabulary '{category}', separated by ';'",
    "hours": "opening hours, such as 'Mon-Fri 09:00-17:00'",
    "number": "a number",
    "whole": "a whole number",
    "yes_no": "yes or no",
    "any": "any value",
}
NUMERIC_KINDS = frozenset({"number", "whole"})
TEXT_KINDS = frozenset({"id", "ids", "text", "term", "terms", "hours"})


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    Parameters
    ----------
    name : str
        The header, exactly as written in row 1.
    kind : str
        One of :data:`KINDS`: how the cell is read and checked.
    doc : str
        What the column holds, for the README sheet.
    example : str
        A value of the example row.
    required : bool
        Whether the sheet must have this column.
    category : str, optional
        The vocabulary category of a ``term`` or ``terms`` column.
    refers_to : str, optional
        The sheet whose ``id`` column an ``id`` or ``ids`` column names.
    """

    name: str
    kind: str
    doc: str
    example: str = ""
    required: bool = False
    category: str | None = None
    refers_to: str | None = None

    def describe_kind(self) -> str:
        """Say in words what the column holds.

        Examples
        --------
        >>> sheet("Services").column("needs").describe_kind()
        "terms of the vocabulary 'need', separated by ';'"
        """
        return KINDS[self.kind].format(category=self.category)


@dataclass(frozen=True)
class Sheet(Columns[Column]):
    """One sheet of the workbook (one CSV file of the folder form).

    Parameters
    ----------
    name : str
        The sheet's name in the workbook.
    table : str
        The map's table it feeds, such as ``"services"``.
    doc : str
        What one row is, for the README.
    columns : tuple of Column
        The columns, in the order the template writes them.
    key : str, optional
        The column that identifies a row (``id``, ``service``, ``code``).
    required : bool
        Whether the workbook must have this sheet.
    open_columns : bool
        Whether columns beyond ``columns`` are allowed (the Areas sheet's indicators).
    """

    name: str
    table: str
    doc: str
    columns: tuple[Column, ...]
    key: str | None = "id"
    required: bool = True
    open_columns: bool = False
    #: What a sheet is called in messages.
    noun: ClassVar[str] = "sheet"

    @property
    def file(self) -> str:
        """The file name of the sheet in the CSV-folder form."""
        return self.table + ".csv"

    def kind_of(self, name: str) -> str:
        """Return how a column is read; an Areas column is typed by its name.

        Examples
        --------
        >>> sheet("Areas").kind_of("need_drug"), sheet("Areas").kind_of("lad_name")
        ('number', 'any')
        """
        if name in self.names:
            return self.column(name).kind
        if self.open_columns:
            if name.startswith(("pop_", "need_")):
                return "number"
            if name.endswith("_code"):
                return "id"
            return "any"
        return "any"


def _col(name: str, kind: str, doc: str, example: object = "", *, required: bool = False,
         category: str | None = None, refers_to: str | None = None) -> Column:
    return Column(name, kind, doc, str(example), required, category, refers_to)


def _field(table: str, name: str, doc: str, example: object = "") -> Column:
    """Return a column of a record table's sheet, described by the schema.

    Its kind, category, required-ness and the sheet its ids refer to (when they name
    the records of one table) come from :mod:`servicemap.schema`.
    """
    column = TABLES[table].column(name)
    refers = [t for t in column.references if t in TABLES]
    refers_to = refers[0].capitalize() if len(column.references) == 1 and refers else None
    return Column(name, column.kind, doc, str(example), column.required, column.category,
                  refers_to)


_ILLUSTRATIVE = _field("organisations", "illustrative",
                     "yes for a record made up to illustrate, not real; no (or empty) "
                     "otherwise.", "no")
_NOTES = _field("organisations", "notes", "Free text, kept as written.", "")

SHEETS: tuple[Sheet, ...] = (
    Sheet("Organisations", "organisations",
          "An organisation that provides or commissions services: a council, police "
          "force, NHS trust, charity.", (
              _col("id", "id", "A short identifier of your choosing, unique in the sheet; "
                   "other sheets refer to the organisation by it.", "luton-bc",
                   required=True),
              _field("organisations", "name", "The name partners know it by.",
                     "Luton Borough Council"),
              _field("organisations", "kind", "What kind of organisation it is.",
                     "local_authority"),
              _ILLUSTRATIVE, _NOTES)),
    Sheet("Partnerships", "partnerships",
          "Organisations working together over a footprint, such as a Drug and Alcohol "
          "Partnership or a Community Safety Partnership.", (
              _col("id", "id", "A short identifier, unique in the sheet.", "lut-dap",
                   required=True),
              _field("partnerships", "name", "The partnership's name.",
                     "Luton Drug and Alcohol Partnership"),
              _field("partnerships", "kind", "What kind of partnership it is.",
                     "drug_alcohol_partnership"),
              _field("partnerships", "members", "The ids of its member organisations (sheet "
                   "Organisations).", "luton-bc; beds-police"),
              _field("partnerships", "footprint", "The area codes or parent codes (such as a local "
                   "authority's code) it covers.", "E06000032"),
              _ILLUSTRATIVE, _NOTES)),
    Sheet("Services", "services",
          "A service: what is provided, for whom, when, how much and at what cost. Its "
          "catchment goes on sheet Catchments, its sites on sheet Sites.", (
              _col("id", "id", "A short identifier, unique in the sheet; sheets "
                   "Catchments, Sites and Pathways refer to the service by it.",
                   "lut-adult-hub", required=True),
              _field("services", "name", "The service's name.", "Luton adult drug and alcohol "
                   "service"),
              _field("services", "provider", "The id of the organisation that delivers it (sheet "
                   "Organisations).", "change-grow-live"),
              _field("services", "commissioners", "The ids of the organisations or partnerships "
                   "that commission or fund it.", "lut-dap"),
              _field("services", "needs", "The needs it meets; at least one.", "drug; alcohol"),
              _field("services", "interventions", "What it offers.",
                     "assessment; psychosocial; naloxone"),
              _field("services", "client_groups", "Who it is for; at least one.", "adults"),
              _field("services", "min_age", "The youngest age it accepts, in years.", 18),
              _field("services", "max_age", "The oldest age it accepts, in years; empty for "
                   "no limit.", ""),
              _field("services", "hours", "When it is open: days then times, rules separated "
                   "by ';'. Also '24/7', 'Daily 08:00-20:00', 'Wed closed'. Empty if "
                   "unknown.", "Mon-Fri 09:00-17:00; Sat 10:00-13:00"),
              _field("services", "capacity", "How much it can take, in capacity_unit.", 450),
              _field("services", "capacity_unit", "What capacity counts; needed when capacity "
                   "is given.", "places"),
              _field("services", "annual_cost", "Cost a year in pounds.", 1200000),
              _field("services", "funding_sources", "Funding streams, as free text separated by "
                   "';'.", "Public health grant; SSMTR grant"),
              _field("services", "visit_frequency", "How often a client must attend.", "weekly"),
              _field("services", "status", "Whether it runs now; active when empty.", "active"),
              _ILLUSTRATIVE, _NOTES)),
    Sheet("Catchments", "catchments",
          "Each service's catchment, one row per service: who may use it by residence "
          "(footprint) and how far it reaches from its sites.", (
              _col("service", "id", "The id of the service (sheet Services).",
                   "lut-adult-hub", required=True, refers_to="Services"),
              _field("services", "footprint", "The area codes or parent codes whose residents may "
                   "use it; empty for no restriction by residence.", "E06000032"),
              _field("services", "reach", "distance (within max_distance of a site), minutes "
                   "(within max_minutes by the Travel times sheet) or none (outreach, "
                   "phone or online: the whole footprint). Read from which maximum is "
                   "given when empty.", "distance"),
              _field("services", "max_distance", "The furthest a client travels, in metres "
                   "in a straight line.", 8000),
              _field("services", "max_minutes", "The longest a client travels, in minutes.", ""),
          ), key="service"),
    Sheet("Sites", "sites",
          "A place a service is delivered from, and how clients attend it. Give easting "
          "and northing (British National Grid) or lon and lat (WGS84), not both.", (
              _col("id", "id", "A short identifier, unique in the sheet.", "site-lut-hub",
                   required=True),
              _field("sites", "name", "The site's name or address.",
                     "Luton treatment hub, town centre"),
              _field("sites", "services", "The ids of the services delivered here (sheet "
                   "Services); at least one.", "lut-adult-hub"),
              _field("sites", "mode", "How clients attend; in_person when empty. phone and "
                   "online sites need no location.", "in_person"),
              _col("easting", "number", "British National Grid easting in metres "
                   "(EPSG:27700).", 509164),
              _col("northing", "number", "British National Grid northing in metres.",
                   221346),
              _col("lon", "number", "Longitude in degrees (WGS84), about -8 to 2 in the "
                   "UK; converted to easting and northing.", ""),
              _col("lat", "number", "Latitude in degrees (WGS84), about 50 to 60 in the "
                   "UK.", ""),
              _field("sites", "postcode", "The postcode, for people to find it.", "LU1 2AA"),
              _field("sites", "source", "Where the location came from.", "provider's website"),
              _ILLUSTRATIVE, _NOTES)),
    Sheet("Pathways", "pathways",
          "A referral route from a service or an entry point (police, A&E, prison "
          "release, ...) to a service.", (
              _col("id", "id", "A short identifier, unique in the sheet.", "pw-01",
                   required=True),
              _field("pathways", "from_service", "The id of the referring service; give this or "
                   "from_entry.", ""),
              _field("pathways", "from_entry", "Where people first meet the system; give this "
                   "or from_service.", "police_vulnerable_persons"),
              _field("pathways", "to_service", "The id of the service referred to.",
                     "lut-adult-hub"),
              _field("pathways", "kind", "The kind of hand-off; referral when empty.", "referral"),
              _field("pathways", "consent_basis", "The lawful basis on which information moves; "
                   "not_recorded when empty.", "public_task"),
              _field("pathways", "information_sharing_agreement", "Whether an "
                   "information-sharing agreement covers the route; empty if unknown.", "yes"),
              _field("pathways", "wait_days", "Typical days from referral to first contact.", 2),
              _field("pathways", "volume_per_year", "Referrals a year along the route.", 220),
              _ILLUSTRATIVE, _NOTES)),
    Sheet("Areas", "areas",
          "Optional: the areas' figures, joined by code to the boundaries given with "
          "areas=. Add a <level>_code column per parent level (lad_code), pop_<group> "
          "columns of residents by group and need_<need> columns of people in need; "
          "other columns are kept as they are.", (
              _col("code", "id", "The area's code, such as an LSOA code; it must be in "
                   "the boundaries.", "E01015693", required=True),
              _col("name", "text", "The area's name.", "Luton 007A"),
              _col("lad_code", "id", "The code of its local authority (any <level>_code "
                   "column names a parent).", "E06000032"),
              _col("population", "number", "Residents.", 1577),
              _col("need_drug", "number", "People estimated to need drug treatment (any "
                   "need_<need> column).", 5.51),
              _col("imd_decile", "whole", "Index of Multiple Deprivation decile, 1 = most "
                   "deprived.", 8),
          ), key="code", required=False, open_columns=True),
    Sheet("Travel times", "travel_times",
          "Optional: minutes of travel from each area to each site, for services that "
          "reach by max_minutes. A pair left out cannot be travelled.", (
              _col("area", "id", "The area's code.", "E01015693", required=True),
              _col("site", "id", "The site's id (sheet Sites).", "site-lut-hub",
                   required=True, refers_to="Sites"),
              _col("minutes", "number", "Minutes of travel.", 12, required=True),
          ), key=None, required=False),
    Sheet("Vocabulary", "vocabulary",
          "The terms that categorical columns take. The built-in terms are listed; add a "
          "row to declare a new term for this map.", (
              _col("category", "text", "The vocabulary, such as need or client_group.",
                   "need", required=True),
              _col("term", "text", "The term, in lower-case snake_case.", "gambling_harm",
                   required=True),
              _col("label", "text", "A short label for tables and legends; the "
                   "description's first clause when empty.", "Gambling harm"),
              _col("description", "text", "What the term means.", "Gambling harm: "
                   "problem gambling and its effect on families."),
          ), key=None, required=False),
    Sheet("About", "about",
          "Optional: facts about the map, one a row: its name, description, licence and "
          "the attribution its data needs.", (
              _col("key", "text", "What the fact is: name, description, licence, "
                   "attribution or any other.", "name", required=True),
              _col("value", "text", "The fact.", "Bedfordshire workshop, March", ),
          ), key="key", required=False),
)

_BY_NAME = {s.name: s for s in SHEETS}


def sheet(name: str) -> Sheet:
    """Return a sheet's specification by its name.

    Examples
    --------
    >>> sheet("Catchments").key
    'service'
    """
    return _BY_NAME[name]


def readme_frame() -> pd.DataFrame:
    """Return the README table: one row per column of every sheet, with an example.

    Returns
    -------
    pandas.DataFrame
        Columns ``sheet``, ``column``, ``required``, ``holds``, ``description``,
        ``example``.

    Examples
    --------
    >>> df = readme_frame()
    >>> df.loc[(df.sheet == "Services") & (df.column == "needs"), "example"].item()
    'drug; alcohol'
    """
    rows = [{"sheet": s.name, "column": c.name, "required": "yes" if c.required else "",
             "holds": c.describe_kind(), "description": c.doc, "example": c.example}
            for s in SHEETS for c in s.columns]
    return pd.DataFrame(rows)
