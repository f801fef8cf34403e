"""Overlaps: pairs of services that serve the same people for the same need.

Two services **overlap** when all of these hold:

* both list a need in scope (``need=``, or every need a counted service lists);
* both serve a client group in scope whose implied ages
  (:data:`~servicemap.vocab.CLIENT_GROUP_AGES`) overlap their own ``min_age``-``max_age``
  (the coverage rule), and their own age ranges overlap each other;
* their **effective catchments** (footprint and reach) share at least one area.

Effective catchments are measured in one of two ways:

* **by the reach matrix** (the default): an area is in a catchment when the reach
  matrix says the service reaches it (its point is within reach, and it is in the
  footprint), so two services share an area wholly or not at all. Exact for
  catchments made of areas (footprints, reach ``none``), fast at national scale:
  every pair comes from one sparse product ``R^T diag(w) R`` per weight.
* **by geometry** (``exact=True``): each catchment is drawn as a polygon -- the union
  of circles of ``max_distance`` around the service's in-person and outreach sites,
  cut to its footprint areas; a footprint for reach ``none``; or a polygon you give in
  ``catchments=`` -- and each area counts by the part of it inside both catchments
  (area weighting: an area half inside the overlap adds half its population and half
  its need).

Counts of people in :meth:`OverlapReport.summary` are rounded and small ones hidden
(:func:`servicemap.disclosure.suppress`) unless ``suppress=False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from servicemap.analysis._select import (
    ACTIVE,
    as_terms,
    as_tuple,
    counted,
    listing,
    served_groups,
)
from servicemap.crs import to_working_crs
from servicemap.errors import did_you_mean, plural
from servicemap.geography import reach_matrix

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from matplotlib.axes import Axes
    from scipy import sparse

    from servicemap.servicemap import ServiceMap

__all__ = ["ACROSS", "OverlapReport", "find_overlaps"]

#: The ways pairs can be restricted to different commissioning or providing bodies.
ACROSS = ("partnership", "provider", "commissioner")
#: What a service with no partnership (or no commissioner) is called in summaries.
_NONE_LABEL = {"partnership": "(no partnership)", "commissioner": "(no commissioner)",
               "provider": "(no provider)"}
#: An area shares a drawn overlap when more than this fraction of it lies inside.
_SLIVER = 1e-9
#: Segments per quarter circle when a reach is drawn as a polygon.
_QUAD_SEGS = 16


@dataclass(frozen=True, eq=False)
class _Detail:
    """What the methods need to go back from pairs to areas (not part of the API)."""

    areas: gpd.GeoDataFrame
    services: pd.DataFrame
    ids: pd.Index                     # the services considered (columns of ``weights``)
    weights: sparse.csr_array         # areas x services: 1 (reach) or the share inside
    needs: tuple[str, ...]
    need_columns: dict[str, str]
    kinds: pd.Series                  # per service: its label for the summary
    exact: bool
    # exact mode: one row per (area, pair) with an overlap; fraction and its shape
    triples: pd.DataFrame | None = None


@dataclass(frozen=True, repr=False)
class OverlapReport:
    """Pairs of services meeting the same need for the same people in the same places.

    Build it with :func:`find_overlaps`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per overlapping pair, indexed by ``(service_a, service_b)`` with
        ``service_a < service_b``, sorted by ``shared_population`` (largest first). See
        :func:`find_overlaps` for the columns.
    duplication : pandas.DataFrame
        Indexed like ``smap.areas``: ``services`` (distinct services of the report's
        pairs that overlap in the area), ``pairs`` (the report's pairs sharing the
        area) and ``duplication`` = ``max(services - 1, 0)``: how many services there
        are beyond the first one.
    attrs : dict
        What was compared: needs, client groups, statuses, ``across``, the geometry
        mode, thresholds, services considered, and notes on missing data.
    """

    table: pd.DataFrame
    duplication: pd.DataFrame
    attrs: dict[str, Any] = field(default_factory=dict)
    _detail: _Detail | None = field(default=None, compare=False)

    def summary(self, *, suppress: bool = True, threshold: int = 5) -> pd.DataFrame:
        """Overlaps by the two sides' commissioning (or providing) bodies and need.

        The sides are the partnerships commissioning each service (with ``across``
        None or ``"partnership"``), their providers (``"provider"``) or their
        commissioners (``"commissioner"``); a service commissioned by no partnership
        is ``"(no partnership)"``.

        Parameters
        ----------
        suppress : bool, default True
            Round ``population`` and ``need`` to whole people and hide small counts
            (:func:`servicemap.disclosure.suppress`).
        threshold : int, default 5
            Counts below this are hidden when ``suppress`` is True.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``side_a``, ``side_b`` (in sorted order) and ``need``: ``pairs``,
            ``services`` (distinct), ``areas`` (distinct areas shared by at least one
            of the pairs), ``population`` and ``need`` (people, and people with the
            need, living there, each counted once however many pairs share it; by
            geometry, the part of each area inside the union of the pairs'
            overlaps). ``need`` is missing where the areas have no column for it.

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> s = ovl.summary()
        >>> s.index.names
        FrozenList(['side_a', 'side_b', 'need'])
        >>> int(s["pairs"].sum()) == len(ovl.table)
        True
        """
        import pandas as pd

        detail = self._detail
        columns = ["pairs", "services", "areas", "population", "need"]
        names = ["side_a", "side_b", "need"]
        t = self.table
        if detail is None or not len(t):
            empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
            empty.index = pd.MultiIndex.from_arrays([[], [], []], names=names)
            return empty
        a_pos = detail.ids.get_indexer(t.index.get_level_values(0))
        b_pos = detail.ids.get_indexer(t.index.get_level_values(1))
        side_a = detail.kinds.to_numpy(dtype=object)[a_pos]
        side_b = detail.kinds.to_numpy(dtype=object)[b_pos]
        swap = side_a > side_b
        side_a, side_b = np.where(swap, side_b, side_a), np.where(swap, side_a, side_b)
        pairs = pd.DataFrame({"side_a": side_a, "side_b": side_b,
                              "needs": t["needs"].to_numpy(), "a": a_pos, "b": b_pos,
                              "pair": np.arange(len(t))}).explode("needs")
        pairs = pairs.rename(columns={"needs": "need"})
        pop = _population(detail.areas)[0]
        rows = []
        for (sa, sb, need), group in pairs.groupby(["side_a", "side_b", "need"],
                                                   sort=True):
            share = _union_share(detail, group)
            column = detail.need_columns.get(need)
            need_there = (np.nan if column is None else float(
                share @ detail.areas[column].to_numpy(dtype=float, na_value=0.0)))
            rows.append({"side_a": sa, "side_b": sb, "need": need,
                         "pairs": len(group),
                         "services": len(np.unique(group[["a", "b"]].to_numpy())),
                         "areas": int((share > _SLIVER).sum()),
                         "population": float(share @ pop), "need_": need_there})
        out = pd.DataFrame(rows).rename(columns={"need_": "need_people"})
        out = out.set_index(names).rename(columns={"need_people": "need"})
        out = out.astype({"pairs": "int64", "services": "int64", "areas": "int64"})
        if suppress:
            from servicemap.disclosure import suppress as hide

            out = hide(out, ["population", "need"], threshold=threshold)
        return out

    def explain(self, pair: tuple[str, str] | int) -> pd.DataFrame:
        """Return the areas two services share, with a sentence saying who overlaps.

        Parameters
        ----------
        pair : (str, str) or int
            The two service ids, in either order, or a row position in :attr:`table`.

        Returns
        -------
        pandas.DataFrame
            One row per shared area, indexed by area code: ``name``, ``overlap`` (the
            share of the area inside both catchments: 1 by the reach matrix),
            ``population`` and one ``need_<need>`` column per shared need (people in
            the shared part). Its columns sum to the pair's row of :attr:`table`.
            ``attrs["headline"]`` says, in one sentence, which services, providers and
            partnerships overlap, for which needs and groups, and how much of each
            catchment is shared.

        Raises
        ------
        KeyError
            If the two services are not a pair of the report.

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> shared = ovl.explain(0)
        >>> round(float(shared["population"].sum())) == round(
        ...     float(ovl.table["shared_population"].iloc[0]))
        True
        >>> shared.columns.tolist()
        ['name', 'overlap', 'population', 'need_drug']
        >>> " overlap for drug (" in shared.attrs["headline"]
        True
        """
        import pandas as pd

        t = self.table
        detail = self._detail
        if isinstance(pair, (int, np.integer)) and not isinstance(pair, bool):
            if not -len(t) <= pair < len(t):
                msg = (f"pair={pair!r}: the report has {plural(len(t), 'pair')}; give a "
                       f"position from 0 to {len(t) - 1} or two service ids.")
                raise KeyError(msg)
            key = t.index[pair]
        else:
            ids = as_tuple(pair)
            if len(ids) != 2:
                msg = f"pair={pair!r}: give two service ids, such as ('HUB', 'OUT'), or a row."
                raise KeyError(msg)
            key = tuple(sorted(map(str, ids)))
            if key not in t.index:
                labels = [f"{a}, {b}" for a, b in t.index]
                msg = (f"pair={pair!r} is not a pair of the report "
                       f"({plural(len(t), 'pair')}).{did_you_mean(', '.join(key), labels)}")
                raise KeyError(msg)
        assert detail is not None  # noqa: S101 - a report from find_overlaps has one
        row = t.loc[key]
        a, b = detail.ids.get_indexer(list(key))
        areas = detail.areas
        if detail.exact:
            tri = detail.triples
            mine = tri[(tri["a"] == a) & (tri["b"] == b)]
            rows, overlap = mine["area"].to_numpy(), mine["fraction"].to_numpy()
        else:
            w = detail.weights
            both = (w[:, [a]].toarray().ravel() > 0) & (w[:, [b]].toarray().ravel() > 0)
            rows = np.flatnonzero(both)
            overlap = np.ones(len(rows))
        pop = _population(areas)[0]
        out = pd.DataFrame({"name": areas["name"].to_numpy()[rows] if "name" in areas
                            else areas.index[rows], "overlap": overlap,
                            "population": pop[rows] * overlap},
                           index=pd.Index(areas.index[rows], name=areas.index.name))
        for need in row["needs"]:
            column = detail.need_columns.get(need)
            if column is not None:
                out[column] = areas[column].to_numpy(dtype=float,
                                                     na_value=0.0)[rows] * overlap
        out = out.sort_values("population", ascending=False, kind="stable")
        out.attrs["headline"] = _headline(key, row, detail)
        return out

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Map the duplication index: services beyond the first overlapping per area.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        **kwargs
            Passed to :func:`servicemap.plotting.area_map` (``title``, ``cmap``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> ax = ovl.plot()
        >>> ax.get_title()
        'Overlapping services for drug: duplication index'
        """
        from servicemap.plotting import area_map

        if self._detail is None:
            msg = "this report has no areas to draw; build it with sm.find_overlaps."
            raise ValueError(msg)
        needs = ", ".join(self.attrs.get("need") or ()) or "any need"
        kwargs.setdefault("title", f"Overlapping services for {needs}: duplication index")
        kwargs.setdefault("label", "overlapping services beyond the first")
        return area_map(self._detail.areas, self.duplication["duplication"], ax=ax,
                        **kwargs)

    def __repr__(self) -> str:
        across = self.attrs.get("across")
        how = f" across {across}s" if across else ""
        dup = self.duplication["duplication"] if len(self.duplication) else None
        areas = int((dup > 0).sum()) if dup is not None else 0
        return (f"<OverlapReport: {plural(len(self.table), 'pair')}{how} over "
                f"{plural(areas, 'area')}; {self.attrs.get('mode', '')}>")


# -- helpers -------------------------------------------------------------------------
def _population(areas: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Each area's population (0 where missing) and how many were missing."""
    if "population" not in areas:
        return np.zeros(len(areas)), len(areas)
    pop = areas["population"].to_numpy(dtype=float, na_value=np.nan)
    missing = int(np.isnan(pop).sum())
    return np.nan_to_num(pop, nan=0.0), missing


def _groups_ok(services: pd.DataFrame, groups: tuple[str, ...]) -> tuple[
        np.ndarray, list[str]]:
    """(services x groups) matrix of client groups served with matching ages."""
    listed = services["client_groups"].reset_index(drop=True).explode().dropna()
    terms = list(dict.fromkeys(listed.to_numpy(dtype=object)))
    if groups:
        terms = [g for g in terms if g in groups]
    return served_groups(services, terms), terms


def _as_tuples(matrix: np.ndarray, terms: list[str]) -> np.ndarray:
    """One tuple of terms per row of a boolean matrix, built per distinct row."""
    if not len(matrix):
        return np.empty(0, dtype=object)
    if matrix.shape[1] <= 62:  # one integer per row is quicker to make unique
        codes = matrix.astype(np.int64) @ (np.int64(1) << np.arange(matrix.shape[1]))
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        unique = matrix[first]
    else:
        unique, inverse = np.unique(matrix, axis=0, return_inverse=True)
    names = np.empty(len(unique), dtype=object)
    names[:] = [tuple(t for t, on in zip(terms, row, strict=True) if on) for row in unique]
    return names[inverse.ravel()]


def _bodies(smap: ServiceMap, across: str) -> pd.Series:
    """Per service, the tuple of bodies ``across`` compares (partnerships, ...)."""
    import pandas as pd

    services = smap._services
    if across == "partnership":
        return smap.service_partnerships()
    if across == "commissioner":
        return services["commissioners"].map(tuple)
    return pd.Series([(p,) if isinstance(p, str) and p else ()
                      for p in services["provider"]], index=services.index, dtype=object)


def _kind_labels(bodies: pd.Series, across: str) -> pd.Series:
    """One label per service: its bodies joined by ' + ', or '(no partnership)'."""
    import pandas as pd

    codes, uniques = pd.factorize(bodies.map(tuple))
    names = np.array([" + ".join(u) if u else _NONE_LABEL[across] for u in uniques]
                     + [_NONE_LABEL[across]], dtype=object)
    return pd.Series(names[codes], index=bodies.index, dtype=object)


def _disjoint(bodies: pd.Series, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each pair's bodies are disjoint, and at least one side has a body."""
    import pandas as pd
    from scipy import sparse

    from servicemap.geography import in_sorted

    listed = bodies.reset_index(drop=True).explode().dropna()
    codes, names = pd.factorize(listed)
    n = len(bodies)
    member = sparse.csr_array((np.ones(len(codes)), (listed.index.to_numpy(), codes)),
                              shape=(n, max(len(names), 1)))
    common = (member @ member.T).tocoo()
    keys = np.sort(common.row.astype(np.int64) * n + common.col)
    shared = in_sorted(a.astype(np.int64) * n + b, keys)
    has = np.diff(member.indptr) > 0
    return ~shared & (has[a] | has[b])


def _lookup(keys: np.ndarray, product: sparse.csr_array, n: int,
            local: np.ndarray | None = None) -> np.ndarray:
    """Values of a services x services product at the pairs ``keys`` (0 where absent)."""
    product = product.tocsr()
    product.sort_indices()  # row by row, columns ascending: keys come out sorted
    rows = np.repeat(np.arange(product.shape[0], dtype=np.int64), np.diff(product.indptr))
    cols = product.indices.astype(np.int64)
    if local is not None:  # ascending positions map to ascending positions
        rows, cols = local[rows], local[cols]
    upper = rows < cols
    pk, pv = rows[upper] * n + cols[upper], product.data[upper]
    out = np.zeros(len(keys))
    if len(pk):
        pos = np.minimum(np.searchsorted(pk, keys), len(pk) - 1)
        hit = pk[pos] == keys
        out[hit] = pv[pos[hit]]
    return out


def _weighted(r: sparse.csc_array, w: np.ndarray) -> sparse.csr_array:
    """``R^T diag(w) R`` for a 0/1 areas x services matrix."""
    from scipy import sparse

    scaled = sparse.csc_array((w[r.indices], r.indices, r.indptr), shape=r.shape)
    return (r.T @ scaled).tocsr()


def _union_share(detail: _Detail, group: pd.DataFrame) -> np.ndarray:
    """Per area, the share inside the union of the overlaps of a group of pairs."""
    from scipy import sparse

    n_areas = len(detail.areas)
    if not detail.exact:
        m = len(detail.ids)
        a, b = group["a"].to_numpy(), group["b"].to_numpy()
        adj = sparse.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])),
                               shape=(m, m))
        r = detail.weights
        hits = r.multiply(r @ adj)
        return (np.diff(sparse.csr_array(hits).indptr) > 0).astype(float)
    import shapely

    tri = detail.triples
    mine = tri[tri["pair"].isin(group["pair"].to_numpy())]
    share = np.zeros(n_areas)
    if not len(mine):
        return share
    whole = mine.groupby("area")["fraction"].max()
    full = whole.index[whole.to_numpy() >= 1.0]
    share[full.to_numpy()] = 1.0
    rest = mine[~mine["area"].isin(full)]
    if len(rest):
        counts = rest.groupby("area").size()
        single = counts.index[counts.to_numpy() == 1]
        one = rest[rest["area"].isin(single)]
        share[one["area"].to_numpy()] = one["fraction"].to_numpy()
        many = rest[~rest["area"].isin(single)].sort_values("area", kind="stable")
        if len(many):
            area_of, slot = np.unique(many["area"].to_numpy(), return_inverse=True)
            col = np.arange(len(many)) - np.searchsorted(many["area"].to_numpy(),
                                                         many["area"].to_numpy())
            padded = np.full((len(area_of), int(col.max()) + 1), None, dtype=object)
            padded[slot, col] = many["piece"].to_numpy()
            united = shapely.union_all(padded, axis=1)
            size = shapely.area(np.asarray(detail.areas.geometry.values)[area_of])
            share[area_of] = np.minimum(shapely.area(united) / size, 1.0)
    return share


def _headline(key: tuple[str, str], row: pd.Series, detail: _Detail) -> str:
    services = detail.services

    def who(sid: str, side: str) -> str:
        name = services.at[sid, "name"]
        parts = row[f"partnerships_{side}"]
        commissioned = (f"commissioned by {' and '.join(parts)}" if parts
                        else "commissioned by no partnership")
        return f"{name} ({sid}; provider {row[f'provider_{side}']}; {commissioned})"

    groups = ", ".join(row["client_groups"])
    needs = ", ".join(row["needs"])
    n = int(row["shared_areas"])
    return (f"{who(key[0], 'a')} and {who(key[1], 'b')} overlap for {needs} "
            f"({groups}) in {plural(n, 'area')} where about "
            f"{row['shared_population']:,.0f} people live: {row['share_a']:.0%} of the "
            f"first's catchment population and {row['share_b']:.0%} of the second's.")


# -- exact geometry --------------------------------------------------------------------
def _given_catchments(smap: ServiceMap, catchments: Any) -> dict[str, Any]:
    """Check drawn catchments: polygons indexed by service id, any CRS."""
    import geopandas as gpd

    if isinstance(catchments, gpd.GeoDataFrame):
        catchments = catchments.geometry
    if not isinstance(catchments, gpd.GeoSeries):
        msg = (f"catchments= takes a GeoSeries or GeoDataFrame of polygons indexed by "
               f"service id; got {type(catchments).__name__}.")
        raise ValueError(msg)
    catchments = to_working_crs(catchments, "catchments")
    known = smap._services.index
    for sid in catchments.index:
        if sid not in known:
            msg = (f"catchments=: {sid!r} is not a service of the map."
                   f"{did_you_mean(sid, list(known))} Index the catchments by service id.")
            raise ValueError(msg)
    if catchments.index.has_duplicates:
        dup = catchments.index[catchments.index.duplicated()][0]
        msg = (f"catchments=: service {dup!r} has more than one row; give one polygon "
               "or multipolygon per service (union them first).")
        raise ValueError(msg)
    kinds = catchments.geom_type.to_numpy(dtype=object)
    bad = ~np.isin(kinds, ["Polygon", "MultiPolygon"])
    if bad.any():
        sid, kind = catchments.index[bad][0], kinds[bad][0]
        what = "missing" if kind is None else f"a {kind}"
        msg = (f"catchments=: the catchment of {sid!r} is {what}, not a polygon; give "
               "a polygon or multipolygon per service.")
        raise ValueError(msg)
    geoms = np.asarray(catchments.values)
    return dict(zip(catchments.index, geoms, strict=True))


def _draw(smap: ServiceMap, cols: np.ndarray, given: dict[str, Any],
          max_distance: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per considered service: its polygon (or None), and whether it is whole-area.

    Returns the geometries, ``whole`` (reach ``none`` without a drawn catchment: its
    footprint areas wholly, or every area) and ``drawn_from`` labels.
    """
    import shapely

    from servicemap.geography import site_service_pairs

    services, sites = smap._services, smap._sites
    ids = services.index[cols]
    reach = services["reach"].to_numpy(dtype=object)[cols]
    is_given = np.array([sid in given for sid in ids], dtype=bool)
    minutes = (reach == "minutes") & ~is_given
    if minutes.any():
        shown = ", ".join(map(str, ids[minutes][:5]))
        msg = (f"exact=True cannot draw a catchment from travel times: "
               f"{plural(int(minutes.sum()), 'service reaches', 'services reach')} by "
               f"minutes ({shown}). Pass their catchments as polygons, "
               "catchments=gpd.GeoSeries(..., index=[service ids], crs=...), or use "
               "the default exact=False.")
        raise ValueError(msg)
    geoms = np.full(len(cols), None, dtype=object)
    geoms[is_given] = [given[sid] for sid in ids[is_given]]
    whole = (reach == "none") & ~is_given

    site_pos, service_pos = site_service_pairs(smap, "distance")
    position = np.full(len(services), -1)
    position[cols] = np.arange(len(cols))
    local = position[service_pos]
    keep = local >= 0
    site_pos, local = site_pos[keep], local[keep]
    keep = ~is_given[local]
    site_pos, local = site_pos[keep], local[keep]
    points = np.asarray(sites.geometry.values)[site_pos]
    located = ~(shapely.is_missing(points) | shapely.is_empty(points))
    site_pos, local, points = site_pos[located], local[located], points[located]
    radius = services["max_distance"].to_numpy(dtype=float, na_value=np.nan)[cols][local]
    if max_distance is not None:
        radius = np.full(len(local), max_distance)
    circles = shapely.buffer(points, radius, quad_segs=_QUAD_SEGS)
    if len(local):
        order = np.argsort(local, kind="stable")
        local, circles = local[order], circles[order]
        slot = np.arange(len(local)) - np.searchsorted(local, local)
        padded = np.full((len(cols), int(slot.max()) + 1), None, dtype=object)
        padded[local, slot] = circles
        drawn = shapely.union_all(padded, axis=1)
        has = np.zeros(len(cols), dtype=bool)
        has[local] = True
        geoms[has] = drawn[has]
    return geoms, whole, is_given


def _fractions(smap: ServiceMap, cols: np.ndarray, given: dict[str, Any],
               max_distance: float | None) -> tuple[sparse.csr_array, np.ndarray, dict]:
    """Areas x services shares of each area inside each drawn catchment.

    Also returns the piece of the area inside (None where the whole area is) per
    stored entry, in CSR order, and notes.
    """
    import shapely
    from scipy import sparse

    from servicemap.geography import footprint_keys, in_sorted

    areas, services = smap._areas, smap._services
    n_areas, n_all = len(areas), len(services)
    geoms, whole, is_given = _draw(smap, cols, given, max_distance)
    footprint, restricted = footprint_keys(smap)
    shapes = np.asarray(areas.geometry.values)
    size = shapely.area(shapes)

    # whole areas: reach "none" services on their footprint, or everywhere
    w_rows, w_cols = [], []
    for_whole = np.flatnonzero(whole)
    fp_area, fp_service = footprint // n_all, footprint % n_all
    position = np.full(n_all, -1)
    position[cols] = np.arange(len(cols))
    in_fp = position[fp_service]
    sel = (in_fp >= 0) & whole[np.maximum(in_fp, 0)]
    w_rows.append(fp_area[sel])
    w_cols.append(in_fp[sel])
    open_ = for_whole[~restricted[cols[for_whole]]]
    w_rows.append(np.repeat(np.arange(n_areas), len(open_)))
    w_cols.append(np.tile(open_, n_areas))

    # drawn catchments: STRtree of the areas, whole areas skipped, the rest cut
    drawn = np.flatnonzero(~whole & ~shapely.is_missing(geoms))
    tree = shapely.STRtree(shapes)
    shapely.prepare(geoms[drawn])
    hit_s, hit_a = tree.query(geoms[drawn], predicate="intersects")
    svc = drawn[hit_s]
    keys = hit_a.astype(np.int64) * n_all + cols[svc]
    eligible = ~restricted[cols[svc]] | in_sorted(keys, footprint)
    svc, hit_a = svc[eligible], hit_a[eligible]
    inside = shapely.contains_properly(geoms[svc], shapes[hit_a])
    pieces = np.full(len(svc), None, dtype=object)
    frac = np.ones(len(svc))
    cut = ~inside
    pieces[cut] = shapely.intersection(shapes[hit_a[cut]], geoms[svc[cut]])
    frac[cut] = np.minimum(shapely.area(pieces[cut]) / size[hit_a[cut]], 1.0)
    keep = frac > _SLIVER
    rows = np.concatenate([*w_rows, hit_a[keep]]).astype(np.int64)
    cols_ = np.concatenate([*w_cols, svc[keep]]).astype(np.int64)
    data = np.concatenate([np.ones(sum(len(r) for r in w_rows)), frac[keep]])
    piece = np.concatenate([np.full(len(rows) - int(keep.sum()), None, dtype=object),
                            pieces[keep]])
    order = np.lexsort((cols_, rows))
    rows, cols_, data, piece = rows[order], cols_[order], data[order], piece[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_areas))])
    matrix = sparse.csr_array((data, cols_, indptr), shape=(n_areas, len(cols)))
    notes = {"catchments_given": int(is_given.sum()),
             "catchments_drawn": int(len(drawn) - is_given[drawn].sum()),
             "catchments_whole_areas": int(whole.sum())}
    return matrix, piece, notes


def _triples(weights: sparse.csr_array, pieces: np.ndarray, size: np.ndarray,
             eligible_keys: np.ndarray) -> pd.DataFrame:
    """Every (area, a, b) where both catchments take in part of the area, a < b.

    Only pairs in ``eligible_keys`` (``a * m + b``, sorted) are kept. The overlap's
    share of the area is exact: 1 or the other's share where one catchment holds the
    whole area, else the area of the intersection of the two pieces.
    """
    import pandas as pd
    import shapely

    from servicemap.geography import in_sorted

    m = weights.shape[1]
    indptr = weights.indptr.astype(np.int64)
    n_row = np.diff(indptr)
    entry_row = np.repeat(np.arange(len(n_row)), n_row)
    later = indptr[entry_row + 1] - np.arange(len(entry_row)) - 1
    first = np.repeat(np.arange(len(entry_row)), later)
    second = first + 1 + (np.arange(later.sum()) - np.repeat(np.cumsum(later) - later,
                                                              later))
    a, b = weights.indices[first].astype(np.int64), weights.indices[second].astype(np.int64)
    swap = a > b
    first, second = np.where(swap, second, first), np.where(swap, first, second)
    a, b = np.minimum(a, b), np.maximum(a, b)
    ok = in_sorted(a * m + b, eligible_keys)
    first, second, a, b = first[ok], second[ok], a[ok], b[ok]
    area = entry_row[first]
    fa, fb = weights.data[first], weights.data[second]
    pa, pb = pieces[first], pieces[second]
    whole_a, whole_b = pa == None, pb == None  # noqa: E711 - elementwise on objects
    fraction = np.where(whole_a, fb, fa)
    piece = np.where(whole_a, pb, pa)
    both = ~whole_a & ~whole_b
    if both.any():
        meet = shapely.intersection(pa[both], pb[both])
        piece[both] = meet
        fraction[both] = np.minimum(shapely.area(meet) / size[area[both]], 1.0)
    keep = fraction > _SLIVER
    return pd.DataFrame({"area": area[keep], "a": a[keep], "b": b[keep],
                         "fraction": fraction[keep], "piece": piece[keep]})


# -- the entry point -----------------------------------------------------------------
def find_overlaps(
    smap: ServiceMap,
    *,
    need: str | Iterable[str] | None = None,
    across: str | None = None,
    client_group: str | Iterable[str] | None = None,
    status: Iterable[str] = ACTIVE,
    exact: bool = False,
    catchments: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> OverlapReport:
    """Find pairs of services serving the same people for the same need, and where.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    need : str or list of str, optional
        The needs compared; by default every need a counted service lists.
    across : {None, "partnership", "provider", "commissioner"}, optional
        Keep only pairs on different sides: ``"partnership"``, pairs with no
        commissioning partnership in common (``smap.service_partnerships()``);
        ``"provider"``, different providers; ``"commissioner"``, no commissioner in
        common. A service commissioned by no partnership counts as outside every
        partnership: it is compared with services commissioned by a partnership
        (an overlap between a partnership's provision and provision commissioned
        elsewhere is what a partnership board needs to see), but two services that
        are both outside any partnership are not a pair "across partnerships" (use
        ``across="commissioner"`` to compare who commissions them). The same holds
        for services with no commissioner under ``"commissioner"``.
    client_group : str or list of str, optional
        Compare only these client groups.
    status : iterable of str, default ("active",)
        The service statuses compared.
    exact : bool, default False
        Measure catchments as polygons and areas by the part inside (see the module
        notes) instead of by the reach matrix.
    catchments : geopandas.GeoSeries or GeoDataFrame, optional
        With ``exact=True``: drawn catchments (polygons) indexed by service id, in
        any CRS (reprojected with a warning), for some or all services; they replace
        the reach from the sites, and the service's footprint still applies. Others
        are drawn from the map. Required for services that reach by minutes.
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    OverlapReport
        ``.table`` has one row per pair, indexed ``(service_a, service_b)`` with
        ``service_a < service_b``, sorted by ``shared_population``, largest first:

        * ``needs``, ``client_groups``: what both meet (tuples);
        * ``provider_a``, ``provider_b``, ``partnerships_a``, ``partnerships_b``,
          ``commissioners_a``, ``commissioners_b``;
        * ``shared_areas``, ``areas_a``, ``areas_b``: areas in both catchments and in
          each;
        * ``shared_population``; ``share_a``, ``share_b``: the shared population as a
          share of the population of each service's catchment;
        * ``need_<need>`` per need in scope with a column in the areas: people with
          the need in the shared areas, NaN where the pair does not share the need;
        * ``capacity_a``, ``capacity_b``, ``capacity_unit`` (missing when the units
          differ), ``combined_capacity`` (NaN when the units differ or a capacity is
          missing);
        * ``capacity_per_1000_need``: the combined capacity per 1,000 people with the
          need in the shared areas, taking the largest of the pair's shared needs
          (the need the two services would share out between them, at worst).

        ``.duplication`` per area, ``.summary()``, ``.explain(pair)``, ``.plot()``.

    Raises
    ------
    ValueError
        For an unknown need, client group, status or ``across``; for ``catchments``
        that are not polygons indexed by service id, or given without ``exact=True``;
        with ``exact=True``, for services reaching by minutes without a drawn
        catchment.

    Notes
    -----
    By the reach matrix, pair sums come from sparse products ``R^T diag(w) R`` (one per
    weight: ones for areas, population, each need over the services listing it), so
    nothing loops over pairs or areas. By geometry, catchments are cut by the areas
    found in an STRtree; areas wholly inside a catchment are not cut (a prepared
    ``contains_properly`` test), and for two catchments only the pieces of the areas
    both cut are intersected. A shared area is one with more than a billionth of it
    inside both catchments.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> ovl = sm.find_overlaps(smap, need="drug", across="partnership")
    >>> ovl.table.index.names
    FrozenList(['service_a', 'service_b'])
    >>> row = ovl.table.iloc[0]
    >>> set(row["partnerships_a"]) & set(row["partnerships_b"])
    set()
    >>> bool(ovl.table[["share_a", "share_b"]].le(1).all(axis=None))
    True
    >>> ovl.duplication.index.equals(smap.areas.index)
    True
    """
    import pandas as pd
    from scipy import sparse

    if across is not None and across not in ACROSS:
        msg = (f"across={across!r}: choose None or one of {', '.join(ACROSS)}."
               f"{did_you_mean(across, ACROSS)}")
        raise ValueError(msg)
    if not isinstance(exact, bool):
        msg = f"exact={exact!r}: give True (by geometry) or False (by the reach matrix)."
        raise ValueError(msg)
    if catchments is not None and not exact:
        msg = ("catchments= gives drawn catchments for exact=True; pass exact=True as "
               "well, or leave catchments= out to use the reach matrix.")
        raise ValueError(msg)
    needs_given = as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    services, areas = smap._services, smap._areas
    keep = counted(smap, status=status)
    if needs_given:
        scope = list(needs_given)
    else:
        listed = set(services["needs"][keep].explode().dropna())
        scope = [t for t in smap.vocabulary.terms("need") if t in listed]
    need_of = listing(services["needs"], scope)
    group_of, group_terms = _groups_ok(services, groups)
    keep &= need_of.any(axis=1) & group_of.any(axis=1)
    cols = np.flatnonzero(keep)
    cols = cols[np.argsort(services.index[cols].to_numpy(dtype=str), kind="stable")]
    ids = services.index[cols]  # in sorted order: position a < b is id a < id b
    m = len(cols)
    pop, pop_missing = _population(areas)
    need_columns = {n: c for n, c in smap.need_columns.items() if n in scope}

    given: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    pieces = None
    if exact:
        if catchments is not None:
            given = _given_catchments(smap, catchments)
        weights, pieces, notes = _fractions(smap, cols, given, max_distance)
        unused = sorted(set(given) - set(ids))
        if unused:
            notes["catchments_unused"] = unused
    else:
        reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
        weights = sparse.csr_array(reach.matrix[:, cols])
    r = sparse.csc_array(weights)
    binary = sparse.csc_array((np.ones(r.nnz), r.indices, r.indptr), shape=r.shape)

    # candidate pairs: catchments touching the same area, then the rules on the pairs
    shared = (binary.T @ binary).tocoo()
    upper = shared.row < shared.col
    a, b = shared.row[upper].astype(np.int64), shared.col[upper].astype(np.int64)
    order = np.argsort(a * m + b)
    a, b = a[order], b[order]
    nd, gr = need_of[cols], group_of[cols]
    both_needs = nd[a] & nd[b]
    both_groups = gr[a] & gr[b]
    lo = services["min_age"].to_numpy(dtype=float, na_value=0.0)[cols]
    hi = services["max_age"].to_numpy(dtype=float, na_value=np.inf)[cols]
    ok = (both_needs.any(axis=1) & both_groups.any(axis=1)
          & (lo[a] <= hi[b]) & (lo[b] <= hi[a]))
    bodies = _bodies(smap, across or "partnership")
    if across is not None:
        ok &= _disjoint(bodies.iloc[cols].reset_index(drop=True), a, b)
    a, b, both_needs, both_groups = a[ok], b[ok], both_needs[ok], both_groups[ok]
    keys = a * m + b

    # what the pairs share, area by area
    size = None
    triples = None
    if exact:
        import shapely

        size = shapely.area(np.asarray(areas.geometry.values))
        triples = _triples(weights, pieces, size, keys)
        pair = np.searchsorted(keys, triples["a"].to_numpy() * m + triples["b"].to_numpy())
        # catchments touching the same area may still share none of it
        present = np.unique(pair)
        a, b, keys = a[present], b[present], keys[present]
        both_needs, both_groups = both_needs[present], both_groups[present]
        pair = np.searchsorted(present, pair)
        triples["pair"] = pair
        frac = triples["fraction"].to_numpy()
        area_of = triples["area"].to_numpy()
        shared_areas = np.bincount(pair, minlength=len(keys))
        shared_pop = np.bincount(pair, frac * pop[area_of], minlength=len(keys))
        need_sums = {n: np.bincount(pair, frac * areas[c].to_numpy(
                         dtype=float, na_value=0.0)[area_of], minlength=len(keys))
                     for n, c in need_columns.items()}
    else:
        shared_areas = _lookup(keys, shared.tocsr(), m)
        shared_pop = _lookup(keys, _weighted(binary, pop), m)
        need_sums = {}
        for n, c in need_columns.items():
            members = np.flatnonzero(nd[:, scope.index(n)])
            d = areas[c].to_numpy(dtype=float, na_value=0.0)
            need_sums[n] = _lookup(keys, _weighted(binary[:, members], d), m,
                                   local=members)
    for n in need_sums:
        need_sums[n] = np.where(both_needs[:, scope.index(n)], need_sums[n], np.nan)

    # per service: catchment areas and population
    catch_areas = np.diff(binary.indptr)
    catch_pop = r.T @ pop
    capacity = services["capacity"].to_numpy(dtype=float, na_value=np.nan)[cols]
    unit = services["capacity_unit"].to_numpy(dtype=object)[cols]
    same_unit = (unit[a] == unit[b]) & pd.notna(unit[a])
    combined = np.where(same_unit, capacity[a] + capacity[b], np.nan)
    if need_sums:
        largest = np.fmax.reduce(np.vstack(list(need_sums.values())), axis=0)
    else:
        largest = np.full(len(keys), np.nan)
    per_1000 = np.divide(combined * 1000, largest, out=np.full(len(keys), np.nan),
                         where=largest > 0)

    partnerships = smap.service_partnerships().to_numpy(dtype=object)[cols]
    commissioners = services["commissioners"].map(tuple).to_numpy(dtype=object)[cols]
    provider = services["provider"].to_numpy(dtype=object)[cols]
    id_array = ids.to_numpy(dtype=object)
    data: dict[str, Any] = {
        "needs": _as_tuples(both_needs, scope),
        "client_groups": _as_tuples(both_groups, group_terms),
        "provider_a": provider[a], "provider_b": provider[b],
        "partnerships_a": partnerships[a], "partnerships_b": partnerships[b],
        "commissioners_a": commissioners[a], "commissioners_b": commissioners[b],
        "shared_areas": np.asarray(shared_areas).round().astype(np.int64),
        "areas_a": catch_areas[a].astype(np.int64),
        "areas_b": catch_areas[b].astype(np.int64),
        "shared_population": shared_pop,
        "share_a": np.divide(shared_pop, catch_pop[a], out=np.full(len(a), np.nan),
                             where=catch_pop[a] > 0),
        "share_b": np.divide(shared_pop, catch_pop[b], out=np.full(len(b), np.nan),
                             where=catch_pop[b] > 0),
    }
    for n in scope:
        if n in need_sums:
            data[need_columns[n]] = need_sums[n]
    data.update({
        "capacity_a": capacity[a], "capacity_b": capacity[b],
        "capacity_unit": pd.array(np.where(same_unit, unit[a], None), dtype=object),
        "combined_capacity": combined, "capacity_per_1000_need": per_1000})
    index = pd.MultiIndex.from_arrays([id_array[a], id_array[b]],
                                      names=["service_a", "service_b"])
    table = pd.DataFrame(data, index=index)
    rank = np.lexsort((np.arange(len(table)), -np.nan_to_num(shared_pop, nan=-1.0)))
    table = table.iloc[rank]
    if triples is not None:
        where = np.empty(len(rank), dtype=np.int64)
        where[rank] = np.arange(len(rank))
        triples["pair"] = where[triples["pair"].to_numpy()]

    # per area: services and pairs of the report overlapping there
    if exact:
        pair_areas = np.bincount(triples["area"].to_numpy(), minlength=len(areas))
        svc_keys = np.unique(np.r_[triples["area"].to_numpy() * m + triples["a"].to_numpy(),
                                   triples["area"].to_numpy() * m + triples["b"].to_numpy()])
        svc_areas = np.bincount(svc_keys // max(m, 1), minlength=len(areas))
    else:
        adj = sparse.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])),
                               shape=(m, m))
        rr = sparse.csr_array(weights)
        partners = sparse.csr_array(rr.multiply(rr @ adj))
        svc_areas = np.diff(partners.indptr)
        pair_areas = np.asarray(partners.sum(axis=1)).ravel() / 2
    duplication = pd.DataFrame({
        "services": svc_areas.astype(np.int64),
        "pairs": np.round(pair_areas).astype(np.int64),
        "duplication": np.maximum(svc_areas - 1, 0).astype(np.int64)}, index=areas.index)

    mode = ("by geometry (area-weighted)" if exact
            else "by the reach matrix (whole areas)")
    attrs: dict[str, Any] = {
        "need": tuple(scope), "client_group": groups or None, "status": as_tuple(status),
        "across": across, "mode": mode, "exact": exact,
        "max_distance": max_distance, "max_minutes": max_minutes,
        "services_compared": m, "pairs": len(table),
        "capacity_per_1000_need": ("combined capacity (same unit only) per 1,000 "
                                   "people with the largest of the pair's shared "
                                   "needs in the shared areas"),
        "no_need_column": [n for n in scope if n not in need_columns],
        "population_missing": pop_missing, **notes}
    table.attrs.update({k: v for k, v in attrs.items() if k != "pairs"})
    kinds = _kind_labels(bodies.iloc[cols], across or "partnership")
    detail = _Detail(areas=areas, services=services, ids=ids,
                     weights=sparse.csr_array(binary if not exact else weights),
                     needs=tuple(scope), need_columns=need_columns, kinds=kinds,
                     exact=exact, triples=triples)
    return OverlapReport(table=table, duplication=duplication, attrs=attrs,
                         _detail=detail)
