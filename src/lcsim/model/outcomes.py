"""What is measured each month, and the run's summary.

The dimensions follow the practice literature's sustainability factors (Rogers & Coates
2015): motivation (engagement), capacity, linkages (ties, cross-sector share), resources
(the convener's intensity), plus ownership (local hosting) and leadership.
"""

from __future__ import annotations

import numpy as np

from .kernels import network_measures
from .kernels.programme import group_counts, group_networks, group_sums, with_union

NAN = float("nan")
NO_ROWS = np.empty(0, np.int64)

# Columns of the monthly table that are numbers (reported through Mesa's DataCollector too).
REPORTED = (
    "alive", "convener_intensity", "convener_reach", "handover", "meeting", "quorate", "attendance", "active_members",
    "joined", "left", "ties", "density", "cross_sector_share", "ei_index", "largest_component_share",
    "leaders", "mean_engagement", "mean_capacity", "replications", "local_hosting_share",
    "communities_alive", "organisations_active",
)
# Columns whose last value goes into the summary.
FINAL = (
    "active_members", "ties", "density", "cross_sector_share", "ei_index", "largest_component_share",
    "leaders", "mean_engagement", "mean_capacity", "replications", "local_hosting_share",
    "communities_alive", "organisations_active",
)


def _network(model, group) -> tuple[int, int, int, int]:
    """(ties, of them across sectors, ties from its members to organisations outside it, largest
    connected group) among the members of `group` taken together; cached on the community (one) or
    the model (several) until the ties or their memberships change."""
    if len(group) == 1:
        return group[0].measures()
    ties = model.ties
    key = (ties.version, tuple(c.version for c in group))
    cached = getattr(model, "_network_cache", None)
    if cached is None or cached[0] != key:
        mask = np.zeros(len(model.members), bool)
        for c in group:
            mask[c.member_rows()] = True
        cached = model._network_cache = (key, *network_measures(ties.a, ties.b, model.members.sector, mask,
                                                                 np.flatnonzero(mask)))
    return cached[1:]


def group_record(model, group, convener, replications: int, left: int) -> tuple[dict, int]:
    """The measures of a group of communities taken together as one network (its members' ties
    among themselves), with `convener` the one whose effort is reported; and its ties to
    organisations outside it."""
    if len(group) == 1:
        return _community_record(model, group[0], convener, replications, left)
    m = model.members
    # Who is a member, who leads and how engaged they are change only when members take stock or the
    # membership changes: computed then, kept on the model, reused between.
    key = (tuple(c.version for c in group), model.stock_takes, len(m))
    if getattr(model, "_rows_stats", None) is None or model._rows_stats[0] != key:
        rows = np.unique(np.concatenate([c.member_rows() for c in group]))  # an organisation in several counts once
        n = len(rows)
        model._rows_stats = (key, rows, n, int(np.count_nonzero(m.leader[rows])),
                             float(m.engagement[rows].sum()) / n if n else 0.0)
    _, rows, n, leaders, engagement = model._rows_stats
    e, cross, across, largest = _network(model, group)
    local = sum(c.meetings["leader"] + c.meetings["digital"] for c in group)
    kinds = {c.host.kind for c in group if c.host is not None}
    return _record(
        convener, n, (e, cross, largest), leaders, engagement, _mean(model, rows, n), replications, left,
        alive=any(c.alive for c in group),
        host_kind="none" if not kinds else kinds.pop() if len(kinds) == 1 else "mixed",
        # Which organisation hosted (-1: the convener, the channel, or no meeting); of several, the first's.
        host_member=next((c.host.row for c in group if c.host is not None and c.host.local), -1),
        quorate=any(c.quorate for c in group), attendance=sum(len(c.attended) for c in group),
        joined=sum(c.joined for c in group), local=local,
        meetings=local + sum(c.meetings["convener"] for c in group)), across


def _community_record(model, c, convener, replications: int, left: int) -> tuple[dict, int]:
    """`group_record` of one community, without the loops over a group (records are taken for every
    community every month: issue 23). The same values, of the same types, as the general path."""
    m = model.members
    if c.dissolved_month is not None:  # no members (dissolving removed them all): no network, nothing to average
        rows, n, leaders, engagement, (e, cross, across, largest) = NO_ROWS, 0, 0, 0.0, (0, 0, 0, 0)
    else:
        key = (c.version, model.stock_takes, len(m))
        stats = c._rows_stats
        if stats is None or stats[0] != key:
            rows = c.member_rows()
            n = len(rows)
            stats = c._rows_stats = (key, rows, n, int(np.count_nonzero(m.leader[rows])),
                                     float(m.engagement[rows].sum()) / n if n else 0.0)
        _, rows, n, leaders, engagement = stats
        e, cross, across, largest = c.measures()
    held, host = c.meetings, c.host
    local = 0 + (held["leader"] + held["digital"])  # 0 + : the type `sum` gives in the general path
    return _record(
        convener, n, (e, cross, largest), leaders, engagement, _mean(model, rows, n), replications, left,
        alive=c.alive, host_kind="none" if host is None else host.kind,
        host_member=host.row if host is not None and host.local else -1,
        quorate=bool(c.quorate), attendance=len(c.attended), joined=0 + c.joined, local=local,
        meetings=local + (0 + held["convener"])), across


def _mean(model, rows, n) -> float:
    """The mean capacity of `rows` (n of them; 0 for none)."""
    return float(model.members.capacity[rows].sum()) / n if n else 0.0


def _record(convener, n, network, leaders, engagement, capacity, replications, left, *, alive, host_kind,
            host_member, quorate, attendance, joined, local, meetings) -> dict:
    """The record's fields from a group's (or one community's) counts: the one place its measures are computed."""
    e, cross, largest = network
    return {
        "alive": alive,
        "convener_intensity": convener.intensity,
        "convener_reach": convener.reach,
        "handover": convener.handover,
        "meeting": host_kind != "none",
        "host": host_kind,
        "host_member": host_member,
        "quorate": quorate,
        "attendance": attendance,
        "active_members": n,
        "joined": joined,
        "left": left,
        "ties": e,
        # A community with no members has no network: its tie measures are undefined (NaN), not 0.
        "density": (2.0 * e / (n * (n - 1)) if n > 1 else 0.0) if n else NAN,
        "cross_sector_share": (cross / e if e else 0.0) if n else NAN,
        # Krackhardt's E-I index: +1 all ties across sectors, -1 all within.
        "ei_index": ((2 * cross - e) / e if e else 0.0) if n else NAN,
        "largest_component_share": largest / n if n else NAN,
        "leaders": leaders,
        "mean_engagement": engagement,
        "mean_capacity": capacity,
        "replications": replications,
        "local_hosting_share": local / meetings if meetings else 0.0,
    }


def month_record(model, group: dict | None = None) -> dict:
    """The programme's month: the convened communities taken together as one network (with one
    community: that community), plus how many communities are alive and started by members.
    `group`: their measures (`group_record`), where the caller has them already."""
    if group is None:
        group, _ = group_record(model, model.convened, model.convener, model.replications, model.left)
    communities = model.communities
    return {"month": model.month, **group,
            "communities_alive": int(sum(c.alive for c in communities)),
            "organisations_active": int(np.count_nonzero(model.members.active))}


def community_record(model, c, measured: tuple | None = None) -> dict:
    """One community's month: who it is, its measures as the programme's monthly table has them,
    its meetings so far, and its ties across to organisations outside it. `measured`: its
    (`group_record`, ties across), where the caller has them already."""
    group, across = measured if measured is not None else group_record(model, [c], c.convener, c.children, c.left)
    held = c.meetings
    local = held["leader"] + held["digital"]
    return {"month": model.month, "community": c.index, "origin": c.origin, "parent": c.parent,
            "founder": c.founder, "started": c.started, **group, "replications": c.children, "left": c.left,
            "meetings": held["convener"] + local, "local_meetings": local, "ties_across": across}


def _programme_measures(model) -> tuple[list, list, list, list, list, list]:
    """Per live community (in index order), and last the convened communities taken together where there are
    several: (members, leaders, engagement sum, capacity sum, network measures, rows) for each, each measure in
    one kernel call over all of them (kernels.programme). Members, leaders and engagement change only when
    members take stock or a membership changes, the network only when the ties or a membership change:
    computed then, kept on the model, reused between; capacity changes monthly."""
    m, ties = model.members, model.ties
    cache = model._measures
    if cache.get("groups", (None,))[0] != model.memberships:
        live, offsets, rows = model._live()
        if sum(c.origin == "convened" for c in model.communities) > 1:  # the programme's own group, in which
            chosen = np.array([c.origin == "convened" for c in live], bool)  # an organisation in several counts once
            offsets, rows = with_union(offsets, rows, chosen, len(m))
        cache.clear()
        bounds = offsets.tolist()
        cache["groups"] = (model.memberships, offsets, rows, [end - start for start, end in zip(bounds, bounds[1:])])
    _, offsets, rows, sizes = cache["groups"]
    key = (model.stock_takes, len(m))
    if cache.get("stats", (None,))[0] != key:
        cache["stats"] = (key, group_counts(offsets, rows, m.leader).tolist(),
                          group_sums(offsets, rows, m.engagement).tolist())
    if cache.get("network", (None,))[0] != ties.version:
        cache["network"] = (ties.version, group_networks(ties.a, ties.b, m.sector, offsets, rows, len(m)).tolist())
    _, leaders, engagement = cache["stats"]
    return sizes, leaders, engagement, group_sums(offsets, rows, m.capacity).tolist(), cache["network"][1], \
        (offsets, rows)


def _host_fields(host) -> tuple[str, int]:
    return ("none", -1) if host is None else (host.kind, host.row if host.kind == "leader" else -1)


def records(model) -> tuple[dict, list[dict]]:
    """This month's programme record and one record per community: what `month_record` and
    `community_record` give, of the same values and types, with every community's measures from one
    kernel call each (records are taken for every community every month: issue 23). A dissolved
    community's record changes only in its month and its convener's effort, so it is kept and copied."""
    month, communities = model.month, model.communities
    sizes, leaders, engagement, capacity, network, (offsets, rows) = _programme_measures(model)
    convened = [c for c in communities if c.origin == "convened"]
    single = convened[0] if len(convened) == 1 else None
    first = None
    out = []
    k = 0  # its place among the live communities
    # the convened taken together: alive, host kinds, first local host, quorate, attendance, joined, local, meetings
    g_alive, kinds, g_host, g_quorate, g_attendance, g_joined, g_local, g_meetings = False, set(), -1, False, 0, 0, 0, 0
    for c in communities:
        conv, held, host = c.convener, c.meetings, c.host
        local = held["leader"] + held["digital"]
        if c.dissolved_month is None:
            # `_record`'s fields written out in one dict (the hot path: every live community, every month)
            n = sizes[k]
            e, cross, across, largest = network[k]
            kind, host_member = _host_fields(host)
            quorate, attendance, joined = bool(c.quorate), len(c.attended), 0 + c.joined
            intensity, reach, handover = conv.intensity, conv.reach, conv.handover
            meetings = local + (0 + held["convener"])
            if n:
                density = 2.0 * e / (n * (n - 1)) if n > 1 else 0.0
                cross_share, ei = (cross / e, (2 * cross - e) / e) if e else (0.0, 0.0)
                largest_share, mean_e, mean_c = largest / n, engagement[k] / n, capacity[k] / n
            else:
                density = cross_share = ei = largest_share = NAN
                mean_e = mean_c = 0.0
            hosting_share = local / meetings if meetings else 0.0
            record = {"month": month, "community": c.index, "origin": c.origin, "parent": c.parent,
                      "founder": c.founder, "started": c.started, "alive": True, "convener_intensity": intensity,
                      "convener_reach": reach, "handover": handover, "meeting": kind != "none", "host": kind,
                      "host_member": host_member, "quorate": quorate, "attendance": attendance, "active_members": n,
                      "joined": joined, "left": c.left, "ties": e, "density": density,
                      "cross_sector_share": cross_share, "ei_index": ei, "largest_component_share": largest_share,
                      "leaders": leaders[k], "mean_engagement": mean_e, "mean_capacity": mean_c,
                      "replications": c.children, "local_hosting_share": hosting_share,
                      "meetings": held["convener"] + local, "local_meetings": local, "ties_across": across}
            if c is single:
                first = ({"alive": True, "convener_intensity": intensity, "convener_reach": reach,
                          "handover": handover, "meeting": kind != "none", "host": kind, "host_member": host_member,
                          "quorate": quorate, "attendance": attendance, "active_members": n, "joined": joined,
                          "left": model.left, "ties": e, "density": density, "cross_sector_share": cross_share,
                          "ei_index": ei, "largest_component_share": largest_share, "leaders": leaders[k],
                          "mean_engagement": mean_e, "mean_capacity": mean_c, "replications": model.replications,
                          "local_hosting_share": hosting_share}, across)
            k += 1
            if c.origin == "convened":
                g_alive = True
                if host is not None:
                    kinds.add(host.kind)
                    if g_host < 0 and host.local:
                        g_host = host.row
                g_quorate |= quorate
                g_attendance += attendance
                g_joined += c.joined
                g_local += local
                g_meetings += held["convener"]
            out.append(record)
            continue
        elif host is None and not c.left and not c.joined and not c.quorate and not len(c.attended):
            row = c._dead_record
            if row is None:
                row = c._dead_record = community_record(model, c)
            row = row.copy()
            row["month"] = month
            row["convener_intensity"], row["convener_reach"], row["handover"] = conv.intensity, conv.reach, \
                conv.handover
            out.append(row)
            if c is single:
                first = _community_record(model, c, conv, model.replications, model.left)
            elif c.origin == "convened":  # the meetings it held count for the convened together
                g_local += local
                g_meetings += held["convener"]
            continue
        else:  # the month it dissolved
            group, across = _community_record(model, c, conv, c.children, c.left)
            if c is single:
                first = _community_record(model, c, conv, model.replications, model.left)
        if c.origin == "convened":
            g_alive |= c.dissolved_month is None
            if host is not None:
                kinds.add(host.kind)
                if g_host < 0 and host.local:
                    g_host = host.row
            g_quorate |= bool(c.quorate)
            g_attendance += len(c.attended)
            g_joined += c.joined
            g_local += local
            g_meetings += held["convener"]
        out.append({"month": month, "community": c.index, "origin": c.origin, "parent": c.parent,
                    "founder": c.founder, "started": c.started, **group, "replications": c.children,
                    "left": c.left, "meetings": held["convener"] + local, "local_meetings": local,
                    "ties_across": across})
    if first is None:  # several convened communities: their measures as one network
        n = sizes[k]
        e, cross, _, largest = network[k]
        first = (_record(model.convener, n, (e, cross, largest), leaders[k], engagement[k] / n if n else 0.0,
                         capacity[k] / n if n else 0.0, model.replications, model.left, alive=g_alive,
                         host_kind="none" if not kinds else kinds.pop() if len(kinds) == 1 else "mixed",
                         host_member=g_host, quorate=g_quorate, attendance=g_attendance, joined=g_joined,
                         local=g_local, meetings=g_local + g_meetings), 0)
    return {"month": month, **first[0], "communities_alive": k,
            "organisations_active": int(np.count_nonzero(model.members.active))}, out


def summarize(model) -> dict:
    """One row per run: did it survive, for how long after exit, and where it ended up.

    `survived`: at least one convened community is alive at the horizon (with one community: it
    is). The keys of the one-community model describe the convened communities taken together;
    the programme's keys (communities_ever ... share_alive) count every community, replicated
    ones included. Works from the model's monthly records, so a sweep that keeps only summaries
    never builds a monthly table.
    """
    p, records = model.p, model.records
    exit_month = model.exit_month_actual
    dissolved = model.dissolved_month
    survived = dissolved is None
    alive_after = p["months"] - exit_month if survived else max(0, dissolved - exit_month)
    communities = model.communities
    replicated = [c for c in communities if c.origin == "replicated"]
    summary = {
        "survived": survived,
        "months_alive_after_exit": int(alive_after),
        "censored": survived,  # alive at the horizon: its true survival time is longer
        "dissolved_month": dissolved,
        "meetings": sum(r["meeting"] for r in records),
        "meetings_after_exit": sum(r["meeting"] for r in records if r["month"] > exit_month),
        "leaders_ever": len(model.leaders_ever),
        "peak_members": max(r["active_members"] for r in records),
        # What the plan cost: months of the convener's full effort (intensity summed over months).
        "convener_months": float(sum(r["convener_intensity"] for r in records[1:])),
        "reached_max_members": bool(model.reached_max_members),
        "communities_ever": len(communities),
        "convened_alive": sum(c.alive for c in model.convened),
        "replications_alive": sum(c.alive for c in replicated),
        "replications_capped": int(model.replications_capped),
        "share_alive": sum(c.alive for c in communities) / len(communities),
        "top_host_share_after_exit": top_host_share(model.convened),
    }
    last = records[-1]
    summary.update({name: last[name] for name in FINAL})
    return summary


def top_host_share(communities) -> float:
    """Of the meetings members hosted after the exit month, the share its most frequent host held,
    averaged over the communities that had any (NaN: none did). 1 means one organisation hosted every
    one: hosting did not rotate."""
    shares = [max(c.hosts_after_exit.values()) / sum(c.hosts_after_exit.values())
              for c in communities if c.hosts_after_exit]
    return float(np.mean(shares)) if shares else NAN


# --- the outcomes table (what each summary key is, for every table, figure and sentence) lives in
# lcsim.outcomes, so the analysis reads it without importing the model.
from ..outcomes import KINDS, OUTCOMES, Outcome  # noqa: E402, F401
