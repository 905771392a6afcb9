"""Drawing and saving the validation figures (docs/img/validation-*.png)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.figures import _bars as error_bars  # error-bar lengths, never negative
from ..analysis.survival import wilson

DPI = 110


def theme(font_scale: float = 0.85) -> None:
    """The look of every validation and calibration figure."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=font_scale)


def save(fig, img: Path, name: str) -> Path:
    import matplotlib.pyplot as plt

    img = Path(img)
    img.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(img / name, dpi=DPI)
    plt.close(fig)
    return img / name


def bar_axes(ax, table, title) -> None:
    """Survival with its 95% Wilson interval, one bar per (group, hue): `table` = [(group, hue, outcomes)]."""
    rows = []
    for group, hue, values in table:
        p, low, high = wilson(values.sum(), len(values))
        rows.append((group, hue, p, low, high))
    frame = pd.DataFrame(rows, columns=["group", "hue", "p", "low", "high"])
    groups, hues = list(dict.fromkeys(frame.group)), list(dict.fromkeys(frame.hue))
    width = 0.8 / len(hues)
    for k, h in enumerate(hues):
        sub = frame[frame.hue == h].set_index("group").reindex(groups)
        x = np.arange(len(groups)) + (k - (len(hues) - 1) / 2) * width
        ax.bar(x, sub.p, width, label=h, yerr=error_bars(sub.p, sub.low, sub.high), capsize=3)
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set(ylim=(0, 1.05), ylabel="survival", title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def bars(img: Path, name: str, table, title) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.8))
    bar_axes(ax, table, title)
    save(fig, img, name)
