/* Dateline: signing in to comment (see docs/sign-in.md). Plain script, no build step.

   On the article: the provider icons open the provider in a popup ("Connecting to Google…"),
   the comment being typed waits in sessionStorage, and the signed-in state comes from
   /identity/me/ (never from the cached page). When popups are blocked the same tab goes to the
   provider and comes back to #respond. The popup ends on /identity/finish/, which tells this
   page through postMessage (same origin only, checked on both ends) or a BroadcastChannel, and
   closes. Without JavaScript the icons submit the form and the server does the same work. */
(function () {
  "use strict";

  var MESSAGE_TYPE = "dateline:identity";
  var ACK_TYPE = "dateline:identity:heard";
  var ACK_WAIT_MS = 2000;
  // After the popup looks closed: how often, and for how long, to ask whether it went through.
  var ASK_EVERY_MS = 2500;
  var ASK_FOR_MS = 120000;
  var CHANNEL = "dateline-identity";
  var HINT_COOKIE = "dateline_identity";
  var PENDING_KEY = "dateline:identity:pending";
  var DRAFT_PREFIX = "dateline:draft:";
  // The reply target is not kept: it travels in the address (?replytocom=) instead.
  var DRAFT_FIELDS = ["body", "name", "email", "website"];

  function hasCookie(name) {
    return document.cookie.split(/;\s*/).some(function (part) {
      return part.indexOf(name + "=") === 0;
    });
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  /* ---- The page that starts a sign-in: submit itself (only offered for our own pages) --- */

  var autosubmit = document.querySelector("form[data-identity-autosubmit]");
  if (autosubmit) {
    autosubmit.submit();
    return;
  }

  /* ---- The page a sign-in ends on, inside the popup ------------------------------------ */

  var finish = document.querySelector("[data-identity-finish]");
  if (finish) {
    var returnUrl = finish.getAttribute("data-return-url") || "/";
    var told = false;
    var leaving = false;
    // Closed only once the article has answered (or after a while): a message posted just
    // before window.close() can be lost with the window, and the article would never hear.
    var leave = function () {
      if (leaving) return;
      leaving = true;
      window.close();
      // Still open (not a popup after all, or the browser refused to close it): go back.
      window.setTimeout(function () { window.location.replace(returnUrl); }, 800);
    };
    var isAck = function (data) { return Boolean(data) && data.type === ACK_TYPE; };
    window.addEventListener("message", function (event) {
      if (event.origin === window.location.origin && isAck(event.data)) leave();
    });
    try {
      if (window.opener && !window.opener.closed) {
        // The target origin is ours: another site that somehow became the opener hears nothing.
        window.opener.postMessage({ type: MESSAGE_TYPE }, window.location.origin);
        told = true;
      }
    } catch (e) { /* an opener we may not talk to */ }
    if (typeof BroadcastChannel === "function") {
      // Providers that isolate their pages (Cross-Origin-Opener-Policy), and our own pages'
      // policy, cut the popup off from its opener; a same-origin channel still reaches it.
      try {
        var finishChannel = new BroadcastChannel(CHANNEL);
        finishChannel.onmessage = function (event) { if (isAck(event.data)) leave(); };
        finishChannel.postMessage({ type: MESSAGE_TYPE });
        told = true;
      } catch (e) { /* ignore */ }
    }
    window.setTimeout(leave, told ? ACK_WAIT_MS : 0);
    return;
  }

  /* ---- The comment form ---------------------------------------------------------------- */

  var box = document.querySelector("[data-identity]");
  if (!box) return;
  var form = box.closest("form");
  var choices = box.querySelector("[data-identity-choices]");
  var current = box.querySelector("[data-identity-current]");
  var avatar = box.querySelector("[data-identity-avatar]");
  var whoText = box.querySelector("[data-identity-text]");
  var status = box.querySelector("[data-identity-status]");
  var meUrl = box.getAttribute("data-me-url");
  var signOutUrl = box.getAttribute("data-sign-out-url");
  var emailUrl = box.getAttribute("data-email-url");
  var path = window.location.pathname;
  var csrfToken = "";
  var popup = null;
  var popupWatch = null;
  var waiting = false;
  var started = false;
  var signedInHere = false;

  function setStatus(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("sign-in__status--error", Boolean(isError));
  }

  function field(name) {
    return form ? form.querySelector("[name='" + name + "']") : null;
  }

  function saveDraft() {
    var store = storage();
    if (!store || !form) return;
    var draft = {};
    DRAFT_FIELDS.forEach(function (name) {
      var input = field(name);
      if (input && input.value) draft[name] = input.value;
    });
    try { store.setItem(DRAFT_PREFIX + path, JSON.stringify(draft)); } catch (e) { /* full */ }
  }

  function fillDraft(draft) {
    if (!draft || !form) return;
    DRAFT_FIELDS.forEach(function (name) {
      var input = field(name);
      // Never overwrite what is already there (typed since, or remembered by the form).
      if (input && !input.value && typeof draft[name] === "string") input.value = draft[name];
    });
  }

  function restoreDraft() {
    var store = storage();
    if (!store) return;
    var raw = store.getItem(DRAFT_PREFIX + path);
    if (!raw) return;
    store.removeItem(DRAFT_PREFIX + path);
    try { fillDraft(JSON.parse(raw)); } catch (e) { /* not ours */ }
  }

  function guestInputs() {
    if (!form) return [];
    return Array.prototype.slice.call(form.querySelectorAll(".respond__details input"));
  }

  function render(data) {
    var signedIn = Boolean(data && data.signed_in);
    signedInHere = signedIn;
    if (signedIn) {
      whoText.textContent = data.text || "";
      if (data.avatar) {
        avatar.src = data.avatar;
        avatar.hidden = false;
      } else {
        avatar.removeAttribute("src");
        avatar.hidden = true;
      }
      box.setAttribute("data-signed-in", "");
    } else {
      box.removeAttribute("data-signed-in");
    }
    current.hidden = !signedIn;
    choices.hidden = signedIn;
    // Signed in, the guest fields are hidden (identity.css) and not sent.
    guestInputs().forEach(function (input) { input.disabled = signedIn; });
    if (data && data.csrf_token) csrfToken = data.csrf_token;
    if (data && data.draft) fillDraft(data.draft);
    if (data && data.notice && data.notice.message) {
      setStatus(data.notice.message, data.notice.level === "error");
    } else if (waiting) {
      setStatus("");
    }
    waiting = false;
  }

  function refresh() {
    return fetch(meUrl + "?path=" + encodeURIComponent(path), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("me " + response.status);
      return response.json();
    }).then(render).catch(function () {
      if (waiting) setStatus("");
      waiting = false;
    });
  }

  function signInDone() {
    if (popupWatch) window.clearInterval(popupWatch);
    popupWatch = null;
    popup = null;
    refresh();
    keepAsking();
  }

  // A popup the provider's isolation (Cross-Origin-Opener-Policy) has cut off from us looks
  // closed while the reader is still signing in, and its "done" message can be lost on a busy
  // machine. So once it looks closed, the server is asked now and then, for a while, until it
  // says the reader is signed in.
  var asking = null;
  var askUntil = 0;
  function keepAsking() {
    askUntil = Date.now() + ASK_FOR_MS;
    if (asking) return;
    asking = window.setInterval(function () {
      if (signedInHere || Date.now() > askUntil) {
        stopAsking();
      } else if (document.visibilityState !== "hidden") {
        refresh();
      }
    }, ASK_EVERY_MS);
  }
  function stopAsking() {
    if (asking) window.clearInterval(asking);
    asking = null;
  }

  function startSignIn(button) {
    started = true;
    saveDraft();
    waiting = true;
    setStatus(button.getAttribute("data-connecting"));
    var url = button.getAttribute("data-start-url") + "?next=" + encodeURIComponent(path + window.location.search);
    popup = window.open(url + "&popup=1", "dateline-sign-in", "popup=yes,width=520,height=680");
    if (!popup) {
      // Blocked: the whole tab goes, and comes back to #respond with the draft in storage.
      var store = storage();
      if (store) store.setItem(PENDING_KEY, "1");
      window.location.assign(url);
      return;
    }
    try { popup.focus(); } catch (e) { /* ignore */ }
    if (popupWatch) window.clearInterval(popupWatch);
    popupWatch = window.setInterval(function () {
      if (popup && popup.closed) {
        // Closed by the reader, or cut off from us by the provider: ask the server.
        signInDone();
      }
    }, 700);
  }

  function post(url, body) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken };
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: body });
  }

  function withToken() {
    if (csrfToken) return Promise.resolve(csrfToken);
    return refresh().then(function () { return csrfToken; });
  }

  function signOut(change) {
    stopAsking();
    withToken().then(function () {
      var body = new FormData();
      body.append("next", path);
      if (change) body.append("change", "1");
      return post(signOutUrl, body);
    }).then(function (response) {
      if (!response.ok) throw new Error("sign-out " + response.status);
      render({ signed_in: false });
      var first = choices.querySelector("button");
      if (change && first) first.focus();
    }).catch(function () {
      // Fall back to the form's own submission (the server asks again if it must).
      if (form) {
        form.setAttribute("action", signOutUrl + "?next=" + encodeURIComponent(path) + (change ? "&change=1" : ""));
        form.submit();
      }
    });
  }

  function requestEmailLink() {
    var email = field("email");
    var name = field("name");
    if (!email || !email.value || !name || !name.value) {
      setStatus(box.getAttribute("data-email-needs-details") || "", true);
      (email && !email.value ? email : name).focus();
      return;
    }
    saveDraft();
    withToken().then(function () {
      var body = new FormData();
      DRAFT_FIELDS.forEach(function (key) {
        var input = field(key);
        if (input && input.value) body.append(key, input.value);
      });
      return post(emailUrl + "?next=" + encodeURIComponent(path), body);
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        setStatus(result.data.message);
      } else {
        var errors = result.data.errors || {};
        var messages = [];
        Object.keys(errors).forEach(function (key) { messages = messages.concat(errors[key]); });
        setStatus(messages.join(" "), true);
      }
    }).catch(function () {
      setStatus(box.getAttribute("data-network-error") || "", true);
    });
  }

  box.addEventListener("click", function (event) {
    var provider = event.target.closest("[data-identity-provider]");
    if (provider) {
      // Also stops the form's submission (and the comment script's handler) for this click.
      event.preventDefault();
      startSignIn(provider);
      return;
    }
    if (event.target.closest("[data-identity-sign-out]")) {
      event.preventDefault();
      signOut(false);
      return;
    }
    if (event.target.closest("[data-identity-change]")) {
      event.preventDefault();
      signOut(true);
      return;
    }
    if (event.target.closest("[data-identity-email]")) {
      event.preventDefault();
      requestEmailLink();
    }
  });

  window.addEventListener("message", function (event) {
    // Only our own pages, and only the popup we opened, may say a sign-in has ended.
    if (event.origin !== window.location.origin) return;
    if (!event.data || event.data.type !== MESSAGE_TYPE) return;
    if (popup && event.source && event.source !== popup) return;
    try { event.source.postMessage({ type: ACK_TYPE }, window.location.origin); } catch (e) { /* gone */ }
    signInDone();
  });
  if (typeof BroadcastChannel === "function") {
    var channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = function (event) {
      if (!event.data || event.data.type !== MESSAGE_TYPE) return;
      channel.postMessage({ type: ACK_TYPE });
      signInDone();
    };
  }
  // The last resort when no message arrives: the reader comes back to this tab once the
  // provider's window has gone, and the server knows whether the sign-in went through.
  var askingAgain = false;
  function backFromProvider() {
    // focus and visibilitychange both fire on one return to the tab: one question is enough.
    if (askingAgain || !started || signedInHere || document.visibilityState === "hidden") return;
    askingAgain = true;
    refresh().then(function () { askingAgain = false; });
  }
  window.addEventListener("focus", backFromProvider);
  document.addEventListener("visibilitychange", backFromProvider);

  restoreDraft();
  var store = storage();
  var pending = store && store.getItem(PENDING_KEY);
  if (store) store.removeItem(PENDING_KEY);
  // Only browsers that have something to ask about call the server; everyone else reads the
  // cached page and nothing more.
  if (pending || hasCookie(HINT_COOKIE)) refresh();
  else if (box.hasAttribute("data-signed-in")) guestInputs().forEach(function (input) { input.disabled = true; });
})();
