// The dashboard: sign in, then the orders list, newest first from
// GET /api/orders and refreshed every 2 s; platform stats and approvals for
// admins; the signed-in user's notification preferences.
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

const CHANNELS = ["email", "sms"];
const FINAL = ["completed", "failed", "cancelled"];
const ENDED = "Your session has ended. Please sign in again.";
let nextCursor = "";
let pausedUntil = 0; // a 429's Retry-After: the 2 s refresh waits until then

// ---- Session and tokens ----

// The refresh token is kept in sessionStorage under this key, and nothing
// else is stored. The access token lives only in memory (session.access): it
// is what every request carries, and a reload simply refreshes a new one, so
// it is never written where a later page could read it. The refresh token
// must survive a reload, so it cannot live in memory alone; sessionStorage
// rather than localStorage because it belongs to this tab and is gone when the
// tab closes, which ends the session as closing the tab should. Unlike a
// cookie, the browser never sends it on its own (no CSRF). Script on this
// origin could still read it: the CSP allows no inline or foreign scripts, the
// page writes data with textContent only, and the API rotates the token on
// every use and revokes the session when a used one comes back.
const STORAGE_KEY = "orderflow.session";

// The signed-in session, or null. Every asynchronous step remembers the
// session it started in and drops its result when that is no longer the
// current one, so a late answer never shows one user's orders to the next.
let session = null;

// tab names the sign-in, so that tabs can tell whether they hold the same one.
function newSession(tab, refreshToken) {
  return { tab, refresh: refreshToken, access: "", expiresAt: 0, user: null, timer: 0, refreshing: null };
}

function randomID() {
  // Not crypto.randomUUID: it needs a secure context, and the dashboard may be
  // served over plain HTTP inside a cluster.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
}

function storeSession(s) {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ refresh_token: s.refresh, tab: s.tab }));
  } catch {
    // Storage is off: the session just ends with the page.
  }
}

function storedSession() {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    return v && typeof v.refresh_token === "string" && v.refresh_token && typeof v.tab === "string" ? v : null;
  } catch {
    return null;
  }
}

function forgetStoredSession() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing was stored.
  }
}

function isAdmin() {
  return Boolean(session && session.user && session.user.role === "admin");
}

// adopt takes a login or refresh answer for s: a new access token and its
// lifetime, the rotated refresh token (the previous one is spent now) and the
// user as the API knows them.
function adopt(s, body) {
  s.access = body.access_token;
  const seconds = Number(body.expires_in) > 0 ? Number(body.expires_in) : 60;
  s.expiresAt = Date.now() + seconds * 1000;
  s.refresh = body.refresh_token;
  s.user = body.user || s.user;
  if (session !== s) return; // signed out meanwhile: signOut revokes s.refresh
  storeSession(s);
  scheduleRefresh(s);
  showUser();
}

// refresh trades s's refresh token for new tokens. Callers share the one
// refresh under way, never start a second: the API revokes the whole session
// when a refresh token is used twice.
function refresh(s) {
  if (!s.refreshing) s.refreshing = doRefresh(s).finally(() => { s.refreshing = null; });
  return s.refreshing;
}

async function doRefresh(s) {
  let body;
  try {
    body = await postPublic("/api/auth/refresh", { refresh_token: s.refresh });
  } catch (err) {
    // A refusal (401: expired, revoked or reused) means signing in again.
    // Throttling, an unreachable API or a 5xx leave the token as it was: try later.
    if (err.status >= 400 && err.status < 500 && err.status !== 429 && session === s) endSession(ENDED);
    throw err;
  }
  adopt(s, body);
}

// scheduleRefresh renews the access token a little before it expires (a fifth
// of its lifetime early, at most a minute), so requests seldom meet a 401.
function scheduleRefresh(s, delay) {
  clearTimeout(s.timer);
  if (delay === undefined) {
    const left = s.expiresAt - Date.now();
    delay = left - Math.min(60000, left / 5);
  }
  s.timer = setTimeout(() => {
    refresh(s).catch(err => {
      // Not reached or throttled: try again shortly. Requests meanwhile
      // refresh by themselves once the access token has expired.
      if (session === s) scheduleRefresh(s, Math.max(5, err.retryAfter) * 1000);
    });
  }, Math.min(Math.max(delay, 1000), 2 ** 31 - 1));
}

// endSession forgets the session in this tab (tokens, timers, the orders on
// screen) and shows the sign-in form with notice. It returns the session it ended.
function endSession(notice) {
  const s = session;
  if (s) clearTimeout(s.timer);
  session = null;
  forgetStoredSession();
  showSignIn(notice);
  return s;
}

// signOut ends the session here at once, then asks the API to revoke it.
async function signOut() {
  const s = endSession("You have signed out.");
  if (!s) return;
  try {
    // A refresh under way is about to replace the refresh token: revoke the
    // new one, not the spent one. An expired access token is renewed first in
    // case the API wants one on logout.
    if (s.refreshing) await s.refreshing;
    else if (Date.now() >= s.expiresAt - 5000) await refresh(s);
  } catch {
    // Logging out with what we have is still worth a try.
  }
  send("POST", "/api/auth/logout", { refresh_token: s.refresh }, Date.now() < s.expiresAt ? s.access : "")
    .catch(() => {}); // unreachable: the refresh token expires on its own, and this tab no longer has it
}

// ---- Duplicated tabs ----

// A duplicated tab starts with a copy of this tab's sessionStorage, so with
// the same refresh token: whichever tab refreshed second would reuse it and
// the API would revoke the session under both. So tabs answer for the
// sign-in they hold, and a tab whose stored one is live elsewhere drops it.
// When two copies restore at once, the smaller nonce keeps it.
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("orderflow-session") : null;
let claim = null; // {tab, nonce} while this tab asks

if (tabs) {
  tabs.addEventListener("message", ({ data }) => {
    if (!data || data.type !== "claim") return;
    const mine = (session && session.tab === data.tab) || (claim && claim.tab === data.tab && claim.nonce < data.nonce);
    if (mine) tabs.postMessage({ type: "taken", tab: data.tab, nonce: data.nonce });
  });
}

function heldElsewhere(tab) {
  if (!tabs) return Promise.resolve(false);
  claim = { tab, nonce: randomID() };
  const mine = claim;
  return new Promise(resolve => {
    const timer = setTimeout(done, 300, false);
    function listen({ data }) {
      if (data && data.type === "taken" && data.nonce === mine.nonce) done(true);
    }
    function done(taken) {
      clearTimeout(timer);
      tabs.removeEventListener("message", listen);
      claim = null;
      resolve(taken);
    }
    tabs.addEventListener("message", listen);
    tabs.postMessage({ type: "claim", tab, nonce: mine.nonce });
  });
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

async function send(method, path, body, token) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
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

// postPublic calls the endpoints that need no access token: login, refresh, register.
async function postPublic(path, body) {
  const resp = await send("POST", path, body, "");
  if (!resp.ok) throw await apiError(resp);
  return readJSON(resp);
}

// api sends a request as the current session and returns the JSON answer
// (null when empty). A 401 means the access token expired or was revoked
// early: refresh once, sharing a refresh under way, and retry once; a second
// 401 ends the session.
async function api(method, path, body) {
  const s = session;
  if (!s) throw new ApiError(401, "signed out");
  if (Date.now() >= s.expiresAt - 5000) await refresh(s);
  const used = s.access;
  let resp = await send(method, path, body, used);
  if (resp.status === 401) {
    // Someone else may have refreshed already since this request left.
    if (s.access === used || s.refreshing) await refresh(s);
    if (session !== s) throw new ApiError(401, "signed out");
    resp = await send(method, path, body, s.access);
    if (resp.status === 401 && session === s) endSession(ENDED);
  }
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
  if (err.errors.length) {
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
  const body = await postPublic("/api/auth/login", { email: authEmail.value.trim(), password: authPassword.value });
  authPassword.value = "";
  if (session) endSession(); // cannot happen from the form, but never keep two
  const s = newSession(randomID(), body.refresh_token);
  session = s;
  adopt(s, body);
  showApp();
}

// register answers the same whether or not the email is known, so all this
// can say is the API's detail; then the user signs in.
async function register() {
  const body = await postPublic("/api/auth/register", {
    email: authEmail.value.trim(), password: authPassword.value, name: authName.value.trim(),
  });
  setAuthMode(false);
  authPassword.value = "";
  authName.value = "";
  authNotice.textContent = (body && body.detail) || "Account requested. Sign in to continue.";
  authNotice.hidden = false;
  authPassword.focus();
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
  rows.replaceChildren();
  nextCursor = "";
  moreButton.hidden = true;
  errorBox.hidden = true;
  actionBox.hidden = true;
  refreshed.textContent = "";
  who.textContent = "";
  statsSection.hidden = true;
  $("status-counts").replaceChildren();
  $("queues").replaceChildren();
  prefs.open = false;
  prefsForm.reset();
  prefChannels.replaceChildren();
  prefsError.hidden = true;
  prefsStatus.textContent = "";
}

function showApp() {
  authSection.hidden = true;
  authError.hidden = true;
  appSection.hidden = false;
  nav.hidden = false;
  showUser();
  rows.replaceChildren(messageRow("Loading…"));
  load(false);
  loadStats();
}

function showUser() {
  const user = session && session.user;
  if (!user) return;
  who.textContent = user.email + " · " + user.role;
  statsSection.hidden = !isAdmin();
}

// restore picks up the session this tab had before a reload.
async function restore() {
  const stored = storedSession();
  if (!stored) {
    showSignIn();
    return;
  }
  showSignIn("Restoring your session…");
  authForm.hidden = true;
  authToggle.hidden = true;
  if (await heldElsewhere(stored.tab)) {
    forgetStoredSession();
    showSignIn("This tab is a copy of a signed-in tab. Sign in to use it too.");
    return;
  }
  const s = newSession(stored.tab, stored.refresh_token);
  session = s;
  try {
    await refresh(s);
    if (session === s) showApp();
  } catch (err) {
    if (session !== s) return; // refused: endSession showed the form already
    // Not reached: keep the stored token so that a reload tries again.
    clearTimeout(s.timer);
    session = null;
    showSignIn("Could not restore your session (" + err.message + "). Reload to try again, or sign in.");
  }
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
  return tr;
}

// Orders with an action under way: their buttons stay off across the 2 s redraws.
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
// cancel what has not finished (the API refuses once payment is captured).
function actionsCell(o) {
  const td = cell("", "actions");
  if (isAdmin() && o.status === "awaiting_approval") {
    td.append(actionButton(o, "approve", "Approve"), actionButton(o, "reject", "Reject"));
  }
  if (!FINAL.includes(o.status)) td.append(actionButton(o, "cancel", "Cancel"));
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
  tr.appendChild(actionsCell(o));
  return tr;
}

async function load(append) {
  const s = session;
  if (!s) return;
  const params = new URLSearchParams({ limit: "25" });
  if (statusFilter.value) params.set("status", statusFilter.value);
  if (append && nextCursor) params.set("cursor", nextCursor);
  try {
    const body = await api("GET", "/api/orders?" + params);
    if (session !== s) return;
    if (!append) rows.replaceChildren();
    body.orders.forEach(o => rows.appendChild(orderRow(o)));
    if (!append && body.orders.length === 0) {
      rows.replaceChildren(messageRow("No orders yet. Place one with POST /api/orders."));
    }
    nextCursor = body.next_cursor || "";
    moreButton.hidden = !nextCursor;
    errorBox.hidden = true;
    refreshed.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    if (session !== s) return; // signed out meanwhile: the form says why
    showProblem(errorBox, "Could not load orders: ", err);
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

const DONE = { approve: "approved", reject: "rejected", cancel: "cancellation accepted" };

function setBusy(id, on) {
  if (on) busy.add(id);
  else busy.delete(id);
  for (const b of rows.querySelectorAll("button[data-order]")) {
    if (b.dataset.order === id) b.disabled = on;
  }
}

async function act(id, action) {
  let body;
  if (action === "reject") {
    const reason = window.prompt("Reject order " + id + "?\nReason (optional):", "");
    if (reason === null) return;
    if (reason.trim()) body = { reason: reason.trim() };
  } else if (!window.confirm((action === "approve" ? "Approve" : "Cancel") + " order " + id + "?")) {
    return;
  }
  const s = session;
  setBusy(id, true);
  try {
    await api("POST", "/api/orders/" + encodeURIComponent(id) + "/" + action, body);
    if (session !== s) return;
    say(actionBox, "Order " + id + ": " + DONE[action] + ".");
    load(false);
  } catch (err) {
    if (session === s) showProblem(actionBox, "Could not " + action + " order " + id + ": ", err);
  } finally {
    setBusy(id, false);
  }
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
    prefsStatus.textContent = "Saved.";
  } catch (err) {
    if (session !== s) return;
    prefsStatus.textContent = "";
    showProblem(prefsError, "Could not save: ", err);
  } finally {
    prefsSave.disabled = false;
  }
}

// ---- Wiring ----

authForm.addEventListener("submit", submitAuth);
authToggle.addEventListener("click", () => {
  authNotice.hidden = true;
  setAuthMode(!registering);
  (registering ? authName : authEmail).focus();
});
$("sign-out").addEventListener("click", () => { signOut(); });
statusFilter.addEventListener("change", () => load(false));
moreButton.addEventListener("click", () => load(true));
rows.addEventListener("click", event => {
  const button = event.target.closest("button[data-action]");
  if (button) act(button.dataset.order, button.dataset.action);
});
prefs.addEventListener("toggle", openPreferences);
prefsForm.addEventListener("submit", savePreferences);
prefsForm.addEventListener("input", () => {
  prefsDirty = true;
  prefsStatus.textContent = "";
});
prefChannels.addEventListener("click", moveChannelUp);
prefQuiet.addEventListener("change", syncQuiet);
prefZone.addEventListener("input", checkZone);

restore();
setInterval(() => {
  // Not before the first access token, and not while the API says to wait.
  if (!session || !session.access || Date.now() < pausedUntil) return;
  if (!nextCursor || rows.children.length <= 25) load(false);
  loadStats();
}, 2000);
