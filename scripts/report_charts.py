#!/usr/bin/python3
"""The report of an mcrisk run: charts (matplotlib) and one self-contained HTML file.

    /usr/bin/python3 scripts/report_charts.py DIR

reads DIR/summary.json (schema mcrisk.summary/1), DIR/samples.csv (every
trial's total net savings per option, `mcrisk run --samples`) and
DIR/model.json (the model outline for the method appendix, schema
mcrisk.model_outline/1, written by `mcrisk report`), and writes

    DIR/charts/{distribution,s_curves,fan,tornado}.{png,svg}
    DIR/report.html

`mcrisk report DIR` and `mcrisk run ... --report` run this script; it can also
be run alone on a folder that has the three inputs. Every file is written to a
temporary name and renamed. The output is reproducible: the same inputs give
the same bytes (fixed SVG hash salt, no dates in the files' metadata).

Exit status: 0 on success, 2 on bad input, 3 when matplotlib or numpy cannot be
imported (install python3-matplotlib: bash scripts/setup).
"""

import base64
import csv
import html
import io
import json
import math
import os
import sys

try:
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, PercentFormatter
except ImportError as error:  # pragma: no cover - depends on the machine
    print(f"report_charts.py: cannot import {error.name}: install python3-matplotlib (bash scripts/setup)", file=sys.stderr)
    sys.exit(3)

MINUS = "\u2212"
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
CHARTS = ("distribution", "s_curves", "fan", "tornado")
TORNADO_DRIVERS = 8


class InputError(Exception):
    pass


# ---------------------------------------------------------------- formatting
# The end-to-end test (tests/e2e/report_browser_test.cpp) formats the numbers
# of summary.json the same way and compares them with the page: keep the two
# in step.


def money(value, symbol="£"):
    """Money to about three significant figures: £1.16m, £412k, £41.3k, £9,870, −£76.9k."""
    a = abs(value)
    if a >= 995_000:
        decimals = 2 if a < 9_995_000 else 1 if a < 99_950_000 else 0
        text = f"{a / 1e6:.{decimals}f}m"
    elif a >= 9_999.5:
        decimals = 1 if a < 99_950 else 0
        text = f"{a / 1e3:.{decimals}f}k"
    else:
        text = f"{a:,.0f}"
    if text == "0":
        return symbol + "0"
    return (MINUS if value < 0 else "") + symbol + text


def full_money(value, symbol="£"):
    """Money to the pound: £1,162,640."""
    text = f"{abs(value):,.0f}"
    return (MINUS if value < 0 and text != "0" else "") + symbol + text


def percent(p):
    """A probability as a percentage: 72.7%, <0.1%, >99.9%, 0%, 100%."""
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    return f"{100 * p:.1f}%"


def axis_money(symbol):
    def label(value, _position):
        a = abs(value)
        if a >= 1e6:
            text = f"{a / 1e6:g}m"
        elif a >= 1e3:
            text = f"{a / 1e3:g}k"
        else:
            text = f"{a:g}"
        if text == "0":
            return symbol + "0"
        return (MINUS if value < 0 else "") + symbol + text

    return FuncFormatter(label)


def one_in(p):
    """1/p to two significant figures with thousands separators: 36, 140, 5,200."""
    n = 1.0 / p
    if n < 10:
        return f"{n:.0f}"
    digits = int(math.floor(math.log10(n))) - 1
    rounded = round(n / 10**digits) * 10**digits
    return f"{rounded:,.0f}"


def esc(text):
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------- inputs


def read_inputs(directory):
    def load(name, required=True):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            if required:
                raise InputError(f"no {path}")
            return None
        with open(path, encoding="utf-8") as file:
            return json.load(file)

    summary = load("summary.json")
    if summary.get("schema") != "mcrisk.summary/1":
        raise InputError(f"{directory}/summary.json: schema {summary.get('schema')!r}, expected 'mcrisk.summary/1'")
    model = load("model.json", required=False)
    samples_path = os.path.join(directory, "samples.csv")
    if not os.path.exists(samples_path):
        raise InputError(f"no {samples_path}: run `mcrisk run CONFIG --samples` (or --report)")
    with open(samples_path, encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    if not header or header[0] != "trial":
        raise InputError(f"{samples_path}: the header should start with 'trial'")
    values = np.loadtxt(samples_path, delimiter=",", skiprows=1, ndmin=2)
    ids = summary["option_order"]
    if header[1:] != ids:
        raise InputError(f"{samples_path}: options {header[1:]} differ from summary.json's {ids}")
    if values.shape[0] != summary["run"]["trials"]:
        raise InputError(f"{samples_path}: {values.shape[0]} trials, summary.json says {summary['run']['trials']}")
    samples = {option: values[:, k + 1] for k, option in enumerate(ids)}
    return summary, model, samples


# ---------------------------------------------------------------- charts


def style():
    matplotlib.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "svg.hashsalt": "mcrisk",  # reproducible ids in the SVG
            "svg.fonttype": "path",  # text as paths: the SVG needs no fonts
            "figure.dpi": 100,
        }
    )


def option_colours(ids):
    palette = plt.get_cmap("tab10").colors
    return {option: palette[k % len(palette)] for k, option in enumerate(ids)}


def write_atomically(path, data):
    temporary = f"{path}.tmp.{os.getpid()}"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def save_chart(figure, charts_directory, name):
    """Writes name.png and name.svg; returns the SVG's bytes (for the HTML)."""
    svg = io.BytesIO()
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": "mcrisk"}, bbox_inches="tight")
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=200, metadata={"Software": None}, bbox_inches="tight")
    plt.close(figure)
    write_atomically(os.path.join(charts_directory, name + ".svg"), svg.getvalue())
    write_atomically(os.path.join(charts_directory, name + ".png"), png.getvalue())
    return svg.getvalue()


def grid_of(count):
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    return rows, columns


def distribution_chart(summary, samples, symbol, colours):
    ids = summary["option_order"]
    options = summary["options"]
    everything = np.concatenate([samples[o] for o in ids])
    plans = [options[o]["planned"]["total_net"] for o in ids]
    low = min(everything.min(), min(plans), 0.0)
    high = max(everything.max(), max(plans))
    margin = 0.02 * (high - low)
    bins = np.linspace(low, high, 101)
    figure, axes = plt.subplots(len(ids), 1, figsize=(8, 1.7 * len(ids) + 0.8), sharex=True, squeeze=False)
    for axis, option in zip(axes[:, 0], ids):
        values = samples[option]
        weights = np.full(values.shape, 1.0 / values.size)
        axis.hist(values, bins=bins, weights=weights, color=colours[option], alpha=0.85, linewidth=0)
        plan = options[option]["planned"]["total_net"]
        mean = options[option]["total_net"]["mean"]
        axis.axvspan(low - margin, 0, color="#c0392b", alpha=0.06, linewidth=0)
        axis.axvline(plan, color="black", linestyle="--", linewidth=1.2, label=f"plan {money(plan, symbol)}")
        axis.axvline(mean, color="black", linestyle="-", linewidth=1.0, label=f"mean {money(mean, symbol)}")
        axis.set_title(f"Option {option}", loc="left", fontweight="bold")
        axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        axis.set_ylabel("share of trials")
        axis.legend(loc="upper left", frameon=False, fontsize=8)
        axis.set_xlim(low - margin, high + margin)
    axes[-1, 0].xaxis.set_major_formatter(axis_money(symbol))
    axes[-1, 0].set_xlabel(f"total net savings {summary['model']['years'][0]} to {summary['model']['years'][-1]} (shaded: a net loss)")
    figure.suptitle("Distribution of each option's total net savings", x=0.02, ha="left", fontweight="bold")
    figure.tight_layout()
    return figure


def s_curve_chart(summary, samples, symbol, colours):
    ids = summary["option_order"]
    options = summary["options"]
    figure, axis = plt.subplots(figsize=(8, 4.8))
    levels = np.linspace(0.0, 1.0, 1001)
    for option in ids:
        values = np.sort(samples[option])
        x = np.quantile(values, levels)
        axis.plot(x, levels, color=colours[option], linewidth=1.8, label=f"option {option}")
        plan = options[option]["planned"]["total_net"]
        at_plan = np.searchsorted(values, plan, side="right") / values.size
        axis.plot([plan], [at_plan], marker="D", color=colours[option], markeredgecolor="black", markersize=6, linestyle="none", clip_on=False, zorder=5)
    axis.plot([], [], marker="D", color="white", markeredgecolor="black", linestyle="none", label="the plan's figure")
    axis.axvline(0, color="#c0392b", linewidth=0.8)
    axis.set_ylim(0, 1)
    axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axis.set_ylabel("chance of saving at most x")
    axis.xaxis.set_major_formatter(axis_money(symbol))
    axis.set_xlabel("x: total net savings")
    right = axis.twinx()
    right.set_ylim(0, 1)
    right.set_yticks(axis.get_yticks())
    right.yaxis.set_major_formatter(FuncFormatter(lambda y, _p: f"{100 * (1 - y):.0f}%"))
    right.set_ylabel("chance of saving at least x")
    right.grid(False)
    right.spines["right"].set_visible(True)
    axis.legend(loc="upper left", frameon=False)
    axis.set_title("S-curves: the chance of saving at least (right) or at most (left) any amount", loc="left", fontweight="bold")
    figure.tight_layout()
    return figure


def fan_chart(summary, symbol, colours):
    ids = summary["option_order"]
    options = summary["options"]
    years = summary["model"]["years"]
    rows, columns = grid_of(len(ids))
    figure, axes = plt.subplots(rows, columns, figsize=(8, 2.6 * rows + 0.6), sharey=True, squeeze=False)
    x = np.arange(len(years))
    for k, option in enumerate(ids):
        axis = axes[k // columns, k % columns]
        by_year = options[option]["by_year"]
        p10 = [y["net"]["P10"] for y in by_year]
        p50 = [y["net"]["P50"] for y in by_year]
        p90 = [y["net"]["P90"] for y in by_year]
        planned = [y["planned_net"] for y in by_year]
        axis.fill_between(x, p10, p90, color=colours[option], alpha=0.25, linewidth=0, label="P10 to P90")
        axis.plot(x, p50, color=colours[option], linewidth=2, marker="o", markersize=3.5, label="P50")
        axis.plot(x, planned, color="black", linestyle="--", linewidth=1.2, marker="s", markersize=3, label="plan")
        axis.axhline(0, color="#c0392b", linewidth=0.8)
        axis.set_xticks(x)
        axis.set_xticklabels(years)
        axis.set_title(f"Option {option}", loc="left", fontweight="bold")
        axis.yaxis.set_major_formatter(axis_money(symbol))
        if k % columns == 0:
            axis.set_ylabel("net savings in the year")
        if k == 0:
            axis.legend(loc="upper left", frameon=False, fontsize=8)
    for k in range(len(ids), rows * columns):
        axes[k // columns, k % columns].set_visible(False)
    figure.suptitle("Net savings by year: P10 to P90 band, P50 line and the plan", x=0.02, ha="left", fontweight="bold")
    figure.tight_layout()
    return figure


def tornado_chart(summary, colours):
    ids = [o for o in summary["option_order"] if summary["options"][o].get("driver_ranking")]
    if not ids:
        return None
    rows, columns = grid_of(len(ids))
    figure, axes = plt.subplots(rows, columns, figsize=(9, 2.9 * rows + 0.6), squeeze=False)
    for k, option in enumerate(ids):
        axis = axes[k // columns, k % columns]
        ranking = sorted(summary["options"][option]["driver_ranking"], key=lambda d: -abs(d["rank_correlation"]))[:TORNADO_DRIVERS]
        ranking = list(reversed(ranking))  # largest at the top
        names = [d["driver"] for d in ranking]
        values = [d["rank_correlation"] for d in ranking]
        bar_colours = ["#2c7fb8" if v >= 0 else "#e6550d" for v in values]
        axis.barh(np.arange(len(values)), values, color=bar_colours, height=0.7)
        axis.set_yticks(np.arange(len(values)))
        axis.set_yticklabels(names, fontsize=8)
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_xlim(-1, 1)
        for y, v in enumerate(values):
            axis.text(v + (0.03 if v >= 0 else -0.03), y, f"{v:+.2f}".replace("-", MINUS), va="center", ha="left" if v >= 0 else "right", fontsize=7)
        axis.set_title(f"Option {option}", loc="left", fontweight="bold", color="black")
        axis.grid(axis="y", visible=False)
        if k // columns == rows - 1:
            axis.set_xlabel("rank correlation with total net savings")
    for k in range(len(ids), rows * columns):
        axes[k // columns, k % columns].set_visible(False)
    figure.suptitle(
        f"What drives each option's spread: top {TORNADO_DRIVERS} drivers (blue: a higher value saves more; orange: saves less)",
        x=0.02,
        ha="left",
        fontweight="bold",
    )
    figure.tight_layout()
    return figure


def make_charts(summary, samples, directory, symbol):
    style()
    charts_directory = os.path.join(directory, "charts")
    os.makedirs(charts_directory, exist_ok=True)
    colours = option_colours(summary["option_order"])
    figures = {
        "distribution": distribution_chart(summary, samples, symbol, colours),
        "s_curves": s_curve_chart(summary, samples, symbol, colours),
        "fan": fan_chart(summary, symbol, colours),
        "tornado": tornado_chart(summary, colours),
    }
    return {name: save_chart(figure, charts_directory, name) for name, figure in figures.items() if figure is not None}


# ---------------------------------------------------------------- findings


def option_name(option_id):
    return f"option {option_id}"


def span_text(summary):
    years = summary["model"]["years"]
    return f"in {years[0]}" if len(years) == 1 else f"over {years[0]} to {years[-1]}"


def range_sentence(low, high, m):
    if low >= 0:
        return f"saves between {m(low)} and {m(high)}"
    if high <= 0:
        return f"loses between {m(-high)} and {m(-low)}"
    return f"ends between a net loss of {m(-low)} and a saving of {m(high)}"


def loss_sentence(total, trials):
    p = total["prob_loss"]
    low, high = total["prob_loss_ci95"]
    if p == 0:
        bound = f"below 1 in {one_in(high)}" if high > 0 else "negligible"
        return f"no trial of {trials:,} made a net loss: the chance is {bound} (95% confidence)"
    if p < 0.2:
        upper = f"1 in {one_in(low)}" if low > 0 else "less"
        return f"about a 1 in {one_in(p)} chance of a net loss ({percent(p)}; 95% CI 1 in {one_in(high)} to {upper})"
    return f"a {percent(p)} chance of a net loss (95% CI {percent(low)} to {percent(high)})"


def findings(summary, samples, symbol):
    m = lambda x: money(x, symbol)  # noqa: E731
    ids = summary["option_order"]
    options = summary["options"]
    trials = summary["run"]["trials"]
    items = []

    best = max(ids, key=lambda o: options[o]["prob_best"])
    low, high = options[best]["prob_best_ci95"]
    others = ", ".join(f"{option_name(o)} {percent(options[o]['prob_best'])}" for o in ids if o != best)
    if len(ids) > 1:
        items.append(
            f"<strong>{option_name(best).capitalize()} is the best of the {len(ids)} options most often</strong>: it saves the most "
            f"in {percent(options[best]['prob_best'])} of trials (95% CI {percent(low)} to {percent(high)}); "
            f"{others}."
        )
        for comparison in summary.get("comparisons", []):
            if best not in (comparison["a"], comparison["b"]):
                continue
            flip = comparison["b"] == best
            other = comparison["a"] if flip else comparison["b"]
            d = comparison["difference_total_net"]
            sign = -1 if flip else 1
            p_better = 1 - comparison["prob_a_better"] if flip else comparison["prob_a_better"]
            mean = sign * d["mean"]
            ci = sorted(sign * v for v in d["mean_ci95"])
            p10, p90 = sorted([sign * d["P10"], sign * d["P90"]])
            more = "more" if mean >= 0 else "less"
            items.append(
                f"On the same trials, {option_name(best)} saves more than {option_name(other)} in {percent(p_better)} of them, "
                f"and on average {m(abs(mean))} {more} (95% CI of the difference {m(ci[0])} to {m(ci[1])}; "
                f"80% of differences between {m(p10)} and {m(p90)})."
            )

    for option in ids:
        o = options[option]
        total = o["total_net"]
        p5, p95 = total["percentiles"]["P5"], total["percentiles"]["P95"]
        plan = o["planned"]["total_net"]
        values = samples[option]
        reach = float(np.count_nonzero(values >= plan)) / values.size
        mean = total["mean"]
        gap = mean - plan
        gap_text = (
            f"{m(abs(gap))} ({abs(gap) / abs(plan) * 100:.0f}%) {'below' if gap < 0 else 'above'} the plan's {m(plan)}"
            if plan != 0
            else f"against a plan of {m(plan)}"
        )
        reach_text = (
            f"no trial reached the plan's figure"
            if reach == 0
            else f"the plan's figure is reached in {percent(reach)} of trials"
            + (f" (about 1 in {one_in(reach)})" if 0 < reach < 0.2 else "")
        )
        items.append(
            f"<strong>There is a 90% chance that {option_name(option)} {range_sentence(p5, p95, m)}</strong> {span_text(summary)} "
            f"(P5 to P95). Its expected total is {m(mean)} (95% CI {m(total['mean_ci95'][0])} to {m(total['mean_ci95'][1])}), "
            f"{gap_text}; {reach_text}. There is {loss_sentence(total, trials)}; in the worst 5% of trials it averages "
            f"{m(total['expected_shortfall_5'])}."
        )

    target_names = list(options[ids[0]].get("targets", {}).keys())
    for name in target_names:
        parts = []
        for option in ids:
            target = options[option]["targets"][name]
            low, high = target["prob_ci95"]
            parts.append(f"{option_name(option)} {percent(target['prob'])} ({percent(low)} to {percent(high)}; at least {m(target['at_least'])})")
        items.append(f"Chance of meeting the target <em>{esc(name)}</em>, with 95% CIs: " + "; ".join(parts) + ".")

    for option in ids:
        ranking = options[option].get("driver_ranking", [])[:3]
        ranking = [d for d in ranking if abs(d["rank_correlation"]) >= 0.05]
        if not ranking:
            continue
        parts = [
            f"<code>{esc(d['driver'])}</code> ({'higher saves more' if d['rank_correlation'] > 0 else 'higher saves less'}, "
            f"rank correlation {d['rank_correlation']:+.2f})".replace("-", MINUS, 1 if d["rank_correlation"] < 0 else 0)
            for d in ranking
        ]
        items.append(f"What moves {option_name(option)}'s total most: " + ", ".join(parts) + ".")

    bias = summary.get("optimism_bias")
    if bias:
        parts = []
        for option in ids:
            adjusted = bias["options"][option]["total_net"]
            parts.append(f"{option_name(option)} {m(adjusted['mean'])} ({percent(adjusted['prob_loss'])} chance of a loss)")
        items.append(
            f"With Green Book optimism bias (costs \u00d7{bias['effective_cost_multiplier']:.3f}, benefits "
            f"{bias['effective_delay_months']:.1f} months later), on the same trials the expected totals are: " + "; ".join(parts) + "."
        )
    return items


# ---------------------------------------------------------------- HTML

CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --rule: #d0d0d0; --accent: #1f4e79; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: var(--ink); max-width: 66rem; margin: 2rem auto; padding: 0 1.2rem;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; color: var(--accent); margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; color: var(--accent); border-bottom: 2px solid var(--accent); padding-bottom: 0.2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p.lede { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0 1rem; font-size: 0.82rem; }
div.wide { overflow-x: auto; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.35rem 0.45rem; text-align: right; vertical-align: top; }
th { background: #eef3f8; font-weight: bold; }
td.text, th.text { text-align: left; }
td .ci { display: block; color: var(--muted); font-size: 0.78rem; white-space: nowrap; }
td.rationale { text-align: left; font-size: 0.8rem; color: #333; }
figure { margin: 1.2rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 0.3rem; }
ul.findings li { margin-bottom: 0.55rem; }
code { font-size: 0.85em; background: #f3f3f3; padding: 0 0.2em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; font-size: 0.9rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; word-break: break-all; }
.note { color: var(--muted); font-size: 0.85rem; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, tr { break-inside: avoid; page-break-inside: avoid; }
  section.appendix { break-before: page; page-break-before: always; }
  div.wide { overflow: visible; }
  body { font-size: 9.5pt; }
}
"""

# Marks each chart as rendered once the page has loaded, and reports any chart
# that did not decode as a console error (the browser test reads both).
SCRIPT = """
window.addEventListener('load', function () {
  document.querySelectorAll('figure[data-chart] img').forEach(function (img) {
    var figure = img.closest('figure');
    if (img.complete && img.naturalWidth > 0) { figure.setAttribute('data-rendered', 'true'); }
    else { console.error('mcrisk report: chart ' + figure.getAttribute('data-chart') + ' did not render'); }
  });
});
"""

CHART_CAPTIONS = {
    "distribution": "How the total net savings of each option are spread over the trials. The dashed line is the plan's figure, "
    "the solid line the mean; the shaded region is a net loss.",
    "s_curves": "Read across from any amount on the horizontal axis: the left scale gives the chance of saving at most that amount, "
    "the right scale the chance of saving at least that much. Diamonds mark the plan's figures.",
    "fan": "Net savings in each year: half the trials fall above the P50 line, and 80% within the band (P10 to P90). The dashed line "
    "is the plan.",
    "tornado": "Spearman rank correlation between each driver and the option's total net savings, over all trials: the longer the bar, "
    "the more of the spread that driver explains.",
}


def value_cell(option, stat, value, text, css_class="v"):
    return f'<span class="{css_class}" data-option="{esc(option)}" data-stat="{esc(stat)}" data-value="{value!r}">{esc(text)}</span>'


def headline_table(summary, symbol):
    ids = summary["option_order"]
    options = summary["options"]
    target_names = list(options[ids[0]].get("targets", {}).keys())
    m = lambda x: money(x, symbol)  # noqa: E731
    head = ["Option", "Plan", "Mean<br>(95% CI)", "P10", "P50", "P90", "P(net loss)<br>(95% CI)", "Mean of worst 5%", "P(best)<br>(95% CI)"]
    head += [f"P(target: {esc(n)})<br>(95% CI)" for n in target_names]
    rows = []
    for option in ids:
        o = options[option]
        t = o["total_net"]
        cells = [f'<td class="text"><strong>{esc(option)}</strong></td>']
        cells.append(f'<td title="{esc(full_money(o["planned"]["total_net"], symbol))}">{value_cell(option, "plan", o["planned"]["total_net"], m(o["planned"]["total_net"]))}</td>')

        def with_ci(stat, value, low, high, fmt):
            return (
                "<td>"
                + value_cell(option, stat, value, fmt(value))
                + '<span class="ci">'
                + value_cell(option, stat + "_ci95_low", low, fmt(low), "lo")
                + " to "
                + value_cell(option, stat + "_ci95_high", high, fmt(high), "hi")
                + "</span></td>"
            )

        cells.append(with_ci("mean", t["mean"], t["mean_ci95"][0], t["mean_ci95"][1], m))
        for p in ("P10", "P50", "P90"):
            cells.append(f"<td>{value_cell(option, p, t['percentiles'][p], m(t['percentiles'][p]))}</td>")
        cells.append(with_ci("prob_loss", t["prob_loss"], t["prob_loss_ci95"][0], t["prob_loss_ci95"][1], percent))
        cells.append(f"<td>{value_cell(option, 'es5', t['expected_shortfall_5'], m(t['expected_shortfall_5']))}</td>")
        cells.append(with_ci("prob_best", o["prob_best"], o["prob_best_ci95"][0], o["prob_best_ci95"][1], percent))
        for name in target_names:
            target = o["targets"][name]
            cells.append(with_ci("target:" + name, target["prob"], target["prob_ci95"][0], target["prob_ci95"][1], percent))
        rows.append(f'<tr data-option="{esc(option)}">' + "".join(cells) + "</tr>")
    header = "".join(f'<th class="text">{h}</th>' if k == 0 else f"<th>{h}</th>" for k, h in enumerate(head))
    descriptions = "".join(f"<li><strong>{esc(o)}</strong>: {esc(options[o].get('description', ''))}</li>" for o in ids)
    targets = ""
    if target_names:
        targets = " Targets: " + "; ".join(
            f"<em>{esc(n)}</em> at least " + ", ".join(f"{esc(o)} {m(options[o]['targets'][n]['at_least'])}" for o in ids) for n in target_names
        ) + "."
    return (
        f'<div class="wide"><table class="headline" id="headline"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        f'<p class="note">Total net savings {span_text(summary)}, {esc(summary["model"]["currency"])}, from {summary["run"]["trials"]:,} '
        f"trials; every figure comes from the same trials and every interval is 95%. Plan: every driver at the business case's value, "
        f"no events. P10/P50/P90: 10%, 50%, 90% of trials save less. Mean of worst 5%: the expected shortfall, the average of the 5% "
        f"lowest totals. P(best): the share of trials in which the option saves the most.{targets}</p>"
        f"<ul class=\"note\">{descriptions}</ul>"
    )


def comparisons_table(summary, symbol):
    comparisons = summary.get("comparisons", [])
    if not comparisons:
        return ""
    m = lambda x: money(x, symbol)  # noqa: E731
    rows = []
    for c in comparisons:
        d = c["difference_total_net"]
        rows.append(
            f"<tr><td class=\"text\">{esc(c['a'])} \u2212 {esc(c['b'])}</td><td>{m(d['mean'])}<span class=\"ci\">{m(d['mean_ci95'][0])} to "
            f"{m(d['mean_ci95'][1])}</span></td><td>{m(d['P10'])}</td><td>{m(d['P50'])}</td><td>{m(d['P90'])}</td>"
            f"<td>{percent(c['prob_a_better'])}<span class=\"ci\">{percent(c['prob_a_better_ci95'][0])} to "
            f"{percent(c['prob_a_better_ci95'][1])}</span></td></tr>"
        )
    return (
        "<h3>Options compared on the same trials</h3>"
        '<table id="comparisons"><thead><tr><th class="text">A \u2212 B</th><th>Mean difference<br>(95% CI)</th><th>P10</th><th>P50</th>'
        "<th>P90</th><th>P(A saves more)<br>(95% CI)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def chart_figure(name, svg_bytes, title):
    data = base64.b64encode(svg_bytes).decode("ascii")
    return (
        f'<figure data-chart="{name}" id="chart-{name}"><img data-chart-image="{name}" alt="{esc(title)}" '
        f'src="data:image/svg+xml;base64,{data}"><figcaption>{esc(CHART_CAPTIONS[name])} '
        f"Also in <code>charts/{name}.png</code> and <code>charts/{name}.svg</code>.</figcaption></figure>"
    )


def sampling_text(run):
    method = run.get("sampling", "mc")
    size = run.get("replicate_size", 0)
    replicates = run["trials"] // size if size else 0
    if method == "mc":
        return (
            "Plain Monte Carlo: independent trials, each trial's random numbers a pure function of (seed, trial, dimension) "
            "(Philox counter-based streams). Intervals: normal for the mean, order statistics (binomial) for percentiles, "
            "Wilson for probabilities, asymptotic normal for the expected shortfall."
        )
    name = {"lhs": "Latin hypercube", "sobol": "randomised (digitally shifted) Sobol points"}.get(method, method)
    return (
        f"{name}: {replicates} independent replicates of {size:,} points. Every interval is a Student t interval "
        f"from the spread of the statistic over the replicates ({max(replicates - 1, 0)} degrees of freedom)."
    )


def appendix(summary, model, symbol):
    run = summary["run"]
    facts = [
        ("Model", summary["model"]["name"]),
        ("Config", summary["model"]["config_file"]),
        ("Config sha256", summary["model"]["config_sha256"]),
        ("Trials", f"{run['trials']:,}"),
        ("Seed", str(run["seed"])),
        ("Sampling", sampling_text(run)),
    ]
    if run.get("replicate_size"):
        facts.append(("Replicates", f"{run['trials'] // run['replicate_size']} of {run['replicate_size']:,} trials"))
    facts += [
        ("Engine", f"mcrisk {run.get('engine_version', '?')}"),
        ("Years", ", ".join(summary["model"]["years"])),
        ("Discount rate", f"{summary['model']['discount_rate'] * 100:g}% (flat NPV); Green Book schedule for NPV and BCR"),
        (
            "Reproduce",
            f"mcrisk run {summary['model']['config_file']} --trials {run['trials']} --seed {run['seed']} --sampling {run.get('sampling', 'mc')}"
            + (f" --replicates {run['trials'] // run['replicate_size']}" if run.get("replicate_size") else "")
            + " --report",
        ),
    ]
    if summary.get("convergence"):
        c = summary["convergence"]
        facts.append(("Precision", f"{', '.join(c['goal'])}: {'reached' if c['converged'] else 'NOT reached'} after {c['trials_used']:,} trials"))
    parts = ['<section class="appendix" id="method"><h2>Method appendix</h2><dl class="facts">']
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts]
    parts.append("</dl>")
    parts.append(
        "<p>Each trial draws every driver below from its distribution (correlated drivers through a Gaussian copula on normal "
        "scores), evaluates each option's savings and costs by year, applies the events, and sums net savings over the years. "
        "All options are evaluated on the same draws (common random numbers), so their comparisons are paired.</p>"
    )
    if model is None:
        parts.append("<p>The model outline (model.json) was not available: drivers, correlations and events are not listed.</p></section>")
        return "".join(parts)
    if model.get("config_sha256") != summary["model"]["config_sha256"]:
        parts.append('<p class="note"><strong>Warning:</strong> model.json is from a different config than summary.json.</p>')

    parts.append('<h3>Drivers</h3><table id="drivers"><thead><tr><th class="text">Driver</th><th class="text">Component</th>'
                 '<th class="text">Distribution and parameters</th><th>Planned</th><th class="text">Rationale</th></tr></thead><tbody>')
    for driver in model["drivers"]:
        components = driver["components"]
        for k, component in enumerate(components):
            cells = ""
            if k == 0:
                over = f"<br><span class=\"note\">over {esc(driver['over'])}</span>" if driver.get("over") else ""
                cells += f'<td class="text" rowspan="{len(components)}"><code>{esc(driver["name"])}</code>{over}</td>'
            cells += f'<td class="text">{esc(component["element"] or "")}</td><td class="text">{esc(component["distribution"])}</td>'
            cells += f"<td>{component['planned']:g}</td>"
            if k == 0:
                cells += f'<td class="rationale" rowspan="{len(components)}">{esc(driver.get("rationale", ""))}</td>'
            parts.append(f'<tr data-driver="{esc(driver["name"])}">{cells}</tr>')
    parts.append("</tbody></table>")

    correlations = model.get("correlations", [])
    parts.append("<h3>Correlations</h3>")
    if correlations:
        parts.append(
            '<p>Correlations of normal scores (Gaussian copula)'
            + (", repaired to the nearest valid matrix where needed" if model.get("repair_correlations") else "")
            + ':</p><table id="correlations"><thead><tr><th class="text">Between</th><th class="text">and</th><th>rho</th></tr></thead><tbody>'
        )
        for c in correlations:
            parts.append(f'<tr><td class="text"><code>{esc(c["a"])}</code></td><td class="text"><code>{esc(c["b"])}</code></td><td>{c["rho"]:g}</td></tr>')
        parts.append("</tbody></table>")
    else:
        parts.append("<p>None: the drivers are independent.</p>")

    events = model.get("events", [])
    parts.append("<h3>Events</h3>")
    if not events:
        parts.append("<p>None.</p>")
    for event in events:
        cost = f"; cost per occurrence <code>{esc(event['cost'])}</code>" if event.get("cost") else ""
        parts.append(
            f'<p data-event="{esc(event["name"])}"><code>{esc(event["name"])}</code>: slots of <code>{esc(event["slot_set"])}</code> at risk in '
            f"{esc(', '.join(event['years']))}, {'may recur' if event['recurs'] else 'at most once per slot'}{cost}. "
            f"{esc(event.get('rationale', ''))}</p>"
        )
        parts.append('<table><thead><tr><th class="text">Option</th><th class="text">Slots</th><th class="text">Hazard per year</th>'
                     "<th>Share of later savings lost</th></tr></thead><tbody>")
        for exposure in event["exposures"]:
            hazards = ", ".join(f"{esc(year)}: {h:g}" for year, h in exposure["hazard"].items())
            parts.append(
                f'<tr><td class="text">{esc(exposure["option"])}</td><td class="text">{esc(", ".join(exposure["slots"]))}</td>'
                f'<td class="text">{hazards}</td><td>{exposure["loss_fraction"]:g}</td></tr>'
            )
        parts.append("</tbody></table>")

    if model.get("derived") or model.get("savings_items") or model.get("cost_items"):
        parts.append("<h3>How savings and costs are computed</h3><ul>")
        for d in model.get("derived", []):
            parts.append(f"<li><code>{esc(d['name'])} = {esc(d['definition'])}</code></li>")
        for item in model.get("savings_items", []):
            factors = " \u00d7 ".join(item["factors"]) or "1"
            delay = f", start delayed by <code>{esc(item['delay_months'])}</code> months" if item.get("delay_months") else ""
            parts.append(f"<li>Savings <code>{esc(item['name'])}</code>: planned amount \u00d7 <code>{esc(factors)}</code>{delay}</li>")
        for item in model.get("cost_items", []):
            rule = item.get("amount") or f"({item.get('count')}) \u00d7 ({item.get('unit_cost')})"
            parts.append(f"<li>Cost <code>{esc(item['name'])}</code>: <code>{esc(rule)}</code></li>")
        parts.append("</ul>")

    if model.get("targets"):
        parts.append("<h3>Targets</h3><ul>")
        for t in model["targets"]:
            level = "the option's planned figure" if t["at_least"] == "planned" else money(t["at_least"], symbol)
            parts.append(f"<li><em>{esc(t['name'])}</em>: {esc(t['measure'])} at least {esc(level)}. {esc(t.get('description', ''))}</li>")
        parts.append("</ul>")
    if model.get("optimism_bias"):
        b = model["optimism_bias"]
        parts.append(
            f"<h3>Optimism bias</h3><p>Cost uplift {b['cost_uplift'] * 100:g}%, benefit delay {b['benefit_delay_months']:g} months, "
            f"mitigation {b['mitigation'] * 100:g}%. {esc(b.get('rationale', ''))}</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def build_html(summary, model, samples, charts, symbol):
    title = summary["model"]["name"]
    chart_titles = {
        "distribution": "Distribution of total net savings",
        "s_curves": "S-curves",
        "fan": "Net savings by year",
        "tornado": "Drivers of the spread",
    }
    figures = "".join(f"<h3>{esc(chart_titles[name])}</h3>" + chart_figure(name, charts[name], chart_titles[name]) for name in CHARTS if name in charts)
    if "tornado" not in charts:
        figures += '<p class="note">No driver ranking in this run, so no tornado chart.</p>'
    finding_items = "".join(f"<li>{item}</li>" for item in findings(summary, samples, symbol))
    description = (model or {}).get("description", "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="generator" content="mcrisk {esc(summary['run'].get('engine_version', ''))}">
<title>{esc(title)}</title>
<style>{CSS}</style>
<script>{SCRIPT}</script>
</head>
<body>
<header>
<h1>{esc(title)}</h1>
<p class="lede">{esc(description)}</p>
<p class="lede">Monte Carlo appraisal: {summary['run']['trials']:,} trials, seed {summary['run']['seed']}. Figures are total net savings
(savings less one-off costs) {span_text(summary)}, in {esc(summary['model']['currency'])}. How they were produced is in the
<a href="#method">method appendix</a>.</p>
</header>
<main>
<section id="findings"><h2>Findings</h2><ul class="findings">{finding_items}</ul></section>
<section id="headline-figures"><h2>Headline figures</h2>{headline_table(summary, symbol)}{comparisons_table(summary, symbol)}</section>
<section id="charts"><h2>Charts</h2>{figures}</section>
{appendix(summary, model, symbol)}
</main>
</body>
</html>
"""


def main(argv):
    if len(argv) != 2:
        print("usage: report_charts.py DIR", file=sys.stderr)
        return 2
    directory = argv[1]
    try:
        summary, model, samples = read_inputs(directory)
    except (InputError, json.JSONDecodeError, ValueError) as error:
        print(f"report_charts.py: {error}", file=sys.stderr)
        return 2
    currency = summary["model"].get("currency", "GBP")
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    charts = make_charts(summary, samples, directory, symbol)
    page = build_html(summary, model, samples, charts, symbol)
    write_atomically(os.path.join(directory, "report.html"), page.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
