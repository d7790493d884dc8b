/* The advisor's live console (/seller/live, [data-live-console]): presence on the WebSocket, offers with
 * their claim countdown (accept, decline), the queue, then the session — the advisor's camera (the advisor
 * makes the WebRTC offer), products searched and shown to the customer, what the customer does, notes
 * and recommendations, the chat and the end. Words come from the page's data-t-* attributes; calls go to
 * /seller/live/… with the page's CSRF token. Needs live.js. */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-console]");
  if (!root || !window.ComptoirLive) return;
  var L = window.ComptoirLive;
  var csrf = root.dataset.csrf;
  var sessionId = root.dataset.session || null, call = null, names = {}, wanted = "offline", reopened = false;
  var $ = function (sel) { return root.querySelector(sel); };
  function t(key) { return root.getAttribute("data-t-" + key) || ""; }
  function post(path, data) {
    return L.csrfFetch("/seller/live" + path, csrf, { method: "POST", body: L.form(data || {}) });
  }
  function status(text) { $("[data-live-status]").textContent = text; }

  var socket = L.socket(L.wsUrl("/v1/live/ws/advisor"), {
    heartbeatSeconds: Number(root.dataset.heartbeat) || 10,
    onMessage: onMessage,
    onOpen: function () {
      if (!sessionId && wanted !== "offline") socket.send({ type: "presence", status: wanted });
      if (reopened && sessionId) {  // back after a drop: what the customer wrote meanwhile
        fetch("/seller/live/sessions/" + encodeURIComponent(sessionId), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (session) {
            if (session) L.replayChat($("[data-live-chat]"), session.chat, "advisor", { me: t("me"), other: t("customer") });
          });
      }
      reopened = true;
    },
    onClose: function () { if (call) status(t("reconnecting")); },
  });

  function onMessage(m) {
    if (m.type === "presence" && m.advisor_id) return showPresence(m.status);
    if (m.type === "offer") return addOffer(m);
    if (m.type === "offer_withdrawn" || m.type === "offer_lapsed") return dropOffer(m.request_id);
    if (m.type === "queue" || (m.type === "presence" && !m.advisor_id)) return refreshQueue();
    if (m.type === "signal" && m.session_id === sessionId && call) return call.receive(m.data);
    if (m.type === "item" && m.session_id === sessionId) return activity(m.kind, m.sku);
    if (m.type === "chat" && m.session_id === sessionId) return L.chatLine($("[data-live-chat]"), t("customer"), m.text);
    if (m.type === "ended" && m.session_id === sessionId) return ended(true);
  }

  // -- presence, offers and the queue -----------------------------------------------------------------
  function showPresence(state) {
    var box = root.querySelector('[data-live-presence] input[value="' + state + '"]');
    if (box) box.checked = true;
    $("[data-live-presence-state]").textContent = t("state-" + state) || t("state-available");
  }

  root.querySelector("[data-live-presence]").addEventListener("change", function (event) {
    wanted = event.target.value;
    socket.send({ type: "presence", status: wanted });
  });

  function refreshQueue() {
    fetch("/seller/live/queue", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) $("[data-live-queue]").innerHTML = html; });
  }

  function addOffer(m) {
    if (root.querySelector('[data-live-offers] [data-request="' + CSS.escape(m.request_id) + '"]')) return;
    var li = root.querySelector("[data-live-offer-template]").content.firstElementChild.cloneNode(true);
    li.dataset.request = m.request_id;
    li.dataset.expires = m.expires_at || "";
    li.querySelector("[data-name]").textContent = m.visitor_name || t("visitor");
    $("[data-live-offers]").appendChild(li);
    $("[data-live-no-offer]").hidden = true;
    tick();
    refreshQueue();
  }

  function dropOffer(requestId) {
    var li = root.querySelector('[data-live-offers] [data-request="' + CSS.escape(requestId || "") + '"]');
    if (li) li.remove();
    $("[data-live-no-offer]").hidden = !!root.querySelector("[data-live-offers] li");
    refreshQueue();
  }

  function tick() {
    root.querySelectorAll("[data-live-offers] li[data-expires]").forEach(function (li) {
      if (!li.dataset.expires) return;
      var left = Math.round((Date.parse(li.dataset.expires) - Date.now()) / 1000);
      if (left <= 0) return dropOffer(li.dataset.request);
      li.querySelector("[data-countdown]").textContent = t("left").replace("{seconds}", left);
    });
  }
  setInterval(tick, 1000);
  tick();

  $("[data-live-offers]").addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var li = button.closest("li"), id = li.dataset.request;
    button.disabled = true;
    if (button.hasAttribute("data-decline")) {
      post("/requests/" + encodeURIComponent(id) + "/decline").then(function () { dropOffer(id); });
      return;
    }
    post("/requests/" + encodeURIComponent(id) + "/accept").then(function (r) {
      if (!r.ok) { dropOffer(id); status(t("gone")); return null; }
      return r.json().then(function (session) { dropOffer(id); startSession(session); });
    }).catch(function () { button.disabled = false; });
  });

  // -- the session ------------------------------------------------------------------------------------
  function startSession(session) {
    sessionId = session.id;
    root.dataset.session = session.id;
    $("[data-live-report-box]").textContent = "";
    $("[data-live-session]").hidden = false;
    var link = $("[data-live-customer]");
    link.hidden = !session.customer_url;
    if (session.customer_url) link.href = session.customer_url;
    showPresence("busy");
    status(t("connecting"));
    L.getMedia().catch(function () { status(t("media-error")); return null; }).then(function (stream) {
      call = L.call({
        polite: false,
        send: function (data) { socket.send({ type: "signal", session_id: sessionId, data: data }); },
        local: $("[data-live-local]"),
        remote: $("[data-live-remote]"),
        media: session.media,
        stream: stream,
        onState: function (s) { status(s === "connected" ? t("connected") : s === "closed" ? "" : t("connecting")); },
      });
      window.__comptoirLiveCall = call;  // the browser tests read its statistics
    });
  }

  function activity(kind, sku) {
    var li = document.createElement("li");
    li.textContent = (t(kind) || t("added")).replace("{name}", names[sku] || sku);
    $("[data-live-activity]").appendChild(li);
  }

  function ended(byCustomer) {
    if (call) call.close();
    call = null;
    $("[data-live-session]").hidden = true;
    if (byCustomer) status(t("ended"));
    showPresence("available");
    var id = sessionId;
    sessionId = null;
    root.dataset.session = "";
    return id;
  }

  $("[data-live-end]").addEventListener("click", function () {
    var id = sessionId;
    if (!id) return;
    post("/sessions/" + encodeURIComponent(id) + "/end").then(function (r) { return r.text(); })
      .then(function (html) { ended(false); $("[data-live-report-box]").innerHTML = html; });
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    if (form.matches("[data-live-search]")) {
      var q = form.querySelector("input[name=q]").value.trim();
      fetch("/seller/live/search?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { $("[data-live-results]").innerHTML = html; });
    } else if (form.matches("[data-live-chat-form]")) {
      var input = form.querySelector("input[name=text]"), text = input.value.trim();
      if (!text || !sessionId) return;
      post("/sessions/" + encodeURIComponent(sessionId) + "/chat", { text: text }).then(function (r) {
        if (r.ok) { L.chatLine($("[data-live-chat]"), t("me"), text); input.value = ""; }
      });
    } else if (form.matches("[data-live-notes]") && sessionId) {
      var body = new URLSearchParams();
      body.append("notes", form.querySelector("textarea").value);
      root.querySelectorAll('input[name=recommended]:checked').forEach(function (box) { body.append("recommended", box.value); });
      L.csrfFetch("/seller/live/sessions/" + encodeURIComponent(sessionId) + "/notes", csrf, { method: "POST", body: body })
        .then(function (r) { return r.text(); })
        .then(function (html) { $("[data-live-notes-said]").innerHTML = html; });
    }
  });

  $("[data-live-basket]").addEventListener("click", function () {
    if (!sessionId) return;
    var body = new URLSearchParams();
    root.querySelectorAll('input[name=recommended]:checked').forEach(function (box) { body.append("sku", box.value); });
    L.csrfFetch("/seller/live/sessions/" + encodeURIComponent(sessionId) + "/basket", csrf, { method: "POST", body: body })
      .then(function (r) { return r.text(); })
      .then(function (html) { $("[data-live-notes-said]").innerHTML = html; });
  });

  $("[data-live-results]").addEventListener("click", function (event) {
    var button = event.target.closest("[data-push]");
    if (!button || !sessionId) return;
    names[button.dataset.push] = button.dataset.name;
    button.disabled = true;
    post("/sessions/" + encodeURIComponent(sessionId) + "/push", { sku: button.dataset.push })
      .then(function (r) { return r.text(); })
      .then(function (html) { $("[data-live-said]").innerHTML = html; })
      .catch(function () { $("[data-live-said]").textContent = t("error"); })
      .then(function () { button.disabled = false; });
  });

  L.bindToggles(root, function () { return call; });
  setInterval(refreshQueue, (Number(root.dataset.heartbeat) || 10) * 1000);
  if (sessionId) {
    fetch("/seller/live/sessions/" + encodeURIComponent(sessionId), { credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(startSession);
  }
})();
