"""PNG plots of the benchmarks' JSON reports (matplotlib, in the ``dev`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = ("#c0392b", "#2471a3", "#27ae60", "#8e44ad", "#d68910", "#566573")
DPI = 110


def plot_latency(report: dict[str, Any], path: Path) -> None:
    """Finalization latency (s) against utterance length (s): every final as a dot, the median
    per nominal length as a line, and the median forward time of the final alone (without the
    wait for a pass already running) dashed; one colour per encoding setting, one panel per
    architecture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs = report["archs"]
    fig, axes = plt.subplots(1, len(archs), figsize=(6.4 * len(archs), 4.4), squeeze=False)
    for ax, arch in zip(axes[0], archs, strict=True):
        for colour, result in zip(COLOURS, arch["results"], strict=False):
            finals = result["finals"]
            ax.scatter([f["audio_s"] for f in finals], [f["finalization_s"] for f in finals],
                       s=14, alpha=0.45, color=colour)
            medians = result["median_by_nominal_s"]
            xs = [_median_audio(finals, float(n)) for n in medians]
            ratio = result["long_over_short"]
            ax.plot(xs, list(medians.values()), marker="o", color=colour,
                    label=f"{result['setting']} (≥12 s / ≤6 s: {ratio}×)")
            forward = [_median_of(finals, float(n), "forward_s") for n in medians]
            ax.plot(xs, forward, linestyle="--", linewidth=1, color=colour)
        threads = f"{report['threads']} thread(s)" if report["threads"] else "threads: all cores"
        ax.set_title(f"{arch['arch']} · {arch['device']} · {threads}", fontsize=10)
        ax.set_xlabel("utterance length (s)")
        ax.set_ylabel("finalization latency (s); dashed: forward of the final")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    title = "livekr: time from the end of speech (after the end silence) to the final text"
    fig.suptitle(f"{title}\n{report['cpu']}", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def _median_audio(finals: list[dict[str, Any]], nominal: float) -> float:
    lengths = sorted(f["audio_s"] for f in finals if f["nominal_s"] == nominal)
    return lengths[len(lengths) // 2] if lengths else nominal


def _median_of(finals: list[dict[str, Any]], nominal: float, key: str) -> float:
    values = sorted(f[key] for f in finals if f["nominal_s"] == nominal)
    return values[len(values) // 2] if values else float("nan")
