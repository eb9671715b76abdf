// The admin console's views (#/console/<name>): approvals, inventory,
// notifications and webhooks. An ES module loaded after app.js, whose
// globals it uses (api, showProblem, say, money, el, facts, timeEl,
// statusText, orderHash, randomID, session, registerConsoleView,
// subscribeOrders); its own names stay its own. Everything the API sends is
// put in the page as text (textContent, text nodes), never parsed as HTML.
//
// Each view is a function of its own, started by app.js with an empty
// section (its h2 is app.js's, so a view's headings are h3 and below) and
// stopped when the admin goes elsewhere: see Scope.

// ---- Shared ----

// GONE is what a Scope's request throws when its answer comes after the
// view was left or the session changed: nobody is there to see it.
const GONE = new Error("the view was left");

// A Scope is one visit to a view. What the view starts (timers, the orders
// subscription, dialogs) it registers here, and leave() stops all of it.
// app.js's api() takes no AbortSignal, so a request under way cannot be
// cancelled: its answer is dropped instead (GONE).
class Scope {
  constructor(section) {
    this.section = section;
    this.session = session;
    this.live = true;
    this.cleanups = [];
  }

  get current() {
    return this.live && session === this.session;
  }

  async api(method, path, body, headers) {
    let answer;
    try {
      answer = await api(method, path, body, headers);
    } catch (err) {
      throw this.current ? err : GONE;
    }
    if (!this.current) throw GONE;
    return answer;
  }

  // after calls fn in ms, unless the view is left first; it returns the
  // function that cancels it.
  after(ms, fn) {
    const timer = setTimeout(() => { if (this.current) fn(); }, ms);
    const cancel = () => clearTimeout(timer);
    this.cleanups.push(cancel);
    return cancel;
  }

  every(ms, fn) {
    const timer = setInterval(() => { if (this.current) fn(); }, ms);
    this.cleanups.push(() => clearInterval(timer));
  }

  // listen adds an event listener that goes with the view (for targets that
  // outlive its section, such as document).
  listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.cleanups.push(() => target.removeEventListener(type, fn));
  }

  onLeave(fn) {
    this.cleanups.push(fn);
  }

  close() {
    this.live = false;
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // One cleanup failing must not keep the others from running.
      }
    }
  }
}

// consoleView registers a view with app.js: start(scope, section) draws it
// and starts what it needs; leaving closes the scope.
function consoleView(name, title, start) {
  let scope = null;
  registerConsoleView(name, {
    title,
    enter(section) {
      if (scope) scope.close();
      scope = new Scope(section);
      start(scope, section);
    },
    leave() {
      if (scope) scope.close();
      scope = null;
    },
  });
}

// failed shows err in box, unless it is GONE (nobody is looking); it
// reports whether it was shown.
function failed(box, prefix, err) {
  if (err === GONE) return false;
  showProblem(box, prefix, err);
  return true;
}

// lost reports whether err leaves the request's outcome unknown (no
// answer, a timeout, a throttle, an outage), so that repeating it with the
// same Idempotency-Key is the safe next step.
function lost(err) {
  return !(err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429);
}

function button(text, className) {
  const b = el("button", text, className);
  b.type = "button";
  return b;
}

function statusBox(id) {
  const p = el("p", "", "con-status");
  p.id = id;
  p.setAttribute("role", "status");
  p.tabIndex = -1; // focus lands here when what had it disappears
  return p;
}

// problemBox is where a view's errors go (showProblem fills it); say()
// turns it into a confirmation.
function problemBox(id) {
  const div = el("div");
  div.id = id;
  div.dataset.conMessage = ""; // styled by this: showProblem and say set the class
  div.setAttribute("aria-live", "polite");
  div.hidden = true;
  return div;
}

// setText writes text into node unless it says so already: a live region
// is announced again at every write.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function heading(level, text, id) {
  const h = el("h" + level, text, "con-heading");
  if (id) h.id = id;
  h.tabIndex = -1;
  return h;
}

// labelled wraps a control in its label, the label's text first.
function labelled(text, control, hint) {
  const label = el("label", undefined, "con-field");
  label.append(el("span", text, "con-label"), control);
  if (hint) label.append(el("small", hint, "con-hint"));
  return label;
}

function input(attrs) {
  return Object.assign(document.createElement("input"), attrs);
}

function select(options, value) {
  const s = document.createElement("select");
  for (const [v, text] of options) {
    const o = el("option", text);
    o.value = v;
    s.appendChild(o);
  }
  if (value !== undefined) s.value = value;
  return s;
}

function code(text) {
  return el("code", text);
}

function badge(text, kind) {
  return el("span", text, "con-badge " + kind);
}

function orderLink(id) {
  const a = el("a");
  a.href = orderHash(id);
  a.appendChild(code(id));
  return a;
}

// sortable turns an RFC 3339 time into a string that sorts as the time
// does, to the nanosecond (Date keeps milliseconds, the API's times have
// more), so that two copies of an order made in one millisecond compare.
function sortable(t) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(t || "");
  if (!m) return String(t || "");
  const fraction = (m[2] || "").padEnd(9, "0");
  const ms = Date.parse(m[1] + "." + fraction.slice(0, 3) + m[3]);
  return String(ms).padStart(16, "0") + fraction.slice(3, 9);
}

// since says how long ago t was, in words.
function since(t) {
  const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
  if (s < 60) return "under a minute";
  const min = Math.floor(s / 60);
  if (min < 60) return min + " min";
  const h = Math.floor(min / 60);
  if (h < 48) return h + " h " + (min % 60) + " min";
  return Math.floor(h / 24) + " days";
}

// ---- Tables ----

// dataTable makes a table with a caption and scoped column headers. Narrow
// screens show each row as a card of labelled cells (console.css), so
// every cell carries its column's name; the ARIA roles restate the table's
// own, which some browsers drop once rows are display: block. A column
// given as {label, hidden: true} has its header read but not shown (the
// actions).
function dataTable(id, caption, columns) {
  const table = el("table", undefined, "con-table");
  table.id = id;
  table.setAttribute("role", "table");
  const cap = el("caption", caption);
  const thead = el("thead");
  thead.setAttribute("role", "rowgroup");
  const head = el("tr");
  head.setAttribute("role", "row");
  const labels = [];
  for (const c of columns) {
    const col = typeof c === "string" ? { label: c } : c;
    const th = el("th");
    th.scope = "col";
    th.setAttribute("role", "columnheader");
    if (col.hidden) th.appendChild(el("span", col.label, "visually-hidden"));
    else th.textContent = col.label;
    head.appendChild(th);
    labels.push(col.hidden ? "" : col.label);
  }
  thead.appendChild(head);
  const tbody = el("tbody");
  tbody.setAttribute("role", "rowgroup");
  table.append(cap, thead, tbody);
  // Wide tables scroll within their wrapper, never the page; the wrapper
  // is focusable so that a keyboard can scroll it.
  const wrap = el("div", undefined, "con-scroll");
  wrap.appendChild(table);
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", caption);
  return { table, tbody, wrap, caption: cap, labels };
}

// dataRow makes a row of t: each cell is text, a node, a list of them, or
// null for an empty one.
function dataRow(t, cells, className) {
  const tr = el("tr", undefined, className);
  tr.setAttribute("role", "row");
  cells.forEach((content, i) => {
    const td = el("td");
    td.setAttribute("role", "cell");
    if (content === null || content === undefined) {
      // Empty: narrow screens leave it out of the card.
    } else if (t.labels[i]) {
      // One box for the value, beside its label on narrow screens.
      td.dataset.label = t.labels[i];
      const value = el("div", undefined, "con-cell");
      value.append(...[].concat(content));
      td.appendChild(value);
    } else {
      td.append(...[].concat(content));
    }
    if (!t.labels[i]) td.className = "con-actions";
    tr.appendChild(td);
  });
  return tr;
}

// messageRow is a table's one row when it has nothing else to show:
// loading, empty, or failed.
function messageRow(t, text) {
  const tr = el("tr", undefined, "con-message-row");
  tr.setAttribute("role", "row");
  const td = el("td", text);
  td.setAttribute("role", "cell");
  td.colSpan = t.labels.length;
  tr.appendChild(td);
  return tr;
}

// detailRow is a full-width row under another, for what a Details button
// opens.
function detailRow(t, content) {
  const tr = el("tr", undefined, "con-detail-row");
  tr.setAttribute("role", "row");
  const td = el("td");
  td.setAttribute("role", "cell");
  td.colSpan = t.labels.length;
  td.append(content);
  tr.appendChild(td);
  return tr;
}

// syncRows makes tbody hold exactly wanted, in order, moving the rows that
// are there already rather than redrawing them, so that a focused button
// keeps its focus.
function syncRows(tbody, wanted) {
  let at = tbody.firstElementChild;
  for (const tr of wanted) {
    if (tr === at) at = at.nextElementSibling;
    else tbody.insertBefore(tr, at);
  }
  while (at) {
    const next = at.nextElementSibling;
    at.remove();
    at = next;
  }
}

// swapKeepingFocus replaces old with fresh; when the focus was in old, it
// goes to the control of fresh that does the same (its data-action), else
// to fresh's first button, else to fallback, rather than to the page's body.
function swapKeepingFocus(old, fresh, fallback) {
  const had = document.activeElement;
  const inside = old.contains(had) && had !== old;
  const action = inside && had.dataset ? had.dataset.action : "";
  old.replaceWith(fresh);
  if (!inside) return;
  const same = action && fresh.querySelector('[data-action="' + action + '"]:not([disabled])');
  (same || fresh.querySelector("button:not([disabled])") || fallback).focus();
}

// ---- Dialogs ----

let dialogs = 0;

// ask opens a modal dialog (the focus stays in it; Escape cancels) and
// resolves to what was typed, "" for a dialog without a field, or null
// when cancelled. The view's leaving cancels it. The focus goes back to
// what had it when the dialog opened.
function ask(scope, { title, text, field, confirm, danger }) {
  return new Promise(resolve => {
    const opener = document.activeElement;
    const n = ++dialogs;
    const dialog = el("dialog", undefined, "con-dialog");
    dialog.id = "con-dialog-" + n;
    const form = el("form");
    const h = el("h3", title);
    h.id = "con-dialog-title-" + n;
    dialog.setAttribute("aria-labelledby", h.id);
    form.appendChild(h);
    if (text) {
      const p = el("p", text);
      p.id = "con-dialog-text-" + n;
      dialog.setAttribute("aria-describedby", p.id);
      form.appendChild(p);
    }
    let box = null;
    if (field) {
      box = input({ type: "text", name: "value", maxLength: field.maxLength || 500, required: Boolean(field.required), autocomplete: "off" });
      box.id = "con-dialog-input-" + n;
      form.appendChild(labelled(field.label, box, field.hint));
    }
    const row = el("div", undefined, "con-buttons");
    const ok = el("button", confirm || "OK", danger ? "con-danger" : "con-primary");
    ok.type = "submit";
    ok.dataset.action = "confirm";
    const cancel = button("Cancel");
    cancel.dataset.action = "cancel";
    row.append(ok, cancel);
    form.appendChild(row);
    dialog.appendChild(form);

    let done = false;
    const finish = value => {
      if (done) return;
      done = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(value);
    };
    form.addEventListener("submit", event => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      finish(box ? box.value.trim() : "");
    });
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", event => { // Escape
      event.preventDefault();
      finish(null);
    });
    scope.onLeave(() => finish(null));
    scope.section.appendChild(dialog);
    dialog.showModal();
    (box || ok).focus();
  });
}

// ---- Approvals ----

// The orders awaiting an admin's approval (GET
// /api/orders?status=awaiting_approval, newest first, "More" for older),
// each with who placed it, what, for how much, the risk assessment that
// held it and how long it has waited; Approve and Reject ask for a reason
// and post the decision. The queue is kept live with the dashboard's list
// stream (subscribeOrders): an order that comes to await approval joins it,
// one decided by anyone (or cancelled at the approval timeout) leaves it.
// The subscription is made before the list is read, and of two copies of
// an order the later (changed_at) wins, so nothing in between is missed.
function approvalsView(scope, section) {
  const PAGE = 25;
  const queue = new Map(); // id -> order, every one awaiting approval
  const latest = new Map(); // id -> changed_at of the latest copy seen, awaiting or not
  const heard = new Map(); // id -> when (performance.now()) that copy came
  const drawn = new Map(); // id -> {from, tr}
  const busy = new Set(); // orders whose decision is being sent
  let nextCursor = "";
  let loaded = false;
  let reading = 0; // the current first-page read: a later one supersedes it
  let loadFailed = false; // the message box says the last read failed

  const count = statusBox("approvals-count");
  count.textContent = "Loading the orders awaiting approval…";
  const message = problemBox("approvals-message");
  const t = dataTable("approvals-table", "Orders awaiting approval, newest first",
    ["Order", "Customer", "Total", "Items", "Risk", "Waiting", { label: "Decision", hidden: true }]);
  t.tbody.appendChild(messageRow(t, "Loading…"));
  const more = button("More", "con-more");
  more.id = "approvals-more";
  more.hidden = true;
  section.append(count, message, t.wrap, more);

  // listedBefore reports whether a comes before b in the API's order:
  // newest first, by created_at, then ID.
  const listedBefore = (a, b) => {
    const ta = sortable(a.created_at);
    const tb = sortable(b.created_at);
    return ta !== tb ? ta > tb : a.id > b.id;
  };
  const sorted = () => [...queue.values()].sort((a, b) => (listedBefore(a, b) ? -1 : 1));

  // take puts a copy of an order where it belongs: in the queue while it
  // awaits approval, out of it otherwise; a copy no later than one seen
  // already changes nothing. A copy from the stream of an order older than
  // the last listed one is left for the page "More" brings (fromPage: this
  // is that page), and not remembered, so that the page's copy counts.
  const take = (o, fromPage) => {
    const had = latest.get(o.id);
    if (had && sortable(o.changed_at) <= sortable(had)) return;
    if (o.status === "awaiting_approval" && !fromPage && !queue.has(o.id) && nextCursor) {
      const list = sorted();
      const last = list[list.length - 1];
      if (last && !listedBefore(o, last)) return;
    }
    latest.set(o.id, o.changed_at);
    heard.set(o.id, performance.now());
    if (o.status === "awaiting_approval") queue.set(o.id, o);
    else queue.delete(o.id);
  };

  const unsubscribe = subscribeOrders(o => {
    // app.js calls every subscriber in turn: an error here must not
    // reach it.
    try {
      if (!scope.current) return;
      take(o);
      if (loaded) render();
    } catch (err) {
      showProblem(message, "Could not show a change to the queue: ", err);
    }
  });
  scope.onLeave(unsubscribe);

  function render() {
    const list = sorted();
    const ids = new Set(list.map(o => o.id));
    // The focus was in a row that is leaving (decided elsewhere): it goes
    // to the next row's first button, else to the count.
    const focused = document.activeElement;
    const leaving = [...drawn.entries()].find(([id, d]) => !ids.has(id) && d.tr.contains(focused));
    const order = [...drawn.keys()];
    const rows = list.map(o => {
      const from = o.changed_at + (busy.has(o.id) ? " busy" : "");
      const had = drawn.get(o.id);
      if (had && had.from === from) return had.tr;
      const tr = approvalRow(o);
      if (had) swapKeepingFocus(had.tr, tr, count);
      drawn.set(o.id, { from, tr });
      return tr;
    });
    for (const id of drawn.keys()) if (!ids.has(id)) drawn.delete(id);
    syncRows(t.tbody, rows.length ? rows : [messageRow(t, "No order awaits approval. Orders held for approval (above the approval threshold, or of medium risk) show here as they come.")]);
    if (leaving) {
      const at = order.indexOf(leaving[0]);
      const next = order.slice(at + 1).map(id => drawn.get(id)).find(Boolean);
      const target = next && next.tr.querySelector("button:not([disabled])");
      (target || count).focus();
    }
    // Written only when it changes: it is a live region, announced at each write.
    setText(count, list.length === 0 ? "No order awaits approval."
      : nextCursor ? list.length + " orders awaiting approval shown; older ones come with More."
      : list.length + (list.length === 1 ? " order awaits" : " orders await") + " approval.");
    more.hidden = !nextCursor;
  }

  function approvalRow(o) {
    const items = el("ul", undefined, "con-list");
    for (const i of o.items || []) {
      items.appendChild(el("li", i.quantity + " \u00d7 " + i.sku + " at " + money(i.unit_price, o.currency)));
    }
    const risk = el("div");
    if (o.risk) {
      risk.append(badge(o.risk.level + " risk", "risk " + o.risk.level), " score " + o.risk.score);
      const reasons = el("ul", undefined, "con-list");
      for (const r of o.risk.reasons) reasons.appendChild(el("li", r));
      if (o.risk.reasons.length) risk.appendChild(reasons);
    } else {
      risk.textContent = "not assessed";
    }
    // It has waited since its approval step started; an order without one
    // (older data) since it was placed.
    const step = (o.steps || []).find(s => s.name === "await_approval");
    const from = step ? step.started_at : o.created_at;
    const waiting = el("span", undefined, "con-age");
    waiting.dataset.since = from;
    waiting.append(timeEl(from, since(from)));
    const placed = el("small", undefined, "con-sub");
    placed.append("placed ", timeEl(o.created_at));
    const email = (o.contact && o.contact.email) || "";
    const customer = [el("span", email || "no email", "con-email")];
    customer.push(el("small", o.customer_id, "con-sub"));
    const approve = button("Approve", "con-primary");
    approve.dataset.action = "approve";
    approve.setAttribute("aria-label", "Approve order " + o.id + (email ? " of " + email : ""));
    const reject = button("Reject", "con-danger");
    reject.dataset.action = "reject";
    reject.setAttribute("aria-label", "Reject order " + o.id + (email ? " of " + email : ""));
    // Off while the decision is sent, yet focusable: the keyboard stays.
    for (const b of [approve, reject]) b.setAttribute("aria-disabled", String(busy.has(o.id)));
    approve.addEventListener("click", () => decide(o.id, "approve"));
    reject.addEventListener("click", () => decide(o.id, "reject"));
    const tr = dataRow(t, [orderLink(o.id), customer, money(o.total, o.currency), items, risk, [waiting, placed], [approve, reject]]);
    tr.dataset.order = o.id;
    return tr;
  }

  // decide asks for the reason, then posts the decision. The answer is
  // the order as it is now, which takes it out of the queue; a 409 means
  // it was decided already (by someone else, or by the timeout): the order
  // is read again to show where it stands.
  async function decide(id, action) {
    const o = queue.get(id);
    if (!o || busy.has(id)) return;
    const who = (o.contact && o.contact.email) || o.customer_id;
    const reason = await ask(scope, {
      title: (action === "approve" ? "Approve" : "Reject") + " order " + id,
      text: money(o.total, o.currency) + " from " + who + ". " + (action === "approve"
        ? "The payment is captured and the order goes on."
        : "The order is cancelled: its payment voided, its stock released."),
      field: { label: "Reason", hint: "Optional; recorded with the decision.", maxLength: 500 },
      confirm: action === "approve" ? "Approve" : "Reject",
      danger: action === "reject",
    });
    if (reason === null || !scope.current || !queue.has(id)) return;
    busy.add(id);
    render();
    try {
      const after = await scope.api("POST", "/api/orders/" + encodeURIComponent(id) + "/" + action, reason ? { reason } : undefined);
      say(message, "Order " + id + (action === "approve" ? " approved." : " rejected."));
      busy.delete(id);
      take(after);
    } catch (err) {
      if (err === GONE) return;
      busy.delete(id);
      showProblem(message, "Could not " + action + " order " + id + ": ", err);
      if (err.status === 409 || err.status === 404) refreshOrder(id);
    }
    render();
  }

  async function refreshOrder(id) {
    try {
      const o = await scope.api("GET", "/api/orders/" + encodeURIComponent(id));
      take(o);
      render();
    } catch (err) {
      if (err === GONE) return;
      if (err.status === 404) {
        queue.delete(id);
        render();
      }
    }
  }

  // load reads the first page again (on entering, and as a safety net for
  // changes the stream could not bring: a hidden tab stops it); older
  // pages come with "More".
  async function load() {
    const n = ++reading;
    const asked = performance.now();
    try {
      const page = await scope.api("GET", "/api/orders?" + new URLSearchParams({ status: "awaiting_approval", limit: String(PAGE) }));
      if (n !== reading) return;
      // The first page replaces what it covers: an order queued before the
      // page was asked for, absent from it and newer than its last, was
      // decided meanwhile. One the stream brought since may be too new for
      // the page: it stays.
      const last = page.orders[page.orders.length - 1];
      const inPage = new Set(page.orders.map(o => o.id));
      for (const [id, o] of queue) {
        const covered = !page.next_cursor || !last || listedBefore(o, last);
        if (!inPage.has(id) && covered && (heard.get(id) || 0) < asked) queue.delete(id);
      }
      if (!loaded) nextCursor = page.next_cursor || "";
      for (const o of page.orders) take(o, true);
      loaded = true;
      if (loadFailed) message.hidden = true; // what it said is over
      loadFailed = false;
      render();
    } catch (err) {
      if (err === GONE || n !== reading) return;
      loadFailed = failed(message, "Could not load the orders awaiting approval: ", err);
      if (!loaded) {
        count.textContent = "The queue could not be loaded.";
        syncRows(t.tbody, [messageRow(t, "Not loaded.")]);
      }
    }
  }

  async function loadMore() {
    const cursor = nextCursor;
    if (!cursor) return;
    more.disabled = true;
    try {
      const page = await scope.api("GET", "/api/orders?" + new URLSearchParams({ status: "awaiting_approval", limit: String(PAGE), cursor }));
      if (nextCursor !== cursor) return;
      nextCursor = page.next_cursor || "";
      for (const o of page.orders) take(o, true);
      render();
    } catch (err) {
      failed(message, "Could not load more orders: ", err);
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", loadMore);
  // The waiting times move on by themselves.
  scope.every(30000, () => {
    for (const span of t.tbody.querySelectorAll(".con-age")) {
      span.firstChild.textContent = since(span.dataset.since);
    }
  });
  // The list stream pauses while the tab is hidden: read the queue again
  // when it is shown, and once a minute besides.
  scope.listen(document, "visibilitychange", () => { if (document.visibilityState === "visible" && scope.current) load(); });
  scope.every(60000, load);
  load();
}

// ---- Inventory ----

// The catalogue (GET /api/products); a product picked shows its stock per
// warehouse (GET /api/inventory/{sku}), an adjustment form for one of its
// warehouses (POST /api/inventory/{sku}/adjustments) and its ledger (GET
// /api/inventory/{sku}/events, newest first, "Older events" for the next
// page). After an adjustment the stock and the ledger are read again.
let inventorySku = ""; // the product last picked, picked again on coming back

function inventoryView(scope, section) {
  const LEDGER_PAGE = 20;
  let products = [];
  let picked = null; // {sku, product, stock, cursor, load}
  let adjustKey = ""; // the adjustment's Idempotency-Key while its outcome is unknown
  let adjustSent = ""; // the body that key was sent with

  const status = statusBox("inventory-status");
  status.textContent = "Loading the products…";
  const message = problemBox("inventory-message");
  const pick = select([["", "Loading…"]]);
  pick.id = "inventory-sku";
  pick.disabled = true;
  const picker = el("div", undefined, "con-toolbar");
  picker.append(labelled("Product", pick));

  const detail = el("section", undefined, "con-card");
  detail.id = "inventory-detail";
  detail.hidden = true;
  const title = heading(3, "", "inventory-title");
  detail.setAttribute("aria-labelledby", title.id);

  const stockTitle = heading(4, "Stock per warehouse", "inventory-stock-title");
  const stock = dataTable("inventory-stock", "Stock per warehouse", ["Warehouse", "On hand", "Reserved", "Available", "Version"]);
  stock.table.classList.add("con-numbers");

  const adjustTitle = heading(4, "Adjust the stock", "inventory-adjust-title");
  const form = el("form", undefined, "con-form");
  form.id = "inventory-adjust";
  form.setAttribute("aria-labelledby", adjustTitle.id);
  const warehouse = select([]);
  warehouse.id = "inventory-warehouse";
  warehouse.name = "warehouse";
  warehouse.required = true;
  const delta = input({ type: "number", name: "delta", id: "inventory-delta", step: 1, min: -1000000, max: 1000000, required: true, inputMode: "numeric" });
  const reason = input({ type: "text", name: "reason", id: "inventory-reason", maxLength: 500, required: true, autocomplete: "off" });
  const submit = el("button", "Adjust", "con-primary");
  submit.type = "submit";
  submit.id = "inventory-adjust-submit";
  const adjustMessage = problemBox("inventory-adjust-message");
  form.append(
    labelled("Warehouse", warehouse),
    labelled("Change", delta, "Positive receives goods, negative corrects the count."),
    labelled("Reason", reason, "For the ledger, such as a delivery note."),
    submit, adjustMessage);

  const ledgerTitle = heading(4, "Ledger", "inventory-ledger-title");
  const ledger = dataTable("inventory-ledger", "Ledger, newest first",
    ["Time", "Warehouse", "Kind", "On hand", "Reserved", "Version", "Order", "By", "Reason"]);
  const older = button("Older events", "con-more");
  older.id = "inventory-ledger-more";
  older.hidden = true;
  detail.append(title, stockTitle, stock.wrap, adjustTitle, form, ledgerTitle, ledger.wrap, older);
  section.append(status, message, picker, detail);

  async function loadProducts() {
    try {
      const body = await scope.api("GET", "/api/products");
      products = body.products || [];
      if (products.length === 0) {
        status.textContent = "There are no products in the catalogue.";
        pick.replaceChildren(el("option", "No products"));
        return;
      }
      status.textContent = products.length + (products.length === 1 ? " product." : " products.");
      pick.replaceChildren(...[["", "Pick a product"], ...products.map(p => [p.sku, p.name + " (" + p.sku + ")"])].map(([v, text]) => {
        const o = el("option", text);
        o.value = v;
        return o;
      }));
      pick.disabled = false;
      if (inventorySku && products.some(p => p.sku === inventorySku)) {
        pick.value = inventorySku;
        show(inventorySku);
      }
    } catch (err) {
      if (failed(message, "Could not load the products: ", err)) status.textContent = "The products could not be loaded.";
    }
  }

  function show(sku) {
    inventorySku = sku;
    adjustMessage.hidden = true;
    if (!sku) {
      picked = null;
      detail.hidden = true;
      return;
    }
    const product = products.find(p => p.sku === sku);
    picked = { sku, product, stock: null, cursor: "", load: 0 };
    title.replaceChildren((product ? product.name + " " : ""), code(sku));
    if (product) title.append(el("span", " \u00b7 " + money(product.price, product.currency), "con-price"));
    stock.caption.textContent = "Stock of " + sku + " per warehouse";
    ledger.caption.textContent = "Ledger of " + sku + ", newest first";
    detail.hidden = false;
    loadStock(picked);
    loadLedger(picked, false);
  }

  async function loadStock(p) {
    syncRows(stock.tbody, [messageRow(stock, "Loading the stock…")]);
    try {
      const level = await scope.api("GET", "/api/inventory/" + encodeURIComponent(p.sku));
      if (picked !== p) return;
      renderStock(p, level);
    } catch (err) {
      if (err === GONE || picked !== p) return;
      syncRows(stock.tbody, [messageRow(stock, err.status === 404 ? "No warehouse holds this product." : "Not loaded.")]);
      if (err.status !== 404) failed(message, "Could not load the stock of " + p.sku + ": ", err);
      renderWarehouses([]);
    }
  }

  function renderStock(p, level) {
    p.stock = level;
    const rows = level.warehouses.map(w => dataRow(stock, [w.warehouse_id, String(w.on_hand), String(w.reserved), String(w.available), String(w.version)]));
    if (rows.length === 0) rows.push(messageRow(stock, "No warehouse holds this product."));
    else {
      const total = dataRow(stock, ["Total", String(level.totals.on_hand), String(level.totals.reserved), String(level.totals.available), null], "con-total");
      // The total's name heads its row.
      const th = el("th");
      th.scope = "row";
      th.setAttribute("role", "rowheader");
      th.dataset.label = "Warehouse";
      th.append(...total.firstChild.childNodes);
      total.firstChild.replaceWith(th);
      rows.push(total);
    }
    syncRows(stock.tbody, rows);
    renderWarehouses(level.warehouses.map(w => w.warehouse_id));
  }

  // The form adjusts one of the warehouses that hold the SKU; the one
  // chosen stays chosen across reloads.
  function renderWarehouses(ids) {
    const was = warehouse.value;
    warehouse.replaceChildren(...ids.map(id => {
      const o = el("option", id);
      o.value = id;
      return o;
    }));
    if (ids.includes(was)) warehouse.value = was;
    const none = ids.length === 0;
    for (const c of [warehouse, delta, reason, submit]) c.disabled = none;
    if (none) say(adjustMessage, "No warehouse holds this product, so there is none to adjust.");
  }

  async function loadLedger(p, append) {
    const n = ++p.load;
    const cursor = append ? p.cursor : "";
    if (!append) syncRows(ledger.tbody, [messageRow(ledger, "Loading the ledger…")]);
    older.disabled = true;
    try {
      const params = new URLSearchParams({ limit: String(LEDGER_PAGE) });
      if (cursor) params.set("cursor", cursor);
      const page = await scope.api("GET", "/api/inventory/" + encodeURIComponent(p.sku) + "/events?" + params);
      if (picked !== p || p.load !== n) return;
      p.cursor = page.next_cursor || "";
      const rows = page.events.map(ledgerRow);
      if (append) ledger.tbody.append(...rows);
      else syncRows(ledger.tbody, rows.length ? rows : [messageRow(ledger, "No stock events yet.")]);
      older.hidden = !p.cursor;
    } catch (err) {
      if (err === GONE || picked !== p || p.load !== n) return;
      failed(message, "Could not load the ledger of " + p.sku + ": ", err);
      if (!append) syncRows(ledger.tbody, [messageRow(ledger, "Not loaded.")]);
    } finally {
      older.disabled = false;
    }
  }

  function signed(n) {
    return n > 0 ? "+" + n : String(n);
  }

  function ledgerRow(e) {
    const order = e.order_id ? orderLink(e.order_id) : e.reservation_id ? code(e.reservation_id) : null;
    return dataRow(ledger, [timeEl(e.created_at), e.warehouse_id, statusText(e.kind), signed(e.on_hand_delta),
      signed(e.reserved_delta), String(e.version), order, e.actor, e.reason || null]);
  }

  // adjust posts the adjustment with an Idempotency-Key kept while its
  // outcome is unknown, so that pressing Adjust again after a lost answer
  // applies it once; a refusal or a success ends the key.
  async function adjust(event) {
    event.preventDefault();
    const p = picked;
    if (!p || submit.disabled) return;
    const change = Number(delta.value);
    delta.setCustomValidity(Number.isInteger(change) && change !== 0 ? "" : "Enter a whole number other than 0.");
    if (!form.reportValidity()) return;
    const body = { warehouse: warehouse.value, delta: change, reason: reason.value.trim() };
    const sent = JSON.stringify(body);
    if (!adjustKey || adjustSent !== p.sku + sent) {
      adjustKey = randomID();
      adjustSent = p.sku + sent;
    }
    submit.disabled = true;
    adjustMessage.hidden = true;
    try {
      const result = await scope.api("POST", "/api/inventory/" + encodeURIComponent(p.sku) + "/adjustments", body, { "Idempotency-Key": adjustKey });
      adjustKey = "";
      say(adjustMessage, "Adjusted " + body.warehouse + " by " + signed(body.delta) + ": " +
        (result.stock.warehouses.find(w => w.warehouse_id === body.warehouse) || { on_hand: "?" }).on_hand + " on hand now.");
      delta.value = "";
      reason.value = "";
      if (picked === p) {
        renderStock(p, result.stock); // at once; then as the API has it now
        loadStock(p);
        loadLedger(p, false);
      }
    } catch (err) {
      if (err === GONE) return;
      if (!lost(err)) adjustKey = "";
      showProblem(adjustMessage, "Could not adjust the stock: ", err);
      if (lost(err)) adjustMessage.appendChild(el("p", "Its outcome is unknown: pressing Adjust again applies it at most once."));
    } finally {
      submit.disabled = false;
    }
  }

  pick.addEventListener("change", () => show(pick.value));
  older.addEventListener("click", () => { if (picked) loadLedger(picked, true); });
  delta.addEventListener("input", () => delta.setCustomValidity(""));
  form.addEventListener("submit", adjust);
  loadProducts();
}

// ---- Notifications ----

// The messages to customers, newest first, by status: by default those that
// failed on every channel (GET /api/notifications?status=failed, "More"
// for the next page). Details shows a message's provider calls (GET
// /api/notifications/{id}); Retry sends a failed one again (POST
// .../retry), and its row is read again while the new round runs.
function notificationsView(scope, section) {
  const PAGE = 50;
  const POLL_MS = 2000;
  const POLLS = 15; // at most 30 s after a retry
  const rows = new Map(); // id -> {n, tr, detail}
  let cursor = "";
  let load = 0;

  const toolbar = el("div", undefined, "con-toolbar");
  const filter = select([["failed", "failed"], ["pending", "pending"], ["scheduled", "scheduled"], ["sent", "sent"], ["", "all"]], "failed");
  filter.id = "notifications-status";
  toolbar.append(labelled("Status", filter));
  const reload = button("Reload");
  reload.id = "notifications-reload";
  toolbar.append(reload);
  const status = statusBox("notifications-count");
  const message = problemBox("notifications-message");
  const t = dataTable("notifications-table", "Notifications, newest first",
    ["Kind", "Order", "Status", "Round", "Channel", "Failures", "Last change", { label: "Actions", hidden: true }]);
  const more = button("More", "con-more");
  more.id = "notifications-more";
  more.hidden = true;
  section.append(toolbar, status, message, t.wrap, more);

  function path(after) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (filter.value) params.set("status", filter.value);
    if (after) params.set("cursor", after);
    return "/api/notifications?" + params;
  }

  function describe() {
    const n = rows.size;
    const what = filter.value ? filter.value : "";
    if (n === 0) return filter.value === "failed" ? "No message failed on every channel." : "No " + (what ? what + " " : "") + "messages.";
    return n + " " + (what ? what + " " : "") + (n === 1 ? "message" : "messages") + (cursor ? " shown; more are older." : ".");
  }

  async function loadPage(append) {
    const n = ++load;
    if (!append) {
      rows.clear();
      cursor = "";
      syncRows(t.tbody, [messageRow(t, "Loading…")]);
      status.textContent = "Loading the messages…";
      message.hidden = true;
    }
    more.disabled = true;
    try {
      const body = await scope.api("GET", path(append ? cursor : ""));
      if (n !== load) return;
      cursor = body.next_cursor || "";
      const fresh = [];
      for (const item of body.items || []) {
        if (rows.has(item.id)) continue;
        const entry = { n: item, tr: null, detail: null, open: false, busy: false, polls: 0, round: 0 };
        entry.tr = notificationRow(entry);
        rows.set(item.id, entry);
        fresh.push(entry.tr);
      }
      if (append) t.tbody.append(...fresh);
      more.hidden = !cursor;
      if (!append) syncRows(t.tbody, fresh.length ? fresh : [messageRow(t, describe())]);
      setText(status, describe());
    } catch (err) {
      if (err === GONE || n !== load) return;
      if (err.status === 400 && /order_id/.test(err.message)) {
        // A server from before the list across orders: it lists one
        // order's messages only (an order's page shows those).
        err = new ApiError(err.status, "this server lists notifications per order only (" + err.message + "). An order's page shows its messages");
      }
      showProblem(message, "Could not load the messages: ", err);
      if (!append) {
        status.textContent = "The messages could not be loaded.";
        syncRows(t.tbody, [messageRow(t, "Not loaded.")]);
      }
    } finally {
      more.disabled = false;
    }
  }

  function notificationRow(entry) {
    const n = entry.n;
    // The channel a provider took it on, if any; then the customer's
    // channels, in the order they are tried.
    const channel = n.channel ? el("span", n.channel + (n.provider ? " (" + n.provider + ")" : "")) : el("span", "none took it");
    const tried = el("small", "tries " + (n.channels.length ? n.channels.join(", ") : "no channel"), "con-sub");
    const failures = el("ul", undefined, "con-list reason");
    for (const [ch, why] of Object.entries(n.failures || {})) {
      const li = el("li");
      li.append(el("strong", ch + ": "), why);
      failures.appendChild(li);
    }
    const state = [badge(statusText(n.status), "notification " + n.status)];
    if (n.status === "scheduled" && n.scheduled_for) {
      const until = el("small", "until ", "con-sub");
      until.appendChild(timeEl(n.scheduled_for));
      state.push(until);
    }
    if (n.delivery) state.push(el("small", n.delivery.state + " (" + n.delivery.event + ")", "con-sub"));
    if (entry.busy || entry.polls > 0) state.push(el("small", "being sent again…", "con-sub"));
    const details = button(entry.open ? "Hide details" : "Details");
    details.dataset.action = "details";
    details.setAttribute("aria-expanded", String(entry.open));
    details.setAttribute("aria-label", (entry.open ? "Hide the details of " : "Details of ") + n.kind + " message " + n.id);
    details.addEventListener("click", () => toggleDetails(entry));
    const actions = [details];
    if (n.status === "failed") {
      const retry = button("Retry", "con-primary");
      retry.dataset.action = "retry";
      retry.setAttribute("aria-label", "Retry the " + n.kind + " message " + n.id);
      // Off while its request is under way, yet focusable: the keyboard
      // stays where it was.
      retry.setAttribute("aria-disabled", String(entry.busy));
      retry.addEventListener("click", () => retryMessage(entry));
      actions.push(retry);
    }
    const tr = dataRow(t, [code(n.kind), n.order_id ? orderLink(n.order_id) : "none", state, String(n.round),
      [channel, tried], failures.children.length ? failures : "none", timeEl(n.updated_at), actions], "notification-row");
    tr.dataset.notification = n.id;
    return tr;
  }

  function redraw(entry) {
    const tr = notificationRow(entry);
    swapKeepingFocus(entry.tr, tr, status);
    entry.tr = tr;
  }

  async function toggleDetails(entry) {
    entry.open = !entry.open;
    if (entry.detail) {
      entry.detail.remove();
      entry.detail = null;
    }
    redraw(entry);
    if (entry.open) {
      const box = el("div", "Loading the attempts…", "con-detail");
      box.id = "notification-detail-" + entry.n.id;
      entry.detail = detailRow(t, box);
      entry.tr.after(entry.detail);
      entry.tr.querySelector('[data-action="details"]').setAttribute("aria-controls", box.id);
      loadDetails(entry, box);
    }
  }

  async function loadDetails(entry, box) {
    try {
      const full = await scope.api("GET", "/api/notifications/" + encodeURIComponent(entry.n.id));
      if (!entry.detail || !entry.detail.contains(box)) return;
      box.replaceChildren(...attemptsOf(full));
    } catch (err) {
      failed(box, "Could not load the message: ", err);
    }
  }

  function attemptsOf(n) {
    const out = [facts([
      ["Message", code(n.id)],
      ["Channel order", n.channels.join(", ")],
      ["Urgent", n.urgent ? "yes (ignores quiet hours)" : "no"],
      ["Provider's message ID", n.provider_message_id ? code(n.provider_message_id) : ""],
      ["Delivery", n.delivery ? n.delivery.state + " (" + n.delivery.event + (n.delivery.detail ? ": " + n.delivery.detail : "") + ")" : ""],
      ["Created", timeEl(n.created_at)],
    ])];
    const attempts = n.attempts || [];
    const a = dataTable("notification-attempts-" + n.id, "Provider calls of " + n.kind + ", oldest first",
      ["Channel", "Provider", "Attempt", "Status", "Status code", "Error", "Started", "Finished"]);
    a.table.classList.add("con-inner");
    const list = attempts.map(x => dataRow(a, [x.channel, x.provider, String(x.attempt),
      [badge(statusText(x.status), "attempt " + x.status), x.permanent ? el("small", "refused for good", "con-sub") : ""],
      x.status_code ? String(x.status_code) : "no answer", x.error ? el("span", x.error, "reason") : null,
      timeEl(x.started_at), x.finished_at ? timeEl(x.finished_at) : "under way"]));
    a.tbody.append(...(list.length ? list : [messageRow(a, "No provider was called yet.")]));
    out.push(a.wrap);
    return out;
  }

  // retryMessage asks for a new round, then reads the message again every
  // POLL_MS until the round after the one retried has ended (or POLLS
  // reads), so the row shows how the retry went.
  async function retryMessage(entry) {
    if (entry.busy) return;
    entry.busy = true;
    redraw(entry);
    try {
      const before = await scope.api("POST", "/api/notifications/" + encodeURIComponent(entry.n.id) + "/retry");
      entry.round = before.round;
      entry.polls = POLLS;
      say(message, "Retry of " + entry.n.kind + " requested: it is being sent again.");
    } catch (err) {
      if (err === GONE) return;
      showProblem(message, "Could not retry the " + entry.n.kind + " message: ", err);
    }
    entry.busy = false;
    refreshRow(entry);
  }

  async function refreshRow(entry) {
    try {
      const fresh = await scope.api("GET", "/api/notifications/" + encodeURIComponent(entry.n.id));
      if (rows.get(fresh.id) !== entry) return; // the list was read again meanwhile
      delete fresh.attempts; // the row shows the message, its detail the calls
      entry.n = fresh;
      const done = fresh.round > entry.round && fresh.status !== "pending";
      if (done || entry.polls <= 0) entry.polls = 0;
      else entry.polls--;
      redraw(entry);
      if (entry.detail) loadDetails(entry, entry.detail.querySelector(".con-detail"));
      if (entry.polls > 0) scope.after(POLL_MS, () => refreshRow(entry));
      else if (done) say(message, "The " + fresh.kind + " message is " + fresh.status + " after its retry.");
    } catch (err) {
      if (err === GONE) return;
      entry.polls = 0;
      redraw(entry);
      showProblem(message, "Could not read the message again: ", err);
    }
  }

  filter.addEventListener("change", () => loadPage(false));
  reload.addEventListener("click", () => loadPage(false));
  more.addEventListener("click", () => loadPage(true));
  loadPage(false);
}

// ---- Webhooks ----

// Integrators' webhook endpoints (GET /api/webhook-endpoints, oldest
// first): add one (POST, whose answer shows its signing secret, once),
// turn it off or on (PATCH {enabled}), delete it (DELETE), give it a new
// secret (POST .../rotate-secret, shown once too), and read its delivery
// log (GET .../deliveries, newest first), each delivery's attempts (GET
// .../deliveries/{id}) and redeliver one (POST .../redeliver).
function webhooksView(scope, section) {
  const DELIVERY_LIMITS = [25, 100]; // the API pages by limit only (1 to 100)
  // The open log is read again this often, while the tab is visible: new
  // events make deliveries at any time, and pending ones change.
  const LOG_EVERY_MS = 5000;
  let endpoints = [];
  let eventTypes = [];
  let log = null; // the open delivery log: {endpoint, limit, load, open: Set, timer}
  const busy = new Set(); // endpoint IDs with a change under way

  const status = statusBox("webhooks-count");
  status.textContent = "Loading the endpoints…";
  const message = problemBox("webhooks-message");
  const secretBox = el("div", undefined, "con-secret");
  secretBox.id = "webhooks-secret";
  secretBox.setAttribute("role", "region");
  secretBox.setAttribute("aria-label", "Signing secret");
  secretBox.tabIndex = -1;
  secretBox.hidden = true;
  const t = dataTable("webhooks-table", "Webhook endpoints, oldest first",
    ["URL", "Events", "State", "Created", { label: "Actions", hidden: true }]);
  t.tbody.appendChild(messageRow(t, "Loading…"));

  const addTitle = heading(3, "Add an endpoint", "webhooks-add-title");
  const form = el("form", undefined, "con-form");
  form.id = "webhooks-add";
  form.setAttribute("aria-labelledby", addTitle.id);
  const url = input({ type: "url", name: "url", id: "webhooks-url", required: true, maxLength: 2048, placeholder: "https://erp.example.com/hooks/orderflow", autocomplete: "off", spellcheck: false });
  const description = input({ type: "text", name: "description", id: "webhooks-description", maxLength: 200, autocomplete: "off" });
  const events = el("fieldset", undefined, "con-events");
  events.id = "webhooks-events";
  const add = el("button", "Add endpoint", "con-primary");
  add.type = "submit";
  add.id = "webhooks-add-submit";
  const addMessage = problemBox("webhooks-add-message");
  form.append(labelled("URL", url, "http or https; the API refuses private addresses unless it allows them."),
    labelled("Description", description, "Optional, for you."), events, add, addMessage);

  const logSection = el("section", undefined, "con-card");
  logSection.id = "webhooks-deliveries";
  logSection.hidden = true;
  const logTitle = heading(3, "Deliveries", "webhooks-deliveries-title");
  logSection.setAttribute("aria-labelledby", logTitle.id);
  const logStatus = statusBox("webhooks-deliveries-status");
  const logMessage = problemBox("webhooks-deliveries-message");
  const d = dataTable("webhooks-deliveries-table", "Deliveries, newest first",
    ["Event", "Status", "Attempts", "Created", "Last change", { label: "Actions", hidden: true }]);
  const logButtons = el("div", undefined, "con-buttons");
  const logMore = button("Show more", "con-more");
  logMore.id = "webhooks-deliveries-more";
  logMore.hidden = true;
  const logReload = button("Reload");
  logReload.id = "webhooks-deliveries-reload";
  const logClose = button("Close the log");
  logClose.id = "webhooks-deliveries-close";
  logButtons.append(logMore, logReload, logClose);
  logSection.append(logTitle, logStatus, logMessage, d.wrap, logButtons);

  const listTitle = heading(3, "Endpoints", "webhooks-list-title");
  section.append(listTitle, status, message, secretBox, t.wrap, logSection, addTitle, form);

  // ---- Endpoints ----

  async function loadEndpoints() {
    try {
      const body = await scope.api("GET", "/api/webhook-endpoints");
      endpoints = body.items || [];
      if (JSON.stringify(eventTypes) !== JSON.stringify(body.event_types || [])) {
        eventTypes = body.event_types || [];
        renderEventChoices();
      }
      renderEndpoints();
    } catch (err) {
      if (!failed(message, "Could not load the endpoints: ", err)) return;
      status.textContent = "The endpoints could not be loaded.";
      syncRows(t.tbody, [messageRow(t, "Not loaded.")]);
    }
  }

  function renderEndpoints() {
    const n = endpoints.length;
    setText(status, n === 0 ? "No endpoints yet: add one below." : n + (n === 1 ? " endpoint." : " endpoints."));
    const rows = endpoints.map(endpointRow);
    if (rows.length === 0) rows.push(messageRow(t, "No endpoints. Events are posted to the endpoints added here."));
    // A redraw must not lose the keyboard's place.
    const had = document.activeElement;
    const key = had && t.tbody.contains(had) ? [had.closest("tr").dataset.endpoint, had.dataset.action] : null;
    syncRows(t.tbody, rows);
    if (key) {
      const row = [...t.tbody.rows].find(r => r.dataset.endpoint === key[0]);
      const again = row && row.querySelector('[data-action="' + key[1] + '"]');
      (again || status).focus();
    }
  }

  function endpointRow(e) {
    const where = [el("span", e.url, "con-url")];
    if (e.description) where.push(el("small", e.description, "con-sub"));
    const types = el("ul", undefined, "con-list");
    for (const type of e.event_types) types.appendChild(el("li", undefined)).appendChild(code(type));
    const state = [badge(e.enabled ? "enabled" : "disabled", e.enabled ? "on" : "off")];
    if (e.disabled_reason) state.push(el("small", e.disabled_reason, "con-sub reason"));
    if (e.failing_since) {
      const f = el("small", "failing since ", "con-sub reason");
      f.appendChild(timeEl(e.failing_since));
      state.push(f);
    }
    if (e.rotation_ends_at && Date.parse(e.rotation_ends_at) > Date.now()) {
      const r = el("small", "previous secret signs too until ", "con-sub");
      r.appendChild(timeEl(e.rotation_ends_at));
      state.push(r);
    }
    const name = e.description || e.url;
    const off = busy.has(e.id);
    const toggle = button(e.enabled ? "Disable" : "Enable");
    toggle.dataset.action = "toggle";
    toggle.setAttribute("aria-label", (e.enabled ? "Disable " : "Enable ") + name);
    toggle.addEventListener("click", () => setEnabled(e, !e.enabled));
    const rotate = button("Rotate secret");
    rotate.dataset.action = "rotate";
    rotate.setAttribute("aria-label", "Rotate the secret of " + name);
    rotate.addEventListener("click", () => rotateSecret(e));
    const open = Boolean(log && log.endpoint.id === e.id);
    const deliveries = button(open ? "Hide deliveries" : "Deliveries");
    deliveries.dataset.action = "deliveries";
    deliveries.setAttribute("aria-expanded", String(open));
    deliveries.setAttribute("aria-controls", logSection.id);
    deliveries.setAttribute("aria-label", (open ? "Hide the deliveries to " : "Deliveries to ") + name);
    deliveries.addEventListener("click", () => (open ? closeLog() : openLog(e)));
    const remove = button("Delete", "con-danger");
    remove.dataset.action = "delete";
    remove.setAttribute("aria-label", "Delete " + name);
    remove.addEventListener("click", () => deleteEndpoint(e));
    // Off while a change is under way, yet focusable: the keyboard stays.
    for (const b of [toggle, rotate, remove]) b.setAttribute("aria-disabled", String(off));
    const tr = dataRow(t, [where, types, state, timeEl(e.created_at), [deliveries, toggle, rotate, remove]]);
    tr.dataset.endpoint = e.id;
    return tr;
  }

  // The event types as checkboxes, the groups (order.*) first: a group
  // takes in the types the API adds to it later.
  function renderEventChoices() {
    const groups = [...new Set(eventTypes.filter(x => x.includes(".")).map(x => x.slice(0, x.indexOf(".")) + ".*"))];
    const was = new Set([...events.querySelectorAll("input:checked")].map(c => c.value));
    const legend = el("legend", "Events to send");
    const boxes = el("div", undefined, "con-checks");
    for (const type of [...groups, ...eventTypes]) {
      const box = input({ type: "checkbox", name: "event_types", value: type, checked: was.has(type) });
      const label = el("label");
      label.append(box, " ", code(type));
      boxes.appendChild(label);
    }
    if (eventTypes.length === 0) boxes.appendChild(el("p", "The API names no event types.", "con-sub"));
    events.replaceChildren(legend, boxes);
  }

  // showSecret shows a signing secret the API answers once, with the
  // warning that it is not shown again, until the admin dismisses it.
  function showSecret(e, secret, rotated) {
    const p = el("p");
    p.append(el("strong", (rotated ? "The new signing secret of " : "The signing secret of ") + (e.description || e.url) + ":"));
    const value = code(secret);
    value.id = "webhooks-secret-value";
    value.className = "con-secret-value";
    const note = el("p", "Copy it now and keep it with the receiver: it is not shown again." +
      (rotated ? " Until the rotation ends, messages are signed with the previous secret too." : ""), "con-warning");
    const buttons = el("div", undefined, "con-buttons");
    if (navigator.clipboard && window.isSecureContext) {
      const copy = button("Copy");
      copy.addEventListener("click", () => {
        navigator.clipboard.writeText(secret).then(() => { copy.textContent = "Copied"; }, () => { copy.textContent = "Select it and copy"; });
      });
      buttons.appendChild(copy);
    }
    const dismiss = button("I have kept it");
    dismiss.id = "webhooks-secret-dismiss";
    dismiss.addEventListener("click", () => {
      secretBox.hidden = true;
      secretBox.replaceChildren(); // gone from the page too
      status.focus();
    });
    buttons.appendChild(dismiss);
    secretBox.replaceChildren(p, value, note, buttons);
    secretBox.hidden = false;
    secretBox.focus();
  }
  scope.onLeave(() => secretBox.replaceChildren());

  async function addEndpoint(event) {
    event.preventDefault();
    const types = [...events.querySelectorAll("input:checked")].map(c => c.value);
    const first = events.querySelector("input");
    if (first) first.setCustomValidity(types.length ? "" : "Pick at least one event.");
    if (!form.reportValidity()) return;
    const body = { url: url.value.trim(), event_types: types };
    if (description.value.trim()) body.description = description.value.trim();
    add.disabled = true;
    addMessage.hidden = true;
    try {
      const created = await scope.api("POST", "/api/webhook-endpoints", body);
      form.reset();
      say(addMessage, "Endpoint added.");
      const { secret, ...plain } = created;
      endpoints = endpoints.filter(x => x.id !== plain.id).concat([plain]);
      renderEndpoints();
      showSecret(plain, secret, false);
      loadEndpoints();
    } catch (err) {
      failed(addMessage, "Could not add the endpoint: ", err);
    } finally {
      add.disabled = false;
    }
  }

  // change runs one request on an endpoint with its buttons off meanwhile.
  async function change(e, what, request) {
    busy.add(e.id);
    renderEndpoints();
    try {
      return await request();
    } catch (err) {
      failed(message, "Could not " + what + ": ", err);
      return null;
    } finally {
      busy.delete(e.id);
      if (scope.current) renderEndpoints();
    }
  }

  async function setEnabled(e, enabled) {
    if (busy.has(e.id)) return;
    const after = await change(e, (enabled ? "enable " : "disable ") + e.url,
      () => scope.api("PATCH", "/api/webhook-endpoints/" + encodeURIComponent(e.id), { enabled }));
    if (!after) return;
    endpoints = endpoints.map(x => (x.id === after.id ? after : x));
    renderEndpoints();
    say(message, (after.description || after.url) + (after.enabled ? " is enabled." : " is disabled: its deliveries stop at their next attempt."));
    if (log && log.endpoint.id === after.id) {
      log.endpoint = after; // Redeliver needs it enabled
      forgetRows();
      loadLog(log);
    }
  }

  async function rotateSecret(e) {
    if (busy.has(e.id)) return;
    const yes = await ask(scope, {
      title: "Rotate the secret of " + (e.description || e.url) + "?",
      text: "A new secret signs its messages from now on; for 24 hours the current one signs them too, while the receiver is given the new one.",
      confirm: "Rotate",
    });
    if (yes === null || !scope.current) return;
    const after = await change(e, "rotate the secret", () => scope.api("POST", "/api/webhook-endpoints/" + encodeURIComponent(e.id) + "/rotate-secret"));
    if (!after) return;
    const { secret, ...plain } = after;
    endpoints = endpoints.map(x => (x.id === plain.id ? plain : x));
    if (log && log.endpoint.id === plain.id) log.endpoint = plain;
    renderEndpoints();
    showSecret(plain, secret, true);
  }

  async function deleteEndpoint(e) {
    if (busy.has(e.id)) return;
    const yes = await ask(scope, {
      title: "Delete " + (e.description || e.url) + "?",
      text: "Its delivery log goes with it, and deliveries under way stop. This cannot be undone.",
      confirm: "Delete", danger: true,
    });
    if (yes === null || !scope.current) return;
    const ok = await change(e, "delete the endpoint", async () => {
      try {
        await scope.api("DELETE", "/api/webhook-endpoints/" + encodeURIComponent(e.id));
      } catch (err) {
        if (err.status !== 404) throw err; // gone already: as asked
      }
      return true;
    });
    if (!ok) return;
    endpoints = endpoints.filter(x => x.id !== e.id);
    if (log && log.endpoint.id === e.id) closeLog(true);
    say(message, (e.description || e.url) + " is deleted.");
    renderEndpoints();
    status.focus();
  }

  // ---- The delivery log ----

  function openLog(e) {
    log = { endpoint: e, limit: DELIVERY_LIMITS[0], load: 0, open: new Set(), timer: null };
    logTitle.textContent = "Deliveries to " + (e.description || e.url);
    d.caption.textContent = "Deliveries to " + e.url + ", newest first";
    d.wrap.setAttribute("aria-label", d.caption.textContent);
    logMessage.hidden = true;
    logSection.hidden = false;
    syncRows(d.tbody, [messageRow(d, "Loading the deliveries…")]);
    logStatus.textContent = "";
    renderEndpoints();
    logTitle.focus();
    loadLog(log);
  }

  function closeLog(quiet) {
    const was = log;
    if (was && was.timer) was.timer();
    log = null;
    logSection.hidden = true;
    d.tbody.replaceChildren();
    renderEndpoints();
    if (!quiet && was) {
      const row = [...t.tbody.rows].find(r => r.dataset.endpoint === was.endpoint.id);
      const b = row && row.querySelector('[data-action="deliveries"]');
      if (b) b.focus();
    }
  }

  // loadLog reads the log (newest first, as many as log.limit), keeping the
  // open attempt lists open; while a delivery is pending it is read again
  // every LOG_EVERY_MS while it is open.
  async function loadLog(l) {
    const n = ++l.load;
    if (l.timer) l.timer();
    l.timer = null;
    try {
      const params = new URLSearchParams({ limit: String(l.limit) });
      const body = await scope.api("GET", "/api/webhook-endpoints/" + encodeURIComponent(l.endpoint.id) + "/deliveries?" + params);
      if (log !== l || l.load !== n) return;
      renderLog(l, body.items || []);
      again(l);
    } catch (err) {
      if (err === GONE || log !== l || l.load !== n) return;
      failed(logMessage, "Could not load the deliveries: ", err);
      if (!d.tbody.querySelector("tr[data-delivery]")) syncRows(d.tbody, [messageRow(d, "Not loaded.")]);
      again(l);
    }
  }

  // again schedules the log's next read; a hidden tab skips its turns.
  function again(l) {
    if (l.timer) l.timer();
    l.timer = scope.after(LOG_EVERY_MS, () => {
      if (log !== l) return;
      if (document.visibilityState === "visible") loadLog(l);
      else again(l);
    });
  }

  // forgetRows makes the next renderLog draw every delivery row anew.
  function forgetRows() {
    for (const tr of d.tbody.querySelectorAll("tr[data-delivery]")) tr.dataset.from = "";
  }

  function renderLog(l, items) {
    const drawn = new Map([...d.tbody.querySelectorAll("tr[data-delivery]")].map(tr => [tr.dataset.delivery, tr]));
    const rows = [];
    for (const x of items) {
      const from = JSON.stringify(x) + (l.open.has(x.id) ? " open" : "");
      let tr = drawn.get(x.id);
      if (!tr || tr.dataset.from !== from) {
        const fresh = deliveryRow(l, x);
        fresh.dataset.from = from;
        if (tr) swapKeepingFocus(tr, fresh, logStatus);
        tr = fresh;
      }
      rows.push(tr);
      if (l.open.has(x.id)) {
        let detail = d.tbody.querySelector('tr[data-detail-of="' + x.id + '"]');
        if (!detail) {
          const box = el("div", "Loading the attempts…", "con-detail");
          box.id = "webhooks-delivery-" + x.id;
          detail = detailRow(d, box);
          detail.dataset.detailOf = x.id;
        }
        rows.push(detail);
        loadAttempts(l, x.id, detail.querySelector(".con-detail"));
      }
    }
    syncRows(d.tbody, rows.length ? rows : [messageRow(d, "No deliveries yet: events of the types it takes are delivered as they happen.")]);
    const n = items.length;
    const full = n >= l.limit;
    // The API pages by limit only: "Show more" asks for the most it gives.
    const most = l.limit >= DELIVERY_LIMITS[DELIVERY_LIMITS.length - 1];
    setText(logStatus, n === 0 ? "No deliveries yet." : n + (n === 1 ? " delivery" : " deliveries") +
      (full ? (most ? ", the newest: the API lists no older ones." : ", the newest.") : "."));
    logMore.hidden = !(full && !most);
  }

  function deliveryRow(l, x) {
    const open = l.open.has(x.id);
    const event = [code(x.event_type), el("small", x.event_id, "con-sub")];
    const attempts = String(x.attempts) + (x.redeliveries ? " (redelivered " + x.redeliveries + "\u00d7)" : "");
    const details = button(open ? "Hide attempts" : "Attempts");
    details.dataset.action = "attempts";
    details.setAttribute("aria-expanded", String(open));
    details.setAttribute("aria-controls", "webhooks-delivery-" + x.id);
    details.setAttribute("aria-label", (open ? "Hide the attempts of " : "Attempts of ") + x.event_type + " delivery " + x.id);
    details.addEventListener("click", () => {
      if (open) l.open.delete(x.id);
      else l.open.add(x.id);
      loadLog(l);
    });
    const again = button("Redeliver");
    again.dataset.action = "redeliver";
    again.setAttribute("aria-label", "Redeliver " + x.event_type + " event " + x.event_id);
    again.disabled = !l.endpoint.enabled;
    if (!l.endpoint.enabled) again.title = "Enable the endpoint to redeliver";
    again.addEventListener("click", () => redeliver(l, x, again));
    const tr = dataRow(d, [event, badge(x.status, "delivery " + x.status), attempts, timeEl(x.created_at), timeEl(x.updated_at), [details, again]]);
    tr.dataset.delivery = x.id;
    return tr;
  }

  async function loadAttempts(l, id, box) {
    try {
      const full = await scope.api("GET", "/api/webhook-endpoints/" + encodeURIComponent(l.endpoint.id) + "/deliveries/" + encodeURIComponent(id));
      if (log !== l || !box.isConnected) return;
      // Read again with the log: redrawn only when it changed, so that
      // the keyboard's place and the event's disclosure stay.
      const from = JSON.stringify(full);
      if (box.dataset.from === from) return;
      box.dataset.from = from;
      const a = dataTable("webhooks-attempts-" + id, "Attempts of the " + full.event_type + " delivery, oldest first",
        ["Attempt", "Started", "Took", "Answer", "Error", "Answer's start"]);
      a.table.classList.add("con-inner");
      const rows = (full.attempt_log || []).map(x => dataRow(a, [String(x.attempt), timeEl(x.started_at), x.duration_ms + " ms",
        x.response_status ? String(x.response_status) : "none", x.error ? el("span", x.error, "reason") : null,
        x.response_body ? el("pre", x.response_body, "con-pre") : null]));
      a.tbody.append(...(rows.length ? rows : [messageRow(a, "Not attempted yet.")]));
      const body = el("details", undefined, "con-event");
      body.append(el("summary", "The event it carries"), el("pre", JSON.stringify(full.event, null, 2), "con-pre"));
      // Keep the event's disclosure as the admin left it across reloads.
      const was = box.querySelector("details.con-event");
      if (was && was.open) body.open = true;
      box.replaceChildren(a.wrap, body);
    } catch (err) {
      if (log === l) failed(box, "Could not load the attempts: ", err);
    }
  }

  async function redeliver(l, x, b) {
    b.disabled = true;
    try {
      await scope.api("POST", "/api/webhook-endpoints/" + encodeURIComponent(l.endpoint.id) + "/deliveries/" + encodeURIComponent(x.id) + "/redeliver");
      say(logMessage, "Redelivery of " + x.event_type + " started: the log shows how it goes.");
      loadLog(l);
    } catch (err) {
      failed(logMessage, "Could not redeliver: ", err);
      b.disabled = false;
    }
  }

  form.addEventListener("submit", addEndpoint);
  events.addEventListener("change", () => { const first = events.querySelector("input"); if (first) first.setCustomValidity(""); });
  logMore.addEventListener("click", () => {
    if (!log) return;
    log.limit = DELIVERY_LIMITS[DELIVERY_LIMITS.length - 1];
    loadLog(log);
  });
  logReload.addEventListener("click", () => { if (log) loadLog(log); });
  logClose.addEventListener("click", () => closeLog(false));
  scope.onLeave(() => { log = null; });
  loadEndpoints();
}

// ---- Registration ----

consoleView("approvals", "Approvals", approvalsView);
consoleView("inventory", "Inventory", inventoryView);
consoleView("notifications", "Notifications", notificationsView);
consoleView("webhooks", "Webhooks", webhooksView);
