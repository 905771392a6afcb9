"""The session record: what the room saw, saved as JSON, reopened, and turned into a debriefing page.

A record is a list of scenes (one community, two plans, or a branch), each with its runs' specs
(preset, parameters, seed, the months the convener stepped back) and the months shown, in the
order they were shown. The model is deterministic, so the specs are enough to re-simulate every
picture: `lcsim app --replay FILE` reopens the last scene where the session left it, and
`lcsim report --session FILE` writes `debrief_html(...)`, a self-contained page (figures inlined).
"""

from __future__ import annotations

import base64
import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from ..errors import UsageError
from ..parameters import ParameterError
from ..scenarios import scenario_params
from .charts import RUN_COLOURS, Charts
from .live import plural, show, start_settings
from .network import NetworkPicture, legend_items, title
from .room import SINGLE, TWO_PLANS, Room, replay_runs

FORMAT = "lcsim-session"
VERSION = 1
ENV_REPLAY = "LCSIM_APP_REPLAY"  # `lcsim app --replay FILE` passes the file to the page this way


def start_room(environ=os.environ) -> Room:
    """The room the page opens on: a replayed session, or the command line's community at month 0."""
    path = environ.get(ENV_REPLAY)
    if path:
        return Room.replay(load_session(path)["scenes"])
    preset, settings, seed = start_settings(environ)
    room = Room(preset, settings, seed)
    room.start()
    return room


def session_record(room: Room) -> dict:
    from .. import __version__

    return {"format": FORMAT, "version": VERSION, "lcsim": __version__,
            "saved": datetime.now(UTC).isoformat(timespec="seconds"), "scenes": room.record()}


def session_json(room: Room) -> str:
    return json.dumps(session_record(room), indent=1)


def load_session(path) -> dict:
    """A session record read and checked; a bad file is one clear line (UsageError)."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except OSError as err:
        raise UsageError(f"session record {path}: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"session record {path}: not JSON ({err})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise UsageError(f"session record {path}: not an lcsim session record (saved by the app's "
                         "'Save the session record')")
    if record.get("version") != VERSION:
        raise UsageError(f"session record {path}: version {record.get('version')!r}, this lcsim reads {VERSION}")
    scenes = record.get("scenes")
    if not isinstance(scenes, list) or not scenes:
        raise UsageError(f"session record {path}: it holds no scenes")
    try:
        from .room import _scene

        for scene in scenes:
            _scene(scene)
            if not scene["shown"]:
                raise ValueError("a scene shows no month")
    except ParameterError as err:
        raise UsageError(f"session record {path}: {err}") from None
    except (KeyError, TypeError, ValueError) as err:
        raise UsageError(f"session record {path}: a scene is incomplete ({err})") from None
    return record


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


def _png(data: bytes) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}" alt="">'


def debrief_html(record: dict) -> str:
    """The debriefing page of a session: every scene, its settings, what was shown, and the pictures
    at the furthest month shown (re-simulated from the record)."""
    scenes = record["scenes"]
    body = [f"<h1>Session debrief</h1><p>Saved {html.escape(str(record.get('saved', '')))} by lcsim "
            f"{html.escape(str(record.get('lcsim', '')))}: {plural(len(scenes), 'scene')}. Every picture is "
            "re-simulated from the record (same settings and seed, same run).</p>"]
    legend = " · ".join(f'<span style="color:{c}">{s}</span> {html.escape(label)}' for s, c, label in legend_items())
    for number, scene in enumerate(scenes, 1):
        runs = replay_runs(scene)
        month = max(scene["shown"])  # the furthest the room went: where the scene's story ends
        views = [run.view(month) for run in runs]
        what = {SINGLE: "one community", TWO_PLANS: "two plans side by side"}.get(scene["mode"],
                                                                                 "a run and its branch")
        body.append(f"<h2>Scene {number}: {what}</h2>")
        preset = scene.get("preset") or runs[0].spec.preset
        base = scenario_params(preset)
        params = scene.get("params") or runs[0].spec.params
        different = {k: v for k, v in params.items() if base.get(k) != v}
        body.append(f"<p>Preset <b>{html.escape(preset)}</b>, seed {scene.get('seed', runs[0].spec.seed)}"
                    + (", changed: " + html.escape(", ".join(f"{k} {show(v)}" for k, v in different.items()))
                       if different else "") + "</p>")
        body.append(f"<p>Months shown, in order: {months_shown(scene['shown'])}. The pictures are month "
                    f"{month}, the furthest shown.</p>")
        rows = []
        for k, (run, view) in enumerate(zip(runs, views)):
            spec = run.spec
            events = ", ".join(f"month {m} ({s})" for m, s in spec.events) or "none"
            name = spec.plan or spec.label
            fate = "still meeting" if view.alive else f"dissolved at month {view.dissolved_month}"
            rows.append(f'<tr><td style="color:{RUN_COLOURS[k] if len(runs) > 1 else "#222"}"><b>{"AB"[k]}</b></td>'
                        f"<td>{html.escape(name)}</td><td>{html.escape(events)}</td><td>{view.members}</td>"
                        f"<td>{view.leaders}</td><td>{view.ties}</td><td>{fate}</td></tr>")
        body.append("<table><tr><th></th><th>plan</th><th>convener stepped back</th><th>members</th>"
                    f"<th>local leaders</th><th>ties</th><th>at month {month}</th></tr>" + "".join(rows) + "</table>")
        charts = Charts(runs[0].horizon, size=(560, 620), runs=len(runs), programme=any(v.programme for v in views))
        pictures = []
        for k, view in enumerate(views):
            picture = NetworkPicture((420, 420))
            pictures.append(f'<figure>{_png(picture.png(view))}<figcaption>{"AB"[k] + ": " if len(runs) > 1 else ""}'
                            f"{html.escape(title(view))}<br>{html.escape(view.ties_rule)}</figcaption></figure>")
        body.append(f'<div class="row">{"".join(pictures)}<figure>{_png(charts.png(views))}'
                    f"<figcaption>{'Black: A; orange: B. ' if len(runs) > 1 else ''}Dashed: the exit; "
                    "shading: dissolved.</figcaption></figure></div>")
        body.append(f'<p class="legend">{legend}</p>')
    style = ("body{font-family:system-ui,sans-serif;max-width:1500px;margin:24px auto;padding:0 16px;color:#222}"
             "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}"
             ".row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}figure{margin:0}"
             "figcaption{font-size:14px;color:#444;max-width:560px}.legend{font-size:14px;color:#444}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>lcsim session debrief</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")


def write_debrief(session_path, out=None) -> Path:
    """`lcsim report --session FILE`: the debriefing page next to the record (or at `out`)."""
    record = load_session(session_path)
    out = Path(out) if out is not None else Path(session_path).with_suffix(".html")
    if out.is_dir() or not out.suffix:  # a folder (new or not): the page goes in it
        out = out / "debrief.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(debrief_html(record))
    return out
