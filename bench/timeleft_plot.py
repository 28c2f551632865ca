"""Time-left error against elapsed time, one picture per progress profile (issue 21, item 2).

Each line is one job of mql_notebook's plain wait (and, on ``noprogress``, the library's third
job, dashed): at every moment, the end the badge counts down to (the latest update's
``expected_end``) minus the job's real end. Zero is a perfect estimate; above it the badge
says more time is left than is; a cross marks where updates said "stalled".
"""

from __future__ import annotations

from pathlib import Path

from bench.polling import CONTENDERS, LIBRARY, Run


def _steps(run: Run) -> tuple[list[float], list[float]]:
    """(elapsed s since the create, estimated end - real end) of each estimate, held until the next."""
    xs, ys = [], []
    for when, end in run.estimates:
        if when > run.completes_at:
            break
        xs.append(when - run.created)
        ys.append(end - run.completes_at)
    if xs:
        xs.append(run.completes_at - run.created)
        ys.append(ys[-1])
    return xs, ys


def plot_profile(profile: str, results: list[dict], path: Path) -> None:
    """Every row (job length T) of ``profile``: one line per job, coloured by T."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, result in enumerate(results):
        colour = colours[k % len(colours)]
        for name, style in ((CONTENDERS[0], "-"), (LIBRARY, "--")):
            for i, run in enumerate(r for r in result["runs"].get(name, []) if not r.error):
                xs, ys = _steps(run)
                if not xs:
                    continue
                label = f"T = {result['seconds']} s" + (
                    " (library, 3rd job)" if style == "--" else ""
                )
                ax.step(
                    xs,
                    ys,
                    where="post",
                    color=colour,
                    linestyle=style,
                    alpha=0.7,
                    label=label if i == 0 else None,
                )
                stalls = [t - run.created for t in run.stalled if t <= run.completes_at]
                if stalls:
                    ax.scatter(stalls, [0] * len(stalls), marker="x", color=colour, zorder=3)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("seconds since the create")
    ax.set_ylabel("estimated end - real end, s")
    ax.set_title(f"Time left on the badge, profile {profile}: error against elapsed time")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
