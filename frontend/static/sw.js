// The dashboard's service worker: it shows the platform's Web Push messages
// as system notifications, and a click on one brings the dashboard forward.
// It handles no fetch, so the pages and the API go to the network as
// without it. It loads nothing from anywhere: the whole worker is this file.
//
// A push from the notifications worker (providers/webpush.go) is the JSON
// {"title", "body", "data": {"notification_id", "order_id"}}; a plain text
// payload, or an empty one, is shown as well, since the browser requires
// every push to show something (userVisibleOnly).
"use strict";

const DEFAULT_TITLE = "orderflow";
const DASHBOARD = "/";

// A new version takes over at once: it has no cache to hand over.
self.addEventListener("install", () => { self.skipWaiting(); });
self.addEventListener("activate", event => { event.waitUntil(self.clients.claim()); });

function readPush(data) {
  let text = "";
  try {
    text = data ? data.text() : "";
  } catch {
    // Undecodable: show the default.
  }
  let m = null;
  try {
    m = JSON.parse(text);
  } catch {
    // Not JSON: the text is the message.
  }
  if (!m || typeof m !== "object" || Array.isArray(m)) {
    return { title: DEFAULT_TITLE, body: text.trim() || "You have a new notification.", data: {} };
  }
  const extra = m.data && typeof m.data === "object" ? m.data : {};
  const str = v => (typeof v === "string" ? v : "");
  return {
    title: str(m.title) || str(m.subject) || DEFAULT_TITLE,
    body: str(m.body) || str(m.message),
    data: {
      notification_id: str(extra.notification_id),
      order_id: str(extra.order_id),
    },
  };
}

self.addEventListener("push", event => {
  const m = readPush(event.data);
  // The same notification sent twice (a retry) replaces itself on screen.
  const tag = m.data.notification_id || m.data.order_id || undefined;
  event.waitUntil(self.registration.showNotification(m.title, { body: m.body, tag, data: m.data }));
});

self.addEventListener("notificationclick", event => {
  event.notification.close();
  event.waitUntil((async () => {
    const url = new URL(DASHBOARD, self.location.origin).href;
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find(c => new URL(c.url).origin === self.location.origin);
    if (open && "focus" in open) return open.focus();
    return self.clients.openWindow(url);
  })());
});
