"""The referral search: fewest hand-offs, then least wait, for many rows at once.

A core on arrays, with no map in it, so that pathways, scenarios and merge options
can run the same search. Services are positions ``0 .. n_services - 1``; pathways
are positions ``0 .. n_pathways - 1``; a **row** is whatever a search is run for (an
area, or an area without one of its services), and ``allowed`` says which services
take each row's residents.

Two steps::

    graph = referral_graph(to, frm, from_entry, keep, wait, rank)   # arrays in
    found = search(allowed, graph, target)                          # arrays out

* :func:`referral_graph` takes, per pathway, the service it refers to (``to``), the
  service it comes from (``frm``, -1 for an entry point), whether it leaves one of
  the entry points searched from (``from_entry``), its typical wait (``wait``, NaN
  where not recorded, counted as 0) and its order among equal waits (``rank``), and,
  per service, whether it counts (``keep``); it returns a :class:`ReferralGraph`,
  the first hand-offs and the onward hand-offs in CSR form by from-service.
* :func:`search` takes ``allowed`` (a rows x services boolean CSR array), the graph
  and ``target`` (per service: is it treatment?) and returns a :class:`Found`: per
  row, the hand-offs of the best chain (0 where there is none), its total wait,
  whether a wait on it was not recorded, how many services the entry leads to that
  take the row's residents, and the chains as pathway positions.

The search is breadth-first from the entry points, for every row at once: a level
is every (row, service) pair first reached with that many hand-offs, keeping the
least wait (then the least ``rank``) per pair. It is exact: a shortest chain to a
service only passes through services at their own shortest distance, so the least
wait at each distance is all that needs keeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from servicemap.geography import expand_blocks, in_sorted

__all__ = ["Found", "ReferralGraph", "backtrack", "first_per_key", "referral_graph",
           "search"]


@dataclass(frozen=True, eq=False)
class ReferralGraph:
    """Pathways between services that count, as arrays over positions."""

    n_services: int
    first_to: np.ndarray        # first hand-offs (from an entry searched): to-service
    first_edge: np.ndarray      # ... and their pathway positions
    indptr: np.ndarray          # onward hand-offs, CSR by from-service
    to: np.ndarray              # ... to-service
    edge: np.ndarray            # ... pathway position
    wait: np.ndarray            # per pathway: the wait used for ordering (0 if unknown)
    wait_unknown: np.ndarray    # per pathway: the wait is not recorded
    rank: np.ndarray            # per pathway: the order among equal waits


def referral_graph(to: np.ndarray, frm: np.ndarray, from_entry: np.ndarray,
                   keep: np.ndarray, wait: np.ndarray, rank: np.ndarray,
                   ) -> ReferralGraph:
    """Return the hand-offs from the entries and between the services that count.

    Parameters
    ----------
    to, frm : numpy.ndarray of int
        Per pathway, the positions of the service referred to and referred from; -1
        where there is none (``frm`` of a pathway from an entry point) or it is not
        in the map.
    from_entry : numpy.ndarray of bool
        Per pathway, whether it leaves one of the entry points searched from.
    keep : numpy.ndarray of bool
        Per service, whether it counts (a hand-off to or from one that does not is
        left out).
    wait : numpy.ndarray of float
        Per pathway, the typical wait in days; NaN where not recorded (counted as 0,
        and flagged in :attr:`Found.wait_unknown`).
    rank : numpy.ndarray of int
        Per pathway, its order among chains of equal length and wait (lowest first).

    Returns
    -------
    ReferralGraph

    Examples
    --------
    >>> g = referral_graph(to=np.array([0, 1]), frm=np.array([-1, 0]),
    ...                    from_entry=np.array([True, False]),
    ...                    keep=np.array([True, True]), wait=np.array([2.0, np.nan]),
    ...                    rank=np.array([0, 1]))
    >>> g.first_to.tolist(), g.indptr.tolist(), g.to.tolist()
    ([0], [0, 1, 1], [1])
    >>> g.wait.tolist(), g.wait_unknown.tolist()
    ([2.0, 0.0], [False, True])
    """
    n_services = len(keep)
    unknown = np.isnan(wait)
    ok_to = (to >= 0) & keep[np.maximum(to, 0)]
    first = np.flatnonzero(from_entry & ok_to)
    onward = np.flatnonzero((frm >= 0) & keep[np.maximum(frm, 0)] & ok_to)
    onward = onward[np.lexsort((onward, frm[onward]))]
    indptr = np.zeros(n_services + 1, dtype=np.int64)
    np.cumsum(np.bincount(frm[onward], minlength=n_services), out=indptr[1:])
    return ReferralGraph(n_services, to[first], first, indptr, to[onward], onward,
                         np.where(unknown, 0.0, wait), unknown, rank)


def first_per_key(keys: np.ndarray, *order: np.ndarray) -> np.ndarray:
    """Return the position of the first row of each key, rows ordered by ``order``.

    Examples
    --------
    >>> first_per_key(np.array([4, 2, 4]), np.array([5.0, 1.0, 3.0])).tolist()
    [1, 2]
    """
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    idx = np.lexsort((*reversed(order), keys))
    k = keys[idx]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    return idx[first]


@dataclass
class Found:
    """Per row of a search: hand-offs to the target (0: none), wait, and the chain."""

    hand_offs: np.ndarray
    wait: np.ndarray
    wait_unknown: np.ndarray
    reached: np.ndarray                       # services reached from the entry
    chains: list[np.ndarray] = field(default_factory=list)  # per length, rows x edges
    chain_rows: list[np.ndarray] = field(default_factory=list)


def search(allowed: sparse.csr_array, graph: ReferralGraph, target: np.ndarray, *,
           record: bool = True) -> Found:
    """Fewest hand-offs, then least wait, from the entries to a target, per row.

    Parameters
    ----------
    allowed : scipy.sparse.csr_array of bool
        Rows x services: which services take each row's residents.
    graph : ReferralGraph
        From :func:`referral_graph`.
    target : numpy.ndarray of bool
        Per service, whether reaching it ends the chain.
    record : bool, default True
        Keep the chains (pathway positions); without, only the figures per row.

    Returns
    -------
    Found
        ``chains[k]`` holds the chains ending at ``chain_rows[k]`` (rows x steps),
        one array per chain length found.

    Examples
    --------
    >>> g = referral_graph(to=np.array([0, 1]), frm=np.array([-1, 0]),
    ...                    from_entry=np.array([True, False]),
    ...                    keep=np.array([True, True]), wait=np.array([2.0, 3.0]),
    ...                    rank=np.array([0, 1]))
    >>> allowed = sparse.csr_array(np.array([[True, True], [True, False]]))
    >>> found = search(allowed, g, target=np.array([False, True]))
    >>> found.hand_offs.tolist(), found.wait.tolist()  # row 1: service 1 turns it away
    ([2, 0], [5.0, nan])
    >>> found.chains[0].tolist(), found.chain_rows[0].tolist()
    ([[0, 1]], [0])
    """
    n_rows, n_s = allowed.shape
    allowed_keys = (np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(allowed.indptr))
                    * n_s + allowed.indices)
    allowed_keys.sort()
    found = Found(np.zeros(n_rows, dtype=np.int64), np.full(n_rows, np.nan),
                  np.zeros(n_rows, dtype=bool), np.zeros(n_rows, dtype=np.int64))
    # level 1: every first hand-off, for every row its service takes
    csc = allowed.tocsc()
    cells, pick = expand_blocks(graph.first_to, csc.indptr[:-1], np.diff(csc.indptr))
    row = csc.indices[cells].astype(np.int64)
    svc, edge = graph.first_to[pick], graph.first_edge[pick]
    w, unk = graph.wait[edge], graph.wait_unknown[edge]
    pred = np.full(len(row), -1, dtype=np.int64)
    visited = np.zeros(0, dtype=np.int64)
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    level = 1
    while len(row):
        key = row * n_s + svc
        first = first_per_key(key, w, graph.rank[edge])
        row, svc, w, unk, edge, pred, key = (a[first] for a in
                                             (row, svc, w, unk, edge, pred, key))
        visited = np.union1d(visited, key)
        found.reached += np.bincount(row, minlength=n_rows)
        if record:
            levels.append((key, pred, edge))   # key is sorted (unique, lexsorted)
        hit = np.flatnonzero(target[svc])
        if len(hit):
            best = hit[first_per_key(row[hit], w[hit], graph.rank[edge[hit]])]
            done = row[best]
            found.hand_offs[done] = level
            found.wait[done] = w[best]
            found.wait_unknown[done] = unk[best]
            if record:
                found.chains.append(backtrack(levels, key[best]))
                found.chain_rows.append(done)
            going = found.hand_offs[row] == 0
            row, svc, w, unk, edge, key = (a[going] for a in (row, svc, w, unk, edge, key))
        # onward hand-offs
        e, rep = expand_blocks(svc, graph.indptr[:-1], np.diff(graph.indptr))
        row, pred = row[rep], key[rep]
        svc, edge = graph.to[e], graph.edge[e]
        w = w[rep] + graph.wait[edge]
        unk = unk[rep] | graph.wait_unknown[edge]
        new = row * n_s + svc
        ok = in_sorted(new, allowed_keys) & ~in_sorted(new, visited)
        row, svc, edge, w, unk, pred = (a[ok] for a in (row, svc, edge, w, unk, pred))
        level += 1
    return found


def backtrack(levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
              keys: np.ndarray) -> np.ndarray:
    """Return the pathway positions of the chains ending at ``keys`` (rows x steps).

    ``levels[k]`` holds, for level ``k + 1`` of a search, the sorted ``row *
    n_services + service`` keys reached, the key each came from and its pathway.

    Examples
    --------
    >>> levels = [(np.array([0]), np.array([-1]), np.array([7])),
    ...           (np.array([1]), np.array([0]), np.array([9]))]
    >>> backtrack(levels, np.array([1])).tolist()
    [[7, 9]]
    """
    out = np.zeros((len(keys), len(levels)), dtype=np.int64)
    cur = keys
    for k in range(len(levels) - 1, -1, -1):
        lk, lp, le = levels[k]
        pos = np.searchsorted(lk, cur)
        out[:, k] = le[pos]
        cur = lp[pos]
    return out
