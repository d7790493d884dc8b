/* The customer's live page (/shop/live, [data-live-shop]): the queue while waiting, then the call — both
 * videos, camera and microphone toggles, chat, the products the advisor shows (compare two side by side,
 * wishlist, cart) and the checkout in the call. The page's words come from its data-t-* attributes; its
 * calls go to /shop/live/… with the CSRF token and the ticket (X-Live-Ticket). Needs live.js. */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-shop]");
  if (!root || !window.ComptoirLive) return;
  var L = window.ComptoirLive;
  var ticket = root.dataset.ticket, csrf = root.dataset.csrf;
  var sessionId = root.dataset.session || null;
  var call = null, starting = false, early = [], products = {}, compared = [], ended = false, reopened = false;
  var lang = document.documentElement.lang || "fr";
  var $ = function (sel) { return root.querySelector(sel); };
  function t(key) { return root.getAttribute("data-t-" + key) || ""; }

  function post(path, data) {
    return L.csrfFetch("/shop/live" + path, csrf, {
      method: "POST",
      headers: { "X-Live-Ticket": ticket },
      body: L.form(data || {}),
    });
  }

  function money(amount, currency) {
    if (amount == null || !currency) return "";
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency: currency }).format(Number(amount));
    } catch (e) { return amount + " " + currency; }
  }

  function status(text) { $("[data-live-status]").textContent = text; }

  var socket = L.socket(L.wsUrl("/v1/live/ws/customer?ticket=" + encodeURIComponent(ticket)), {
    heartbeatSeconds: Number(root.dataset.heartbeat) || 10,
    onMessage: onMessage,
    onOpen: function () {
      if (call && call.pc.connectionState !== "connected") signal({ ready: true });
      if (reopened && sessionId && !ended) replayChat();
      reopened = true;
    },
    onClose: function () { if (call && !ended) status(t("reconnecting")); },
  });

  function replayChat() {
    fetch("/shop/live/sessions/" + encodeURIComponent(sessionId), {
      credentials: "same-origin", headers: { "X-Live-Ticket": ticket },
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (session) {
      if (session) L.replayChat($("[data-live-chat]"), session.chat, "customer", { me: t("me"), other: t("advisor") });
    });
  }

  function signal(data) {
    if (sessionId) socket.send({ type: "signal", session_id: sessionId, data: data });
  }

  function onMessage(m) {
    if (m.type === "state") return showState(m);
    if (m.type === "queue") return socket.send({ type: "heartbeat" });
    if (m.type === "session") return startSession(m.session_id, m.advisor_name);
    if (m.type === "signal" && m.session_id === sessionId) {
      if (call) call.receive(m.data); else early.push(m.data);
      return;
    }
    if (m.type === "product") return showProduct(m.product);
    if (m.type === "chat") return L.chatLine($("[data-live-chat]"), t("advisor"), m.text);
    if (m.type === "ended") return endCall();
    if (m.type === "basket" && m.session_id === sessionId) {
      var basket = $("[data-live-basket]");
      basket.querySelector("[data-live-basket-link]").href = m.url;
      basket.hidden = false;
      return;
    }
  }

  function showState(s) {
    if (s.status === "waiting" || s.status === "offered") {
      if (s.position) $("[data-live-position]").textContent = s.position;
      if (s.wait_minutes) $("[data-live-wait]").textContent = s.wait_minutes;
    } else if (s.status === "accepted" && s.session_id && !sessionId) {
      startSession(s.session_id, null);
    } else if (s.status !== "accepted" && !sessionId) {
      location.reload();  // nobody could answer: the page offers slots and a message
    }
  }

  function startSession(id, advisorName) {
    if (starting || (call && sessionId === id)) return;
    starting = true;
    sessionId = id;
    root.dataset.session = id;
    $("[data-live-waiting]").hidden = true;
    $("[data-live-session]").hidden = false;
    status(t("connecting"));
    var media = fetch("/shop/live/sessions/" + encodeURIComponent(id), {
      credentials: "same-origin", headers: { "X-Live-Ticket": ticket },
    }).then(function (r) { return r.json(); });
    var camera = L.getMedia().catch(function () { status(t("media-error")); return null; });
    Promise.all([media, camera]).then(function (both) {
      var session = both[0];
      if (session.advisor_name || advisorName) $("[data-live-advisor]").textContent = t("with") + " " + (session.advisor_name || advisorName);
      if (session.status !== "active") return endCall();
      call = L.call({
        polite: true,
        send: signal,
        local: $("[data-live-local]"),
        remote: $("[data-live-remote]"),
        media: session.media,
        stream: both[1],
        onState: function (s) {
          if (s === "connected") status(t("connected"));
          else if (s === "connecting" || s === "failed") status(t("connecting"));
        },
      });
      window.__comptoirLiveCall = call;  // the browser tests read its statistics
      early.splice(0).forEach(function (data) { call.receive(data); });
    }).catch(function () { status(t("error")); }).then(function () { starting = false; });
  }

  function endCall() {
    if (ended) return;
    ended = true;
    if (call) call.close();
    socket.close();
    $("[data-live-session]").querySelectorAll("video, .live-tools button, [data-live-chat-form] *").forEach(function (el) {
      if (el.tagName === "VIDEO") el.srcObject = null; else el.disabled = true;
    });
    root.querySelectorAll(".live-card [data-a]").forEach(function (el) { if (el.dataset.a !== "cart") el.disabled = true; });
    $("[data-live-ended]").hidden = false;
    status("");
  }

  // -- products shown by the advisor ------------------------------------------------------------------
  function showProduct(p) {
    products[p.sku] = p;
    $("[data-live-no-products]").hidden = true;
    var node = root.querySelector("[data-live-card-template]").content.firstElementChild.cloneNode(true);
    node.dataset.sku = p.sku;
    var f = function (name) { return node.querySelector('[data-f="' + name + '"]'); };
    if (p.image_url) f("image").src = p.image_url.replace("/v1/catalog/media", "/shop/media");
    f("image").alt = p.name;
    f("name").textContent = p.name;
    f("price").textContent = money(p.price, p.currency);
    if (p.reference_price) { f("reference").textContent = money(p.reference_price, p.currency); f("reference-box").hidden = false; }
    f("online").textContent = String(p.available_online);
    (p.shops || []).forEach(function (s) {
      var li = document.createElement("li");
      li.textContent = t("shop").replace("{name}", s.name).replace("{available}", s.available)
        .replace("{distance}", new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(s.distance_km));
      f("shops").appendChild(li);
    });
    var list = $("[data-live-products]");
    var old = list.querySelector('[data-sku="' + CSS.escape(p.sku) + '"]');
    if (old) list.replaceChild(node, old); else list.insertBefore(node, list.firstChild);
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-a]");
    if (!button || button.type === "checkbox") return;
    var card = button.closest("[data-sku]"), sku = card.dataset.sku, said = card.querySelector('[data-f="said"]');
    if (button.dataset.a === "cart") {
      button.disabled = true;
      post("/sessions/" + sessionId + "/cart", { sku: sku }).then(function (r) {
        return r.text().then(function (html) {
          if (r.ok) { swapCart(html); said.textContent = t("added"); } else said.textContent = t("error");
        });
      }).catch(function () { said.textContent = t("error"); }).then(function () { button.disabled = false; });
    } else if (button.dataset.a === "wish") {
      post("/sessions/" + sessionId + "/wish", { sku: sku }).then(function (r) { return r.text(); })
        .then(function (text) { said.textContent = text; }).catch(function () { said.textContent = t("error"); });
    }
  });

  root.addEventListener("change", function (event) {
    var box = event.target;
    if (box.dataset.a === "compare") {
      var sku = box.closest("[data-sku]").dataset.sku;
      compared = compared.filter(function (s) { return s !== sku; });
      if (box.checked) {
        compared.push(sku);
        if (compared.length > 2) {
          var dropped = compared.shift();
          var other = root.querySelector('[data-sku="' + CSS.escape(dropped) + '"] [data-a="compare"]');
          if (other) other.checked = false;
        }
        post("/sessions/" + sessionId + "/compare", { sku: sku });
      }
      showComparison();
    }
    var form = box.closest("[data-live-checkout]");
    if (form) showModes(form);
  });

  function showComparison() {
    var box = $("[data-live-compare]"), body = $("[data-live-compare-body]");
    body.textContent = "";
    box.hidden = compared.length < 2;
    compared.forEach(function (sku) {
      var card = root.querySelector('[data-sku="' + CSS.escape(sku) + '"]').cloneNode(true);
      card.querySelectorAll(".live-tools, [data-f=said]").forEach(function (el) { el.remove(); });
      card.removeAttribute("data-sku");
      var cell = document.createElement("div");
      cell.appendChild(card);
      body.appendChild(cell);
    });
  }

  // -- the cart and its checkout ----------------------------------------------------------------------
  function showModes(form) {
    var chosen = form.querySelector("input[name=mode]:checked");
    form.querySelectorAll("[data-for]").forEach(function (set) {
      set.hidden = chosen ? set.dataset.for.split(" ").indexOf(chosen.value) < 0 : false;
    });
  }

  function swapCart(html) {
    var box = root.querySelector("[data-live-cart-box]");
    box.innerHTML = html;
    var form = box.querySelector("[data-live-checkout]");
    if (form) showModes(form);
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-live-checkout]")) {
      event.preventDefault();
      var data = {};
      new FormData(form).forEach(function (v, k) { data[k] = v; });
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      post("/sessions/" + sessionId + "/checkout", data)
        .then(function (r) { return r.text(); })
        .then(swapCart)
        .catch(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = false; }); });
    } else if (form.matches("[data-live-chat-form]")) {
      event.preventDefault();
      var input = form.querySelector("input[name=text]"), text = input.value.trim();
      if (!text || !sessionId) return;
      post("/sessions/" + sessionId + "/chat", { text: text }).then(function (r) {
        if (r.ok) { L.chatLine($("[data-live-chat]"), t("me"), text); input.value = ""; }
      });
    }
  });

  var endButton = $("[data-live-end]");
  if (endButton) endButton.addEventListener("click", function () {
    if (!sessionId) return;
    post("/sessions/" + sessionId + "/end").then(endCall);
  });
  L.bindToggles(root, function () { return call; });
  var initialForm = root.querySelector("[data-live-checkout]");
  if (initialForm) showModes(initialForm);
  if (sessionId) startSession(sessionId, null);
})();
