"""Maps and diagrams. Every function takes ``ax=None`` and returns the Axes it drew on.

``matplotlib.pyplot`` is imported inside each function that draws, as it picks a
backend. Plotting sits below the analyses: it reads only what it is given (areas, values, a
report's public fields), and never imports an analysis when it runs.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.ticker import MaxNLocator

from servicemap.errors import did_you_mean
from servicemap.handoffs import WITHOUT_CONSENT, referral_steps
from servicemap.servicemap import ServiceMap

if TYPE_CHECKING:  # for annotations only: matplotlib.axes loads when drawing
    from matplotlib.axes import Axes

__all__ = ["HATCHES", "ROUTE_COLOURS", "area_map", "duplication_map", "pathways", "route_map"]

#: Colours of the route statuses on a map (blue, orange, red: readable in colour
#: blindness), and the hatch that marks areas without a route in greyscale.
ROUTE_COLOURS = {"clear": "#2c7bb6", "barriers": "#fdae61", "no_route": "#d7191c"}
#: How a hand-off's consent basis is drawn: a route without consent solid, one that
#: needs consent dashed, one not recorded dotted.
CONSENT_STYLES = {"without_consent": "-", "explicit_consent": "--", "not_recorded": ":"}
#: How a hand-off's information-sharing agreement is drawn.
ISA_COLOURS = {True: "0.15", False: "#d7191c", None: "#e08214"}

#: Hatch patterns given to categories, in order.
HATCHES = ("///", "\\\\\\", "xxx", "...", "+++", "ooo", "---", "|||", "***", "OO")


def _aligned(areas: gpd.GeoDataFrame, values: Any, argument: str) -> pd.Series:
    """``values`` as a Series on the areas' index: a Series by label, else by position."""
    if isinstance(values, str):
        if values not in areas.columns:
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

    value = pd.to_numeric(_aligned(areas, values, "values"), errors="coerce").astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    shown = value.notna().to_numpy()
    geometry = areas.geometry
    handles = []
    if shown.any():
        lo, hi = float(value[shown].min()), float(value[shown].max())
        # one value everywhere sits mid-scale, and says so; counts get whole ticks
        norm = Normalize(vmin=lo, vmax=hi) if hi > lo else Normalize(lo - 1, lo + 1)
        geometry[shown].plot(ax=ax, color=plt.get_cmap(cmap)(norm(value[shown])),
                             edgecolor="white", linewidth=0.2)
        bar = plt.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                           shrink=0.6)
        whole = bool(np.all(np.mod(value[shown].to_numpy(dtype=float), 1) == 0))
        if whole:
            bar.locator = MaxNLocator(integer=True)
            bar.update_ticks()
        if hi == lo:
            bar.set_ticks([lo])
        if label:
            bar.set_label(label + (" (the same in every area)" if hi == lo else ""))
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
    return _finish_map(ax, handles, title)



def _finish_map(ax: Axes, handles: list[Any], title: str | None) -> Axes:
    """Give a map its legend (lower left) and title, without axes, at equal scale."""
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize="small", framealpha=0.9)
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax


def route_map(report: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Map the areas of a :class:`~servicemap.PathwayReport` by route status.

    Areas with a clear route are blue, with barriers orange, without a route red
    (hatched too, for greyscale); the legend counts the areas of each.

    Parameters
    ----------
    report : PathwayReport
        From :func:`servicemap.trace_pathways`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure if omitted.
    title : str, optional
        By default "Routes from <entry> to <treatment>".

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
    ...                            entry="police_vulnerable_persons", need="drug")
    >>> ax = sm.plotting.route_map(routes)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['clear (121 areas)', 'barriers (114 areas)', 'no route (146 areas)']
    """
    import matplotlib.pyplot as plt

    smap = report.smap
    areas = smap.areas
    status = report.table["status"].reindex(areas.index)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    handles = []
    for value, colour in ROUTE_COLOURS.items():
        mask = (status == value).to_numpy()
        if not mask.any():
            continue
        hatch = "///" if value == "no_route" else None
        areas.geometry[mask].plot(ax=ax, color=colour, edgecolor="white", linewidth=0.2,
                                  hatch=hatch)
        handles.append(Patch(facecolor=colour, edgecolor="white", hatch=hatch,
                             label=f"{value.replace('_', ' ')} ({int(mask.sum()):,} "
                                   f"area{'s' if mask.sum() != 1 else ''})"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              fontsize="small", frameon=False)
    vocab = smap.vocabulary
    entries = " or ".join(vocab.label("entry_point", e) for e in report.attrs["entry"])
    ax.set_title(title if title is not None else
                 f"Routes from {entries} to {report.attrs['to_label']}")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax


def _layers(nodes: list[str], edges: list[tuple[str, str]], entries: list[str],
            targets: set[str]) -> dict[str, int]:
    """Columns by the longest chain of hand-offs to each node, cycles broken.

    Entry points are column 0, every arrow points right (except the arrows that close
    a cycle), and treatment, if given, is in the last column.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    state: dict[str, int] = {}  # 1 on the path being followed, 2 done
    back = set()
    for start in [n for n in entries if n in graph] + nodes:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(list(graph.successors(start))))]
        while stack:
            node, ahead = stack[-1]
            for nxt in ahead:
                if state.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(list(graph.successors(nxt)))))
                    break
            else:
                state[node] = 2
                stack.pop()
    graph.remove_edges_from(back)
    depth: dict[str, int] = {}
    for n in nx.topological_sort(graph):
        depth[n] = max((depth[p] + 1 for p in graph.predecessors(n)), default=0)
        if depth[n] == 0 and not n.startswith("entry:"):
            depth[n] = 1 if any(e.startswith("entry:") for e in nodes) else 0
    if targets:
        last = max([depth[n] for n in nodes if n not in targets] + [0]) + 1
        for n in targets & set(nodes):
            depth[n] = last
    return depth


def pathways(source: Any, *, ax: Axes | None = None, labels: str = "id") -> Axes:
    """Draw a referral pathway diagram: entry points left, treatment right, in layers.

    Each hand-off is an arrow: solid where the route needs no consent, dashed where
    it needs explicit consent, dotted where the basis is not recorded
    (:data:`CONSENT_STYLES`); dark with an information-sharing agreement, red
    without, orange where none is recorded (:data:`ISA_COLOURS`). Services offered
    more referrals a year than they can take are ringed in red (bottlenecks).

    Parameters
    ----------
    source : ServiceMap or PathwayReport
        A map draws all its pathways; a report draws the pathways from its entry
        points towards its treatment services, the width of each arrow showing how
        many areas' best chains use it, treatment in the last column, and its
        bottlenecks (with its ``turnover``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure, sized to the diagram, if omitted.
    labels : {"id", "name"}, default "id"
        Label services by id (short) or by name.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> routes = sm.trace_pathways(smap, entry="a_and_e", need="drug")
    >>> ax = sm.plotting.pathways(routes)
    >>> ax.get_title()
    'Referral pathways from A&E to drug treatment'
    >>> len(ax.patches)  # one arrow per pathway drawn
    5
    """
    import matplotlib.pyplot as plt

    if labels not in ("id", "name"):
        msg = f"labels={labels!r}: choose 'id' or 'name'."
        raise ValueError(msg)
    if isinstance(source, ServiceMap):
        report, smap = None, source
        steps = referral_steps(smap)
    elif all(hasattr(source, a) for a in ("smap", "handoffs", "table", "attrs")):
        report, smap, steps = source, source.smap, source.handoffs
    else:
        msg = (f"pathways() takes a ServiceMap or a PathwayReport, not "
               f"{type(source).__name__}.")
        raise TypeError(msg)
    pw = smap.pathways
    src = [f"entry:{e}" if isinstance(e, str) else str(f) for e, f in zip(
        pw["from_entry"].to_numpy(dtype=object), pw["from_service"].to_numpy(dtype=object),
        strict=True)]
    dst = pw["to_service"].astype(str).tolist()
    keep, entries, targets, used = _drawn_pathways(report, pw, src, dst)
    nodes = list(dict.fromkeys([s for s, k in zip(src, keep, strict=True) if k]
                               + [d for d, k in zip(dst, keep, strict=True) if k]))
    edges = [(a, b) for a, b, k in zip(src, dst, keep, strict=True) if k]
    depth = _layers(nodes, edges, entries, targets)
    pos, columns = _node_positions(nodes, edges, depth)
    if ax is None:
        tall = max((len(m) for m in columns.values()), default=1)
        _, ax = plt.subplots(figsize=(3.2 * (len(columns) or 1) + 1, 0.9 * tall + 1.5))
    flag_cols = steps[["bottleneck"]].to_numpy(dtype=bool).ravel()
    bottleneck = {t for t, f, k in zip(dst, flag_cols, keep, strict=True) if f and k}
    width_scale = float(used.max()) if used.size and used.max() > 0 else 1.0
    for j in np.flatnonzero(keep):
        basis = pw["consent_basis"].iat[j]
        style = (CONSENT_STYLES["without_consent"] if basis in WITHOUT_CONSENT else
                 CONSENT_STYLES.get(basis, ":"))
        isa = pw["information_sharing_agreement"].iat[j]
        colour = ISA_COLOURS[None if pd.isna(isa) else bool(isa)]
        lw = (0.8 + 3.2 * used[j] / width_scale) if report is not None else 1.4
        span = depth[dst[j]] - depth[src[j]]
        # arrows that skip columns, or run back or down a column, arc around nodes
        rad = 0.08 if span == 1 else (0.25 if span > 1 else 0.45)
        ax.add_patch(FancyArrowPatch(pos[src[j]], pos[dst[j]], arrowstyle="-|>",
                                     linestyle=style, color=colour, lw=lw, shrinkA=14,
                                     shrinkB=14, mutation_scale=12,
                                     connectionstyle=f"arc3,rad={rad}"))
    _draw_nodes(ax, smap, pos, labels, targets, bottleneck)
    _diagram_legend(ax, report, bool(targets), width_scale)
    if report is not None:
        names = " or ".join(smap.vocabulary.label("entry_point", e)
                            for e in report.attrs["entry"])
        ax.set_title(f"Referral pathways from {names} to {report.attrs['to_label']}")
    else:
        ax.set_title("Referral pathways")
    ax.set_xlim(-0.6, max((p[0] for p in pos.values()), default=0) + 0.6)
    ys = [p[1] for p in pos.values()] or [0.0]
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.5)
    ax.set_axis_off()
    return ax


def _drawn_pathways(report: Any, pw: pd.DataFrame, src: list[str], dst: list[str],
                    ) -> tuple[np.ndarray, list[str], set[str], np.ndarray]:
    """Return which pathways to draw, the entries, the treatment and each one's use.

    A map draws every pathway. A report draws those from its entry points towards
    its treatment, stopping at the first treatment reached, and counts the areas
    whose best chain uses each.
    """
    if report is None:
        entries = sorted({s for s in src if s.startswith("entry:")})
        return np.ones(len(pw), dtype=bool), entries, set(), np.zeros(len(pw))
    entries = [f"entry:{e}" for e in report.attrs["entry"]]
    targets = set(report.attrs["to"])
    # a route ends at the first treatment it reaches: no arrows onward from there
    graph = nx.DiGraph([(a, b) for a, b in zip(src, dst, strict=True)
                        if a not in targets])
    graph.add_nodes_from(entries)
    ahead = set().union(*[nx.descendants(graph, e) | {e} for e in entries
                          if e in graph])
    behind = set(targets).union(*[nx.ancestors(graph, t) for t in targets
                                  if t in graph])
    on = ahead & behind
    keep = np.array([a in on and b in on and a not in targets
                     for a, b in zip(src, dst, strict=True)], dtype=bool)
    counts = report.table["pathways"].explode().value_counts()
    used = counts.reindex(pw.index).fillna(0).to_numpy(dtype=float)
    return keep, entries, targets & on, used


def _node_positions(nodes: list[str], edges: list[tuple[str, str]],
                    depth: dict[str, int],
                    ) -> tuple[dict[str, tuple[float, float]], dict[int, list[str]]]:
    """Place the nodes: one column per layer, ordered to cross fewer arrows."""
    columns: dict[int, list[str]] = {}
    for n in nodes:
        columns.setdefault(depth[n], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for col in sorted(columns):
        members = columns[col]
        if col > 0:  # order by the mean height of referrers, to cross fewer arrows
            def height(n: str, col: int = col) -> float:
                ys = [pos[a][1] for a, b in edges if b == n and a in pos
                      and depth[a] < col]
                return float(np.mean(ys)) if ys else 0.0
            members = sorted(members, key=height, reverse=True)
        k = len(members)
        for i, n in enumerate(members):
            pos[n] = (float(col), (k - 1) / 2 - i)
    return pos, columns


def _draw_nodes(ax: Axes, smap: Any, pos: dict[str, tuple[float, float]], labels: str,
                targets: set[str], bottleneck: set[str]) -> None:
    """Draw the entry points (squares) and services (circles), with their labels."""
    services = smap.services
    for n, (x, y) in pos.items():
        is_entry = n.startswith("entry:")
        if is_entry:
            text = smap.vocabulary.label("entry_point", n[6:])
        else:
            text = n if labels == "id" or n not in services.index else str(
                services.at[n, "name"])
        face = "#2c7bb6" if n in targets else ("0.85" if is_entry else "white")
        ax.scatter([x], [y], s=260, marker="s" if is_entry else "o", color=face,
                   edgecolors="#d7191c" if n in bottleneck else "0.3",
                   linewidths=3 if n in bottleneck else 1, zorder=3)
        ax.text(x, y - 0.28, _wrap(text), ha="center", va="top", fontsize=7, zorder=4)


def _diagram_legend(ax: Axes, report: Any, has_targets: bool, width_scale: float,
                    ) -> None:
    """Explain the line styles, colours and rings below the diagram."""
    legend = [
        Line2D([], [], color="0.15", linestyle="-", label="no consent needed"),
        Line2D([], [], color="0.15", linestyle="--", label="explicit consent"),
        Line2D([], [], color="0.15", linestyle=":", label="consent basis not recorded"),
        Line2D([], [], color=ISA_COLOURS[False], label="no sharing agreement"),
        Line2D([], [], color=ISA_COLOURS[None], label="agreement not recorded"),
        Line2D([], [], marker="o", color="white", markeredgecolor="#d7191c",
               markeredgewidth=2.5, markersize=10, label="bottleneck"),
    ]
    if has_targets:
        legend.append(Line2D([], [], marker="o", color="white", markerfacecolor="#2c7bb6",
                             markersize=10, label="treatment"))
    if report is not None:
        legend += [Line2D([], [], color="0.15", lw=0.8, label="no area's best route"),
                   Line2D([], [], color="0.15", lw=4.0,
                          label=f"best route of {int(width_scale):,} areas")]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.02),
              ncol=4, fontsize="small", frameon=False)


def _wrap(text: str, width: int = 22) -> str:
    """Wrap a label onto lines of ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width)) or text


def duplication_map(report: Any, *, ax: Axes | None = None, title: str | None = None,
                    cmap: str = "YlOrRd") -> Axes:
    """Map where alike services overlap: an :class:`~servicemap.OverlapReport`'s index.

    Each area is coloured by how many alike services (those of the report's pairs
    counted as duplication) overlap there, with a legend in words: "no alike services
    overlap", "2 alike services overlap", ..., each with its number of areas. Areas
    with none are pale grey, so that a county with little duplication looks it.

    Parameters
    ----------
    report : OverlapReport
        Read through its public fields: ``areas`` and ``duplication`` (its
        ``services`` column).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure if omitted.
    title : str, optional
        The Axes title.
    cmap : str, default "YlOrRd"
        The colour map the counts take their colours from (its upper two-thirds).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
    >>> ax = sm.plotting.duplication_map(ovl, title="Duplication")
    >>> ax.get_legend().get_texts()[0].get_text().startswith("no alike services overlap")
    True
    """
    import matplotlib.pyplot as plt

    areas = report.areas
    count = _aligned(areas, report.duplication["services"], "duplication")
    count = count.fillna(0).astype(int)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    levels = sorted(set(count.tolist()) | {0})
    colours = plt.get_cmap(cmap)(np.linspace(0.35, 1.0, max(len(levels) - 1, 1)))
    handles = []
    for k, level in enumerate(levels):
        colour = "#eeeeee" if level == 0 else colours[k - 1]
        mask = (count == level).to_numpy()
        if mask.any():
            areas.geometry[mask].plot(ax=ax, color=colour, edgecolor="white",
                                      linewidth=0.2)
        label = ("no alike services overlap" if level == 0
                 else f"{level} alike services overlap")
        handles.append(Patch(facecolor=colour, edgecolor="0.5",
                             label=f"{label} ({int(mask.sum()):,} areas)"))
    return _finish_map(ax, handles, title)
