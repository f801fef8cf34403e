"""Plotting: the artists drawn by area_map (collections, colours, hatches, legend)."""

import ast
import types
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyArrowPatch
from toy import ENTRY, every_barrier_map, grid_areas

import servicemap as sm
from servicemap import plotting
from servicemap.plotting import HATCHES, area_map


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def areas():
    return grid_areas().set_index("code")


def test_values_are_coloured_by_the_colour_map(areas):
    # need_drug is 11..19 over squares 1..9: the first gets the bottom of the map,
    # the last the top, square 5 (15) the middle
    ax = area_map(areas, "need_drug", title="Need", label="people")
    [polys] = ax.collections
    colours = polys.get_facecolors()
    cmap = plt.get_cmap("YlOrRd")
    assert np.allclose(colours[0], cmap(0.0)) and np.allclose(colours[8], cmap(1.0))
    assert np.allclose(colours[4], cmap(0.5))
    assert ax.get_title() == "Need" and ax.get_legend() is None
    assert ax.figure.axes[-1].get_ylabel() == "people"


def test_missing_values_are_grey_and_in_the_legend(areas):
    # a Series that leaves out squares 1 and 2: they are missing, drawn light grey
    values = areas["need_drug"].iloc[2:]
    ax = area_map(areas, values)
    coloured, grey = ax.collections
    assert len(coloured.get_paths()) == 7 and len(grey.get_paths()) == 2
    assert np.allclose(grey.get_facecolors(), to_rgba("lightgrey"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no value"]


def test_hatch_categories_in_order_with_a_legend(areas):
    reason = pd.Series(pd.Categorical(
        ["unreachable", None, "out_of_hours", "unreachable", None, None, None, None,
         "none"], categories=["none", "unreachable", "out_of_hours", "client_group"]),
        index=areas.index)
    ax = area_map(areas, np.arange(9.0), hatch=reason, cmap="Blues")
    values, *hatched = ax.collections
    # categories in their categorical order; one absent (client_group) is not drawn
    assert [c.get_hatch() for c in hatched] == list(HATCHES[:3])
    assert [len(c.get_paths()) for c in hatched] == [1, 2, 1]
    assert all(len(c.get_facecolors()) == 0 or np.allclose(c.get_facecolors()[:, 3], 0)
               for c in hatched)  # see-through over the colours
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["none", "unreachable",
                                                          "out_of_hours"]
    assert [h.get_hatch() for h in legend.legend_handles] == list(HATCHES[:3])


def test_draws_on_the_axes_given(areas):
    fig, (left, right) = plt.subplots(1, 2)
    assert area_map(areas, "population", ax=right) is right
    assert len(right.collections) == 1 and not left.collections


def test_constant_values_do_not_divide_by_zero(areas):
    ax = area_map(areas, np.zeros(9))
    assert np.isfinite(ax.collections[0].get_facecolors()).all()


def test_bad_values(areas):
    with pytest.raises(ValueError, match="values='need_drugs' is not a column.*need_drug"):
        area_map(areas, "need_drugs")
    with pytest.raises(ValueError, match="one value per area \\(9\\).*shape \\(3,\\)"):
        area_map(areas, [1, 2, 3])
    with pytest.raises(ValueError, match="1 labels are not areas, such as 'E99'"):
        area_map(areas, pd.Series([1.0], index=["E99"]))
    sixteen = grid_areas(n=4).set_index("code")
    labels = pd.Series([f"c{k}" for k in range(16)], index=sixteen.index)
    with pytest.raises(ValueError, match="hatch: 16 categories, but there are 10"):
        area_map(sixteen, "population", hatch=labels)
    # ten categories is the most: one collection of values and ten of hatching
    ten = area_map(sixteen, "population", hatch=labels.where(labels.str.len() == 2))
    assert len(ten.collections) == 11


# -- the pathway diagram and the route map: public fields only --------------------------
def test_drawings_read_only_public_fields_and_never_import_the_analyses():
    tree = ast.parse(Path(plotting.__file__).read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names]
    assert not [m for m in imported if m and m.startswith("servicemap.analysis")]
    # a stand-in with a report's public fields draws as the report does
    routes = sm.trace_pathways(every_barrier_map(), entry=ENTRY, need="drug")
    stand_in = types.SimpleNamespace(smap=routes.smap, handoffs=routes.handoffs,
                                     table=routes.table, attrs=routes.attrs)
    widths = [round(p.get_linewidth(), 2) for p in plotting.pathways(stand_in).patches
              if isinstance(p, FancyArrowPatch)]
    assert widths == [round(p.get_linewidth(), 2)
                      for p in plotting.pathways(routes).patches
                      if isinstance(p, FancyArrowPatch)]
    legend = plotting.route_map(stand_in).get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["barriers (4 areas)",
                                                          "no route (5 areas)"]
