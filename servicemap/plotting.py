"""Maps and diagrams. Every function takes ``ax=None`` and returns the Axes it drew on.

matplotlib is imported inside each function, so ``import servicemap`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["HATCHES", "area_map"]

#: Hatch patterns given to categories, in order.
HATCHES = ("///", "\\\\\\", "xxx", "...", "+++", "ooo", "---", "|||", "***", "OO")


def _aligned(areas: gpd.GeoDataFrame, values: Any, argument: str) -> pd.Series:
    """``values`` as a Series on the areas' index: a Series by label, else by position."""
    import pandas as pd

    if isinstance(values, str):
        if values not in areas.columns:
            from servicemap.errors import did_you_mean

            msg = (f"{argument}={values!r} is not a column of the areas (columns: "
                   f"{', '.join(map(str, areas.columns))}).{did_you_mean(values, areas.columns)}")
            raise ValueError(msg)
        return areas[values]
    if isinstance(values, pd.Series):
        unknown = values.index.difference(areas.index)
        if len(unknown):
            msg = (f"{argument}: {len(unknown)} labels are not areas, such as "
                   f"{unknown[0]!r}; index it by the areas' codes.")
            raise ValueError(msg)
        return values.reindex(areas.index)
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != len(areas):
        msg = (f"{argument}: give one value per area ({len(areas)}), as a Series indexed "
               f"by area code; got shape {array.shape}.")
        raise ValueError(msg)
    return pd.Series(array, index=areas.index)


def area_map(
    areas: gpd.GeoDataFrame,
    values: pd.Series | np.ndarray | str,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    label: str | None = None,
    cmap: str = "YlOrRd",
    hatch: pd.Series | None = None,
    missing: str = "lightgrey",
    missing_label: str = "no value",
) -> Axes:
    """Draw a choropleth of one value per area, with categories as hatching on top.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The areas (such as ``smap.areas``).
    values : pandas.Series, array or str
        One number per area: a Series indexed by area code (areas it leaves out are
        missing), an array in the areas' order, or a column of ``areas``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure if omitted.
    title : str, optional
        The Axes title.
    label : str, optional
        The colour bar's label.
    cmap : str, default "YlOrRd"
        A matplotlib colour map.
    hatch : pandas.Series, optional
        A category per area (such as a gap reason), drawn as a hatch pattern over
        the colours, one pattern per category (:data:`HATCHES`, in the order of a
        categorical's categories, else in order of first appearance), with a
        legend. Missing values are not hatched.
    missing : str, default "lightgrey"
        The colour of areas with no value.
    missing_label : str, default "no value"
        What the legend calls them (such as "no gap"), when there are any.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> areas = smap.areas
    >>> reason = pd.Series("unreachable", index=areas.index[:20])
    >>> ax = sm.plotting.area_map(areas, "need_drug", label="people", hatch=reason,
    ...                           title="Need for drug treatment")
    >>> ax.get_title()
    'Need for drug treatment'
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['unreachable']
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    value = pd.to_numeric(_aligned(areas, values, "values"), errors="coerce").astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    shown = value.notna().to_numpy()
    geometry = areas.geometry
    handles = []
    if shown.any():
        lo, hi = float(value[shown].min()), float(value[shown].max())
        norm = Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)
        geometry[shown].plot(ax=ax, color=plt.get_cmap(cmap)(norm(value[shown])),
                             edgecolor="white", linewidth=0.2)
        bar = plt.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                           shrink=0.6)
        if label:
            bar.set_label(label)
    if (~shown).any():
        geometry[~shown].plot(ax=ax, color=missing, edgecolor="white", linewidth=0.2)
        handles.append(Patch(facecolor=missing, edgecolor="0.5", label=missing_label))
    if hatch is not None:
        category = _aligned(areas, hatch, "hatch")
        if isinstance(category.dtype, pd.CategoricalDtype):
            levels = [c for c in category.cat.categories if (category == c).any()]
        else:
            levels = list(dict.fromkeys(category.dropna()))
        if len(levels) > len(HATCHES):
            msg = (f"hatch: {len(levels)} categories, but there are {len(HATCHES)} hatch "
                   "patterns; group the categories first.")
            raise ValueError(msg)
        for level, pattern in zip(levels, HATCHES, strict=False):
            mask = (category == level).to_numpy()
            geometry[mask].plot(ax=ax, facecolor="none", edgecolor="0.25",
                                hatch=pattern, linewidth=0.0)
            handles.append(Patch(facecolor="white", edgecolor="0.25", hatch=pattern,
                                 label=str(level)))
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax
