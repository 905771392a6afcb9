"""Compiled kernels for the few loops that array calls cannot express cheaply, one module per mechanism:
`ties` (the edge list, embeddedness, connected groups), `encounters` (who meets whom at a meeting), `meeting`
(a whole meeting's encounters in one call, drawing from its stream) and `members` (capacity, complementarity,
newcomers).

numba compiles them on first use and caches the machine code on disk (`cache=True`), so `lcsim run`
and sweep workers pay the compilation once per installation, not per process. Each kernel has a
NumPy twin (`_<name>_py`) that gives the same answer (tests check they agree), used if numba is unavailable.
"""

from __future__ import annotations

from .compile import njit
from .encounters import (
    _across_sectors_py,
    _friends_of_friends_py,
    _pair_up_py,
    _renew_candidates_py,
    _renew_py,
    _same_sector_partners_py,
    _with_contacts_py,
    across_sectors,
    friends_of_friends,
    pair_up,
    renew,
    renew_candidates,
    same_sector_partners,
    with_contacts,
)
from .meeting import _attend_py, _gather_py, _hold_meeting_at_py, _meet_py, attend, gather, hold_meeting_at, meet
from .members import (
    _add_members_at_py,
    _balanced_agenda_py,
    _complementarity_py,
    _fading_py,
    _grow_py,
    _hosting_candidates_py,
    _hosting_odds_py,
    _leaders_taking_stock_py,
    _newcomers_py,
    _place_members_py,
    _ready_founders_py,
    _ready_to_lead_py,
    _sector_sums_py,
    _step_down_py,
    _volunteer_at_py,
    add_members_at,
    balanced_agenda,
    complementarity,
    fading,
    grow,
    hosting_candidates,
    hosting_odds,
    leaders_taking_stock,
    newcomers,
    place_members,
    ready_founders,
    ready_to_lead,
    sector_sums,
    step_down,
    volunteer_at,
)
from .rng import generator_of, handle_of
from .ties import (
    _adjacency_py,
    _append_ties_py,
    _common_contacts_py,
    _decay_py,
    _embeddedness_py,
    _keep_ties_py,
    _largest_component_py,
    _merge_contacts_py,
    _network_measures_py,
    _per_member_py,
    _sort_ties_py,
    adjacency,
    append_ties,
    decay,
    embeddedness,
    keep_ties,
    largest_component,
    merge_contacts,
    network_measures,
    per_member,
    sort_ties,
)

if njit is not None:
    from .ties import _embeddedness_bits, _embeddedness_marks


__all__ = [
    "across_sectors", "add_members_at", "adjacency", "append_ties", "attend", "balanced_agenda", "complementarity",
    "decay", "embeddedness", "fading", "friends_of_friends", "gather", "generator_of", "grow", "handle_of",
    "hold_meeting_at", "hosting_candidates", "hosting_odds", "keep_ties", "largest_component",
    "leaders_taking_stock", "meet", "merge_contacts", "network_measures", "newcomers", "pair_up", "per_member",
    "place_members", "ready_founders", "ready_to_lead", "renew", "renew_candidates", "same_sector_partners",
    "sector_sums", "sort_ties", "step_down", "volunteer_at", "with_contacts",
    "_across_sectors_py", "_add_members_at_py", "_adjacency_py", "_append_ties_py", "_attend_py",
    "_balanced_agenda_py", "_common_contacts_py", "_complementarity_py", "_decay_py", "_embeddedness_py",
    "_fading_py", "_friends_of_friends_py", "_gather_py", "_grow_py", "_hold_meeting_at_py",
    "_hosting_candidates_py", "_hosting_odds_py", "_keep_ties_py", "_largest_component_py",
    "_leaders_taking_stock_py", "_meet_py", "_merge_contacts_py", "_network_measures_py", "_newcomers_py",
    "_pair_up_py", "_per_member_py", "_place_members_py", "_ready_founders_py", "_ready_to_lead_py",
    "_renew_candidates_py", "_renew_py", "_same_sector_partners_py", "_sector_sums_py", "_sort_ties_py",
    "_step_down_py", "_volunteer_at_py", "_with_contacts_py",
]
if njit is not None:
    __all__ += ["_embeddedness_bits", "_embeddedness_marks"]
