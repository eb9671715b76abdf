// The orders list: newest first from GET /api/orders, refreshed every 2 s.
"use strict";

const rows = document.getElementById("orders");
const statusFilter = document.getElementById("status");
const moreButton = document.getElementById("more");
const errorBox = document.getElementById("error");
const refreshed = document.getElementById("refreshed");
let nextCursor = "";

function money(minor, currency) {
  return (minor / 100).toFixed(2) + " " + currency;
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function orderRow(o) {
  const tr = document.createElement("tr");
  const id = document.createElement("td");
  const code = document.createElement("code");
  code.textContent = o.id;
  code.title = "workflow " + o.workflow_id;
  id.appendChild(code);
  tr.appendChild(id);
  tr.appendChild(cell(o.customer_id));
  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = "status " + o.status;
  badge.textContent = o.status;
  status.appendChild(badge);
  if (o.failure_reason) {
    const reason = document.createElement("div");
    reason.className = "reason";
    reason.textContent = o.failure_reason;
    status.appendChild(reason);
  }
  tr.appendChild(status);
  tr.appendChild(cell(money(o.total, o.currency)));
  tr.appendChild(cell((o.steps || []).map(s => s.name + ": " + s.status).join(", "), "steps"));
  tr.appendChild(cell(new Date(o.created_at).toLocaleString()));
  return tr;
}

async function load(append) {
  const params = new URLSearchParams({ limit: "25" });
  if (statusFilter.value) params.set("status", statusFilter.value);
  if (append && nextCursor) params.set("cursor", nextCursor);
  try {
    const resp = await fetch("/api/orders?" + params);
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.detail || resp.statusText);
    if (!append) rows.replaceChildren();
    body.orders.forEach(o => rows.appendChild(orderRow(o)));
    if (!append && body.orders.length === 0) {
      rows.replaceChildren();
      const tr = document.createElement("tr");
      const td = cell("No orders yet. Place one with POST /api/orders.");
      td.colSpan = 6;
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    nextCursor = body.next_cursor || "";
    moreButton.hidden = !nextCursor;
    errorBox.hidden = true;
    refreshed.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    errorBox.textContent = "Could not load orders: " + err.message;
    errorBox.hidden = false;
  }
}

function tile(label, value) {
  const div = document.createElement("div");
  div.className = "tile";
  const b = document.createElement("b");
  b.textContent = value;
  div.appendChild(b);
  div.appendChild(document.createTextNode(label));
  return div;
}

// Orders by status and each task queue's backlog and pollers, from GET /api/stats.
async function loadStats() {
  try {
    const resp = await fetch("/api/stats");
    if (!resp.ok) return;
    const stats = await resp.json();
    const counts = document.getElementById("status-counts");
    counts.replaceChildren(...Object.entries(stats.orders).sort().map(([status, n]) => tile(status, n)));
    const queues = document.getElementById("queues");
    queues.replaceChildren(...Object.entries(stats.task_queues).sort().map(([queue, q]) =>
      tile(queue + " queue: " + (q.workflow_pollers + q.activity_pollers) + " pollers",
           (q.workflow_backlog + q.activity_backlog) + " waiting")));
  } catch (err) {
    // The orders table reports connectivity problems; stats stay as they were.
  }
}

statusFilter.addEventListener("change", () => load(false));
moreButton.addEventListener("click", () => load(true));
load(false);
loadStats();
setInterval(() => {
  if (!nextCursor || rows.children.length <= 25) load(false);
  loadStats();
}, 2000);
