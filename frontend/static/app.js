// The dashboard: sign in, then the orders list, newest first from
// GET /api/orders and refreshed every 10 s (older pages included, as far as
// they were loaded), the orders under way followed live through their
// streams; platform stats, approvals and each order's trace for
// admins; the signed-in user's notification preferences, and Web Push in
// this browser (sw.js shows the pushes).
"use strict";

const $ = id => document.getElementById(id);

const rows = $("orders");
const statusFilter = $("status");
const moreButton = $("more");
const errorBox = $("error");
const refreshed = $("refreshed");
const actionBox = $("action-result");
const nav = $("nav");
const who = $("who");
const appSection = $("app");
const statsSection = $("stats");
const authSection = $("auth");
const authTitle = $("auth-title");
const authForm = $("auth-form");
const authNameRow = $("auth-name-row");
const authName = $("auth-name");
const authEmail = $("auth-email");
const authPassword = $("auth-password");
const authHint = $("auth-password-hint");
const authSubmit = $("auth-submit");
const authToggle = $("auth-toggle");
const authError = $("auth-error");
const authNotice = $("auth-notice");
const prefs = $("prefs");
const prefsForm = $("prefs-form");
const prefName = $("pref-name");
const prefPhone = $("pref-phone");
const prefZone = $("pref-zone");
const zoneList = $("time-zones");
const prefChannels = $("pref-channels");
const prefQuiet = $("pref-quiet");
const prefQuietStart = $("pref-quiet-start");
const prefQuietEnd = $("pref-quiet-end");
const prefsSave = $("prefs-save");
const prefsStatus = $("prefs-status");
const prefsError = $("prefs-error");
const pushState = $("push-state");
const pushOn = $("push-on");
const pushOff = $("push-off");
const pushError = $("push-error");
const devicesTitle = $("devices-title");
const devicesList = $("devices");

const CHANNELS = ["email", "sms", "push"];
// SETTLED are the statuses of an order whose life is over (its stream
// ends there once its returns have too); PAID those of an order whose
// payment was captured.
// Checked against the API's lists by internal/app/frontend_test.go.
const SETTLED = ["failed", "cancelled", "delivered"];
const RETURN_FINAL = ["refunded", "lost", "not_refunded", "cancelled"];
// settled: nothing more happens to the order by itself, its returns ended.
const settled = o => SETTLED.includes(o.status) && (o.returns || []).every(r => RETURN_FINAL.includes(r.status));
const PAID = ["completed", "shipped", "delivered"];
// An order can be cancelled until its parcels have left (a completed
// one's are cancelled at the carrier, restocked and refunded).
const UNCANCELLABLE = [...SETTLED, "shipped"];
const ENDED = "Your session has ended. Please sign in again.";
let pausedUntil = 0; // a 429's Retry-After: the refresh and the streams wait until then

// ---- Session ----

// The dashboard's server keeps the session (frontend/signin.go): it signs
// in at the API and holds the user's tokens, so this page holds none. The
// browser keeps the session's cookie, which no script can read, and sends
// it by itself; the page sends the CSRF token its session came with on
// every request that changes something. Tabs share the cookie: signing out
// in one ends the session in all, each finding out at its next request.
const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

// The signed-in session ({user, csrf}), or null. Every asynchronous step
// remembers the session it started in and drops its result when that is no
// longer the current one, so a late answer never shows one user's orders to
// the next.
let session = null;

function sessionOf(body) {
  return { user: body.user, csrf: body.csrf_token };
}

// randomID makes Idempotency-Keys. Not crypto.randomUUID: it needs a secure
// context, and the dashboard may be served over plain HTTP inside a cluster.
function randomID() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
}

function isAdmin() {
  return Boolean(session && session.user && session.user.role === "admin");
}

// endSession forgets the session in this page (the orders on screen too)
// and shows the sign-in form with notice.
function endSession(notice) {
  session = null;
  showSignIn(notice);
}

// signOut ends the session at the dashboard's server, which revokes it at
// the API, then here.
async function signOut() {
  const s = session;
  if (!s) return;
  try {
    const resp = await send("DELETE", "/session", undefined, { [CSRF_HEADER]: s.csrf });
    if (!resp.ok && resp.status !== 401) throw await apiError(resp);
  } catch (err) {
    if (session === s) showProblem(actionBox, "Could not sign out: ", err);
    return;
  }
  if (session === s) endSession("You have signed out.");
}

// ---- Talking to the API ----

class ApiError extends Error {
  constructor(status, detail, errors, retryAfter) {
    super(detail);
    this.status = status;
    this.errors = errors || [];
    this.retryAfter = retryAfter || 0;
  }
}

const REQUEST_TIMEOUT_MS = 15000;

async function send(method, path, body, extra) {
  const headers = { Accept: "application/json, application/problem+json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    // A server that hangs counts as lost too, after longer than the API's
    // own longest wait (a cancel waits 10 s for its compensations).
    return await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    if (err.name === "TimeoutError") throw new ApiError(0, "the server did not answer within " + REQUEST_TIMEOUT_MS / 1000 + " s");
    throw new ApiError(0, "the dashboard's server is not reachable");
  }
}

async function readJSON(resp) {
  const text = await resp.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(resp.status, "unexpected answer from the server (HTTP " + resp.status + ")");
  }
}

// Retry-After is seconds or an HTTP date.
function retryAfterSeconds(resp) {
  const v = (resp.headers.get("Retry-After") || "").trim();
  if (/^\d+$/.test(v)) return Number(v);
  const when = Date.parse(v);
  return Number.isNaN(when) ? 0 : Math.max(1, Math.ceil((when - Date.now()) / 1000));
}

// apiError reads a problem+json answer: its detail for people, its field errors.
async function apiError(resp) {
  let p = null;
  try {
    p = await readJSON(resp);
  } catch {
    // Not JSON, e.g. a proxy's error page: fall back to the status.
  }
  p = p && typeof p === "object" ? p : {};
  const detail = p.detail || p.title || resp.statusText || "HTTP " + resp.status;
  const errors = Array.isArray(p.errors) ? p.errors : [];
  return new ApiError(resp.status, detail, errors, retryAfterSeconds(resp));
}

// postPublic calls what needs no session: signing in, signing up.
async function postPublic(path, body) {
  const resp = await send("POST", path, body);
  if (!resp.ok) throw await apiError(resp);
  return readJSON(resp);
}

// api sends a request as the current session and returns the JSON answer
// (null when empty). A 401 means the session ended (signed out in another
// tab, revoked, expired): sign in again.
async function api(method, path, body, headers) {
  const s = session;
  if (!s) throw new ApiError(401, "signed out");
  const extra = { ...headers };
  if (!SAFE_METHODS.includes(method)) extra[CSRF_HEADER] = s.csrf;
  const resp = await send(method, path, body, extra);
  if (resp.status === 401 && session === s) endSession(ENDED);
  if (resp.status === 429) pausedUntil = Date.now() + Math.max(1, retryAfterSeconds(resp)) * 1000;
  if (!resp.ok) throw await apiError(resp);
  return readJSON(resp);
}

// showProblem puts err's detail, the fields the API named and when to try
// again into box.
function showProblem(box, prefix, err) {
  let text = prefix + err.message;
  // The API's 429 details say when to retry; only a bare one needs it said.
  if (err.status === 429 && err.retryAfter && !/retry/i.test(err.message)) text += ". Try again in " + err.retryAfter + " s";
  const p = document.createElement("p");
  p.textContent = text;
  box.replaceChildren(p);
  if (err.errors && err.errors.length) {
    const ul = document.createElement("ul");
    for (const e of err.errors) {
      const li = document.createElement("li");
      li.textContent = (e.field ? e.field + ": " : "") + (e.detail || "invalid");
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }
  box.className = "problem";
  box.hidden = false;
}

function say(box, text) {
  box.textContent = text;
  box.className = "ok";
  box.hidden = false;
}

// ---- Signing in ----

let registering = false;
let holdUntil = 0; // a throttled sign-in keeps its button off until Retry-After

function setAuthMode(register) {
  registering = register;
  authTitle.textContent = register ? "Create an account" : "Sign in";
  authNameRow.hidden = !register;
  authName.required = register;
  authHint.hidden = !register;
  // Password managers offer to generate one for a new account.
  authPassword.autocomplete = register ? "new-password" : "current-password";
  if (register) {
    authPassword.minLength = 12;
    authPassword.maxLength = 128;
  } else {
    // Whatever was accepted once must still be typed in.
    authPassword.removeAttribute("minlength");
    authPassword.removeAttribute("maxlength");
  }
  authSubmit.textContent = register ? "Create account" : "Sign in";
  authToggle.textContent = register ? "I have an account: sign in" : "Create an account";
  authError.hidden = true;
}

async function submitAuth(event) {
  event.preventDefault();
  if (Date.now() < holdUntil) return;
  authError.hidden = true;
  authNotice.hidden = true;
  authSubmit.disabled = true;
  try {
    if (registering) await register();
    else await signIn();
  } catch (err) {
    showProblem(authError, registering ? "Could not create the account: " : "Could not sign in: ", err);
    if (err.status === 429 && err.retryAfter) {
      holdUntil = Date.now() + err.retryAfter * 1000;
      setTimeout(() => { authSubmit.disabled = false; }, err.retryAfter * 1000);
      return;
    }
  }
  authSubmit.disabled = false;
}

async function signIn() {
  const body = await postPublic("/session", { email: authEmail.value.trim(), password: authPassword.value });
  authPassword.value = "";
  session = sessionOf(body);
  showApp();
}

// register creates the account, then signs in with it. The API answers the
// same whether or not the email was new (its detail is written for API
// clients, so it is not shown): if signing in is refused, the email had an
// account already, and the form asks for its password.
async function register() {
  await postPublic("/api/auth/register", {
    email: authEmail.value.trim(), password: authPassword.value, name: authName.value.trim(),
  });
  setAuthMode(false); // from here on, errors are about signing in
  authName.value = "";
  try {
    await signIn();
  } catch (err) {
    authPassword.value = "";
    authNotice.textContent = "Your account is ready. Sign in with your email and password.";
    authNotice.hidden = false;
    authPassword.focus();
    if (err.status !== 401) throw err; // unreachable or throttled: say so too
  }
}

function showSignIn(notice) {
  appSection.hidden = true;
  nav.hidden = true;
  authSection.hidden = false;
  authForm.hidden = false;
  authToggle.hidden = false;
  authNotice.textContent = notice || "";
  authNotice.hidden = !notice;
  // Nothing of the last user stays in the page.
  resetOrders();
  rows.replaceChildren();
  clearTimeout(restoredTimer);
  errorBox.hidden = true;
  actionBox.hidden = true;
  who.textContent = "";
  statsSection.hidden = true;
  $("status-counts").replaceChildren();
  $("queues").replaceChildren();
  prefs.open = false;
  resetShop();
  prefsForm.reset();
  prefChannels.replaceChildren();
  prefsError.hidden = true;
  prefsStatus.textContent = "";
  resetPush();
}

function showApp() {
  authSection.hidden = true;
  authError.hidden = true;
  appSection.hidden = false;
  nav.hidden = false;
  showUser();
  startOrders();
  loadStats();
}

function showUser() {
  const user = session && session.user;
  if (!user) return;
  who.textContent = user.email + " · " + user.role;
  statsSection.hidden = !isAdmin();
}

// restore picks up the session this browser has, after a reload or in a
// new tab.
async function restore() {
  showSignIn("Restoring your session…");
  authForm.hidden = true;
  authToggle.hidden = true;
  try {
    const resp = await send("GET", "/session");
    if (resp.status === 401) {
      showSignIn();
      return;
    }
    if (!resp.ok) throw await apiError(resp);
    session = sessionOf(await readJSON(resp));
    showApp();
  } catch (err) {
    showSignIn("Could not restore your session (" + err.message + "). Reload to try again, or sign in.");
  }
}

// ---- Shop ----

// A customer picks from the catalogue (GET /api/products, public) with each
// product's availability (GET /api/inventory/{sku}), fills a cart, and
// places it as one order. The Idempotency-Key is made with the cart and
// kept until the API answers for good, so a double click or a retry after a
// lost answer places one order.
const shop = $("shop");
const productsBody = $("products");
const cartLines = $("cart-lines");
const cartTotal = $("cart-total");
const checkoutForm = $("checkout-form");
const checkoutButton = $("checkout");
const shopStatus = $("shop-status");
let catalogue = new Map(); // sku → product
let cart = new Map(); // sku → quantity
let checkoutKey = ""; // the cart's Idempotency-Key, once it has been sent
let placing = false;

async function loadShop() {
  const s = session;
  try {
    const { products } = await api("GET", "/api/products");
    if (session !== s) return;
    catalogue = new Map(products.map(p => [p.sku, p]));
    const stock = await Promise.all(products.map(p =>
      api("GET", "/api/inventory/" + encodeURIComponent(p.sku)).then(st => st.totals.available, () => null)));
    if (session !== s) return;
    productsBody.replaceChildren(...products.map((p, i) => productRow(p, stock[i])));
    renderCart();
  } catch (err) {
    if (session === s) showProblem(shopStatus, "Could not read the catalogue: ", err);
  }
}

function productRow(p, available) {
  const tr = document.createElement("tr");
  tr.appendChild(cell(p.name + " (" + p.sku + ")"));
  tr.appendChild(cell(money(p.price, p.currency)));
  tr.appendChild(cell(available === null ? "unknown" : available > 0 ? available + " in stock" : "out of stock"));
  const td = document.createElement("td");
  const form = document.createElement("form");
  form.dataset.sku = p.sku;
  const label = document.createElement("label");
  label.textContent = "Quantity ";
  const qty = document.createElement("input");
  Object.assign(qty, { name: "quantity", type: "number", min: 1, max: 100, value: 1, required: true });
  label.appendChild(qty);
  const add = document.createElement("button");
  add.type = "submit";
  add.textContent = "Add to cart";
  add.disabled = available === 0;
  form.append(label, add);
  td.appendChild(form);
  tr.appendChild(td);
  return tr;
}

function addToCart(sku, quantity) {
  if (!Number.isInteger(quantity) || quantity < 1) return;
  cart.set(sku, Math.min(100, (cart.get(sku) || 0) + quantity));
  checkoutKey = ""; // another cart, another order
  renderCart();
}

function removeFromCart(sku) {
  cart.delete(sku);
  checkoutKey = "";
  renderCart();
}

function renderCart() {
  let total = 0;
  let currency = "";
  cartLines.replaceChildren(...[...cart].map(([sku, quantity]) => {
    const p = catalogue.get(sku);
    const li = document.createElement("li");
    li.textContent = quantity + " \u00d7 " + (p ? p.name + " " + money(p.price * quantity, p.currency) : sku) + " ";
    if (p) {
      total += p.price * quantity;
      currency = p.currency;
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.dataset.sku = sku;
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove " + (p ? p.name : sku));
    li.appendChild(remove);
    return li;
  }));
  cartTotal.textContent = cart.size ? "Total " + money(total, currency) : "The cart is empty.";
  checkoutButton.disabled = placing || cart.size === 0;
}

async function checkout() {
  if (placing || cart.size === 0) return;
  const s = session;
  const body = {
    items: [...cart].map(([sku, quantity]) => ({ sku, quantity })),
    payment: { token: $("checkout-token").value },
  };
  if (!checkoutKey) checkoutKey = randomID();
  placing = true;
  renderCart();
  try {
    const order = await api("POST", "/api/orders", body, { "Idempotency-Key": checkoutKey });
    if (session !== s) return;
    cart = new Map();
    checkoutKey = "";
    say(shopStatus, "Order " + order.id + " placed: follow it below.");
    refreshOrders();
    loadShop(); // the availability it changed
  } catch (err) {
    if (session !== s) return;
    // A refusal is final for this cart; a lost answer is retried with the
    // same key by the next click.
    if (err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) checkoutKey = "";
    showProblem(shopStatus, "Could not place the order: ", err);
  } finally {
    placing = false;
    renderCart();
  }
}

function resetShop() {
  shop.open = false;
  cart = new Map();
  catalogue = new Map();
  checkoutKey = "";
  productsBody.replaceChildren();
  cartLines.replaceChildren();
  cartTotal.textContent = "";
  shopStatus.textContent = "";
}

// ---- Orders ----

function money(minor, currency) {
  return (minor / 100).toFixed(2) + " " + currency;
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function messageRow(text) {
  const tr = document.createElement("tr");
  const td = cell(text);
  td.colSpan = 7;
  tr.appendChild(td);
  return tableRoles(tr);
}

// The header's names, to label each cell where narrow screens show rows as
// cards (style.css); the roles keep it a table for assistive technology,
// which some browsers stop seeing once its rows are display: block.
const COLUMNS = Array.from(document.querySelectorAll("#orders-table thead th"), th => th.textContent.trim());

function tableRoles(tr) {
  tr.setAttribute("role", "row");
  Array.from(tr.cells).forEach((td, i) => {
    td.setAttribute("role", "cell");
    if (COLUMNS[i]) td.dataset.label = COLUMNS[i];
  });
  return tr;
}

// Orders with an action under way: their buttons stay off across the redraws.
const busy = new Set();

function actionButton(o, action, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.order = o.id;
  b.disabled = busy.has(o.id);
  return b;
}

// Admins approve or reject what awaits approval; the owner or an admin may
// cancel what has not left the warehouse, and return what was delivered.
function actionsCell(o) {
  const td = cell("", "actions");
  if (isAdmin() && o.status === "awaiting_approval") {
    td.append(actionButton(o, "approve", "Approve"), actionButton(o, "reject", "Reject"));
  }
  if (!UNCANCELLABLE.includes(o.status)) td.append(actionButton(o, "cancel", "Cancel"));
  if (returnable(o).length > 0) td.append(actionButton(o, "return", "Return"));
  if (isAdmin() && PAID.includes(o.status) && o.refunded < o.total) td.append(actionButton(o, "refund", "Refund"));
  if (isAdmin()) {
    const open = traceOpen(o.id);
    const b = actionButton(o, "trace", open ? "Hide trace" : "Trace");
    b.setAttribute("aria-expanded", String(open));
    b.title = "The order's trace: every span from the API through the saga's workers";
    td.append(b);
  }
  return td;
}

// What each saga step is called on screen.
const STEP_LABELS = {
  assess_risk: "Risk check", reserve_stock: "Stock reserved", authorize_payment: "Payment authorized",
  await_approval: "Approval", capture_payment: "Payment captured", confirm_reservation: "Stock committed",
  notify_customer: "Customer told", release_reservation: "Stock released", void_payment: "Payment voided",
  refund_payment: "Payment refunded",
};
const STEP_MARKS = { completed: "\u2713", failed: "\u2717", running: "\u2026" };

// stepsCell lists the saga's steps in order: a mark for the outcome, the
// step, how long it took and, when it failed, why (the API sends the
// review steps' findings to admins only).
function stepsCell(steps) {
  const td = cell("", "steps");
  const ol = document.createElement("ol");
  for (const s of steps) {
    const li = document.createElement("li");
    li.className = "step " + s.status;
    let text = (STEP_MARKS[s.status] || "") + " " + (STEP_LABELS[s.name] || s.name);
    if (s.completed_at) text += " (" + duration(new Date(s.completed_at) - new Date(s.started_at)) + ")";
    li.textContent = text;
    li.title = s.name + " " + s.status + ", started " + new Date(s.started_at).toLocaleString();
    if (s.error) li.appendChild(reasonLine(s.error));
    ol.appendChild(li);
  }
  td.appendChild(ol);
  return td;
}

// reasonLine is a line of small print under a cell: why, or what is left.
function reasonLine(text, kind) {
  const div = document.createElement("div");
  div.className = kind ? "reason " + kind : "reason";
  div.textContent = text;
  return div;
}

// shipmentLine says where one parcel is: its warehouse, status and tracking.
function shipmentLine(sh) {
  let text = "Parcel from " + sh.warehouse_id + ": " + sh.status.replaceAll("_", " ");
  if (sh.tracking_number) text += " \u00b7 " + sh.tracking_number;
  return text;
}

// returnLine says where one return is: its lines, status and tracking.
function returnLine(r) {
  let text = "Return of " + r.items.map(l => l.quantity + " \u00d7 " + l.sku).join(", ") + ": " + r.status.replaceAll("_", " ");
  if (r.tracking_number) text += " \u00b7 " + r.tracking_number;
  return text;
}

// returnable lists what the order's customer can still send back: the
// lines of its delivered parcels, less its returns'. (The API also holds
// each parcel to the return window.)
function returnable(o) {
  const left = new Map();
  for (const sh of o.shipments || []) {
    if (sh.status !== "delivered") continue;
    for (const l of sh.items) left.set(l.sku, (left.get(l.sku) || 0) + l.quantity);
  }
  for (const r of o.returns || []) {
    for (const l of r.items) left.set(l.sku, (left.get(l.sku) || 0) - l.quantity);
  }
  return [...left].filter(([, q]) => q > 0).map(([sku, quantity]) => ({ sku, quantity }));
}

function duration(ms) {
  if (ms < 1000) return Math.max(0, Math.round(ms)) + " ms";
  if (ms < 120000) return (ms / 1000).toFixed(1) + " s";
  return Math.round(ms / 60000) + " min";
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
  badge.textContent = o.status.replaceAll("_", " ");
  status.appendChild(badge);
  if (o.attention && isAdmin()) status.appendChild(reasonLine(o.attention)); // what an operator has to fix
  if (o.risk && o.risk.level !== "low") { // only admins are sent the assessment
    status.appendChild(reasonLine(o.risk.level + " risk (" + o.risk.score + "): " + o.risk.reasons.join("; "), "risk " + o.risk.level));
  }
  if (o.failure_reason) status.appendChild(reasonLine(o.failure_reason));
  for (const sh of o.shipments || []) status.appendChild(reasonLine(shipmentLine(sh), "shipment " + sh.status));
  for (const r of o.returns || []) {
    const line = reasonLine(returnLine(r), "return " + r.status);
    if (r.label_url && r.status === "label_issued") {
      const a = document.createElement("a");
      a.href = r.label_url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = "label";
      line.append(" \u00b7 ", a);
    }
    status.appendChild(line);
  }
  tr.appendChild(status);
  tr.appendChild(cell(money(o.total, o.currency) + (o.refunded ? " (refunded " + money(o.refunded, o.currency) + ")" : "")));
  tr.appendChild(stepsCell(o.steps || []));
  tr.appendChild(cell(new Date(o.created_at).toLocaleString()));
  tr.appendChild(actionsCell(o));
  return tableRoles(tr);
}

// ---- The orders list ----

// listed holds every order on screen, in the API's order (newest first), and
// nextCursor where the page after the last of them starts ("" at the end).
// The refresh (every LIST_REFRESH_MS) asks for the newest orders again, as many as are listed,
// and merges them in, so the older pages "Older orders" loaded stay.
// listView changes whenever the list starts over (another status, another
// user): answers for an earlier one are dropped.
const PAGE = 25;
const MAX_PAGE = 100; // the most GET /api/orders answers at once
let listed = [];
let nextCursor = "";
let listView = 0;
let refreshingView = -1; // the view a refresh is under way for: they never overlap
let listedAt = 0; // when the list last matched the API; 0 before its first answer
let restoredTimer = 0;

// Orders whose row is on screen, by ID, with what it was drawn from: an
// unchanged order keeps its row, so a redraw does not take the focus away.
const drawn = new Map();

function resetOrders() {
  listView++;
  stopFollowing();
  listed = [];
  nextCursor = "";
  listedAt = 0;
  drawn.clear();
  openTrace = null;
  moreButton.hidden = true;
  appSection.classList.remove("stale");
  refreshed.textContent = "";
}

function startOrders() {
  resetOrders();
  rows.replaceChildren(messageRow("Loading…"));
  refreshOrders();
}

function ordersPath(limit, cursor) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (statusFilter.value) params.set("status", statusFilter.value);
  if (cursor) params.set("cursor", cursor);
  return "/api/orders?" + params;
}

// refreshOrders fetches the newest orders, at least a page and as many as are
// listed (up to what the API gives at once), and merges them into the list.
async function refreshOrders() {
  const s = session;
  const view = listView;
  if (!s || refreshingView === view) return;
  refreshingView = view;
  try {
    const limit = Math.min(MAX_PAGE, Math.max(PAGE, listed.length));
    const body = await api("GET", ordersPath(limit, ""));
    if (session !== s || listView !== view) return;
    mergeNewest(body.orders, body.next_cursor || "");
    ordersLoaded();
  } catch (err) {
    if (session === s && listView === view) ordersFailed(err); // else signed out: the form says why
  } finally {
    if (refreshingView === view) refreshingView = -1;
  }
}

// loadOlder appends the page after the last listed order.
async function loadOlder() {
  const s = session;
  const view = listView;
  const cursor = nextCursor;
  if (!s || !cursor) return;
  moreButton.disabled = true;
  try {
    const body = await api("GET", ordersPath(PAGE, cursor));
    // A refresh may have dropped the last order meanwhile: this page would not follow on.
    if (session !== s || listView !== view || nextCursor !== cursor) return;
    const have = new Set(listed.map(o => o.id));
    listed = listed.concat(body.orders.filter(o => !have.has(o.id)));
    nextCursor = body.next_cursor || "";
    ordersLoaded();
  } catch (err) {
    if (session === s && listView === view) ordersFailed(err);
  } finally {
    moreButton.disabled = false;
  }
}

// mergeNewest takes page, the newest orders as they are now, and cursor, where
// the list goes on after them. Listed orders older than the page's last are
// kept, with the cursor after them; the others the page lacks are gone from
// this list (such as an order that left the status filter).
function mergeNewest(page, cursor) {
  const last = page[page.length - 1];
  const inPage = new Set(page.map(o => o.id));
  const older = cursor && last ? listed.filter(o => !inPage.has(o.id) && listedBefore(last, o)) : [];
  listed = page.concat(older);
  if (older.length === 0) nextCursor = cursor;
}

// listedBefore reports whether order a comes before order b in the API's
// order: created_at, then ID, newest first.
function listedBefore(a, b) {
  const ta = instant(a.created_at);
  const tb = instant(b.created_at);
  return ta !== tb ? ta > tb : a.id > b.id;
}

// instant turns an RFC 3339 time into a string that sorts as the time does,
// to the nanosecond: Date keeps milliseconds, the API's times have micros.
function instant(t) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(t);
  if (!m) return t;
  const fraction = (m[2] || "").padEnd(9, "0");
  const ms = Date.parse(m[1] + "." + fraction.slice(0, 3) + m[3]);
  return String(ms).padStart(16, "0") + fraction.slice(3, 9);
}

function ordersLoaded() {
  listedAt = Date.now();
  renderOrders();
  followOrders();
  moreButton.hidden = !nextCursor;
  refreshed.textContent = "updated " + new Date(listedAt).toLocaleTimeString();
  if (appSection.classList.contains("stale") || (!errorBox.hidden && errorBox.className === "problem")) {
    appSection.classList.remove("stale");
    say(errorBox, "Orders are up to date again.");
    clearTimeout(restoredTimer);
    restoredTimer = setTimeout(() => { errorBox.hidden = true; }, 5000);
  }
}

// ordersFailed says at the top that the orders could not be loaded and, when
// some are on screen, marks them as out of date. The refresh keeps trying;
// the alert is rewritten only when what it says changes, so that it is not
// announced again at every refresh.
function ordersFailed(err) {
  clearTimeout(restoredTimer);
  const since = listedAt ? new Date(listedAt).toLocaleTimeString() : "";
  const said = [err.status, err.message, since].join("\n");
  if (errorBox.hidden || errorBox.className !== "problem" || errorBox.dataset.said !== said) {
    showProblem(errorBox, "Could not load orders: ", err);
    const p = document.createElement("p");
    p.textContent = (since ? "The orders below are from " + since + " and may be out of date. " : "") +
      "Trying again every few seconds.";
    errorBox.appendChild(p);
    errorBox.dataset.said = said;
  }
  if (since) {
    appSection.classList.add("stale");
    refreshed.textContent = "not updated since " + since;
  }
}

function noOrdersText() {
  if (statusFilter.value) return "No orders with the status “" + statusFilter.selectedOptions[0].textContent + "”.";
  return isAdmin() ? "No orders yet. They will show here as customers place them." : "No orders yet. The orders you place will show here.";
}

// renderOrders shows listed: unchanged orders keep their rows, changed ones
// are redrawn, new ones inserted where they belong.
function renderOrders() {
  if (listed.length === 0) {
    drawn.clear();
    rows.replaceChildren(messageRow(noOrdersText()));
    return;
  }
  // An order whose trace is open has it drawn in a row of its own below.
  if (openTrace && !listed.some(o => o.id === openTrace.id)) openTrace = null;
  const wanted = listed.flatMap(o => {
    const from = JSON.stringify(o) + (isAdmin() ? " admin" : "") + (traceOpen(o.id) ? " trace" : ""); // admins get more buttons
    const had = drawn.get(o.id);
    let tr = had && had.tr;
    if (!had || had.from !== from) {
      tr = orderRow(o);
      drawn.set(o.id, { from, tr });
    }
    return traceOpen(o.id) ? [tr, openTrace.tr] : [tr];
  });
  let at = rows.firstElementChild;
  for (const tr of wanted) {
    if (tr === at) at = at.nextElementSibling;
    else rows.insertBefore(tr, at);
  }
  while (at) {
    const next = at.nextElementSibling;
    at.remove();
    at = next;
  }
  const ids = new Set(listed.map(o => o.id));
  for (const id of drawn.keys()) {
    if (!ids.has(id)) drawn.delete(id);
  }
}

// ---- Following orders live ----

// Orders under way are followed through their streams (GET
// /api/orders/{id}/stream, server-sent events): a change shows the moment
// it is made, where the list's refresh would show it seconds later. fetch
// reads the stream, not EventSource, to see its answer's status (a 401
// ends the session, a 429 says how long to wait).
// Each stream holds a connection, and over HTTP/1.1 a browser opens 6 per
// host for all its tabs: a tab follows at most FOLLOW_MAX orders, and only
// while it is visible, so the list, the stats and the buttons always have
// connections left.
const FOLLOW_MAX = 3;
const STREAM_RETRY_MS = 2000;
const following = new Map(); // order ID -> AbortController

function followOrders() {
  const visible = document.visibilityState === "visible";
  const want = new Set(visible ? listed.filter(o => !settled(o)).slice(0, FOLLOW_MAX).map(o => o.id) : []);
  for (const [id, ctl] of following) {
    if (!want.has(id)) {
      ctl.abort();
      following.delete(id);
    }
  }
  for (const id of want) {
    if (!following.has(id)) followOrder(id);
  }
}

function stopFollowing() {
  for (const ctl of following.values()) ctl.abort();
  following.clear();
}

// followOrder reads an order's stream until its final state, reconnecting
// after an interruption from the last state it had (Last-Event-ID).
async function followOrder(id) {
  const ctl = new AbortController();
  following.set(id, ctl);
  const s = session;
  const view = listView;
  let lastEvent = "";
  while (!ctl.signal.aborted && session === s && listView === view) {
    try {
      const over = await readOrderStream(s, id, lastEvent, ctl.signal, (eventID, order) => {
        lastEvent = eventID;
        if (session === s && listView === view) orderChanged(order);
      });
      if (over) break;
    } catch (err) {
      if (ctl.signal.aborted) break;
      if (err.status === 404) break; // gone from this user's view: the refresh drops it
    }
    const wait = Math.max(STREAM_RETRY_MS, pausedUntil - Date.now());
    await new Promise(resolve => setTimeout(resolve, wait));
  }
  if (following.get(id) === ctl) following.delete(id);
}

// readOrderStream calls onOrder with each order event of one connection to
// the stream; it returns true once there is nothing more to follow (the
// final state, or a 204 for a resume after it) and false when the stream
// ended before.
async function readOrderStream(s, id, lastEvent, signal, onOrder) {
  const headers = { Accept: "text/event-stream, application/problem+json" };
  if (lastEvent) headers["Last-Event-ID"] = lastEvent;
  const resp = await fetch("/api/orders/" + encodeURIComponent(id) + "/stream", { headers, signal });
  if (resp.status === 204) return true;
  if (resp.status === 401 && session === s) endSession(ENDED);
  if (resp.status === 429) pausedUntil = Date.now() + Math.max(1, retryAfterSeconds(resp)) * 1000;
  if (!resp.ok) throw await apiError(resp);
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let event = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return false;
    buffered += value;
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, end).replace(/\r$/, "");
      buffered = buffered.slice(end + 1);
      if (line === "") { // a blank line ends an event
        if (event.type === "order" && event.data) {
          const order = JSON.parse(event.data);
          onOrder(event.id || "", order);
          if (settled(order)) return true;
        }
        event = {};
        continue;
      }
      if (line.startsWith(":")) continue; // a heartbeat
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") event.id = text;
      else if (field === "event") event.type = text;
      else if (field === "data") event.data = event.data === undefined ? text : event.data + "\n" + text;
    }
  }
}

// orderChanged puts the order's new state in the list and redraws its row.
function orderChanged(order) {
  const at = listed.findIndex(o => o.id === order.id);
  if (at < 0) return;
  // An order that left the status filter stays until the next refresh,
  // which drops it, rather than vanishing under the pointer.
  listed[at] = order;
  renderOrders();
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

// Orders by status and each task queue's backlog and pollers, from GET
// /api/stats, which is for admins only.
async function loadStats() {
  const s = session;
  if (!isAdmin()) return;
  try {
    const stats = await api("GET", "/api/stats");
    if (session !== s) return;
    const counts = $("status-counts");
    counts.replaceChildren(...Object.entries(stats.orders).sort().map(([status, n]) => tile(status, n)));
    const queues = $("queues");
    queues.replaceChildren(...Object.entries(stats.task_queues).sort().map(([queue, q]) =>
      tile(queue + " queue: " + (q.workflow_pollers + q.activity_pollers) + " pollers",
           (q.workflow_backlog + q.activity_backlog) + " waiting")));
  } catch (err) {
    // No longer an admin: the next token refresh brings the new role.
    if (err.status === 403 && session === s) statsSection.hidden = true;
    // Otherwise the orders table reports connectivity problems; stats stay as they were.
  }
}

const DONE = { approve: "approved", reject: "rejected", cancel: "cancellation accepted", refunds: "refund accepted",
  returns: "return accepted: its label shows under the order once issued" };

// unanswered holds, per action and order, the decision (a refund, a return)
// whose request got no definite answer: {body, key, summary}.
const unanswered = new Map();

function askRefund(id) {
  const o = listed.find(x => x.id === id);
  const left = o ? o.total - o.refunded : 0;
  const amount = window.prompt("Refund order " + id + ": amount (" + (o ? o.currency : "") + ", at most " + (left / 100).toFixed(2) + ")", (left / 100).toFixed(2));
  if (amount === null) return null;
  const m = /^\s*(\d+)(?:[.,](\d{1,2}))?\s*$/.exec(amount);
  const minor = m ? Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0")) : 0;
  if (!m || minor < 1) {
    say(actionBox, "A refund needs an amount such as 12.50, at least 0.01.");
    return null;
  }
  const reason = window.prompt("Why is it refunded? (for the record)", "");
  if (reason === null) return null;
  if (!reason.trim()) {
    say(actionBox, "A refund needs a reason.");
    return null;
  }
  return { body: { amount: minor, reason: reason.trim() }, summary: (minor / 100).toFixed(2) + ", \u201c" + reason.trim() + "\u201d" };
}

// askReturn asks which delivered lines go back (all of them by default),
// as "2 x SKU, 1 x SKU", and why.
function askReturn(id) {
  const o = listed.find(x => x.id === id);
  const all = o ? returnable(o) : [];
  const text = window.prompt("Return from order " + id + " (quantity \u00d7 SKU, comma-separated):",
    all.map(l => l.quantity + " x " + l.sku).join(", "));
  if (text === null) return null;
  const items = [];
  for (const part of text.split(",")) {
    if (!part.trim()) continue;
    const m = /^\s*(\d+)\s*[x\u00d7]\s*(\S+)\s*$/i.exec(part);
    if (!m || Number(m[1]) < 1) {
      say(actionBox, "Name each line as a quantity and a SKU, such as 1 x MUG-001.");
      return null;
    }
    items.push({ sku: m[2], quantity: Number(m[1]) });
  }
  if (items.length === 0) return null;
  const reason = window.prompt("Why is it going back?", "");
  if (reason === null) return null;
  if (!reason.trim()) {
    say(actionBox, "A return needs a reason.");
    return null;
  }
  return { body: { items, reason: reason.trim() }, summary: text.trim() + ", \u201c" + reason.trim() + "\u201d" };
}

function setBusy(id, on) {
  if (on) busy.add(id);
  else busy.delete(id);
  for (const b of rows.querySelectorAll("button[data-order]")) {
    if (b.dataset.order === id) b.disabled = on;
  }
}

// ASK are the actions that send a decision made in prompts, each with an
// Idempotency-Key, and the API route they post to.
const ASK = { refund: { route: "refunds", ask: askRefund }, return: { route: "returns", ask: askReturn } };

async function act(id, action) {
  let body;
  let headers;
  const verb = action;
  const asked = ASK[action];
  const pending = asked && action + ":" + id;
  if (asked) {
    // A decision that got no definite answer is repeated with its own key,
    // so the API answers the refund or return it made instead of another.
    let decision = unanswered.get(pending);
    if (!decision || !window.confirm("Repeat the " + action + " of order " + id + " that got no answer (" + decision.summary + ")?")) {
      decision = asked.ask(id);
      if (!decision) return;
      decision.key = randomID();
      unanswered.set(pending, decision);
    }
    body = decision.body;
    headers = { "Idempotency-Key": decision.key };
    action = asked.route;
  } else if (action === "reject") {
    const reason = window.prompt("Reject order " + id + "?\nReason (optional):", "");
    if (reason === null) return;
    if (reason.trim()) body = { reason: reason.trim() };
  } else if (!window.confirm((action === "approve" ? "Approve" : "Cancel") + " order " + id + "?")) {
    return;
  }
  const s = session;
  setBusy(id, true);
  try {
    await api("POST", "/api/orders/" + encodeURIComponent(id) + "/" + action, body, headers);
    if (session !== s) return;
    if (asked) unanswered.delete(pending);
    say(actionBox, "Order " + id + ": " + DONE[action] + ".");
    refreshOrders();
  } catch (err) {
    // A refusal is an answer; a lost one (0), a timeout or an outage is not.
    if (asked && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) unanswered.delete(pending);
    if (session === s) showProblem(actionBox, "Could not " + verb + " order " + id + ": ", err);
  } finally {
    setBusy(id, false);
  }
}

// ---- Traces ----

// An admin opens an order's trace (GET /api/orders/{id}/trace) below its
// row: a waterfall of its spans, one row each, indented under its parent,
// its bar placed by start and sized by duration, coloured by the service
// that recorded it. openTrace is the open one: {id, tr, load}, where load
// changes with every request, so a late answer for an earlier one is dropped.
let openTrace = null;
let showStorageSpans = false; // database and cache statements: many, and short

const SERVICE_COLOURS = ["#0969da", "#1a7f37", "#8250df", "#bc4c00", "#bf3989", "#0a7f8f", "#6e7781", "#9a6700"];

function traceOpen(id) {
  return Boolean(openTrace && openTrace.id === id);
}

function toggleTrace(id) {
  if (traceOpen(id)) {
    openTrace = null;
  } else {
    const tr = document.createElement("tr");
    tr.className = "trace-row";
    tr.setAttribute("role", "row");
    const td = document.createElement("td");
    td.colSpan = 7;
    td.setAttribute("role", "cell");
    const box = document.createElement("section");
    box.className = "trace";
    box.setAttribute("aria-label", "Trace of order " + id);
    box.setAttribute("aria-live", "polite");
    td.appendChild(box);
    tr.appendChild(td);
    openTrace = { id, tr, box, load: 0, trace: null };
    loadTrace(openTrace);
  }
  renderOrders();
}

async function loadTrace(t) {
  const s = session;
  const load = ++t.load;
  traceNote(t.box, "Loading the trace…");
  try {
    const trace = await api("GET", "/api/orders/" + encodeURIComponent(t.id) + "/trace");
    if (session !== s || openTrace !== t || t.load !== load) return;
    t.trace = trace;
    renderTrace(t);
  } catch (err) {
    if (session !== s || openTrace !== t || t.load !== load) return;
    // Tracing not configured, the store down (503) or no trace kept (404):
    // one line that says so, with the API's reason.
    if (err.status === 503 || err.status === 404) traceNote(t.box, sentence(err.message), reloadButton(t));
    else {
      showProblem(t.box, "Could not load the trace: ", err);
      t.box.appendChild(reloadButton(t));
    }
  }
}

function sentence(text) {
  text = String(text || "");
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}

function traceNote(box, text, ...extra) {
  const p = document.createElement("p");
  p.className = "trace-note";
  p.textContent = text;
  if (extra.length) p.append(" ", ...extra);
  box.className = "trace";
  box.replaceChildren(p);
}

function reloadButton(t) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = "Reload";
  b.addEventListener("click", () => loadTrace(t));
  return b;
}

function micros(us) {
  if (us < 1000) return us + " µs";
  if (us < 1e6) return (us / 1000).toFixed(us < 10000 ? 2 : 1) + " ms";
  if (us < 6e7) return (us / 1e6).toFixed(2) + " s";
  return (us / 6e7).toFixed(1) + " min";
}

function isStorageSpan(span) {
  return Boolean(span.attributes && span.attributes["db.system.name"]);
}

// traceRows orders the spans as a tree: each after its parent, siblings by
// start, depth its indentation. A span whose parent is not in the trace is a
// root; hidden spans give their place to their children.
function traceRows(spans, shown) {
  const byID = new Map(spans.map(span => [span.span_id, span]));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    const parent = span.parent_span_id && byID.has(span.parent_span_id) ? span.parent_span_id : "";
    if (!parent) roots.push(span);
    else {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(span);
    }
  }
  const out = [];
  const seen = new Set();
  const walk = (span, depth) => {
    if (seen.has(span.span_id)) return; // a cycle would be the store's bug; never loop on it
    seen.add(span.span_id);
    const visible = shown(span);
    if (visible) out.push({ span, depth });
    const kids = (children.get(span.span_id) || []).slice().sort((a, b) => a.offset_us - b.offset_us);
    for (const kid of kids) walk(kid, visible ? depth + 1 : depth);
  };
  roots.sort((a, b) => a.offset_us - b.offset_us).forEach(root => walk(root, 0));
  return out;
}

function renderTrace(t) {
  const trace = t.trace;
  const total = Math.max(1, trace.duration_us);
  const colours = new Map();
  for (const span of trace.spans) {
    if (!colours.has(span.service)) colours.set(span.service, SERVICE_COLOURS[colours.size % SERVICE_COLOURS.length]);
  }
  const storage = trace.spans.filter(isStorageSpan).length;
  const failed = trace.spans.filter(span => span.error).length;

  const head = document.createElement("div");
  head.className = "trace-head";
  const title = document.createElement("strong");
  title.textContent = "Trace ";
  const id = document.createElement("code");
  id.textContent = trace.trace_id;
  title.appendChild(id);
  const summary = document.createElement("span");
  summary.textContent = trace.spans.length + " spans · " + micros(trace.duration_us) +
    (failed ? " · " + failed + (failed === 1 ? " error" : " errors") : "") +
    " · started " + new Date(trace.start_time).toLocaleTimeString();
  if (failed) summary.classList.add("reason");
  const toggle = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = showStorageSpans;
  box.addEventListener("change", () => {
    showStorageSpans = box.checked;
    renderTrace(t);
  });
  toggle.append(box, " database and cache spans (" + storage + ")");
  head.append(title, summary, toggle, reloadButton(t));

  const legend = document.createElement("ul");
  legend.className = "trace-legend";
  for (const [service, colour] of colours) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colour;
    li.append(swatch, service);
    legend.appendChild(li);
  }

  const list = document.createElement("ol");
  list.className = "waterfall";
  const axis = document.createElement("li");
  axis.className = "axis";
  axis.setAttribute("aria-hidden", "true");
  const axisName = document.createElement("span");
  axisName.textContent = "span";
  const axisDuration = document.createElement("span");
  axisDuration.className = "duration";
  axisDuration.textContent = "duration";
  const ticks = document.createElement("span");
  ticks.className = "timeline";
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = document.createElement("span");
    tick.className = "tick";
    tick.style.left = f * 100 + "%";
    tick.textContent = f ? micros(Math.round(f * total)) : "0";
    ticks.appendChild(tick);
  }
  axis.append(axisName, axisDuration, ticks);
  list.appendChild(axis);

  // A failed statement shows even among the hidden ones.
  for (const { span, depth } of traceRows(trace.spans, span => showStorageSpans || span.error || !isStorageSpan(span))) {
    list.appendChild(spanRow(span, depth, total, colours.get(span.service)));
  }
  t.box.className = "trace";
  t.box.replaceChildren(head, legend, list);
}

function spanRow(span, depth, total, colour) {
  const li = document.createElement("li");
  if (span.error) li.classList.add("error");
  const attrs = span.attributes || {};
  li.title = [
    span.name,
    span.service + (span.kind ? " (" + span.kind + ")" : "") + " · at +" + micros(span.offset_us) + " · " + micros(span.duration_us),
    ...Object.entries(attrs).map(([k, v]) => k + ": " + v),
    span.error ? "error: " + (span.status_message || "(no message)") : "",
  ].filter(Boolean).join("\n");

  const name = document.createElement("span");
  name.className = "name";
  name.style.paddingLeft = Math.min(depth, 16) * 14 + "px";
  const dot = document.createElement("span");
  dot.className = "swatch";
  dot.style.background = colour;
  name.appendChild(dot);
  if (span.error) {
    const mark = document.createElement("span");
    mark.className = "error-mark";
    mark.textContent = "⚠";
    mark.setAttribute("aria-label", "error");
    name.appendChild(mark);
  }
  name.appendChild(document.createTextNode(span.name));
  if (span.error && span.status_message) {
    const why = document.createElement("span");
    why.className = "reason";
    why.textContent = " " + span.status_message;
    name.appendChild(why);
  }

  const duration = document.createElement("span");
  duration.className = "duration";
  duration.textContent = micros(span.duration_us);

  const timeline = document.createElement("span");
  timeline.className = "timeline";
  const bar = document.createElement("span");
  bar.className = "bar";
  bar.style.left = (span.offset_us / total) * 100 + "%";
  bar.style.width = (span.duration_us / total) * 100 + "%";
  bar.style.background = colour;
  timeline.appendChild(bar);

  li.append(name, duration, timeline);
  return li;
}

// ---- Preferences ----

let prefsDirty = false; // typed into since filled: a late GET must not undo it

function fillZones() {
  if (zoneList.children.length || !Intl.supportedValuesOf) return;
  zoneList.replaceChildren(...Intl.supportedValuesOf("timeZone").map(z => {
    const option = document.createElement("option");
    option.value = z;
    return option;
  }));
  prefZone.placeholder = Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/Paris";
}

function channelItem(name, on) {
  const li = document.createElement("li");
  li.dataset.channel = name;
  const label = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = on;
  label.append(box, " " + name);
  const up = document.createElement("button");
  up.type = "button";
  up.className = "up";
  up.textContent = "↑";
  up.title = "Try " + name + " earlier";
  up.setAttribute("aria-label", "Move " + name + " up");
  li.append(label, up);
  return li;
}

// The enabled channels in the user's order, then the others, off.
function renderChannels(enabled) {
  const names = enabled.concat(CHANNELS.filter(c => !enabled.includes(c)));
  prefChannels.replaceChildren(...names.map(name => channelItem(name, enabled.includes(name))));
  syncChannelButtons();
}

function syncChannelButtons() {
  Array.from(prefChannels.children).forEach((li, i) => { li.querySelector("button.up").disabled = i === 0; });
}

function moveChannelUp(event) {
  const up = event.target.closest("button.up");
  if (!up) return;
  const li = up.closest("li");
  const prev = li.previousElementSibling;
  if (!prev) return;
  li.after(prev); // moves the other item, so focus stays on this button
  syncChannelButtons();
  if (up.disabled) li.querySelector("input").focus();
  prefsDirty = true;
}

function checkedChannels() {
  return Array.from(prefChannels.children)
    .filter(li => li.querySelector("input").checked)
    .map(li => li.dataset.channel);
}

function syncQuiet() {
  prefQuietStart.disabled = prefQuietEnd.disabled = !prefQuiet.checked;
  prefQuietStart.required = prefQuietEnd.required = prefQuiet.checked;
}

// The preferences as the PATCH body would state them, so that what the API
// has and what the form says compare field by field.
function preferencesOf(user) {
  const np = user.notification_preferences || {};
  const q = np.quiet_hours;
  return {
    name: user.name || "",
    phone: user.phone || "",
    time_zone: user.time_zone || "",
    notification_preferences: {
      channels: Array.isArray(np.channels) ? np.channels : [],
      quiet_hours: q ? { start: q.start, end: q.end } : null,
    },
  };
}

function preferencesInForm() {
  return {
    name: prefName.value.trim(),
    phone: prefPhone.value.trim(),
    time_zone: prefZone.value.trim(),
    notification_preferences: {
      channels: checkedChannels(),
      quiet_hours: prefQuiet.checked ? { start: prefQuietStart.value, end: prefQuietEnd.value } : null,
    },
  };
}

function fillPreferences(user) {
  const p = preferencesOf(user);
  prefName.value = p.name;
  prefPhone.value = p.phone;
  prefZone.value = p.time_zone;
  renderChannels(p.notification_preferences.channels.filter(c => typeof c === "string"));
  const q = p.notification_preferences.quiet_hours;
  prefQuiet.checked = Boolean(q);
  prefQuietStart.value = q ? q.start : "22:00";
  prefQuietEnd.value = q ? q.end : "07:00";
  syncQuiet();
  prefZone.setCustomValidity("");
  prefsDirty = false;
}

// Show what is known at once, then what the API has now (the user may have
// changed it elsewhere), unless the form was touched meanwhile.
async function openPreferences() {
  const s = session;
  if (!prefs.open || !s) return;
  fillZones();
  prefsError.hidden = true;
  prefsStatus.textContent = "";
  fillPreferences(s.user);
  pushError.hidden = true;
  loadPush();
  try {
    const user = await api("GET", "/api/users/me");
    if (session !== s) return;
    s.user = user;
    showUser();
    if (!prefsDirty) fillPreferences(user);
  } catch (err) {
    if (session === s) showProblem(prefsError, "Could not load your preferences: ", err);
  }
}

// A time zone the browser does not know would be refused by the API too.
function checkZone() {
  const zone = prefZone.value.trim();
  let message = "";
  if (zone) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
    } catch {
      message = "Not a time zone; pick one such as Europe/Paris.";
    }
  }
  prefZone.setCustomValidity(message);
}

// savePreferences sends only what changed, so a PATCH never writes back a
// stale value over a change made elsewhere.
async function savePreferences(event) {
  event.preventDefault();
  const s = session;
  if (!s) return;
  prefsError.hidden = true;
  const have = preferencesOf(s.user);
  const want = preferencesInForm();
  const change = {};
  for (const key of Object.keys(want)) {
    if (JSON.stringify(want[key]) !== JSON.stringify(have[key])) change[key] = want[key];
  }
  if (Object.keys(change).length === 0) {
    prefsStatus.textContent = "Nothing to save.";
    return;
  }
  prefsSave.disabled = true;
  prefsStatus.textContent = "Saving…";
  try {
    const user = await api("PATCH", "/api/users/me", change);
    if (session !== s) return;
    s.user = user;
    showUser();
    fillPreferences(user);
    renderPushState(); // its hint follows the channels
    prefsStatus.textContent = "Saved.";
  } catch (err) {
    if (session !== s) return;
    prefsStatus.textContent = "";
    showProblem(prefsError, "Could not save: ", err);
  } finally {
    prefsSave.disabled = false;
  }
}

// ---- Push in this browser ----

// Web Push needs a service worker, the Push API and notifications, which a
// browser offers only in a secure context (https, or localhost): over plain
// http elsewhere none of them exists, and the control says so instead of
// calling them.
const pushSupported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
const SERVICE_WORKER = "/sw.js";
const SUBSCRIBE_TIMEOUT_MS = 30000;

// The push services of the common browsers, to name a device by: the API
// keeps a browser's endpoint, not which browser it is.
const PUSH_SERVICES = [
  [/(^|\.)fcm\.googleapis\.com$/, "Chrome"],
  [/(^|\.)push\.services\.mozilla\.com$/, "Firefox"],
  [/(^|\.)push\.apple\.com$/, "Safari"],
  [/(^|\.)notify\.windows\.com$/, "Edge"],
];

let pushBusy = false; // turning on or off: the buttons wait
let pushLoad = 0; // each load's number: a late answer from an earlier one is dropped
let pushSub = null; // this browser's subscription as last read, or null
let devices = null; // the user's devices as last listed, or null when unknown

function base64urlBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - text.length % 4) % 4);
  return Uint8Array.from(atob(b64), c => c.charCodeAt(0));
}

function sameBytes(buffer, bytes) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  return a.length === bytes.length && a.every((b, i) => b === bytes[i]);
}

// withTimeout rejects with reason when promise has not settled within ms:
// a browser whose push service is unreachable may never answer.
function withTimeout(promise, ms, reason) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new ApiError(0, reason)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// browserProblem turns what the browser's APIs throw (DOMExceptions) into
// an ApiError that showProblem reads, with what the user can do about it.
function browserProblem(err) {
  if (err instanceof ApiError) return err;
  const message = (err && err.message) || String(err);
  switch (err && err.name) {
    case "AbortError":
      // Chrome: "Registration failed - push service error", e.g. offline.
      return new ApiError(0, "the browser's push service could not be reached (" + message + "). Check that you are online, then try again");
    case "NotAllowedError":
      return new ApiError(0, "the browser does not allow notifications for this site (" + message + ")");
    default:
      return new ApiError(0, message);
  }
}

// currentSubscription is this browser's push subscription for the
// dashboard, or null; it never registers the worker.
async function currentSubscription() {
  if (!pushSupported) return null;
  try {
    const reg = await navigator.serviceWorker.getRegistration("/");
    return reg ? await reg.pushManager.getSubscription() : null;
  } catch {
    return null; // e.g. storage off for this site: nothing to show
  }
}

function registeredHere() {
  return Boolean(pushSub && devices && devices.some(d => d.type === "web_push" && d.endpoint === pushSub.endpoint));
}

// renderPushState says where this browser stands and offers the one button
// that changes it.
function renderPushState() {
  pushOn.disabled = pushOff.disabled = pushBusy;
  let text;
  let on = false;
  if (!pushSupported) {
    text = window.isSecureContext
      ? "Not supported: this browser cannot receive push notifications."
      : "Not supported here: browsers offer push notifications only on pages served over HTTPS (or from localhost).";
    pushOn.disabled = true;
  } else if (Notification.permission === "denied") {
    text = "Blocked: this browser does not let the dashboard show notifications. Allow them in the site's settings, then try again.";
  } else if (pushSub && Notification.permission === "granted" && (registeredHere() || devices === null)) {
    on = true;
    text = devices === null ? "On in this browser (your devices could not be listed to confirm it)." : "On in this browser.";
    const channels = session && session.user && session.user.notification_preferences && session.user.notification_preferences.channels;
    if (!Array.isArray(channels) || !channels.includes("push")) {
      text += " Pushes are sent only with push among the channels above: tick it and save.";
    }
  } else {
    text = "Off in this browser.";
  }
  pushState.textContent = text;
  pushOn.hidden = on;
  pushOff.hidden = !on;
}

function deviceItem(d) {
  const li = document.createElement("li");
  const here = Boolean(pushSub && d.type === "web_push" && d.endpoint === pushSub.endpoint);
  const what = document.createElement("span");
  what.className = "device";
  let name;
  let detail = "";
  if (d.type === "web_push") {
    let host = "";
    try {
      host = new URL(d.endpoint).host;
    } catch {
      // Not a URL: the API checks it is one, so this is only defence.
    }
    const known = PUSH_SERVICES.find(([pattern]) => pattern.test(host));
    name = known ? known[1] + " (web browser)" : "Web browser";
    detail = host ? "push service " + host : "";
  } else {
    name = d.platform === "ios" ? "iPhone or iPad" : d.platform === "android" ? "Android phone" : "Phone";
    detail = "app";
  }
  const created = new Date(d.created_at).toLocaleString();
  const title = document.createElement("strong");
  title.textContent = name;
  what.appendChild(title);
  if (here) {
    const mark = document.createElement("span");
    mark.className = "here";
    mark.textContent = "this browser";
    what.appendChild(mark);
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = (detail ? detail + " · " : "") + "added " + created;
  what.appendChild(meta);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Remove";
  remove.dataset.device = d.id;
  remove.disabled = pushBusy;
  remove.setAttribute("aria-label", "Remove " + name + (here ? ", this browser," : "") + " added " + created);
  li.append(what, remove);
  return li;
}

function renderDevices() {
  if (devices === null) {
    devicesList.replaceChildren();
    return;
  }
  if (!devices.length) {
    const li = document.createElement("li");
    li.textContent = "No devices: pushes have nowhere to go.";
    devicesList.replaceChildren(li);
    return;
  }
  devicesList.replaceChildren(...devices.map(deviceItem));
}

// loadPush reads this browser's subscription and the user's devices, and
// shows both. The error box is the caller's to clear.
async function loadPush() {
  const s = session;
  if (!s) return;
  const load = ++pushLoad;
  const sub = await currentSubscription();
  let list = null;
  let failure = null;
  try {
    const body = await api("GET", "/api/users/me/devices");
    list = body && Array.isArray(body.items) ? body.items : [];
  } catch (err) {
    failure = err;
  }
  if (session !== s || load !== pushLoad) return;
  pushSub = sub;
  devices = list;
  if (failure) showProblem(pushError, "Could not list your devices: ", failure);
  renderDevices();
  renderPushState();
}

function setPushBusy(on, text) {
  pushBusy = on;
  if (text) pushState.textContent = text;
  pushOn.disabled = pushOff.disabled = on;
  for (const b of devicesList.querySelectorAll("button")) b.disabled = on;
}

// deleteDevice stops the API pushing to one device; one gone already is
// no error.
async function deleteDevice(id) {
  try {
    await api("DELETE", "/api/users/me/devices/" + encodeURIComponent(id));
  } catch (err) {
    if (err.status !== 404) throw err;
  }
}

// enablePush asks for permission (from the click, as browsers require),
// subscribes this browser with the API's VAPID key through the dashboard's
// service worker and registers the subscription as one of the user's
// devices. Subscribing again is harmless: the browser answers the
// subscription it has, and the API the device it knows.
async function enablePush() {
  const s = session;
  if (!s || pushBusy || !pushSupported) return;
  pushError.hidden = true;
  setPushBusy(true, "Asking for permission…");
  try {
    const permission = await Notification.requestPermission();
    if (session !== s) return;
    if (permission !== "granted") {
      // "default": the prompt was dismissed, and asking again will prompt again.
      if (permission !== "denied") showProblem(pushError, "", new ApiError(0, "Notifications were not allowed. Press the button again to be asked again."));
      return;
    }
    setPushBusy(true, "Subscribing…");
    const body = await api("GET", "/api/push/vapid-public-key");
    const key = body && typeof body.public_key === "string" ? body.public_key : "";
    if (!key) throw new ApiError(0, "the server has no push key (VAPID_PUBLIC_KEY)");
    const keyBytes = base64urlBytes(key);
    await navigator.serviceWorker.register(SERVICE_WORKER, { scope: "/" });
    // Subscribing needs the worker active, not just registered.
    const reg = await withTimeout(navigator.serviceWorker.ready, 10000, "the service worker did not start");
    let sub = await reg.pushManager.getSubscription();
    const made = sub && sub.options && sub.options.applicationServerKey;
    if (made && !sameBytes(made, keyBytes)) {
      // Made with a key the server no longer signs with: its pushes would
      // be refused, and the browser refuses to subscribe over it.
      await sub.unsubscribe();
      sub = null;
    }
    if (!sub) {
      sub = await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes }),
        SUBSCRIBE_TIMEOUT_MS, "the browser's push service did not answer within " + SUBSCRIBE_TIMEOUT_MS / 1000 + " s. Check that you are online, then try again");
    }
    if (session !== s) return;
    setPushBusy(true, "Registering this browser…");
    await api("POST", "/api/users/me/devices", Object.assign({ type: "web_push" }, sub.toJSON()));
  } catch (err) {
    if (session === s) showProblem(pushError, "Could not turn on notifications: ", browserProblem(err));
  } finally {
    if (session === s) {
      setPushBusy(false);
      await loadPush();
      if (!pushOff.hidden) pushOff.focus();
    }
  }
}

// disablePush stops the API pushing to this browser, then drops the
// browser's subscription. When the API cannot be reached nothing changes,
// so that turning off can be tried again.
async function disablePush() {
  const s = session;
  if (!s || pushBusy) return;
  pushError.hidden = true;
  setPushBusy(true, "Turning off…");
  try {
    const sub = await currentSubscription();
    if (sub) {
      const body = await api("GET", "/api/users/me/devices");
      if (session !== s) return;
      const items = body && Array.isArray(body.items) ? body.items : [];
      const mine = items.find(d => d.type === "web_push" && d.endpoint === sub.endpoint);
      if (mine) await deleteDevice(mine.id);
      if (session !== s) return;
      await sub.unsubscribe();
    }
  } catch (err) {
    if (session === s) showProblem(pushError, "Could not turn off notifications: ", browserProblem(err));
  } finally {
    if (session === s) {
      setPushBusy(false);
      await loadPush();
      if (!pushOn.hidden) pushOn.focus();
    }
  }
}

// removeDevice deletes one of the user's devices; this browser's is turned
// off here too, so that it does not keep a subscription nothing sends to.
async function removeDevice(id) {
  const s = session;
  if (!s || pushBusy || !devices) return;
  const index = devices.findIndex(d => d.id === id);
  const d = devices[index];
  if (!d) return;
  if (pushSub && d.type === "web_push" && d.endpoint === pushSub.endpoint) {
    await disablePush();
  } else {
    pushError.hidden = true;
    setPushBusy(true, "Removing the device…");
    try {
      await deleteDevice(id);
    } catch (err) {
      if (session === s) showProblem(pushError, "Could not remove the device: ", err);
    } finally {
      if (session === s) {
        setPushBusy(false);
        await loadPush();
      }
    }
  }
  if (session !== s) return;
  // The focus was on the removed button: the next one, else the list's title.
  const buttons = devicesList.querySelectorAll("button[data-device]");
  const next = buttons[Math.min(index, buttons.length - 1)];
  (next || devicesTitle).focus();
}

function resetPush() {
  pushLoad++;
  pushBusy = false;
  pushSub = null;
  devices = null;
  devicesList.replaceChildren();
  pushError.hidden = true;
  pushState.textContent = "";
  pushOn.hidden = false;
  pushOff.hidden = true;
  pushOn.disabled = pushOff.disabled = false;
}

// ---- Wiring ----

authForm.addEventListener("submit", submitAuth);
authToggle.addEventListener("click", () => {
  authNotice.hidden = true;
  setAuthMode(!registering);
  (registering ? authName : authEmail).focus();
});
$("sign-out").addEventListener("click", () => { signOut(); });
statusFilter.addEventListener("change", startOrders);
moreButton.addEventListener("click", loadOlder);
rows.addEventListener("click", event => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  if (button.dataset.action === "trace") toggleTrace(button.dataset.order);
  else act(button.dataset.order, button.dataset.action);
});
prefs.addEventListener("toggle", openPreferences);
shop.addEventListener("toggle", () => { if (shop.open) loadShop(); });
productsBody.addEventListener("submit", event => {
  event.preventDefault();
  const form = event.target.closest("form[data-sku]");
  if (form) addToCart(form.dataset.sku, Number(form.elements.quantity.value));
});
cartLines.addEventListener("click", event => {
  const button = event.target.closest("button[data-sku]");
  if (button) removeFromCart(button.dataset.sku);
});
checkoutForm.addEventListener("submit", event => {
  event.preventDefault();
  checkout();
});
prefsForm.addEventListener("submit", savePreferences);
prefsForm.addEventListener("input", () => {
  prefsDirty = true;
  prefsStatus.textContent = "";
});
prefChannels.addEventListener("click", moveChannelUp);
prefQuiet.addEventListener("change", syncQuiet);
prefZone.addEventListener("input", checkZone);
pushOn.addEventListener("click", enablePush);
pushOff.addEventListener("click", disablePush);
devicesList.addEventListener("click", event => {
  const button = event.target.closest("button[data-device]");
  if (button) removeDevice(button.dataset.device);
});
// A hidden tab gives its streams' connections back; shown, it follows again
// and reads the list at once for what it missed.
document.addEventListener("visibilitychange", () => {
  if (!session) return;
  followOrders();
  if (document.visibilityState === "visible") refreshOrders();
});

restore();
// New orders and the stats: the orders under way change on screen through
// their streams (followOrders), so the list is read again only this often.
const LIST_REFRESH_MS = 10000;
setInterval(() => {
  // Not before signing in, and not while the API says to wait.
  if (!session || Date.now() < pausedUntil) return;
  refreshOrders();
  loadStats();
}, LIST_REFRESH_MS);
