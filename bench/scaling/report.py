"""Merges the LSTM scaling sweep's per-engine results and writes
results.json, lstm-scaling.md (tables) and lstm-scaling.svg (chart, SVG
written by hand, no plotting library).

  report.py RESULTS_DIR OUT_DIR SECONDS THREADS   # from bench/scaling/run
  report.py --from OUT_DIR/results.json OUT_DIR   # redraw from a results.json
"""
import glob
import json
import math
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import points as P  # noqa: E402

ENGINES = ("kerasio", "keras", "ort")
LABEL = {"kerasio": "kerasio", "keras": "Keras 3", "ort": "ONNX Runtime (native LSTM)"}
SHORT = {"kerasio": "kerasio", "keras": "Keras", "ort": "ORT"}
COLOR = {"kerasio": "#d1495b", "keras": "#00798c", "ort": "#edae49"}
DASH = {"kerasio": "", "keras": "6,3", "ort": "2,3"}
AXIS_TITLE = {"units": "LSTM units", "steps": "time steps", "batch": "batch size"}


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return "+".join(f.upper() for f in ("avx512f", "avx2", "fma") if f in flags)
    except OSError:
        pass
    return ""


def merge(results_dir, seconds, threads):
    engines, errors = {}, {}
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        data = json.load(open(path))
        e = engines.setdefault(data["engine"], {"version": data.get("version"), "threads": data.get("threads"),
                                                "reps": data.get("reps"), "points": {}})
        e["points"].update(data["points"])
    for path in sorted(glob.glob(os.path.join(results_dir, "*error"))):
        name = os.path.basename(path).rsplit(".", 1)[0]
        errors[name] = open(path).read().strip()
    return {
        "benchmark": "LSTM(units) + Dense(1), %d input features, one axis at a time around units %d, "
                     "steps %d, batch %d" % (P.FEATURES, P.BASE["units"], P.BASE["steps"], P.BASE["batch"]),
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "flags": cpu_flags(),
                    "system": platform.platform()},
        "threads": threads, "seconds": seconds,
        "samples_rule": "4096 samples per pass, fewer when a pass would exceed %g GFLOP (LSTM forward), at most "
                        "256 x batch, at least one batch" % P.GFLOP_PER_REP,
        "check": "each engine's predictions on the first min(batch, %d) samples (and on the 1-sample latency "
                 "input) against Keras's model(x): |diff| <= %g * max(1, |Keras|)" % (P.CHECK_SAMPLES, P.TOLERANCE),
        "axes": P.AXES, "base": P.BASE,
        "points": P.points(),
        "engines": engines,
        "errors": errors,
    }


def value(results, engine, key, metric):
    """(number or None, note) for one cell."""
    e = results["engines"].get(engine)
    if e is None:
        reason = next((v for k, v in results["errors"].items() if k.startswith(engine)), "not run")
        return None, reason
    r = e["points"].get(key)
    if r is None:
        return None, "not run"
    if "error" in r:
        return None, r["error"]
    v = r.get(metric)
    if v is None:
        return None, "not measured"
    which = "latency" if metric == "latency_ns" else "throughput"
    c = r.get("check", {}).get(which)
    note = "" if c is None or c["ok"] else "MISMATCH (off by %.1e)" % c["worst"]
    return v, note


def fmt_rate(v):
    return "{:,.0f}/s".format(v) if v >= 100 else "{:.3g}/s".format(v)


def fmt_ns(v):
    if v >= 1e9:
        return "%.3g s" % (v / 1e9)
    if v >= 1e6:
        return "%.3g ms" % (v / 1e6)
    return "%.3g µs" % (v / 1e3)


def fmt_ratio(a, b, latency):
    if a is None or b is None:
        return "–"
    r = b / a if latency else a / b
    return "%.2f×" % r if r < 10 else "%.1f×" % r


def point_for(results, axis, v):
    p = dict(results["base"])
    p[axis] = v
    return P.point_key(p["units"], p["steps"], p["batch"]), p


def markdown(results):
    m = results["machine"]
    lines = ["# LSTM scaling: kerasio, Keras 3, ONNX Runtime", "",
             "%s. %s, %d cores%s; %d threads per engine; %s; sweep took %d s." % (
                 results["benchmark"], m["cpu"], m["cores"], (", " + m["flags"]) if m["flags"] else "",
                 results["threads"], results["date_utc"], results["seconds"]), ""]
    for e in ENGINES:
        if e in results["engines"]:
            x = results["engines"][e]
            lines.append("- %s: %s, %s repetitions (median)" % (LABEL[e], x["version"], x["reps"]))
    lines += ["- samples per throughput pass: " + results["samples_rule"],
              "- predictions checked: " + results["check"],
              "- ratios are kerasio's speed-up: throughput kerasio / other, latency other / kerasio "
              "(above 1 = kerasio faster)", ""]
    tables = [("throughput", a, "throughput_samples_per_s") for a in ("units", "steps", "batch")] + \
             [("latency", a, "latency_ns") for a in P.LATENCY_AXES]
    for kind, axis, metric in tables:
        latency = kind == "latency"
        fixed = ", ".join("%s %d" % (k, v) for k, v in results["base"].items()
                          if k != axis and not (latency and k == "batch"))
        lines.append("## %s vs %s (%s)" % ("1-sample latency" if latency else "Throughput (samples/s)",
                                          AXIS_TITLE[axis], fixed))
        lines.append("")
        lines.append("| %s | kerasio | Keras | ORT | kerasio/ORT | kerasio/Keras |" % AXIS_TITLE[axis])
        lines.append("|---:|---:|---:|---:|---:|---:|")
        notes = []
        for v in results["axes"][axis]:
            key, _ = point_for(results, axis, v)
            cells, nums = [], {}
            for e in ENGINES:
                x, note = value(results, e, key, metric)
                nums[e] = x
                if x is None:
                    cells.append("FAILED" if note.startswith("FAILED") else "n/a")
                    if note and note != "not run" and e in results["engines"]:
                        notes.append("%s at %s %d: %s" % (SHORT[e], AXIS_TITLE[axis], v, note))
                else:
                    text = fmt_ns(x) if latency else fmt_rate(x)
                    if note:
                        text += " ⚠"
                        notes.append("%s at %s %d: %s" % (SHORT[e], AXIS_TITLE[axis], v, note))
                    cells.append(text)
            label = str(v)
            if not latency:
                n = next(p["samples"] for p in results["points"] if p["key"] == key)
                if n != P.MAX_SAMPLES:
                    label += " (%d samples)" % n
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                label, cells[0], cells[1], cells[2],
                fmt_ratio(nums["kerasio"], nums["ort"], latency), fmt_ratio(nums["kerasio"], nums["keras"], latency)))
        lines.append("")
        for n in notes:
            lines.append("- " + n)
        if notes:
            lines.append("")
    hows = {}
    for e in ("keras",):
        for key, r in results["engines"].get(e, {}).get("points", {}).items():
            for what in ("throughput_how", "latency_how"):
                if what in r:
                    hows.setdefault(what, {}).setdefault(r[what], []).append(key)
    if hows:
        total = {w: sum(len(ks) for ks in d.values()) for w, d in hows.items()}
        lines.append("Keras's fastest candidate: " + "; ".join(
            "%s: %s" % (what.split("_")[0], ", ".join(
                "%s (%s)" % (h, "all points" if len(ks) == total[what] else " ".join(sorted(ks)))
                for h, ks in d.items()))
            for what, d in hows.items()))
        lines.append("")
    eager = []
    for axis in P.LATENCY_AXES:
        for v in results["axes"][axis]:
            key, _ = point_for(results, axis, v)
            r = results["engines"].get("keras", {}).get("points", {}).get(key, {})
            q = r.get("latency_quick_ns", {}).get("model(x)")
            if q is not None and not any(key == k for k, _ in eager):
                eager.append((key, q))
    if eager:
        lines.append("Keras eager model(x) on one sample (one call each, not the reported figure): " + ", ".join(
            "%s %s" % (k.rsplit("_b", 1)[0].replace("_", " "), fmt_ns(q)) for k, q in eager))
        lines.append("")
    if results["errors"]:
        lines.append("Errors: " + "; ".join("%s: %s" % kv for kv in results["errors"].items()))
        lines.append("")
    return "\n".join(lines)


# ---- SVG ----------------------------------------------------------------------

def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_log_range(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if a == b:
        b += 1
    return a, b


def si(v):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            x = v / div
            return ("%g" % x) + suf
    return "%g" % v


def panel(x0, y0, w, h, title, xlabel, ylabel, xs, series, ytick_fmt, xticks):
    """series: {engine: [(x, y or None)]} on log-log axes; returns SVG elements."""
    out = []
    ml, mr, mt, mb = 62, 12, 26, 40
    pw, ph = w - ml - mr, h - mt - mb
    ys = [y for s in series.values() for _, y, _ in s if y]
    if not ys:
        ys = [1, 10]
    ya, yb = nice_log_range(min(ys), max(ys))
    xa, xb = math.log10(min(xs)), math.log10(max(xs))
    pad = (xb - xa) * 0.06 or 0.5
    xa, xb = xa - pad, xb + pad

    def X(v):
        return x0 + ml + (math.log10(v) - xa) / (xb - xa) * pw

    def Y(v):
        return y0 + mt + ph - (math.log10(v) - ya) / (yb - ya) * ph
    out.append('<text x="%.1f" y="%.1f" class="pt">%s</text>' % (x0 + ml + pw / 2, y0 + 16, esc(title)))
    out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="frame"/>' % (x0 + ml, y0 + mt, pw, ph))
    for d in range(ya, yb + 1):
        y = Y(10 ** d)
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>' % (x0 + ml, y, x0 + ml + pw, y))
        out.append('<text x="%.1f" y="%.1f" class="yt">%s</text>' % (x0 + ml - 5, y + 4, esc(ytick_fmt(10 ** d))))
        if d < yb:
            for k in range(2, 10):
                yy = Y(k * 10 ** d)
                out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="minor"/>' % (
                    x0 + ml, yy, x0 + ml + 4, yy))
    for v in xticks:
        x = X(v)
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="grid"/>' % (x, y0 + mt, x, y0 + mt + ph))
        out.append('<text x="%.1f" y="%.1f" class="xt">%s</text>' % (x, y0 + mt + ph + 14, esc("%g" % v)))
    out.append('<text x="%.1f" y="%.1f" class="al">%s</text>' % (x0 + ml + pw / 2, y0 + h - 6, esc(xlabel)))
    out.append('<text transform="translate(%.1f,%.1f) rotate(-90)" class="al">%s</text>' % (
        x0 + 13, y0 + mt + ph / 2, esc(ylabel)))
    for e in ENGINES:
        pts = [(X(x), Y(y)) for x, y, _ in series.get(e, []) if y]
        bad = [(X(x), Y(y)) for x, y, off in series.get(e, []) if y and off]
        if not pts:
            continue
        dash = ' stroke-dasharray="%s"' % DASH[e] if DASH[e] else ""
        out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>' % (
            " ".join("%.1f,%.1f" % p for p in pts), COLOR[e], dash))
        for px, py in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px, py, COLOR[e]))
        for px, py in bad:  # prediction off Keras's: a hollow ring
            out.append('<circle cx="%.1f" cy="%.1f" r="5.5" fill="white" stroke="%s" stroke-width="2"/>' % (
                px, py, COLOR[e]))
    return out


def svg(results):
    m = results["machine"]
    pw, ph, cols = 330, 250, 3
    panels = [("throughput", "units"), ("throughput", "steps"), ("throughput", "batch"),
              ("latency", "units"), ("latency", "steps")]
    top = 58
    width, height = pw * cols + 20, top + ph * 2 + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="Helvetica, Arial, sans-serif">' % (width, height, width, height),
           '<style>.pt{font-size:13px;font-weight:bold;text-anchor:middle}.al{font-size:11px;text-anchor:middle;'
           'fill:#333}.xt{font-size:10px;text-anchor:middle;fill:#444}.yt{font-size:10px;text-anchor:end;'
           'fill:#444}.frame{fill:none;stroke:#888;stroke-width:1}.grid{stroke:#e3e3e3;stroke-width:1}'
           '.minor{stroke:#aaa;stroke-width:1}.lg{font-size:12px}</style>',
           '<rect width="100%" height="100%" fill="white"/>']
    title = "LSTM(units) + Dense(1) scaling, %d threads per engine: %s (%d cores%s)" % (
        results["threads"], m["cpu"], m["cores"], ", " + m["flags"] if m["flags"] else "")
    sub = "one axis at a time around units %d, steps %d, batch %d; 8 input features; float32; %s" % (
        results["base"]["units"], results["base"]["steps"], results["base"]["batch"], results["date_utc"])
    out.append('<text x="%d" y="22" font-size="15" font-weight="bold" text-anchor="middle">%s</text>' % (
        width / 2, esc(title)))
    out.append('<text x="%d" y="40" font-size="11" fill="#555" text-anchor="middle">%s</text>' % (
        width / 2, esc(sub)))
    for i, (kind, axis) in enumerate(panels):
        x0, y0 = 10 + (i % cols) * pw, top + (i // cols) * ph
        metric = "latency_ns" if kind == "latency" else "throughput_samples_per_s"
        xs = results["axes"][axis]
        series = {}
        for e in ENGINES:
            s = []
            for v in xs:
                key, _ = point_for(results, axis, v)
                y, note = value(results, e, key, metric)
                if y is not None and kind == "latency":
                    y = y / 1e3  # µs
                s.append((v, y, y is not None and note.startswith("MISMATCH")))
            series[e] = s
        if kind == "latency":
            title = "Latency (1 sample) vs %s" % AXIS_TITLE[axis]
            ylabel = "time per 1-sample call (lower is better)"
            fmt = lambda v: "%gµs" % v if v < 1e3 else "%gms" % (v / 1e3) if v < 1e6 else "%gs" % (v / 1e6)  # noqa: E731
        else:
            title = "Throughput vs %s" % AXIS_TITLE[axis]
            ylabel = "samples/s (higher is better)"
            fmt = si
        xlabel = {"units": "LSTM units (log)", "steps": "time steps per sample (log)",
                  "batch": "batch size (samples per call, log)"}[axis]
        out += panel(x0, y0, pw, ph, title, xlabel, ylabel, xs, series, fmt, xs)
    # legend in the sixth cell
    lx, ly = 10 + 2 * pw + 24, top + ph + 50
    out.append('<text x="%d" y="%d" font-size="13" font-weight="bold">Engines</text>' % (lx, ly - 12))
    for j, e in enumerate(ENGINES):
        y = ly + 12 + j * 30
        dash = ' stroke-dasharray="%s"' % DASH[e] if DASH[e] else ""
        ver = results["engines"].get(e, {}).get("version") or "not run"
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"%s/>' % (
            lx, y, lx + 28, y, COLOR[e], dash))
        out.append('<circle cx="%d" cy="%d" r="3" fill="%s"/>' % (lx + 14, y, COLOR[e]))
        out.append('<text x="%d" y="%d" class="lg">%s</text>' % (lx + 36, y + 4, esc(LABEL[e])))
        out.append('<text x="%d" y="%d" font-size="9" fill="#666">%s</text>' % (lx + 36, y + 15, esc(ver[:48])))
    notes = ["log-log axes; throughput: 4096 samples per pass",
             "(fewer at the largest points); latency: 1 sample.",
             "Keras: fastest of predict, tf.function and model(x);",
             "hollow ring: predictions off Keras's by more than 1e-5;",
             "medians of %s repetitions; full tables in lstm-scaling.md" % "/".join(
                 str(results["engines"][e]["reps"]) for e in ENGINES if e in results["engines"])]
    for j, n in enumerate(notes):
        out.append('<text x="%d" y="%d" font-size="10" fill="#555">%s</text>' % (lx, ly + 108 + 13 * j, esc(n)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) == 4 and argv[1] == "--from":
        results, out_dir = json.load(open(argv[2])), argv[3]
    elif len(argv) == 5:
        results, out_dir = merge(argv[1], int(argv[3]), int(argv[4])), argv[2]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    paths = {name: os.path.join(out_dir, name) for name in ("results.json", "lstm-scaling.md", "lstm-scaling.svg")}
    with open(paths["results.json"], "w") as f:
        json.dump(results, f, indent=1)
    md = markdown(results)
    with open(paths["lstm-scaling.md"], "w") as f:
        f.write(md)
    with open(paths["lstm-scaling.svg"], "w") as f:
        f.write(svg(results))
    print(md)
    print("scaling: results %s\nscaling: tables  %s\nscaling: chart   %s" % (
        paths["results.json"], paths["lstm-scaling.md"], paths["lstm-scaling.svg"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
