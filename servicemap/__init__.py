"""servicemap: services, pathways and catchments as one graph over geography.

Examples
--------
>>> import servicemap as sm
>>> smap = sm.datasets.bedfordshire()
>>> smap.validate().ok
True
"""

from servicemap import changes, datasets, disclosure, plotting
from servicemap._version import __version__
from servicemap.analysis.accessibility import AccessReport, accessibility
from servicemap.analysis.coverage import Coverage, coverage
from servicemap.analysis.gaps import GapReport, find_gaps
from servicemap.analysis.overlaps import OverlapReport, find_overlaps
from servicemap.analysis.pathways import PathwayReport, trace_pathways
from servicemap.errors import (
    CRSError,
    ExportWarning,
    HSDSWarning,
    InputError,
    InterpolationWarning,
    Problem,
    ReprojectionWarning,
    ServiceMapError,
    ServiceMapWarning,
    UnreachedWarning,
    ValidationWarning,
)
from servicemap.geography import ReachMatrix, reach_matrix
from servicemap.graph import from_networkx
from servicemap.hours import OpeningHours, parse_hours
from servicemap.interpolation import interpolate
from servicemap.io.files import read_file
from servicemap.io.hsds import read_hsds
from servicemap.io.workbook import read_workbook, write_template
from servicemap.model import (
    Area,
    Catchment,
    Organisation,
    Partnership,
    Pathway,
    Service,
    Site,
)
from servicemap.servicemap import ServiceMap, ValidationReport
from servicemap.vocab import VOCABULARY, Vocabulary

__all__ = [
    "AccessReport",
    "Area",
    "CRSError",
    "Catchment",
    "Coverage",
    "ExportWarning",
    "GapReport",
    "HSDSWarning",
    "InputError",
    "InterpolationWarning",
    "OpeningHours",
    "Organisation",
    "OverlapReport",
    "Partnership",
    "Pathway",
    "PathwayReport",
    "Problem",
    "ReachMatrix",
    "ReprojectionWarning",
    "Service",
    "ServiceMap",
    "ServiceMapError",
    "ServiceMapWarning",
    "Site",
    "UnreachedWarning",
    "VOCABULARY",
    "ValidationReport",
    "ValidationWarning",
    "Vocabulary",
    "__version__",
    "accessibility",
    "changes",
    "coverage",
    "datasets",
    "disclosure",
    "find_gaps",
    "find_overlaps",
    "from_networkx",
    "interpolate",
    "parse_hours",
    "plotting",
    "reach_matrix",
    "read_file",
    "read_hsds",
    "read_workbook",
    "trace_pathways",
    "write_template",
]
