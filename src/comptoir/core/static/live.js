/* Live shopping: what the customer's page (live-shop.js) and the advisor's console (live-console.js)
 * share — a WebSocket that reconnects with backoff, and a WebRTC call in the "perfect negotiation" style.
 *
 *   var socket = ComptoirLive.socket(url, {onMessage, onOpen, onClose, heartbeatSeconds});
 *   var call = ComptoirLive.call({polite, send, local, remote, media, onState});
 *
 * The advisor's side is impolite and makes the offer; the customer's side is polite: it answers, and
 * attaches its camera to the transceivers the offer created (so the advisor is always the offerer). A
 * connection that fails is restarted (ICE restart) by either side; signalling goes through the socket as
 * {"type": "signal", "session_id": …, "data": {"sdp": …} | {"candidate": …} | {"ready": true}}.
 * No text is written here: the pages give their words in data attributes. */
(function () {
  "use strict";

  var MAX_BACKOFF_MS = 30000;

  function csrfFetch(url, csrf, options) {
    options = options || {};
    var headers = Object.assign({ "X-CSRF-Token": csrf }, options.headers || {});
    return fetch(url, Object.assign({ credentials: "same-origin" }, options, { headers: headers }));
  }

  function form(data) {
    var body = new URLSearchParams();
    Object.keys(data).forEach(function (k) { body.append(k, data[k] == null ? "" : String(data[k])); });
    return body;
  }

  function wsUrl(path) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + path;
  }

  /* A WebSocket that comes back: closed by the network or the server restarting, it reconnects after
   * 0.5 s, 1 s, 2 s … up to 30 s (with jitter); closed for bad credentials (4401, 4403), it stops. */
  function socket(url, handlers) {
    var ws = null, attempts = 0, timer = null, beat = null, stopped = false, queue = [];
    var heartbeatMs = (handlers.heartbeatSeconds || 10) * 1000;

    function send(message) {
      var text = JSON.stringify(message);
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
      else if (message.type === "signal") queue.push(text);
    }

    function startBeat(seconds) {
      if (seconds) heartbeatMs = seconds * 1000;
      clearInterval(beat);
      beat = setInterval(function () { send({ type: "heartbeat" }); }, heartbeatMs);
    }

    function connect() {
      ws = new WebSocket(url);
      ws.onopen = function () {
        attempts = 0;
        startBeat();
        while (queue.length) ws.send(queue.shift());
        if (handlers.onOpen) handlers.onOpen();
      };
      ws.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        if (message.type === "hello" && message.heartbeat_seconds) startBeat(message.heartbeat_seconds);
        handlers.onMessage(message);
      };
      ws.onclose = function (event) {
        clearInterval(beat);
        if (handlers.onClose) handlers.onClose(event);
        if (stopped || event.code === 4401 || event.code === 4403) return;
        var delay = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, attempts++));
        timer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
      };
    }

    connect();
    return {
      send: send,
      close: function () { stopped = true; clearTimeout(timer); clearInterval(beat); if (ws) ws.close(); },
      isOpen: function () { return !!ws && ws.readyState === WebSocket.OPEN; },
    };
  }

  function getMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return Promise.reject(new Error("no media"));
    return navigator.mediaDevices.getUserMedia({ video: true, audio: true }).catch(function () {
      return navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    });
  }

  /* One side of a video call. options: polite (the customer), send(data) (to the other side through the
   * socket), local and remote <video> elements, media ({ice_servers, ice_transport_policy}), stream (the
   * camera, or null), onState(state) ("connecting", "connected", "failed", "closed"). */
  function call(options) {
    var config = {
      iceServers: (options.media && options.media.ice_servers || []).map(function (s) {
        var server = { urls: s.urls };
        if (s.username) { server.username = s.username; server.credential = s.credential; }
        return server;
      }),
      iceTransportPolicy: (options.media && options.media.ice_transport_policy) || "all",
    };
    var pc = new RTCPeerConnection(config);
    var stream = options.stream || null;
    var makingOffer = false, ignoreOffer = false, attached = false, pending = [];
    var polite = !!options.polite;

    function state(s) { if (options.onState) options.onState(s); }

    if (stream && options.local) options.local.srcObject = stream;
    if (stream && !polite) {
      stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
      attached = true;
    }

    pc.ontrack = function (event) {
      var remote = options.remote;
      if (!remote) return;
      if (event.streams && event.streams[0]) {
        if (remote.srcObject !== event.streams[0]) remote.srcObject = event.streams[0];
      } else {
        if (!remote.srcObject) remote.srcObject = new MediaStream();
        remote.srcObject.addTrack(event.track);
      }
      var play = remote.play();
      if (play && play.catch) play.catch(function () {});
    };
    pc.onicecandidate = function (event) {
      if (event.candidate) options.send({ candidate: event.candidate.toJSON() });
    };
    pc.onnegotiationneeded = function () {
      makingOffer = true;
      pc.setLocalDescription()
        .then(function () { options.send({ sdp: pc.localDescription.toJSON() }); })
        .catch(function () {})
        .then(function () { makingOffer = false; });
    };
    pc.onconnectionstatechange = function () {
      var s = pc.connectionState;
      if (s === "connected") state("connected");
      else if (s === "failed") { state("failed"); restart(); }
      else if (s === "disconnected") state("connecting");
      else if (s === "closed") state("closed");
    };

    /* The polite side sends its camera on the transceivers the first offer created. */
    function attachToTransceivers() {
      if (attached || !stream) return;
      attached = true;
      stream.getTracks().forEach(function (track) {
        var t = pc.getTransceivers().find(function (x) {
          return x.receiver.track && x.receiver.track.kind === track.kind && !x.sender.track;
        });
        if (t) { t.sender.replaceTrack(track); t.direction = "sendrecv"; }
        else pc.addTrack(track, stream);
      });
    }

    function flushCandidates() {
      while (pending.length) pc.addIceCandidate(pending.shift()).catch(function () {});
    }

    function receive(data) {
      if (data.sdp) {
        var description = data.sdp;
        var collision = description.type === "offer" && (makingOffer || pc.signalingState !== "stable");
        ignoreOffer = !polite && collision;
        if (ignoreOffer) return Promise.resolve();
        return pc.setRemoteDescription(description).then(function () {
          flushCandidates();
          if (description.type !== "offer") return null;
          attachToTransceivers();
          return pc.setLocalDescription().then(function () {
            options.send({ sdp: pc.localDescription.toJSON() });
          });
        }).catch(function () {});
      }
      if (data.candidate) {
        if (!pc.remoteDescription) { pending.push(data.candidate); return Promise.resolve(); }
        return pc.addIceCandidate(data.candidate).catch(function () { if (!ignoreOffer) {} });
      }
      if (data.ready && !polite) {
        /* The other side (re)joined: offer again unless already connected. */
        if (pc.connectionState === "connected") return Promise.resolve();
        if (pc.signalingState === "have-local-offer" && pc.localDescription) {
          options.send({ sdp: pc.localDescription.toJSON() });
        } else if (pc.remoteDescription) restart();
        else if (!makingOffer) pc.onnegotiationneeded();
      }
      return Promise.resolve();
    }

    function restart() {
      if (pc.signalingState === "closed") return;
      if (pc.restartIce) pc.restartIce();
    }

    function toggle(kind, on) {
      if (!stream) return false;
      var tracks = kind === "video" ? stream.getVideoTracks() : stream.getAudioTracks();
      tracks.forEach(function (t) { t.enabled = on; });
      return tracks.length > 0;
    }

    function close() {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      pc.close();
      state("closed");
    }

    state("connecting");
    if (polite) options.send({ ready: true });
    return { pc: pc, receive: receive, restart: restart, toggle: toggle, close: close };
  }

  /* The camera and microphone toggles: aria-pressed follows the track's state. */
  function bindToggles(root, getCall) {
    [["[data-live-camera]", "video"], ["[data-live-mic]", "audio"]].forEach(function (pair) {
      var button = root.querySelector(pair[0]);
      if (!button) return;
      button.addEventListener("click", function () {
        var on = button.getAttribute("aria-pressed") !== "true";
        var current = getCall();
        if (current && current.toggle(pair[1], on)) button.setAttribute("aria-pressed", String(on));
      });
    });
  }

  /* The chat as the server keeps it, shown again (a page back after a network drop missed what was said
   * meanwhile): ``mine`` is the side this page is, ``names`` the labels of each side. */
  function replayChat(list, history, mine, names) {
    while (list.firstChild) list.removeChild(list.firstChild);
    (history || []).forEach(function (line) {
      chatLine(list, line.by === mine ? names.me : names.other, line.text);
    });
  }

  function chatLine(list, who, text) {
    var li = document.createElement("li");
    var strong = document.createElement("strong");
    strong.textContent = who + " : ";
    if (document.documentElement.lang !== "fr") strong.textContent = who + ": ";
    li.appendChild(strong);
    li.appendChild(document.createTextNode(text));
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  window.ComptoirLive = {
    socket: socket,
    call: call,
    getMedia: getMedia,
    bindToggles: bindToggles,
    chatLine: chatLine,
    replayChat: replayChat,
    csrfFetch: csrfFetch,
    form: form,
    wsUrl: wsUrl,
  };
})();
