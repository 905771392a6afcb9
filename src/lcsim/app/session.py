"""The session record: what the room saw, saved as JSON, reopened, and turned into a debriefing page.

A record is a list of scenes (one community, two plans, or a branch), each with its runs' specs
(preset, parameters, seed, the months the convener stepped back) and the months shown, in the
order they were shown. The model is deterministic, so the specs are enough to re-simulate every
picture: `lcsim app --replay FILE` reopens the last scene where the session left it, and
`lcsim report --session FILE` writes `debrief_html(...)`, a self-contained page (figures inlined).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from ..pages import Markup, document, element, fill, image, join, rows
from ..scenarios import scenario_params
from .charts import RUN_COLOURS, Charts
from .limits import Limits
from .live import plural, show, start_settings
from .network import NetworkPicture, legend_items, title
from .record import FORMAT, VERSION, read
from .room import SINGLE, TWO_PLANS, Room, replay_runs

ENV_REPLAY = "LCSIM_APP_REPLAY"  # `lcsim app --replay FILE` passes the file to the page this way


def start_room(environ=os.environ) -> Room:
    """The room the page opens on: a replayed session, or the command line's community at month 0, within
    the trainer's limits (`lcsim app --max-members ...`, passed in the environment)."""
    limits = Limits.from_env(environ)
    path = environ.get(ENV_REPLAY)
    if path:
        return Room.replay(load_session(path)["scenes"], limits)
    preset, settings, seed = start_settings(environ)
    room = Room(preset, settings, seed, limits=limits)
    room.start()
    return room


def session_record(room: Room) -> dict:
    from .. import __version__

    return {"format": FORMAT, "version": VERSION, "lcsim": __version__,
            "saved": datetime.now(UTC).isoformat(timespec="seconds"), "scenes": room.record()}


def session_json(room: Room) -> str:
    return json.dumps(session_record(room), indent=1)


def load_session(path) -> dict:
    """A session record read, checked against its schema (record.py) and rebuilt from the checked values;
    a bad file is one clear line (UsageError)."""
    return read(path)


def months_shown(shown: list[int]) -> str:
    """E.g. [0, 1, 2, 3, 12, 13, 2, 3] -> "0-3, 12-13, back to 2-3"."""
    segments = [[shown[0], shown[0]]]
    for month in shown[1:]:
        if month == segments[-1][1] + 1:
            segments[-1][1] = month
        else:
            segments.append([month, month])
    parts = []
    for k, (start, end) in enumerate(segments):
        text = f"{start}-{end}" if end != start else f"{start}"
        parts.append(("back to " if k and start < segments[k - 1][1] else "") + text)
    return ", ".join(parts)


STYLE = ("body{font-family:system-ui,sans-serif;max-width:1500px;margin:24px auto;padding:0 16px;color:#222}"
         "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}"
         ".row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}figure{margin:0}"
         "figcaption{font-size:14px;color:#444;max-width:560px}.legend{font-size:14px;color:#444}")


def debrief_html(record: dict) -> str:
    """The debriefing page of a session: every scene, its settings, what was shown, and the pictures
    at the furthest month shown (re-simulated from the record). Written by `lcsim.pages`: every string
    is escaped, and `record` is one `load_session` checked."""
    scenes = record["scenes"]
    body = [Markup("<h1>Session debrief</h1>"),
            fill("<p>Saved {} by lcsim {}: {}. Every picture is re-simulated from the record (same settings and "
                 "seed, same run).</p>", record.get("saved", ""), record.get("lcsim", ""),
                 plural(len(scenes), "scene"))]
    legend = join((fill('<span style="color:{}">{}</span> {}', c, s, label) for s, c, label in legend_items()), " · ")
    for number, scene in enumerate(scenes, 1):
        runs = replay_runs(scene)
        month = max(scene["shown"])  # the furthest the room went: where the scene's story ends
        views = [run.view(month) for run in runs]
        what = {SINGLE: "one community", TWO_PLANS: "two plans side by side"}.get(scene["mode"],
                                                                                 "a run and its branch")
        body.append(fill("<h2>Scene {}: {}</h2>", number, what))
        preset = scene.get("preset") or runs[0].spec.preset
        base = scenario_params(preset)
        params = scene.get("params") or runs[0].spec.params
        different = {k: v for k, v in params.items() if base.get(k) != v}
        changed = ", changed: " + ", ".join(f"{k} {show(v)}" for k, v in different.items()) if different else ""
        body.append(fill("<p>Preset <b>{}</b>, seed {}{}</p>", preset, str(scene.get("seed", runs[0].spec.seed)),
                         changed))
        body.append(fill("<p>Months shown, in order: {}. The pictures are month {}, the furthest shown.</p>",
                         months_shown(scene["shown"]), month))
        cells = []
        for k, (run, view) in enumerate(zip(runs, views)):
            spec = run.spec
            events = ", ".join(f"month {m} ({s})" for m, s in spec.events) or "none"
            fate = "still meeting" if view.alive else f"dissolved at month {view.dissolved_month}"
            colour = RUN_COLOURS[k] if len(runs) > 1 else "#222"
            cells.append([element("td", element("b", "AB"[k]), style=f"color:{colour}"), spec.plan or spec.label,
                          events, view.members, view.leaders, view.ties, fate])
        body.append(rows(["", "plan", "convener stepped back", "members", "local leaders", "ties",
                          f"at month {month}"], cells))
        charts = Charts(runs[0].horizon, size=(560, 620), runs=len(runs), programme=any(v.programme for v in views))
        pictures = []
        for k, view in enumerate(views):
            picture = NetworkPicture((420, 420))
            tag = "AB"[k] + ": " if len(runs) > 1 else ""
            pictures.append(element("figure", image(picture.png(view)) + element(
                "figcaption", fill("{}{}<br>{}", tag, title(view), view.ties_rule))))
        pictures.append(element("figure", image(charts.png(views)) + element(
            "figcaption", f"{'Black: A; orange: B. ' if len(runs) > 1 else ''}Dashed: the exit; shading: dissolved.")))
        body.append(element("div", join(pictures), class_="row"))
        body.append(element("p", legend, class_="legend"))
    return document("lcsim session debrief", body, style=STYLE)


def write_debrief(session_path, out=None) -> Path:
    """`lcsim report --session FILE`: the debriefing page next to the record (or at `out`)."""
    record = load_session(session_path)
    out = Path(out) if out is not None else Path(session_path).with_suffix(".html")
    if out.is_dir() or not out.suffix:  # a folder (new or not): the page goes in it
        out = out / "debrief.html"
    page = debrief_html(record)  # the whole page first: nothing is written for a record that cannot be shown
    from ..experiments.store import atomic_write
    from ..output import usable_folder

    usable_folder(out.parent)
    atomic_write(out, lambda path: Path(path).write_text(page, encoding="utf-8"))
    return out
