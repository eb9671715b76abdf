// The dashboard: sign in, then the orders list, newest first from
// GET /api/orders and refreshed every 10 s (older pages included, as far as
// they were loaded), the orders under way followed live through their
// streams; platform stats, approvals and each order's trace for
// admins; a page for each order (#/orders/<id>); the signed-in user's
// notification preferences, and Web Push in this browser (sw.js shows the
// pushes).
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
  clearRoute(); // the next user starts from the list, not this one's order
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
  closeConsole();
  closeOrderPage();
  filtersForm.reset();
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
  route(); // a reload on an order's page opens it again
}

function showUser() {
  const user = session && session.user;
  if (!user) return;
  who.textContent = user.email + " · " + user.role;
  statsSection.hidden = !isAdmin();
  filtersForm.hidden = !isAdmin();
  renderViewLinks();
}

// restore picks up the session this browser has, after a reload or in a
// new tab.
async function restore() {
  showSignIn("Restoring your session…");
  authForm.hidden = true;
  authToggle.hidden = true;
  try {
    const resp = await send("GET", "/session");
    if (resp.status === 204) { // not signed in
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
  loadConfig().then(config => {
    // The sandbox gateway's test cards are offered in development only;
    // elsewhere the payment provider's own token is typed in.
    const cards = config.test_cards !== false;
    $("checkout-cards").hidden = !cards;
    $("checkout-token-entry").hidden = cards;
    $("checkout-token-input").required = !cards;
  });
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
    payment: { token: $("checkout-cards").hidden ? $("checkout-token-input").value.trim() : $("checkout-token").value },
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
// The order's row and its page offer the same.
function orderActions(o) {
  const buttons = [];
  if (isAdmin() && o.status === "awaiting_approval") {
    buttons.push(actionButton(o, "approve", "Approve"), actionButton(o, "reject", "Reject"));
  }
  if (!UNCANCELLABLE.includes(o.status)) buttons.push(actionButton(o, "cancel", "Cancel"));
  if (returnable(o).length > 0) buttons.push(actionButton(o, "return", "Return"));
  if (isAdmin() && PAID.includes(o.status) && o.refunded < o.total) buttons.push(actionButton(o, "refund", "Refund"));
  return buttons;
}

function actionsCell(o) {
  const td = cell("", "actions");
  td.append(...orderActions(o));
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
  // The ID opens the order's page; the code stays the link's only content,
  // so the ID reads the same to everything that looks for it.
  const link = document.createElement("a");
  link.href = orderHash(o.id);
  link.title = "The order's page (workflow " + o.workflow_id + ")";
  link.appendChild(code);
  id.appendChild(link);
  tr.appendChild(id);
  // The customer by the email the order was placed with; their user ID on
  // hover, for the API's customer_id.
  const customer = cell((o.contact && o.contact.email) || o.customer_id);
  customer.title = "customer " + o.customer_id;
  tr.appendChild(customer);
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
    if (webURL(r.label_url) && r.status === "label_issued") {
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
// The list stream keeps them current; a read of the list (when the stream
// opens, or after a reset) asks for the newest orders again, as many as
// are listed, and merges them in, so the older pages "Older orders" loaded
// stay.
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

// startOrders starts the list over: its stream first, which reads the
// list once open (followList).
function startOrders() {
  resetOrders();
  rows.replaceChildren(messageRow("Loading…"));
  followOrders();
  if (!listFollow) refreshOrders(); // a hidden tab reads it without following
}

// The admin's filters (GET /api/orders' customer_email, created_from and
// created_to, min_total and max_total), read from the filter form.
const filtersForm = $("order-filters");

function filterValues() {
  if (!isAdmin()) return {};
  const f = filtersForm.elements;
  const day = (value, plus) => (value ? new Date(new Date(value + "T00:00:00").getTime() + plus).toISOString() : "");
  const minor = value => (value === "" ? "" : String(Math.round(Number(value) * 100)));
  return {
    customer_email: f.email.value.trim(),
    created_from: day(f.from.value, 0),
    created_to: day(f.to.value, 86400000), // the whole of the last day
    min_total: minor(f.min.value),
    max_total: minor(f.max.value),
  };
}

function ordersPath(limit, cursor) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (statusFilter.value) params.set("status", statusFilter.value);
  for (const [k, v] of Object.entries(filterValues())) if (v) params.set(k, v);
  if (cursor) params.set("cursor", cursor);
  return "/api/orders?" + params;
}

// inView reports whether an order the stream brought belongs in the list
// as filtered. The account's email is matched against the order's contact,
// which is the account's at the time it was placed.
function inView(o) {
  if (statusFilter.value && o.status !== statusFilter.value) return false;
  const f = filterValues();
  const email = (o.contact && o.contact.email) || "";
  if (f.customer_email && email.toLowerCase() !== f.customer_email.toLowerCase()) return false;
  if (f.created_from && instant(o.created_at) < instant(f.created_from)) return false;
  if (f.created_to && instant(o.created_at) >= instant(f.created_to)) return false;
  if (f.min_total && o.total < Number(f.min_total)) return false;
  if (f.max_total && o.total > Number(f.max_total)) return false;
  return true;
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
  // The stream may have brought a later copy while the page was on its way.
  const had = new Map(listed.map(o => [o.id, o]));
  listed = page.map(o => (newer(o, had.get(o.id)) ? o : had.get(o.id))).concat(older);
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

// The list follows one stream, GET /api/streams/orders (server-sent
// events): every change to the user's orders (an admin's: everyone's), new
// orders included, the moment it is committed. The stream is opened first
// and the list read after, and of two copies of an order the one with the
// later changed_at is kept, so nothing that happens in between is missed.
// A dropped stream resumes from its last id (the API sends what changed
// meanwhile, and a "reset" when that is too long ago: the list is read
// again). fetch reads it, not EventSource, to see its answer's status (a
// 401 ends the session, a 429 says how long to wait). A hidden tab gives
// its connection back, and reads the list again when shown.
const STREAM_RETRY_MS = 2000;
const STREAM_RETRY_MAX_MS = 30000;

// reconnectDelay is how long a stream waits before its next try: longer
// after each failure in a row (up to STREAM_RETRY_MAX_MS), at a random
// point of that span, so the tabs a deploy dropped do not all come back at
// once; never before a 429's Retry-After.
function reconnectDelay(failures) {
  const span = Math.min(STREAM_RETRY_MAX_MS, STREAM_RETRY_MS * 2 ** Math.min(failures, 4));
  return Math.max(span / 2 + Math.random() * span / 2, pausedUntil - Date.now());
}
let listFollow = null; // the list stream's AbortController while it runs
const orderSubscribers = new Set();

// subscribeOrders calls fn with every order the list stream brings (the
// console's views keep live with it); it returns the unsubscribe.
function subscribeOrders(fn) {
  orderSubscribers.add(fn);
  return () => orderSubscribers.delete(fn);
}

// followOrders keeps the list stream running while the tab is visible.
function followOrders() {
  if (document.visibilityState !== "visible") stopFollowing();
  else if (!listFollow && session) followList();
}

function stopFollowing() {
  if (listFollow) listFollow.abort();
  listFollow = null;
}

async function followList() {
  const ctl = new AbortController();
  listFollow = ctl;
  const s = session;
  const view = listView;
  const current = () => session === s && listView === view && listFollow === ctl;
  let lastEvent = "";
  let failures = 0;
  while (current()) {
    try {
      const headers = { Accept: "text/event-stream, application/problem+json" };
      if (lastEvent) headers["Last-Event-ID"] = lastEvent;
      const resp = await fetch("/api/streams/orders", { headers, signal: ctl.signal });
      if (resp.status === 401 && session === s) endSession(ENDED);
      if (resp.status === 429) pausedUntil = Date.now() + Math.max(1, retryAfterSeconds(resp)) * 1000;
      if (resp.status === 400) lastEvent = ""; // a place the API does not take: start afresh
      if (!resp.ok) throw await apiError(resp);
      failures = 0;
      if (!lastEvent) refreshOrders(); // opened: now the list misses nothing
      await readEventStream(resp, ev => {
        if (ev.id) lastEvent = ev.id;
        if (!current()) return true;
        if (ev.type === "reset") refreshOrders();
        else if (ev.type === "order" && ev.data) orderChanged(JSON.parse(ev.data));
        return false;
      });
    } catch (err) {
      if (!current()) return;
      // Not followed: the list is read as it is, and said to be stale
      // until the stream is back.
      if (!listedAt) refreshOrders();
      else ordersFailed(err);
      failures++;
    }
    await new Promise(resolve => setTimeout(resolve, reconnectDelay(failures)));
  }
}

// readEventStream calls onEvent with each event of a text/event-stream
// answer ({id, type, data}; an event of only an id has no type) until the
// stream ends or onEvent returns true.
async function readEventStream(resp, onEvent) {
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let event = {};
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, end).replace(/\r$/, "");
        buffered = buffered.slice(end + 1);
        if (line === "") { // a blank line ends an event
          if ((event.id !== undefined || event.data !== undefined) && onEvent(event)) return;
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
  } finally {
    reader.cancel().catch(() => {});
  }
}

// followStream calls onOrder with each state of one order's stream (GET
// /api/orders/{id}/stream: an order's page) while current() holds, until
// its final state; it reconnects after an interruption from the last state
// it had (Last-Event-ID).
async function followStream(s, id, signal, current, onOrder) {
  let lastEvent = "";
  let failures = 0;
  while (!signal.aborted && current()) {
    try {
      const over = await readOrderStream(s, id, lastEvent, signal, (eventID, order) => {
        lastEvent = eventID;
        failures = 0;
        if (current()) onOrder(order);
      });
      if (over) return;
    } catch (err) {
      if (signal.aborted) return;
      if (err.status === 404) return; // gone from this user's view
      if (err.status === 400) lastEvent = "";
      failures++;
    }
    await new Promise(resolve => setTimeout(resolve, reconnectDelay(failures)));
  }
}

// readOrderStream calls onOrder with each order event of one connection to
// the order's stream; it returns true once there is nothing more to follow
// (the final state, or a 204 for a resume after it) and false when the
// stream ended before.
async function readOrderStream(s, id, lastEvent, signal, onOrder) {
  const headers = { Accept: "text/event-stream, application/problem+json" };
  if (lastEvent) headers["Last-Event-ID"] = lastEvent;
  const resp = await fetch("/api/orders/" + encodeURIComponent(id) + "/stream", { headers, signal });
  if (resp.status === 204) return true;
  if (resp.status === 401 && session === s) endSession(ENDED);
  if (resp.status === 429) pausedUntil = Date.now() + Math.max(1, retryAfterSeconds(resp)) * 1000;
  if (!resp.ok) throw await apiError(resp);
  let over = false;
  await readEventStream(resp, ev => {
    if (ev.type !== "order" || !ev.data) return false;
    const order = JSON.parse(ev.data);
    onOrder(ev.id || "", order);
    over = settled(order);
    return over;
  });
  return over;
}

// newer reports whether a is a later copy of an order than b.
function newer(a, b) {
  return !b || !b.changed_at || (a.changed_at && instant(a.changed_at) > instant(b.changed_at));
}

// orderChanged takes an order the stream brought: a later copy replaces
// the listed one; a new order joins the list where it belongs when it
// matches the view. The console's views hear of it too, and an admin's
// figures are read again soon.
function orderChanged(order) {
  for (const fn of orderSubscribers) fn(order);
  statsSoon();
  if (shop.open) shopSoon(); // the stock it took or gave back
  const at = listed.findIndex(o => o.id === order.id);
  if (at >= 0) {
    if (!newer(order, listed[at])) return;
    // An order that left the view (its status, say) stays until the list
    // is read again, rather than vanishing under the pointer.
    listed[at] = order;
  } else {
    if (!inView(order)) return;
    const last = listed[listed.length - 1];
    if (nextCursor && last && !listedBefore(order, last)) return; // on a page not loaded yet
    const before = listed.findIndex(o => listedBefore(order, o));
    listed.splice(before < 0 ? listed.length : before, 0, order);
  }
  renderOrders();
  moreButton.hidden = !nextCursor;
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

// shopSoon reads the catalogue's availability again once orders change,
// at most every STATS_EVERY_MS.
let shopTimer = 0;

function shopSoon() {
  if (shopTimer) return;
  shopTimer = setTimeout(() => {
    shopTimer = 0;
    if (shop.open && session) loadShop();
  }, STATS_EVERY_MS);
}

// statsSoon reads an admin's figures again once orders change, at most
// every STATS_EVERY_MS: they move with the orders, and the console's
// Charts view follows them live besides.
const STATS_EVERY_MS = 5000;
let statsTimer = 0;

function statsSoon() {
  if (!isAdmin() || statsTimer) return;
  statsTimer = setTimeout(() => {
    statsTimer = 0;
    loadStats();
  }, STATS_EVERY_MS);
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

// knownOrder is the order as last shown: on its page, or in the list.
function knownOrder(id) {
  if (orderPage && orderPage.id === id && orderPage.order) return orderPage.order;
  return listed.find(x => x.id === id);
}

function askRefund(id) {
  const o = knownOrder(id);
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
  const o = knownOrder(id);
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
  // The order's row and its page.
  for (const b of document.querySelectorAll("#orders button[data-order], #order-actions button[data-order]")) {
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
    // A settled order's page is not following it (a refund of a delivered one).
    if (orderPage && orderPage.id === id) loadOrderPage(orderPage);
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

// traceShown reports whether t is still on screen: below its row, or on
// its order's page.
function traceShown(t) {
  return openTrace === t || Boolean(orderPage && orderPage.trace === t);
}

// traceView makes an empty trace view for the order, for loadTrace to fill.
function traceView(id) {
  const box = document.createElement("section");
  box.className = "trace";
  box.setAttribute("aria-label", "Trace of order " + id);
  box.setAttribute("aria-live", "polite");
  return { id, box, load: 0, trace: null };
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
    openTrace = { ...traceView(id), tr };
    td.appendChild(openTrace.box);
    tr.appendChild(td);
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
    if (session !== s || !traceShown(t) || t.load !== load) return;
    t.trace = trace;
    renderTrace(t);
  } catch (err) {
    if (session !== s || !traceShown(t) || t.load !== load) return;
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

  const legend = legendList("trace-legend", colours);

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

// ---- An order's page ----

// #/orders/<id> shows one order in full: its status, its saga's steps as a
// timeline, its items, parcels and returns, and the actions the list
// offers; for admins also its notifications and a technical detail (step
// errors, compensations, risk, reservation, events, the workflow in the
// Temporal Web UI, the trace). The list stays loaded underneath, hidden, so
// "Back to orders" (or the browser's Back) shows it as it was.
// orderPage is the open page ({id, order, ctl, trace, ...}), or null; every
// answer is dropped once its page is no longer the open one.
let orderPage = null;
const orderPageSection = $("order-page");
const orderTitle = $("order-title");
const orderLive = $("order-live");
const orderErrorBox = $("order-error");
const orderTechnical = $("order-technical");
const orderNotifications = $("order-notifications-section");
const orderTraceToggle = $("order-trace-toggle");
const PAGE_TITLE = document.title;
// The saga's undoing steps: they show in the timeline, and for admins
// once more under the technical detail.
const COMPENSATIONS = ["release_reservation", "void_payment", "refund_payment"];
const ORDER_ROUTE = /^#\/orders\/([^/?#]+)$/;

function orderHash(id) {
  return "#/orders/" + encodeURIComponent(id);
}

// routedOrder is the order the address names, or "" for the list.
function routedOrder() {
  const m = ORDER_ROUTE.exec(location.hash);
  if (!m) return "";
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return ""; // a mangled address: the list
  }
}

// route shows what the address names, once signed in (a hash change
// before that waits for showApp): a console view, an order's page, or the
// list.
function route() {
  if (!session) return;
  const name = routedConsole();
  if (name && openConsole(name)) return;
  closeConsole();
  const id = routedOrder();
  if (id) openOrderPage(id);
  else if (orderPage) leaveOrderPage();
  markCurrentView();
}

// ---- The console ----

// An admin's console views (#/console/<name>) are modules of their own
// (charts.js, console.js) that register here: app.js lists them in the
// navigation, routes to them, and hands each an empty section to fill
// (enter) and takes it back (leave: the view stops what it started).
const consoleViews = new Map(); // name -> {title, enter(section), leave()}
const consoleSection = $("console");
const consoleTitle = $("console-title");
const CONSOLE_ROUTE = /^#\/console\/([a-z-]+)$/;
let consoleOpen = null; // {name, view} while a view shows

function registerConsoleView(name, view) {
  consoleViews.set(name, view);
  renderViewLinks();
  if (session) route(); // the address may name it already (a reload)
}

function routedConsole() {
  const m = CONSOLE_ROUTE.exec(location.hash);
  return m ? m[1] : "";
}

// renderViewLinks lists the views the user may open: the orders, and an
// admin's console views.
function renderViewLinks() {
  const list = $("view-links");
  const items = [list.firstElementChild];
  if (isAdmin()) {
    for (const [name, view] of consoleViews) {
      const a = el("a", view.title);
      a.href = "#/console/" + name;
      a.dataset.view = name;
      const li = el("li");
      li.appendChild(a);
      items.push(li);
    }
  }
  list.replaceChildren(...items);
  markCurrentView();
}

function markCurrentView() {
  const current = consoleOpen ? consoleOpen.name : orderPage ? null : "";
  for (const a of $("view-links").querySelectorAll("a")) {
    if ((a.dataset.view || "") === current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// listControls shows the header's controls of the list (its status
// filter, when it was last updated) with the list only.
function listControls(shown) {
  statusFilter.closest("label").hidden = !shown;
  refreshed.hidden = !shown;
}

// openConsole shows the console view name, if there is one the user may
// see; false otherwise.
function openConsole(name) {
  const view = consoleViews.get(name);
  if (!view || !isAdmin()) return false;
  if (consoleOpen && consoleOpen.name === name) return true;
  closeConsole();
  if (orderPage) closeOrderPage();
  consoleOpen = { name, view };
  appSection.classList.add("console-open");
  listControls(false);
  consoleSection.hidden = false;
  consoleTitle.textContent = view.title;
  document.title = view.title + " · " + PAGE_TITLE;
  const section = document.createElement("section");
  section.setAttribute("aria-labelledby", "console-title");
  $("console-view").replaceChildren(section);
  actionBox.hidden = true; // it spoke of another view
  markCurrentView();
  window.scrollTo(0, 0);
  consoleTitle.focus();
  view.enter(section);
  return true;
}

function closeConsole() {
  if (!consoleOpen) return;
  const { view } = consoleOpen;
  consoleOpen = null;
  try {
    view.leave();
  } finally {
    $("console-view").replaceChildren();
    consoleSection.hidden = true;
    appSection.classList.remove("console-open");
    listControls(true);
    document.title = PAGE_TITLE;
    markCurrentView();
  }
}

// clearRoute forgets the order in the address without a history entry.
function clearRoute() {
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
}

function openOrderPage(id) {
  if (orderPage && orderPage.id === id) return;
  closeOrderPage();
  orderPage = { id, order: null, drawn: "", ctl: null, trace: null, detailFor: "", notifying: new Set(), retried: new Map(), notificationPolls: 0, notificationsTimer: 0 };
  appSection.classList.add("order-open");
  orderPageSection.hidden = false;
  orderTechnical.hidden = !isAdmin();
  orderNotifications.hidden = false; // customers see what they were told, admins how it went
  actionBox.hidden = true; // it spoke of another view
  orderTitle.textContent = "Order " + id;
  document.title = "Order " + id + " · " + PAGE_TITLE;
  $("order-summary").textContent = "Loading…";
  followOrders(); // the hidden list gives its streams back
  window.scrollTo(0, 0);
  orderTitle.focus(); // a new page: start reading, and tabbing, from its heading
  loadOrderPage(orderPage);
}

// leaveOrderPage goes back to the list, to the order's row.
function leaveOrderPage() {
  const id = orderPage.id;
  closeOrderPage();
  followOrders();
  const link = Array.from(rows.querySelectorAll("a[href]")).find(a => a.getAttribute("href") === orderHash(id));
  if (link) link.focus();
}

// closeOrderPage stops following the order and empties its page.
function closeOrderPage() {
  const p = orderPage;
  if (!p) return;
  orderPage = null;
  if (p.ctl) p.ctl.abort();
  clearTimeout(p.notificationsTimer);
  appSection.classList.remove("order-open");
  orderPageSection.hidden = true;
  document.title = PAGE_TITLE;
  actionBox.hidden = true;
  orderErrorBox.hidden = true;
  orderLive.textContent = "";
  for (const id of ["order-summary", "order-actions", "order-timeline", "order-item-rows", "order-shipments", "order-returns",
    "order-notifications", "order-notifications-status", "order-links", "order-step-errors", "order-compensations",
    "order-attention", "order-risk", "order-reservation", "order-events", "order-trace", "order-trace-link"]) {
    $(id).replaceChildren();
  }
  orderTraceToggle.textContent = "Show the trace";
  orderTraceToggle.setAttribute("aria-expanded", "false");
}

// loadOrderPage reads the order (GET /api/orders/{id}) and follows it
// while it is under way.
async function loadOrderPage(p) {
  const s = session;
  try {
    const order = await api("GET", "/api/orders/" + encodeURIComponent(p.id));
    if (session !== s || orderPage !== p) return;
    orderErrorBox.hidden = true;
    pageOrder(p, order);
    followOrderPage();
  } catch (err) {
    if (session !== s || orderPage !== p) return;
    orderPageFailed(p, err);
  }
}

function orderPageFailed(p, err) {
  if (err.status === 404) {
    // Someone else's order answers 404 too: say no more than that.
    $("order-summary").textContent = "There is no order " + p.id + " among " + (isAdmin() ? "the orders." : "your orders.");
    return;
  }
  showProblem(orderErrorBox, "Could not load the order: ", err);
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = "Try again";
  b.addEventListener("click", () => loadOrderPage(p));
  orderErrorBox.appendChild(b);
  if (!p.order) $("order-summary").textContent = "";
}

// followOrderPage follows the open order's stream while the tab is visible
// and the order is not settled, and stops otherwise.
function followOrderPage() {
  const p = orderPage;
  if (!p || !p.order) return;
  const want = document.visibilityState === "visible" && !settled(p.order);
  if (!want && p.ctl) {
    p.ctl.abort();
    p.ctl = null;
  }
  if (!want || p.ctl) return;
  const ctl = new AbortController();
  p.ctl = ctl;
  const s = session;
  followStream(s, p.id, ctl.signal, () => session === s && orderPage === p, order => pageOrder(p, order))
    .finally(() => { if (p.ctl === ctl) p.ctl = null; });
}

// pageOrder shows a new state of the page's order: redrawn when it
// changed, its status announced when that changed, the list's row updated
// too, and the admins' detail read again at each new status.
function pageOrder(p, order) {
  const was = p.order;
  p.order = order;
  if (was && was.status !== order.status) orderLive.textContent = "Order status: " + statusText(order.status) + ".";
  orderChanged(order);
  const drawn = JSON.stringify(order);
  if (drawn !== p.drawn) {
    p.drawn = drawn;
    keepFocus(orderPageSection, $("order-summary"), () => renderOrderPage(order));
  }
  if (p.detailFor !== order.status) {
    p.detailFor = order.status;
    p.notificationPolls = NOTIFICATION_POLLS;
    loadNotifications(p); // what the customer was told, at each step
  }
  if (isAdmin() && p.detailFor !== p.technicalFor) {
    p.technicalFor = p.detailFor;
    loadOrderEvents(p);
    loadReservation(p);
    loadConfig().then(links => { if (orderPage === p) renderOrderLinks(p, links); });
  }
}

// keepFocus redraws what draw replaces without losing the keyboard's place:
// the focused button or link is found again in the new content by what it
// does (its action, its address, its text). One that is gone (Cancel, once
// cancelled) leaves the focus on fallback (the order's summary, which says
// why), rather than on the page's body.
function keepFocus(container, fallback, draw) {
  const had = document.activeElement;
  const key = had && had !== orderTitle && container.contains(had) ? focusKey(had) : "";
  draw();
  if (!key || container.contains(had)) return;
  const again = Array.from(container.querySelectorAll("a, button")).find(node => focusKey(node) === key);
  (again || fallback).focus();
}

function focusKey(node) {
  return [node.tagName, node.dataset.action || "", node.dataset.notification || "", node.getAttribute("href") || "", node.textContent].join("|");
}

function statusText(status) {
  return status.replaceAll("_", " ");
}

function renderOrderPage(o) {
  renderOrderSummary(o);
  $("order-actions").replaceChildren(...orderActions(o));
  renderTimeline(o);
  renderItems(o);
  renderShipments(o);
  renderReturns(o);
  if (isAdmin()) renderTechnical(o);
}

// timeEl is a time people read, with the instant for machines.
function timeEl(t, text) {
  const el = document.createElement("time");
  el.dateTime = t;
  el.textContent = text || new Date(t).toLocaleString();
  return el;
}

// legendList is a key of colour swatches and their names ([name, colour]
// pairs): a trace's services, a chart's series.
function legendList(className, entries) {
  const ul = el("ul", undefined, className);
  for (const [name, colour] of entries) {
    const swatch = el("span", undefined, "swatch");
    swatch.style.background = colour;
    const li = el("li");
    li.append(swatch, name);
    ul.appendChild(li);
  }
  return ul;
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

// facts is a definition list of [term, description] pairs; a description
// is text or a node, and an empty one leaves its pair out.
function facts(pairs) {
  const dl = el("dl", undefined, "facts");
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    const dd = el("dd");
    dd.append(value);
    dl.append(el("dt", term), dd);
  }
  return dl;
}

// webURL reports whether a link from elsewhere (a carrier's label) is a
// web page's, not a script's or anything else a browser would run.
function webURL(href) {
  try {
    return ["http:", "https:"].includes(new URL(href).protocol);
  } catch {
    return false;
  }
}

function newTabLink(href, text) {
  const a = el("a", text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

function renderOrderSummary(o) {
  const badge = el("span", statusText(o.status), "status " + o.status);
  const total = money(o.total, o.currency) + (o.refunded ? " (refunded " + money(o.refunded, o.currency) + ")" : "");
  const box = $("order-summary");
  box.replaceChildren(facts([
    ["Status", badge],
    ["Total", total],
    ["Placed", timeEl(o.created_at)],
    ["Last change", timeEl(o.updated_at)],
  ]));
  if (o.failure_reason) box.appendChild(el("p", o.failure_reason, "reason"));
}

// failingStep is the step that failed the order: its first failed step
// that is not a compensation.
function failingStep(o) {
  return (o.steps || []).find(s => s.status === "failed" && !COMPENSATIONS.includes(s.name));
}

// renderTimeline lists the saga's steps in the order they started: each
// with a mark and its outcome in words, when it started and how long it
// took; a failed one says why in plain words (the technical cause is for
// admins, under the technical detail).
function renderTimeline(o) {
  const steps = o.steps || [];
  const failing = failingStep(o);
  const list = $("order-timeline");
  if (steps.length === 0) {
    list.replaceChildren(el("li", o.status === "pending" ? "Not started yet." : "No steps recorded."));
    return;
  }
  list.replaceChildren(...steps.map(s => {
    const li = el("li", undefined, "step " + s.status + (COMPENSATIONS.includes(s.name) ? " compensation" : ""));
    const mark = el("span", STEP_MARKS[s.status] || "", "mark");
    mark.setAttribute("aria-hidden", "true");
    const name = el("strong", STEP_LABELS[s.name] || s.name);
    const when = el("span", " " + statusText(s.status) + " \u00b7 started ", "when");
    when.appendChild(timeEl(s.started_at, new Date(s.started_at).toLocaleTimeString()));
    if (s.completed_at) when.append(" \u00b7 took " + duration(new Date(s.completed_at) - new Date(s.started_at)));
    else if (s.status === "running") when.append(" \u00b7 under way");
    li.append(mark, name);
    if (COMPENSATIONS.includes(s.name)) li.appendChild(el("span", " (undoing)", "undoing"));
    li.appendChild(when);
    if (s.status === "failed") li.appendChild(reasonLine(stepReason(o, s, failing)));
    return li;
  }));
}

// stepReason says why a step failed, for everyone: the order's own reason
// for the step that failed it; a compensation that failed is being seen to.
function stepReason(o, s, failing) {
  if (s === failing && o.failure_reason) return o.failure_reason;
  if (COMPENSATIONS.includes(s.name)) return "This could not be undone automatically; our team has been asked to finish it.";
  return "This step did not succeed.";
}

function renderItems(o) {
  $("order-item-rows").replaceChildren(...(o.items || []).map(i => {
    const tr = document.createElement("tr");
    const sku = cell("");
    sku.appendChild(el("code", i.sku));
    tr.append(sku, cell(String(i.quantity)), cell(money(i.unit_price, o.currency)), cell(money(i.unit_price * i.quantity, o.currency)));
    return tr;
  }));
}

function lines(items) {
  return items.map(l => l.quantity + " \u00d7 " + l.sku).join(", ");
}

function renderShipments(o) {
  const list = $("order-shipments");
  const shipments = o.shipments || [];
  if (shipments.length === 0) {
    list.replaceChildren(el("li", PAID.includes(o.status) ? "No parcels planned yet." : "None: parcels are sent once the order is completed."));
    return;
  }
  list.replaceChildren(...shipments.map(sh => {
    const li = el("li");
    li.append(el("strong", "Parcel from " + sh.warehouse_id + " "), el("span", statusText(sh.status), "status shipment " + sh.status));
    li.appendChild(facts([
      ["Contents", lines(sh.items)],
      ["Carrier", sh.carrier],
      ["Tracking number", sh.tracking_number ? el("code", sh.tracking_number) : ""],
      ["Booked", sh.booked_at ? timeEl(sh.booked_at) : ""],
      ["Shipped", sh.shipped_at ? timeEl(sh.shipped_at) : ""],
      ["Delivered", sh.delivered_at ? timeEl(sh.delivered_at) : ""],
      ["Label", webURL(sh.label_url) ? newTabLink(sh.label_url, "Shipping label of the parcel from " + sh.warehouse_id) : ""],
    ]));
    return li;
  }));
}

function renderReturns(o) {
  const list = $("order-returns");
  const returns = o.returns || [];
  if (returns.length === 0) {
    list.replaceChildren(el("li", returnable(o).length ? "None yet. Delivered items can be returned with the Return button." : "None."));
    return;
  }
  list.replaceChildren(...returns.map(r => {
    const li = el("li");
    li.append(el("strong", "Return of " + lines(r.items) + " "), el("span", statusText(r.status), "status return " + r.status));
    li.appendChild(facts([
      ["Amount", money(r.amount, r.currency)],
      ["Reason", r.reason],
      ["Requested", timeEl(r.created_at)],
      ["Tracking number", r.tracking_number ? el("code", r.tracking_number) : ""],
      ["Received", r.received_at ? timeEl(r.received_at) : ""],
      // As in the row: the label is for a parcel not dropped off yet.
      ["Label", webURL(r.label_url) && r.status === "label_issued" ? newTabLink(r.label_url, "Return label") : ""],
      ["Requested by", r.requested_by], // admins only
    ]));
    return li;
  }));
}

// ---- An order's page: for admins ----

// emptyItem is the one line of a list with nothing in it.
function emptyItem(text) {
  return el("li", text, "none");
}

function renderTechnical(o) {
  const steps = o.steps || [];
  const errors = steps.filter(s => s.error);
  $("order-step-errors").replaceChildren(...(errors.length ? errors.map(s => {
    const li = el("li");
    li.append(el("strong", (STEP_LABELS[s.name] || s.name) + " "), el("code", s.name), ": ");
    li.appendChild(el("span", s.error, "reason"));
    return li;
  }) : [emptyItem("No step failed.")]));
  const undone = steps.filter(s => COMPENSATIONS.includes(s.name));
  $("order-compensations").replaceChildren(...(undone.length ? undone.map(s => {
    let text = (STEP_LABELS[s.name] || s.name) + ": " + statusText(s.status);
    if (s.completed_at) text += " in " + duration(new Date(s.completed_at) - new Date(s.started_at));
    return el("li", text, "step " + s.status);
  }) : [emptyItem("None ran.")]));
  $("order-attention").textContent = o.attention || "Nothing awaits an operator.";
  $("order-payment").replaceChildren(facts([
    ["Capture", o.capture_id ? el("code", o.capture_id) : "none taken"],
    ["Refunded", o.refunded ? money(o.refunded, o.currency) : ""],
  ]));
  $("order-risk").replaceChildren(o.risk ? riskFacts(o.risk) : el("p", "No assessment (an order placed before assessments)."));
}

function riskFacts(r) {
  const reasons = el("ul");
  reasons.append(...(r.reasons.length ? r.reasons.map(t => el("li", t)) : [el("li", "no rule applied")]));
  return facts([["Level", el("span", r.level, "risk " + r.level)], ["Score", String(r.score)], ["Reasons", reasons]]);
}

// The dashboard's links to the Temporal Web UI and the trace UI (GET
// /config.json, public, the same for everyone): read once, and again only
// after a failure.
let configLoad = null;

function loadConfig() {
  if (!configLoad) {
    configLoad = send("GET", "/config.json").then(resp => (resp.ok ? readJSON(resp) : {})).catch(() => ({}))
      .then(config => {
        if (!config || !config.temporal_ui_url) configLoad = null; // try again next time
        return config || {};
      });
  }
  return configLoad;
}

function renderOrderLinks(p, links) {
  p.links = links;
  const box = $("order-links");
  const parts = [el("span", "Workflow "), el("code", p.order.workflow_id)];
  if (links.temporal_ui_url) {
    parts.push(" \u00b7 ", newTabLink(links.temporal_ui_url + "/workflows/" + encodeURIComponent(p.order.workflow_id), "Open it in the Temporal Web UI"));
  }
  box.replaceChildren(...parts);
  if (p.events) renderOrderEvents(p); // their trace links wait for the trace UI's address
}

// loadReservation reads the order's stock reservation (GET
// /api/reservations/res-<order id>, admin): which warehouses hold what.
async function loadReservation(p) {
  const s = session;
  const box = $("order-reservation");
  const id = "res-" + p.id; // as the API names it (openapi.yaml, getReservation)
  try {
    const r = await api("GET", "/api/reservations/" + encodeURIComponent(id));
    if (session !== s || orderPage !== p) return;
    const allocations = el("ul");
    allocations.append(...(r.allocations.length
      ? r.allocations.map(a => el("li", a.quantity + " \u00d7 " + a.sku + " from " + a.warehouse_id))
      : [el("li", "none")]));
    box.replaceChildren(facts([
      ["ID", el("code", r.id)],
      ["Status", r.status],
      ["Allocations", allocations],
      ["Expires", r.expires_at && r.status === "reserved" ? timeEl(r.expires_at) : ""],
      ["Last change", timeEl(r.updated_at)],
    ]));
  } catch (err) {
    if (session !== s || orderPage !== p) return;
    if (err.status === 404) box.replaceChildren(el("p", "No stock was reserved."));
    else showProblem(box, "Could not load the reservation: ", err);
  }
}

// loadOrderEvents reads the order's events (GET /api/orders/{id}/events),
// oldest first.
async function loadOrderEvents(p) {
  const s = session;
  try {
    const body = await api("GET", "/api/orders/" + encodeURIComponent(p.id) + "/events");
    if (session !== s || orderPage !== p) return;
    p.events = body.events;
    renderOrderEvents(p);
  } catch (err) {
    if (session !== s || orderPage !== p) return;
    const box = $("order-events");
    box.replaceChildren(emptyItem(""));
    showProblem(box.firstChild, "Could not load the events: ", err);
  }
}

// renderOrderEvents lists the events with their type, time and reason, and
// the request and trace they came from where the event names them (the
// OrderEvent schema has neither field yet: they show once the API sends
// request_id and trace_id).
function renderOrderEvents(p) {
  const traceUI = p.links && p.links.trace_ui_url;
  $("order-events").replaceChildren(...(p.events.length ? p.events.map(e => {
    const li = el("li");
    li.append(timeEl(e.occurred_at), " ", el("code", e.type));
    const extra = [["Reason", e.reason], ["Request ID", e.request_id ? el("code", e.request_id) : ""]];
    if (e.trace_id) {
      const trace = el("span");
      trace.append(el("code", e.trace_id));
      if (traceUI) trace.append(" ", newTabLink(traceUI + "/trace/" + encodeURIComponent(e.trace_id), "open the trace"));
      extra.push(["Trace ID", trace]);
    }
    li.appendChild(facts(extra));
    return li;
  }) : [emptyItem("No events yet.")]));
}

const NOTIFICATION_POLL_MS = 2000;
const NOTIFICATION_POLLS = 15; // at most 30 s after each retry or status change

// loadNotifications lists the messages sent for the order (GET
// /api/notifications?order_id=, admin), newest first.
async function loadNotifications(p) {
  const s = session;
  try {
    const body = await api("GET", "/api/orders/" + encodeURIComponent(p.id) + "/notifications");
    if (session !== s || orderPage !== p) return;
    p.notifications = body.items;
    keepFocus(orderNotifications, $("order-notifications"), () => renderNotifications(p));
    // A message being sent (the order's latest, or one retried, which
    // starts its next round a moment after the API accepts) changes without
    // the order: read again a while, until it is sent or failed.
    clearTimeout(p.notificationsTimer);
    const sending = n => n.status === "pending" || (p.retried.has(n.id) && n.round <= p.retried.get(n.id));
    if (body.items.some(sending) && p.notificationPolls-- > 0) {
      p.notificationsTimer = setTimeout(() => { if (orderPage === p) loadNotifications(p); }, NOTIFICATION_POLL_MS);
    }
  } catch (err) {
    if (session !== s || orderPage !== p) return;
    showProblem($("order-notifications-status"), "Could not load the notifications: ", err);
  }
}

function renderNotifications(p) {
  const items = p.notifications;
  $("order-notifications").replaceChildren(...(items.length ? items.map(n => notificationItem(p, n)) : [emptyItem("None sent yet.")]));
}

function notificationItem(p, n) {
  const li = el("li");
  li.append(el("code", n.kind), " ", el("span", n.status, "status notification " + n.status));
  const failures = Object.entries(n.failures || {}).map(([channel, why]) => channel + ": " + why).join("; ");
  li.appendChild(facts([
    ["Channel", n.channel ? n.channel + (n.provider ? " (" + n.provider + ")" : "") : ""],
    ["Channels tried", n.channels.join(", ") + (n.round > 1 ? " \u00b7 round " + n.round : "")],
    ["Delivery", n.delivery ? n.delivery.state + " (" + n.delivery.event + ")" : ""],
    ["Held until", n.status === "scheduled" && n.scheduled_for ? timeEl(n.scheduled_for) : ""],
    ["Failures", failures ? el("span", failures, "reason") : ""],
    ["Created", timeEl(n.created_at)],
  ]));
  // Only a message that failed on every channel can be retried (409
  // otherwise), and only by an admin.
  if (n.status === "failed" && isAdmin()) {
    const b = el("button", "Retry");
    b.type = "button";
    b.dataset.notification = n.id;
    b.setAttribute("aria-label", "Retry the " + n.kind + " message");
    b.disabled = p.notifying.has(n.id);
    li.appendChild(b);
  }
  return li;
}

// retryNotification asks for a failed message to be sent again (POST
// /api/notifications/{id}/retry), then lists the messages again.
async function retryNotification(id) {
  const p = orderPage;
  const s = session;
  if (!p || p.notifying.has(id)) return;
  const status = $("order-notifications-status");
  p.notifying.add(id);
  keepFocus(orderNotifications, $("order-notifications"), () => renderNotifications(p)); // its button off meanwhile
  try {
    const before = await api("POST", "/api/notifications/" + encodeURIComponent(id) + "/retry");
    if (session !== s || orderPage !== p) return;
    p.retried.set(id, before.round); // the message as it was: its next round is the retry
    say(status, "Retry requested: the message is being sent again.");
    p.notificationPolls = NOTIFICATION_POLLS;
  } catch (err) {
    if (session !== s || orderPage !== p) return;
    showProblem(status, "Could not retry the message: ", err);
  } finally {
    p.notifying.delete(id);
    if (session === s && orderPage === p) loadNotifications(p);
  }
}

// traceUILink links the loaded trace to the trace UI (Jaeger), when the
// dashboard names one.
async function traceUILink(p, t) {
  const links = await loadConfig();
  if (orderPage !== p || p.trace !== t || !t.trace || !links.trace_ui_url) return;
  $("order-trace-link").replaceChildren(" \u00b7 ",
    newTabLink(links.trace_ui_url + "/trace/" + encodeURIComponent(t.trace.trace_id), "Open it in the trace UI"));
}

// toggleOrderTrace shows or hides the order's trace waterfall on its page,
// drawn as below its row (loadTrace, renderTrace).
function toggleOrderTrace() {
  const p = orderPage;
  if (!p) return;
  const box = $("order-trace");
  if (p.trace) {
    p.trace = null;
    box.replaceChildren();
  } else {
    const t = traceView(p.id);
    p.trace = t;
    box.replaceChildren(t.box);
    loadTrace(t).then(() => traceUILink(p, t));
  }
  $("order-trace-link").replaceChildren();
  orderTraceToggle.textContent = p.trace ? "Hide the trace" : "Show the trace";
  orderTraceToggle.setAttribute("aria-expanded", String(Boolean(p.trace)));
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
filtersForm.addEventListener("submit", event => {
  event.preventDefault();
  startOrders();
});
filtersForm.addEventListener("reset", () => setTimeout(() => { if (session) startOrders(); })); // once the fields are empty
$("order-search").addEventListener("submit", event => {
  event.preventDefault();
  const id = event.target.elements.id.value.trim();
  if (id) location.hash = orderHash(id);
});
moreButton.addEventListener("click", loadOlder);
rows.addEventListener("click", event => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  if (button.dataset.action === "trace") toggleTrace(button.dataset.order);
  else act(button.dataset.order, button.dataset.action);
});
window.addEventListener("hashchange", route);
$("order-actions").addEventListener("click", event => {
  const button = event.target.closest("button[data-action]");
  if (button) act(button.dataset.order, button.dataset.action);
});
$("order-notifications").addEventListener("click", event => {
  const button = event.target.closest("button[data-notification]");
  if (button) retryNotification(button.dataset.notification);
});
orderTraceToggle.addEventListener("click", toggleOrderTrace);
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
// A hidden tab gives its streams' connections back; shown, it follows
// again, and reads the list at once for what it missed.
document.addEventListener("visibilitychange", () => {
  if (!session) return;
  followOrders();
  followOrderPage();
});

restore();
