// The operators' charts, a view of the admin console (#/console/charts):
// drawn as SVG from the figures the API pushes every 5 s (GET
// /api/streams/stats, server-sent events), so they move without the page
// asking. A module, loaded after app.js, whose session, readEventStream and
// registerConsoleView it uses: its own names stay its own.

const SVG_NS = "http://www.w3.org/2000/svg";
const CHART_W = 480;
const CHART_H = 160;
const CHART_PAD = { left: 40, right: 8, top: 8, bottom: 20 };
const CHART_MINUTES = 30;
// Colours with enough contrast on white, told apart by more than hue: the
// legends name them, and each chart has a table of its numbers.
const OUTCOME_COLOURS = { completed: "#1a7f37", failed: "#cf222e", cancelled: "#9a6700", needs_attention: "#8250df" };
const LINE_COLOURS = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df"];
// Backlog samples kept per queue: 30 minutes of 5-second snapshots.
const QUEUE_SAMPLES = 360;

const queueSamples = new Map(); // queue -> [{at, backlog, pollers}]

function svg(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

// The last CHART_MINUTES minute starts, oldest first, ending with now's.
function minuteSlots(now) {
  const end = Math.floor(now / 60000) * 60000;
  return Array.from({ length: CHART_MINUTES }, (_, i) => end - (CHART_MINUTES - 1 - i) * 60000);
}

function byMinute(list) {
  return new Map((list || []).map(m => [Date.parse(m.start), m]));
}

// frame draws the axes of a chart whose values reach max, and returns the
// function that maps (slot index, value) to a point.
function frame(root, max, unit) {
  const w = CHART_W - CHART_PAD.left - CHART_PAD.right;
  const h = CHART_H - CHART_PAD.top - CHART_PAD.bottom;
  const top = niceCeiling(max);
  for (const v of [0, top / 2, top]) {
    const y = CHART_PAD.top + h - (v / top) * h;
    root.appendChild(svg("line", { x1: CHART_PAD.left, x2: CHART_PAD.left + w, y1: y, y2: y, stroke: "#d0d7de" }));
    const label = svg("text", { x: CHART_PAD.left - 4, y: y + 4, "text-anchor": "end", "font-size": 10, fill: "#57606a" });
    label.textContent = formatValue(v) + (unit || "");
    root.appendChild(label);
  }
  for (const [i, text] of [[0, "-" + (CHART_MINUTES - 1) + " min"], [CHART_MINUTES - 1, "now"]]) {
    const x = CHART_PAD.left + (i / (CHART_MINUTES - 1)) * w;
    const label = svg("text", { x, y: CHART_H - 4, "text-anchor": i ? "end" : "start", "font-size": 10, fill: "#57606a" });
    label.textContent = text;
    root.appendChild(label);
  }
  return (i, v) => [CHART_PAD.left + (i / (CHART_MINUTES - 1)) * w, CHART_PAD.top + h - (v / top) * h];
}

function niceCeiling(v) {
  if (!(v > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * step >= v) return m * step;
  return 10 * step;
}

function formatValue(v) {
  return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + "k" : String(Math.round(v * 10) / 10);
}

// chart makes an accessible figure: the SVG is a picture with a summary
// for screen readers, and the numbers are in a table beside it.
function chart(title, summary) {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const picture = svg("svg", { viewBox: `0 0 ${CHART_W} ${CHART_H}`, role: "img", "aria-label": title + ": " + summary });
  figure.append(caption, picture);
  return { figure, picture };
}

function legend(entries) {
  return legendList("chart-legend", entries.map(([name, colour]) => [name.replaceAll("_", " "), colour]));
}

// dataTable shows a chart's numbers, for whoever would rather read them.
function dataTable(caption, head, rows) {
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = caption;
  const table = document.createElement("table");
  const tr = document.createElement("tr");
  for (const h of head) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    tr.appendChild(th);
  }
  table.createTHead().appendChild(tr);
  const body = table.createTBody();
  for (const row of rows) {
    const r = body.insertRow();
    for (const v of row) r.insertCell().textContent = String(v);
  }
  details.append(summary, table);
  return details;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// stackedBars draws one bar per minute, stacked by key.
function stackedBars(picture, slots, valuesAt, keys, colours) {
  const totals = slots.map((_, i) => keys.reduce((sum, k) => sum + (valuesAt(i)[k] || 0), 0));
  const point = frame(picture, Math.max(...totals));
  const barW = (CHART_W - CHART_PAD.left - CHART_PAD.right) / CHART_MINUTES - 2;
  slots.forEach((_, i) => {
    let base = 0;
    for (const k of keys) {
      const v = valuesAt(i)[k] || 0;
      if (!v) continue;
      const [x, y0] = point(i, base);
      const [, y1] = point(i, base + v);
      picture.appendChild(svg("rect", { x: x - barW / 2, y: y1, width: barW, height: Math.max(1, y0 - y1), fill: colours[k] }));
      base += v;
    }
  });
  return totals;
}

function lines(picture, series, colours, unit) {
  const max = Math.max(0, ...series.flatMap(s => s.points.filter(p => p != null)));
  const point = frame(picture, max, unit);
  series.forEach((s, n) => {
    let d = "";
    s.points.forEach((v, i) => {
      if (v == null) return;
      const [x, y] = point(i, v);
      d += (d && s.points[i - 1] != null ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
    });
    if (d) picture.appendChild(svg("path", { d, fill: "none", stroke: colours[n % colours.length], "stroke-width": 2 }));
    // A dot at each point: a minute alone between empty ones is seen too.
    s.points.forEach((v, i) => {
      if (v == null) return;
      const [x, y] = point(i, v);
      picture.appendChild(svg("circle", { cx: x, cy: y, r: 2.5, fill: colours[n % colours.length] }));
    });
  });
}

function outcomesChart(stats, slots) {
  const minutes = byMinute(stats.minutes);
  const keys = Object.keys(OUTCOME_COLOURS);
  const at = i => (minutes.get(slots[i]) || { outcomes: {} }).outcomes;
  const total = slots.reduce((sum, _, i) => sum + keys.reduce((s, k) => s + (at(i)[k] || 0), 0), 0);
  const { figure, picture } = chart("Orders per minute by outcome", total + " orders ended in the last " + CHART_MINUTES + " minutes");
  stackedBars(picture, slots, at, keys, OUTCOME_COLOURS);
  figure.append(legend(keys.map(k => [k, OUTCOME_COLOURS[k]])),
    dataTable("The numbers", ["minute", ...keys], slots.map((s, i) => [clock(s), ...keys.map(k => at(i)[k] || 0)])));
  return figure;
}

function latencyChart(stats, slots) {
  const minutes = byMinute(stats.minutes);
  const names = ["p50", "p95", "p99"];
  const at = i => (minutes.get(slots[i]) || {}).latency_ms;
  const last = [...slots.keys()].reverse().map(at).find(Boolean);
  const summary = last ? "latest p50 " + Math.round(last.p50) + " ms, p99 " + Math.round(last.p99) + " ms" : "no order completed lately";
  const { figure, picture } = chart("Placed to paid, completed orders (ms)", summary);
  lines(picture, names.map(n => ({ points: slots.map((_, i) => (at(i) ? at(i)[n] : null)) })), LINE_COLOURS, "");
  figure.append(legend(names.map((n, i) => [n, LINE_COLOURS[i]])),
    dataTable("The numbers", ["minute", ...names], slots.map((s, i) => [clock(s), ...names.map(n => (at(i) ? Math.round(at(i)[n]) : "–"))])));
  return figure;
}

function deliveriesChart(stats, slots) {
  const minutes = byMinute(stats.deliveries);
  const channels = [...new Set((stats.deliveries || []).flatMap(m => Object.keys(m.channels)))].sort();
  const colours = Object.fromEntries(channels.map((c, i) => [c, LINE_COLOURS[i % LINE_COLOURS.length]]));
  const sent = i => {
    const m = minutes.get(slots[i]);
    return Object.fromEntries(channels.map(c => [c, m && m.channels[c] ? m.channels[c].sent || 0 : 0]));
  };
  const failed = i => {
    const m = minutes.get(slots[i]);
    return channels.reduce((sum, c) => sum + (m && m.channels[c] ? (m.channels[c].failed || 0) + (m.channels[c].interrupted || 0) : 0), 0);
  };
  const failures = slots.reduce((sum, _, i) => sum + failed(i), 0);
  const { figure, picture } = chart("Deliveries per minute by channel", failures + " failed calls in the last " + CHART_MINUTES + " minutes");
  stackedBars(picture, slots, sent, channels, colours);
  figure.append(legend(channels.map(c => [c, colours[c]])),
    dataTable("The numbers", ["minute", ...channels.map(c => c + " sent"), "failed"], slots.map((s, i) => [clock(s), ...channels.map(c => sent(i)[c]), failed(i)])));
  return figure;
}

function queuesChart(stats) {
  const now = Date.parse(stats.at);
  const queues = Object.keys(stats.task_queues).sort();
  for (const q of queues) {
    const qs = stats.task_queues[q];
    const list = queueSamples.get(q) || [];
    list.push({ at: now, backlog: qs.workflow_backlog + qs.activity_backlog, pollers: qs.workflow_pollers + qs.activity_pollers });
    queueSamples.set(q, list.slice(-QUEUE_SAMPLES));
  }
  const span = CHART_MINUTES * 60000;
  // Samples are placed on the chart's 30 slots by the minute they fall in,
  // keeping the latest of each.
  const slotOf = at => Math.round((CHART_MINUTES - 1) - (now - at) / (span / (CHART_MINUTES - 1)));
  const series = queues.map(q => {
    const points = Array(CHART_MINUTES).fill(null);
    for (const s of queueSamples.get(q)) {
      const i = slotOf(s.at);
      if (i >= 0 && i < CHART_MINUTES) points[i] = s.backlog;
    }
    return { points };
  });
  const pollers = queues.map(q => q + " " + stats.task_queues[q].workflow_pollers + "+" + stats.task_queues[q].activity_pollers);
  const { figure, picture } = chart("Backlog per task queue (since this view opened)", "pollers now: " + pollers.join(", "));
  lines(picture, series, LINE_COLOURS, "");
  figure.append(legend(queues.map((q, i) => [q, LINE_COLOURS[i % LINE_COLOURS.length]])),
    dataTable("Now", ["task queue", "workflow backlog", "activity backlog", "workflow pollers", "activity pollers"],
      queues.map(q => {
        const qs = stats.task_queues[q];
        return [q, qs.workflow_backlog, qs.activity_backlog, qs.workflow_pollers, qs.activity_pollers];
      })));
  return figure;
}

// drawCharts replaces the charts with those of one snapshot.
function drawCharts(container, stats) {
  const slots = minuteSlots(Date.parse(stats.at));
  container.replaceChildren(outcomesChart(stats, slots), latencyChart(stats, slots), queuesChart(stats), deliveriesChart(stats, slots));
}

// followCharts follows the stats stream into container while the view
// shows, reconnecting after a drop.
async function followCharts(container, status, ctl) {
  const s = session;
  let failures = 0;
  while (!ctl.signal.aborted && session === s) {
    try {
      const resp = await fetch("/api/streams/stats", { headers: { Accept: "text/event-stream, application/problem+json" }, signal: ctl.signal });
      if (resp.status === 401 && session === s) endSession(ENDED);
      if (!resp.ok) throw await apiError(resp);
      failures = 0;
      status.textContent = "Live: the figures come every 5 seconds.";
      await readEventStream(resp, ev => {
        if (ctl.signal.aborted) return true;
        if (ev.type === "stats") drawCharts(container, JSON.parse(ev.data));
        return false;
      });
    } catch (err) {
      if (ctl.signal.aborted) return;
      status.textContent = "The charts are not live (" + err.message + "); trying again.";
      failures++;
    }
    await new Promise(resolve => setTimeout(resolve, reconnectDelay(failures)));
  }
}

let following = null;

registerConsoleView("charts", {
  title: "Charts",
  enter(section) {
    const status = document.createElement("p");
    status.setAttribute("role", "status");
    status.textContent = "Connecting…";
    const container = document.createElement("div");
    container.className = "charts";
    section.append(status, container);
    following = new AbortController();
    followCharts(container, status, following);
  },
  leave() {
    if (following) following.abort();
    following = null;
    queueSamples.clear();
  },
});
