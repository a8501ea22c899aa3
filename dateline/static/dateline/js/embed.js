/* Dateline discussion embed: shows a thread and a guest comment form on a page of another site.
 *
 *   <script src="https://NEWS.EXAMPLE/embed.js" async
 *           data-dateline-thread="optional id" data-dateline-url="optional page address"
 *           data-dateline-target="optional CSS selector"></script>
 *
 * No iframe, no cookie (every request is made with credentials: "omit"), no framework. Load it
 * from /embed.js, which fills in the interface strings for the reader's language. docs/embed.md.
 */
(function () {
  "use strict";
  var S = {/*dateline:strings*/};
  var script = document.currentScript;
  if (!script || !script.src) return;
  var API = new URL(script.src, location.href).origin + "/comments/api/";
  var TAGS = /^(P|BR|EM|STRONG|A|BLOCKQUOTE|CODE|PRE|UL|OL|LI)$/;
  var DROP = /^(SCRIPT|STYLE|TEMPLATE|IFRAME|OBJECT|SVG|MATH|NOSCRIPT)$/;
  var uid = (window.__datelineEmbeds = (window.__datelineEmbeds || 0) + 1);
  var t = function (key, fallback) { return S[key] || fallback || key; };

  // The host page's localStorage, under discussion.js's keys and in its shape: edit tokens
  // (comment id -> {token, until}) outlive a reload until the edit window closes; the reader's
  // details are kept only when they tick "Save my name…". Nothing there is more than the page
  // could already read from its own DOM. Failing quietly: private windows, blocked storage
  // and full quotas must not break commenting (tokens then live as long as the page).
  // The guest token (GUEST_KEY) proves to the newsroom that this browser is the guest who
  // wrote under an email before; without it the same email is moderated as a newcomer's.
  var TOKENS_KEY = "dateline.editTokens", DETAILS_KEY = "dateline.commenter";
  var GUEST_KEY = "dateline.guestToken";
  var store = {
    get: function (key) {
      try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* ignore */ }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  };
  function liveTokens() {
    var saved = store.get(TOKENS_KEY), live = {}, now = Date.now();
    for (var id in saved || {}) {
      var e = saved[id];
      if (e && typeof e.token === "string" && e.until > now) live[id] = e;
    }
    return live;
  }
  function saveToken(id, token, minutes) {
    if (!token) return;
    var saved = liveTokens();
    saved[id] = tokens[id] = {
      token: token, until: Date.now() + (typeof minutes === "number" ? minutes : 10) * 60000
    };
    store.set(TOKENS_KEY, saved);
  }
  function forgetToken(id) {
    var saved = liveTokens();
    delete saved[id];
    delete tokens[id];
    store.set(TOKENS_KEY, saved);
  }
  function tokenFor(id) {
    var e = tokens[id];
    return e && e.until > Date.now() ? e.token : "";
  }

  var data = script.dataset;
  var ref = {};
  if (data.datelineThread) ref.id = data.datelineThread;
  ref.url = data.datelineUrl || location.href.split("#")[0];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // Comment HTML is already sanitised by nh3 on the server. It is still copied through an
  // allowlist here, element by element, so that no server-side slip could ever run script on
  // the host page: DOMParser builds an inert document (no scripts run, nothing loads).
  function safeCopy(from, to) {
    for (var n = from.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        to.appendChild(document.createTextNode(n.data));
      } else if (n.nodeType === 1 && !DROP.test(n.tagName)) {
        if (!TAGS.test(n.tagName)) { safeCopy(n, to); continue; }
        var copy = document.createElement(n.tagName.toLowerCase());
        var href = n.tagName === "A" ? n.getAttribute("href") || "" : "";
        if (/^(https?:|mailto:)/i.test(href)) {
          copy.href = href;
          copy.rel = "nofollow ugc noopener";
        }
        safeCopy(n, copy);
        to.appendChild(copy);
      }
    }
  }
  function setHtml(node, html) {
    node.textContent = "";
    safeCopy(new DOMParser().parseFromString(html || "", "text/html").body, node);
  }

  function call(method, path, body, token) {
    var headers = { Accept: "application/json" };
    if (S.lang) headers["Accept-Language"] = S.lang;
    if (body) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(API + path, {
      method: method, headers: headers, credentials: "omit", mode: "cors", cache: "no-store",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.status === 204 ? { status: 204, data: {} } : r.json().then(
        function (d) { return { status: r.status, data: d }; },
        function () { return { status: r.status, data: {} }; });
    });
  }
  function query(extra) {
    var q = new URLSearchParams(ref);
    for (var k in extra) q.set(k, extra[k]);
    return "threads/?" + q;
  }

  var root, list, more, status, respond, form, alertBox, heading, cancel, submit, rememberBox;
  var thread = null, formToken = "", nextCursor = null, replyTo = null, replyButton = null;
  var tokens = liveTokens(), fields = {};
  var dateFormat;
  try { dateFormat = new Intl.DateTimeFormat(S.lang, { dateStyle: "medium", timeStyle: "short" }); }
  catch (e) { dateFormat = null; }

  function renderComment(c) {
    var li = el("li", "dateline-comment" + (c.removed ? " dateline-comment--removed" : ""));
    li.id = "dateline-comment-" + c.id;
    li.tabIndex = -1;
    var art = el("article", "dateline-body-wrap");
    if (c.removed) {
      art.appendChild(el("p", "dateline-removed", t("removed")));
    } else {
      var meta = el("p", "dateline-meta");
      var author = c.author.website && /^https?:\/\//i.test(c.author.website) ? el("a") : el("span");
      if (author.tagName === "A") { author.href = c.author.website; author.rel = "nofollow ugc noopener"; }
      author.className = "dateline-author";
      author.textContent = c.author.name;
      author.dir = "auto";
      meta.appendChild(author);
      meta.appendChild(document.createTextNode(" "));
      var time = el("time", "dateline-time");
      time.dateTime = c.created;
      var when = new Date(c.created);
      time.textContent = dateFormat ? dateFormat.format(when) : when.toLocaleString();
      meta.appendChild(time);
      if (c.edited) meta.appendChild(el("span", "dateline-edited", " (" + t("edited") + ")"));
      // Readers mark comments useful on the story's own page; the embed shows the count.
      if (c.useful) meta.appendChild(el("span", "dateline-useful", " · " + t("useful") + " " + t("usefulCount").replace("%(count)s", c.useful)));
      art.appendChild(meta);
      var body = el("div", "dateline-text");
      body.dir = "auto";
      setHtml(body, c.html);
      art.appendChild(body);
      var actions = el("p", "dateline-actions");
      if (thread && thread.open) {
        var reply = el("button", "dateline-link", t("reply"));
        reply.type = "button";
        reply.setAttribute("aria-label", t("replyTo").replace("%s", c.author.name));
        reply.addEventListener("click", function () { startReply(c, li, reply); });
        actions.appendChild(reply);
      }
      if (tokenFor(c.id)) ownActions(c, li, body, actions);
      if (actions.firstChild) art.appendChild(actions);
    }
    li.appendChild(art);
    if (c.replies && c.replies.length) {
      var children = el("ol", "dateline-children");
      c.replies.forEach(function (r) { children.appendChild(renderComment(r)); });
      li.appendChild(children);
    }
    if (c.more_replies && c.replies_next) li.appendChild(moreReplies(c, li));
    return li;
  }

  // A long subthread comes a page at a time: each reply goes under its parent when the
  // parent is on the page, else under the top-level comment.
  function moreReplies(c, li) {
    var wrap = el("p", "dateline-more-replies");
    var label = function (n) { return t("moreReplies").replace("%d", n); };
    var button = el("button", "dateline-link", label(c.more_replies));
    var cursor = c.replies_next;
    button.type = "button";
    button.addEventListener("click", function () {
      button.disabled = true;
      call("GET", "comments/" + c.id + "/replies/?cursor=" + encodeURIComponent(cursor)).then(function (res) {
        if (res.status !== 200) throw new Error(firstError(res.data));
        var first = null;
        res.data.comments.forEach(function (r) {
          var parent = r.parent ? document.getElementById("dateline-comment-" + r.parent) : null;
          var host = parent && li.contains(parent) ? parent : li;
          var kids = null;
          for (var i = 0; i < host.children.length; i++) {
            if (host.children[i].classList.contains("dateline-children")) kids = host.children[i];
          }
          if (!kids) {
            kids = el("ol", "dateline-children");
            host.insertBefore(kids, host === li ? wrap : null);
          }
          var node = renderComment(r);
          if (!first) first = node;
          kids.appendChild(node);
        });
        if (res.data.next) {
          cursor = res.data.next;
          button.textContent = label(res.data.more);
          button.disabled = false;
        } else {
          wrap.remove();
        }
        if (first) first.focus();
      }).catch(function () { button.disabled = false; window.alert(t("network")); });
    });
    wrap.appendChild(button);
    return wrap;
  }

  function ownActions(c, li, body, actions) {
    var edit = el("button", "dateline-link", t("edit"));
    var del = el("button", "dateline-link", t("delete"));
    edit.type = del.type = "button";
    edit.addEventListener("click", function () {
      var box = el("div", "dateline-edit");
      var id = "dateline-" + uid + "-edit-" + c.id;
      var label = el("label", null, t("body"));
      label.htmlFor = id;
      var area = el("textarea");
      area.id = id;
      area.rows = 5;
      area.dir = "auto";
      area.value = c.source || body.textContent;
      var err = el("p", "dateline-error");
      err.setAttribute("role", "alert");
      var save = el("button", null, t("save"));
      var back = el("button", null, t("cancel"));
      save.type = back.type = "button";
      back.addEventListener("click", function () { box.remove(); body.hidden = false; edit.focus(); });
      save.addEventListener("click", function () {
        save.disabled = true;
        call("PATCH", "comments/" + c.id + "/", { body: area.value }, tokenFor(c.id)).then(function (res) {
          save.disabled = false;
          if (res.status === 200 || res.status === 202) {
            c.source = area.value;
            setHtml(body, res.data.comment.html);
            box.remove();
            body.hidden = false;
            if (res.status === 202) showHeld(li);
            li.focus();
          } else {
            err.textContent = firstError(res.data);
          }
        }, function () { save.disabled = false; err.textContent = t("network"); });
      });
      box.append(label, area, err, save, " ", back);
      body.hidden = true;
      body.after(box);
      area.focus();
    });
    del.addEventListener("click", function () {
      if (!window.confirm(t("confirmDelete"))) return;
      call("DELETE", "comments/" + c.id + "/", null, tokenFor(c.id)).then(function (res) {
        if (res.status === 204) {
          forgetToken(c.id);
          var art = li.querySelector("article");
          art.textContent = "";
          art.appendChild(el("p", "dateline-removed", t("deleted")));
          li.focus();
        } else {
          window.alert(firstError(res.data));
        }
      }, function () { window.alert(t("network")); });
    });
    actions.append(" ", edit, " ", del);
  }

  function showHeld(li) {
    if (li.querySelector(".dateline-held")) return;
    li.classList.add("dateline-comment--held");
    var note = el("p", "dateline-held", t("held"));
    li.querySelector("article").appendChild(note);
  }

  function firstError(d) {
    var errors = (d && d.errors) || {};
    for (var k in errors) return errors[k];
    return t("network");
  }

  function field(name, label, type, opts) {
    var id = "dateline-" + uid + "-" + name;
    var wrap = el("p", "dateline-field dateline-field--" + name);
    var lab = el("label", null, label + " ");
    lab.htmlFor = id;
    lab.appendChild(el("span", "dateline-hint", opts.required ? t("required") : t("optional")));
    var input = el(type === "textarea" ? "textarea" : "input");
    if (type === "textarea") { input.rows = 6; input.dir = "auto"; } else { input.type = type; }
    input.id = id;
    input.name = name;
    if (opts.required) input.required = true;
    if (opts.autocomplete) input.autocomplete = opts.autocomplete;
    if (name === "name") input.dir = "auto";
    var described = [];
    wrap.append(lab, input);
    if (opts.hint) {
      var hint = el("span", "dateline-hint", opts.hint);
      hint.id = id + "-hint";
      described.push(hint.id);
      wrap.append(" ", hint);
    }
    var err = el("span", "dateline-error");
    err.id = id + "-error";
    err.hidden = true;
    wrap.appendChild(err);
    fields[name] = { input: input, error: err, hint: described.join(" ") };
    describe(fields[name], "");
    return wrap;
  }

  function describe(f, extra) {
    var ids = (f.hint + " " + extra).trim();
    if (ids) f.input.setAttribute("aria-describedby", ids);
    else f.input.removeAttribute("aria-describedby");
  }

  function clearErrors() {
    alertBox.textContent = "";
    for (var k in fields) {
      var f = fields[k];
      f.error.hidden = true;
      f.error.textContent = "";
      f.input.removeAttribute("aria-invalid");
      describe(f, "");
    }
  }

  function showErrors(errors) {
    var first = null, general = [];
    for (var k in errors) {
      var f = fields[k];
      if (!f || f === fields.honeypot) { general.push(errors[k]); continue; }
      f.error.textContent = errors[k];
      f.error.hidden = false;
      f.input.setAttribute("aria-invalid", "true");
      describe(f, f.error.id);
      if (!first) first = f.input;
    }
    alertBox.textContent = general.length ? general.join(" ") : t("fix");
    if (first) first.focus();
  }

  function buildForm() {
    respond = el("div", "dateline-respond");
    heading = el("h2", "dateline-heading", thread.heading || t("heading"));
    heading.id = "dateline-" + uid + "-heading";
    respond.appendChild(heading);
    if (!thread.open) {
      respond.appendChild(el("p", "dateline-closed", t("closed")));
      return respond;
    }
    cancel = el("button", "dateline-link dateline-cancel", t("cancelReply"));
    cancel.type = "button";
    cancel.hidden = true;
    cancel.addEventListener("click", endReply);
    respond.appendChild(cancel);
    form = el("form", "dateline-form");
    form.noValidate = true;
    form.setAttribute("aria-labelledby", heading.id);
    form.appendChild(el("p", "dateline-intro", t("details")));
    alertBox = el("p", "dateline-alert");
    alertBox.setAttribute("role", "alert");
    form.appendChild(alertBox);
    form.appendChild(field("body", t("body"), "textarea", { required: true }));
    form.appendChild(field("name", t("name"), "text", { required: true, autocomplete: "name" }));
    form.appendChild(field("email", t("email"), "email", { required: true, autocomplete: "email", hint: t("emailHint") }));
    form.appendChild(field("website", t("website"), "url", { autocomplete: "url" }));
    var remember = el("p", "dateline-field dateline-remember");
    rememberBox = el("input");
    rememberBox.type = "checkbox";
    rememberBox.id = "dateline-" + uid + "-remember";
    var rememberLabel = el("label", null, t("remember"));
    rememberLabel.htmlFor = rememberBox.id;
    remember.append(rememberBox, " ", rememberLabel);
    form.appendChild(remember);
    var details = store.get(DETAILS_KEY);
    if (details) {
      ["name", "email", "website"].forEach(function (name) {
        if (typeof details[name] === "string") fields[name].input.value = details[name];
      });
      rememberBox.checked = true;
    }
    // A field people never see or reach: bots that fill in every input give themselves away.
    var trap = field("honeypot", t("honeypot"), "text", {});
    trap.className = "dateline-hp";
    trap.setAttribute("aria-hidden", "true");
    fields.honeypot.input.tabIndex = -1;
    fields.honeypot.input.autocomplete = "off";
    form.appendChild(trap);
    submit = el("button", "dateline-submit", t("submit"));
    submit.type = "submit";
    form.appendChild(el("p")).appendChild(submit);
    form.addEventListener("submit", send);
    respond.appendChild(form);
    return respond;
  }

  function startReply(c, li, button) {
    replyTo = c;
    replyButton = button;
    heading.textContent = t("replyTo").replace("%s", c.author.name);
    cancel.hidden = false;
    li.querySelector("article").after(respond);
    fields.body.input.focus();
  }

  function endReply() {
    replyTo = null;
    heading.textContent = thread.heading || t("heading");
    cancel.hidden = true;
    root.appendChild(respond);
    if (replyButton) replyButton.focus();
    replyButton = null;
  }

  function send(event) {
    event.preventDefault();
    clearErrors();
    var v = function (name) { return fields[name].input.value; };
    var payload = {
      thread: Object.assign({ title: document.title.slice(0, 255) }, ref),
      parent: replyTo ? replyTo.id : null,
      body: v("body"), name: v("name"), email: v("email"), website: v("website"),
      honeypot: v("honeypot"), form_token: formToken
    };
    var guestToken = store.get(GUEST_KEY);
    if (typeof guestToken === "string") payload.guest_token = guestToken;
    submit.disabled = true;
    submit.textContent = t("sending");
    var done = function () { submit.disabled = false; submit.textContent = t("submit"); };
    call("POST", "comments/", payload).then(function (res) {
      done();
      if (res.status === 201 || res.status === 202) {
        var c = res.data.comment;
        saveToken(c.id, res.data.edit_token, res.data.edit_window_minutes);
        if (typeof res.data.guest_token === "string") store.set(GUEST_KEY, res.data.guest_token);
        if (rememberBox.checked) {
          store.set(DETAILS_KEY, { name: payload.name, email: payload.email, website: payload.website });
        } else {
          store.remove(DETAILS_KEY);
        }
        c.source = payload.body;
        var li = renderComment(c);
        if (res.status === 202) showHeld(li);
        var parentLi = replyTo && document.getElementById("dateline-comment-" + replyTo.id);
        if (parentLi) {
          var children = parentLi.querySelector(":scope > .dateline-children");
          if (!children) { children = el("ol", "dateline-children"); parentLi.appendChild(children); }
          children.appendChild(li);
        } else if (thread.order === "newest") {
          list.insertBefore(li, list.firstChild);
        } else {
          list.appendChild(li);
        }
        status.textContent = "";
        fields.body.input.value = "";
        if (replyTo) { replyTo = null; replyButton = null; endReplyQuietly(); }
        li.focus();
      } else {
        showErrors((res.data && res.data.errors) || { __all__: t("network") });
      }
    }, function () {
      done();
      showErrors({ __all__: t("network") });
    });
  }

  function endReplyQuietly() {
    heading.textContent = thread.heading || t("heading");
    cancel.hidden = true;
    root.appendChild(respond);
  }

  function load(cursor) {
    return call("GET", query(cursor ? { cursor: cursor } : {})).then(function (res) {
      if (res.status !== 200) throw new Error(firstError(res.data));
      return res.data;
    });
  }

  function showPage(page, focusFirst) {
    nextCursor = page.next;
    var first = null;
    page.comments.forEach(function (c) {
      var li = renderComment(c);
      if (!first) first = li;
      list.appendChild(li);
    });
    more.hidden = !nextCursor;
    if (focusFirst && first) first.focus();
  }

  function start() {
    var selector = data.datelineTarget;
    var host = null;
    try { host = selector ? document.querySelector(selector) : null; } catch (e) { host = null; }
    if (!host) {
      host = document.createElement("div");
      if (script.parentNode && script.parentNode !== document.head) script.after(host);
      else document.body.appendChild(host);
    }
    root = el("section", "dateline-embed");
    root.lang = S.lang || "";
    root.dir = S.dir || "auto";
    root.setAttribute("aria-label", t("comments"));
    status = el("p", "dateline-status", t("loading"));
    status.setAttribute("role", "status");
    list = el("ol", "dateline-comments");
    more = el("button", "dateline-more", t("more"));
    more.type = "button";
    more.hidden = true;
    more.addEventListener("click", function () {
      more.disabled = true;
      load(nextCursor).then(function (page) { more.disabled = false; showPage(page, true); },
        function () { more.disabled = false; status.textContent = t("loadError"); });
    });
    root.append(status, list, more);
    host.appendChild(root);
    addStyles();
    load(null).then(function (page) {
      thread = page.thread;
      formToken = page.form_token;
      status.textContent = page.comments.length ? "" : t("none");
      showPage(page, false);
      root.appendChild(buildForm());
    }, function () {
      status.removeAttribute("role");
      var alert = el("p", "dateline-alert", t("loadError"));
      alert.setAttribute("role", "alert");
      status.replaceWith(alert);
    });
  }

  function addStyles() {
    if (document.getElementById("dateline-embed-style")) return;
    var style = el("style");
    style.id = "dateline-embed-style";
    style.textContent = [
      ".dateline-embed{font:inherit;color:inherit;margin:2em 0}",
      ".dateline-embed ol{list-style:none;margin:0;padding:0}",
      ".dateline-children{margin-inline-start:1.25em!important;padding-inline-start:1em!important;border-inline-start:2px solid rgba(128,128,128,.35)}",
      ".dateline-comment{margin:1em 0}",
      ".dateline-comment:focus{outline:2px solid currentColor;outline-offset:2px}",
      ".dateline-meta,.dateline-hint,.dateline-actions{font-size:.875em;opacity:.85;margin:.25em 0}",
      ".dateline-author{font-weight:bold}",
      ".dateline-text>:first-child{margin-top:0}",
      ".dateline-removed,.dateline-held{font-style:italic;opacity:.85}",
      ".dateline-field label{display:block;font-weight:bold}",
      ".dateline-field input,.dateline-field textarea,.dateline-edit textarea{font:inherit;width:100%;max-width:40em;box-sizing:border-box;padding:.4em}",
      ".dateline-remember input{width:auto;padding:0}.dateline-remember label{display:inline;font-weight:normal}",
      ".dateline-embed button{font:inherit;cursor:pointer}",
      ".dateline-link{background:none;border:0;padding:0;color:inherit;text-decoration:underline}",
      ".dateline-error,.dateline-alert{color:#b00020;font-weight:bold}",
      ".dateline-error{display:block}",
      ".dateline-alert:empty{display:none}",
      ".dateline-hp{position:absolute!important;left:-10000px;width:1px;height:1px;overflow:hidden}"
    ].join("");
    document.head.appendChild(style);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
