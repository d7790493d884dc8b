/* Camera barcode scanner for [data-scanner] elements (the ui.scanner macro):
 *   <div class="scanner" data-scanner data-target="#ID" data-formats="ean qr">
 *     <button type="button" data-scanner-start>…</button><video playsinline muted hidden></video></div>
 * The button opens the rear camera; frames are decoded with BarcodeDetector where the browser has it,
 * otherwise with ZXing (vendor/zxing-library-*.min.js, loaded only when a scan starts). The code read
 * goes into the target input, which gets an `input` event, and its form is submitted. Errors are shown
 * in the element, in the page's language (data-error-camera / data-error-denied / data-error-decoder
 * override the built-in French and English texts).
 * ZXing's QR detector misses some codes at a given pixel size ("Dimensions could be not found", finder
 * patterns misjudged), and a code held still gives the same pixels frame after frame: so each frame is
 * read at the next of ZXING_SCALES, and a code missed at one size is found at another. */
(function () {
  "use strict";

  var SELF = document.currentScript ? document.currentScript.src : "/static/scan.js";
  var ZXING_SRC = SELF.replace(/scan\.js(\?.*)?$/, "vendor/zxing-library-0.23.0.min.js");
  var INTERVAL_MS = 120;
  var ZXING_SCALES = [1, 0.8, 0.6, 0.45];
  var TEXTS = {
    fr: {
      camera: "Aucune caméra n’est disponible sur cet appareil.",
      denied: "L’accès à la caméra a été refusé : autorisez-le dans les réglages du navigateur.",
      decoder: "Le lecteur de codes-barres n’a pas pu être chargé : rechargez la page.",
    },
    en: {
      camera: "No camera is available on this device.",
      denied: "Camera access was refused: allow it in the browser's settings.",
      decoder: "The barcode reader could not be loaded: reload the page.",
    },
  };
  // data-formats names -> [BarcodeDetector formats, ZXing BarcodeFormat names]
  var FORMATS = {
    ean: [
      ["ean_13", "ean_8", "upc_a", "upc_e", "code_128"],
      ["EAN_13", "EAN_8", "UPC_A", "UPC_E", "CODE_128"],
    ],
    qr: [["qr_code"], ["QR_CODE"]],
  };
  var zxingLoading = null;

  function text(root, key) {
    var own = root.getAttribute("data-error-" + key);
    if (own) return own;
    var lang = (document.documentElement.lang || "fr").slice(0, 2);
    return (TEXTS[lang] || TEXTS.en)[key];
  }

  function formatsOf(root) {
    var names = (root.getAttribute("data-formats") || "ean qr").split(/[\s|,]+/);
    var native = [], zxing = [];
    names.forEach(function (name) {
      var f = FORMATS[name.trim()];
      if (f) { native = native.concat(f[0]); zxing = zxing.concat(f[1]); }
    });
    return { native: native, zxing: zxing };
  }

  function showError(root, message) {
    var box = root.querySelector("[data-scanner-error]");
    if (!box) {
      box = document.createElement("p");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-scanner-error", "");
      root.appendChild(box);
    }
    box.textContent = message;
    box.hidden = !message;
  }

  function loadZxing() {
    if (window.ZXing) return Promise.resolve(window.ZXing);
    if (!zxingLoading) {
      zxingLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = ZXING_SRC;
        script.async = true;
        script.onload = function () { window.ZXing ? resolve(window.ZXing) : reject(new Error("ZXing")); };
        script.onerror = function () { zxingLoading = null; reject(new Error("ZXing")); };
        document.head.appendChild(script);
      });
    }
    return zxingLoading;
  }

  /* A decoder: a function (video) -> Promise of the text read, or null. */
  function makeDecoder(formats) {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
        var wanted = formats.native.filter(function (f) { return supported.indexOf(f) >= 0; });
        if (!wanted.length) return zxingDecoder(formats);
        var detector = new window.BarcodeDetector({ formats: wanted });
        return function (video) {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      });
    }
    return zxingDecoder(formats);
  }

  function zxingDecoder(formats) {
    return loadZxing().then(function (ZXing) {
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, formats.zxing.map(function (n) { return ZXing.BarcodeFormat[n]; }));
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      var frames = 0;
      return function (video) {
        if (!video.videoWidth) return Promise.resolve(null);
        var scale = ZXING_SCALES[frames++ % ZXING_SCALES.length];
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0, canvas.width, canvas.height);
        try {
          var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
          var result = reader.decodeWithState(new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source)));
          return Promise.resolve(result.getText());
        } catch (e) {
          return Promise.resolve(null); // nothing readable in this frame
        } finally {
          reader.reset();
        }
      };
    });
  }

  function stop(root) {
    var state = root._scanner;
    if (!state) return;
    state.stopped = true;
    clearTimeout(state.timer);
    if (state.stream) state.stream.getTracks().forEach(function (t) { t.stop(); });
    var video = root.querySelector("video");
    if (video) { video.pause(); video.srcObject = null; video.hidden = true; }
    root.removeAttribute("data-scanning");
    root._scanner = null;
  }

  function found(root, value) {
    stop(root);
    var target = document.querySelector(root.getAttribute("data-target"));
    if (!target) return;
    target.value = value;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.dispatchEvent(new Event("change", { bubbles: true }));
    var form = target.form;
    if (form) {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  }

  function start(root) {
    if (root._scanner) { stop(root); return; }
    var state = { stopped: false, stream: null, timer: null };
    root._scanner = state;
    root.setAttribute("data-scanning", "");
    showError(root, "");
    var video = root.querySelector("video");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError(root, text(root, "camera"));
      stop(root);
      return;
    }
    var decoding = makeDecoder(formatsOf(root));
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (stream) {
        state.stream = stream;
        if (state.stopped) { stop(root); return; }
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () { return decoding; }).then(function (decode) {
          function tick() {
            if (state.stopped) return;
            decode(video).then(function (value) {
              if (state.stopped) return;
              if (value) found(root, value); else state.timer = setTimeout(tick, INTERVAL_MS);
            }, function () { state.timer = setTimeout(tick, INTERVAL_MS); });
          }
          tick();
        }, function () {
          showError(root, text(root, "decoder"));
          stop(root);
        });
      }, function (err) {
        var refused = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
        showError(root, text(root, refused ? "denied" : "camera"));
        stop(root);
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-scanner-start]");
    if (!button) return;
    var root = button.closest("[data-scanner]");
    if (!root) return;
    event.preventDefault();
    start(root);
  });
  window.addEventListener("pagehide", function () {
    document.querySelectorAll("[data-scanner][data-scanning]").forEach(stop);
  });
})();
