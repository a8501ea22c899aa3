/* Dateline discussion: enhances the server-rendered comment form and thread.
 *
 * Without this script everything still works (POST → redirect → GET). With it:
 * - the CSRF token, which a cacheable page must not carry, is added from the cookie or fetched;
 * - "Save my name…" keeps the reader's details in localStorage (never on the server);
 * - comments post in place with fetch, the result is inserted and focused;
 * - "Reply" moves the form under the comment; "Cancel reply" (or Escape) moves it back;
 * - the author sees Edit and Delete on their own comments during the edit window.
 * Plain JavaScript, no framework, no build step.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-discussion]");
  if (!root || !window.fetch || !window.FormData) return;

  var DETAILS_KEY = "dateline.commenter";
  var TOKENS_KEY = "dateline.editTokens";
  var EDIT_COOKIE = "dateline_edit";

  var strings = {};
  try {
    strings = JSON.parse(document.getElementById("discussion-strings").textContent);
  } catch (e) { /* the English defaults below stand in */ }
  function t(key, fallback) { return strings[key] || fallback; }
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : "";
    });
  }

  var respond = root.querySelector("[data-respond]");
  var form = root.querySelector("[data-comment-form]");
  var list = root.querySelector("[data-comment-list]");
  var countHeading = root.querySelector("[data-comment-count]");
  var newestFirst = root.getAttribute("data-newest-first") === "true";

  /* Storage that fails quietly: private windows and full quotas must not break commenting. */
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

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return "";
  }

  /* ---- CSRF token: from the cookie, else from the session endpoint ---------------------- */

  var csrfToken = readCookie(root.getAttribute("data-csrf-cookie") || "csrftoken");
  var sessionPromise = null;

  function refreshSession() {
    sessionPromise = fetch(root.getAttribute("data-session-url"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    }).then(function (data) {
      csrfToken = data.csrfToken || csrfToken;
      if (form && data.renderedAt) form.querySelector("[data-rendered-at]").value = data.renderedAt;
      putTokenInForms();
      return csrfToken;
    });
    return sessionPromise;
  }

  function putTokenInForms() {
    if (!form || !csrfToken) return;
    // A native submit (before fetch takes over, or if it fails) then passes the check too.
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrfmiddlewaretoken";
      form.insertBefore(input, form.firstChild);
    }
    input.value = csrfToken;
  }

  function ensureToken() {
    if (csrfToken) return Promise.resolve(csrfToken);
    return sessionPromise || refreshSession();
  }

  /* ---- Edit tokens: this browser's own comments ------------------------------------------- */

  function loadTokens() {
    var tokens = store.get(TOKENS_KEY) || {};
    var now = Date.now();
    var changed = false;
    Object.keys(tokens).forEach(function (id) {
      if (!tokens[id] || !(tokens[id].until > now)) { delete tokens[id]; changed = true; }
    });
    // A comment posted through the plain form leaves its token in a short-lived cookie.
    var cookie = readCookie(EDIT_COOKIE);
    if (cookie) {
      var bits = cookie.split("|");
      if (bits.length === 3 && Number(bits[2]) * 1000 > now) {
        tokens[bits[0]] = { token: bits[1], until: Number(bits[2]) * 1000 };
        changed = true;
      }
      document.cookie = EDIT_COOKIE + "=; Max-Age=0; Path=/; SameSite=Lax";
    }
    if (changed) store.set(TOKENS_KEY, tokens);
    return tokens;
  }

  function saveToken(id, token, untilIso) {
    if (!token) return;
    var tokens = loadTokens();
    tokens[String(id)] = { token: token, until: Date.parse(untilIso) || Date.now() + 600000 };
    store.set(TOKENS_KEY, tokens);
  }

  function forgetToken(id) {
    var tokens = loadTokens();
    delete tokens[String(id)];
    store.set(TOKENS_KEY, tokens);
  }

  /* ---- Messages ----------------------------------------------------------------------- */

  function clearErrors() {
    if (!form) return;
    var summary = form.querySelector("[data-error-summary]");
    summary.hidden = true;
    summary.querySelector("ul").textContent = "";
    form.querySelectorAll("[data-field-error]").forEach(function (slot) {
      var name = slot.getAttribute("data-field-error");
      var field = form.querySelector("#comment-" + name);
      slot.hidden = true;
      slot.textContent = "";
      if (field) {
        field.removeAttribute("aria-invalid");
        var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
          return id && id !== slot.id;
        });
        if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
        else field.removeAttribute("aria-describedby");
        field.closest(".field").classList.remove("field--invalid");
      }
    });
  }

  function showErrors(errors) {
    clearErrors();
    var summary = form.querySelector("[data-error-summary]");
    var items = summary.querySelector("ul");
    var names = ["body", "email", "name", "website"];
    Object.keys(errors).sort(function (a, b) {
      var ia = names.indexOf(a), ib = names.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    }).forEach(function (name) {
      var message = errors[name];
      var li = document.createElement("li");
      var slot = form.querySelector('[data-field-error="' + name + '"]');
      var field = form.querySelector("#comment-" + name);
      if (slot && field) {
        slot.textContent = message;
        slot.hidden = false;
        field.setAttribute("aria-invalid", "true");
        var ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (ids.indexOf(slot.id) < 0) ids.push(slot.id);
        field.setAttribute("aria-describedby", ids.join(" "));
        field.closest(".field").classList.add("field--invalid");
        var link = document.createElement("a");
        link.href = "#" + field.id;
        link.textContent = message;
        link.addEventListener("click", function (event) {
          event.preventDefault();
          field.focus();
        });
        li.appendChild(link);
      } else {
        li.textContent = message;
      }
      items.appendChild(li);
    });
    summary.hidden = false;
    summary.focus();
  }

  function setStatus(message) {
    var status = respond && respond.querySelector("[data-form-status]");
    if (!status) return;
    status.textContent = "";
    if (message) {
      var p = document.createElement("p");
      p.className = "respond__notice";
      p.textContent = message;
      status.appendChild(p);
    }
  }

  /* ---- Remembered details ------------------------------------------------------------- */

  function formField(name) { return form.querySelector('[name="' + name + '"]'); }

  var rememberRow = form && form.querySelector("[data-remember]");
  var rememberBox = form && form.querySelector("[data-remember-box]");

  function fillRemembered() {
    if (!form) return;
    rememberRow.hidden = false;
    var details = store.get(DETAILS_KEY);
    if (!details) return;
    ["email", "name", "website"].forEach(function (name) {
      var field = formField(name);
      if (field && !field.value && typeof details[name] === "string") field.value = details[name];
    });
    rememberBox.checked = true;
  }

  function keepOrForgetDetails() {
    if (rememberBox.checked) {
      store.set(DETAILS_KEY, {
        email: formField("email").value,
        name: formField("name").value,
        website: formField("website").value
      });
    } else {
      store.remove(DETAILS_KEY);
    }
  }

  /* ---- Reply: move the form under a comment ------------------------------------------- */

  var respondHome = respond ? { parent: respond.parentNode, next: respond.nextSibling } : null;
  var heading = respond && respond.querySelector("[data-reply-heading]");
  var cancelLink = respond && respond.querySelector("[data-cancel-reply]");
  var replyingFrom = null;

  function startReply(link) {
    var id = link.getAttribute("data-reply-to");
    var li = link.closest("li.comment");
    li.querySelector(".comment__card").insertAdjacentElement("afterend", respond);
    form.querySelector("[data-parent-field]").value = id;
    heading.textContent = "";
    var template = t("replyTitle", "Leave a Reply to %(name)s");
    var cut = template.indexOf("%(name)s");
    var bdi = document.createElement("bdi");
    bdi.textContent = link.getAttribute("data-reply-name");
    if (cut < 0) {
      heading.textContent = template;
    } else {
      heading.appendChild(document.createTextNode(template.slice(0, cut)));
      heading.appendChild(bdi);
      heading.appendChild(document.createTextNode(template.slice(cut + 8)));
    }
    cancelLink.hidden = false;
    replyingFrom = link;
    clearErrors();
    setStatus("");
    formField("body").focus();
  }

  function cancelReply(restoreFocus) {
    if (!respondHome) return;
    respondHome.parent.insertBefore(respond, respondHome.next);
    form.querySelector("[data-parent-field]").value = "";
    heading.textContent = heading.getAttribute("data-default-heading");
    cancelLink.hidden = true;
    var from = replyingFrom;
    replyingFrom = null;
    if (restoreFocus && from && document.body.contains(from)) from.focus();
  }

  /* ---- Inserting and focusing comments ------------------------------------------------ */

  function elementFromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function focusComment(li) {
    var card = li.querySelector(".comment__card");
    card.setAttribute("tabindex", "-1");
    card.focus();
  }

  function insertComment(data) {
    var li = elementFromHtml(data.html);
    var parentLi = data.parent ? root.querySelector('li.comment[data-comment-id="' + data.parent + '"]') : null;
    if (parentLi) {
      var children = parentLi.querySelector(":scope > ol.comment-list");
      if (!children) {
        children = document.createElement("ol");
        children.className = "comment-list comment-list--children";
        parentLi.appendChild(children);
      }
      children.appendChild(li);
    } else if (newestFirst) {
      list.insertBefore(li, list.firstChild);
    } else {
      list.appendChild(li);
    }
    if (data.editToken) {
      saveToken(data.id, data.editToken, data.editUntil);
      addSelfService(li);
    }
    return li;
  }

  /* ---- Posting ------------------------------------------------------------------------ */

  function post(url, body, retried) {
    return ensureToken().catch(function () { return ""; }).then(function (token) {
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token || "" }
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        // An expired or missing cookie: fetch a fresh token once and try again.
        if (response.status === 403 && data.csrf && !retried) {
          csrfToken = "";
          return refreshSession().then(function () { return post(url, body, true); });
        }
        return { status: response.status, data: data, retryAfter: response.headers.get("Retry-After") };
      });
    });
  }

  function onSubmit(event) {
    // Other buttons inside the form (the sign-in choices) submit elsewhere with formaction;
    // only "Post comment" is ours to take over.
    var by = event.submitter;
    if (by && !by.hasAttribute("data-submit") && !by.hasAttribute("data-submit-default")) return;
    event.preventDefault();
    var button = form.querySelector("[data-submit]");
    if (button.disabled) return;
    var label = button.textContent;
    button.disabled = true;
    button.textContent = t("posting", "Posting…");
    clearErrors();
    setStatus("");
    post(form.getAttribute("action").split("#")[0], new FormData(form)).then(function (result) {
      var data = result.data || {};
      if (result.status === 201) {
        keepOrForgetDetails();
        formField("body").value = "";
        var wasReply = Boolean(data.parent);
        cancelReply(false);
        var li = insertComment(data);
        if (typeof data.countText === "string" && data.status === "approved") {
          countHeading.textContent = data.countText;
        }
        setStatus(data.message || "");
        focusComment(li);
        if (!wasReply && !newestFirst) li.scrollIntoView({ block: "nearest" });
      } else if (data.errors) {
        showErrors(data.errors);
      } else {
        showErrors({ __all__: t("networkError", "Your comment could not be sent. Check your connection and try again.") });
      }
    }).catch(function () {
      showErrors({ __all__: t("networkError", "Your comment could not be sent. Check your connection and try again.") });
    }).then(function () {
      button.disabled = false;
      button.textContent = label;
    });
  }

  /* ---- Edit and delete, for the author, within the edit window ------------------------ */

  function selfServiceUrl(kind, id) {
    return root.getAttribute(kind === "edit" ? "data-edit-url" : "data-delete-url").replace("{id}", id);
  }

  function button(text, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link-button " + className;
    b.textContent = text;
    return b;
  }

  function addSelfService(li) {
    var id = li.getAttribute("data-comment-id");
    var entry = loadTokens()[id];
    var card = li.querySelector(":scope > .comment__card");
    if (!entry || !card || li.classList.contains("comment--removed")) return;
    if (card.querySelector(".comment__own")) return;
    var actions = card.querySelector(".comment__actions");
    if (!actions) {
      actions = document.createElement("p");
      actions.className = "comment__actions";
      card.appendChild(actions);
    }
    var own = document.createElement("span");
    own.className = "comment__own";
    var edit = button(t("edit", "Edit"), "comment__edit");
    var del = button(t("delete", "Delete"), "comment__delete");
    edit.addEventListener("click", function () { openEditor(li, edit); });
    del.addEventListener("click", function () { deleteComment(li, del); });
    own.appendChild(edit);
    own.appendChild(del);
    actions.appendChild(own);
    // The buttons go when the window closes, so nobody presses one that can only fail.
    var left = entry.until - Date.now();
    if (left > 0 && left < 2147483647) {
      window.setTimeout(function () { own.remove(); }, left);
    }
  }

  function openEditor(li, editButton) {
    var id = li.getAttribute("data-comment-id");
    var card = li.querySelector(":scope > .comment__card");
    if (card.querySelector(".comment-editor")) return;
    var content = card.querySelector(".comment__content");
    var editor = document.createElement("form");
    editor.className = "comment-editor";
    editor.noValidate = true;
    var label = document.createElement("label");
    label.htmlFor = "edit-body-" + id;
    label.textContent = t("editLabel", "Edit your comment");
    var area = document.createElement("textarea");
    area.id = "edit-body-" + id;
    area.name = "body";
    area.rows = 5;
    area.dir = "auto";
    area.value = "";
    var error = document.createElement("p");
    error.className = "field__error";
    error.id = "edit-error-" + id;
    error.setAttribute("role", "alert");
    error.hidden = true;
    var save = document.createElement("button");
    save.type = "submit";
    save.className = "button";
    save.textContent = t("save", "Save");
    var cancel = button(t("cancel", "Cancel"), "comment-editor__cancel");
    editor.append(label, area, error, save, cancel);
    // The stored source is not on the page; the rendered text is the closest start, and
    // Markdown-free comments (most of them) come back exactly.
    area.value = content.innerText.trim();
    content.hidden = true;
    content.insertAdjacentElement("afterend", editor);
    area.focus();

    function close() {
      editor.remove();
      content.hidden = false;
      editButton.focus();
    }
    cancel.addEventListener("click", close);
    editor.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    editor.addEventListener("submit", function (event) {
      event.preventDefault();
      var entry = loadTokens()[id];
      if (!entry) { close(); return; }
      var body = new FormData();
      body.append("body", area.value);
      body.append("token", entry.token);
      save.disabled = true;
      post(selfServiceUrl("edit", id), body).then(function (result) {
        var data = result.data || {};
        if (result.status === 200) {
          content.innerHTML = data.bodyHtml; // sanitised by the server (nh3), like the page
          var edited = card.querySelector(".comment__edited");
          if (edited) edited.hidden = false;
          if (data.status === "pending" && !card.querySelector(".comment__held")) {
            var held = document.createElement("p");
            held.className = "comment__held";
            held.textContent = data.message || t("held", "Your comment is awaiting moderation.");
            content.insertAdjacentElement("beforebegin", held);
          }
          editor.remove();
          content.hidden = false;
          focusComment(li);
        } else {
          var errors = data.errors || {};
          error.textContent = errors.body || errors.__all__ || t("networkError", "Your comment could not be sent.");
          error.hidden = false;
          area.setAttribute("aria-invalid", "true");
          area.setAttribute("aria-describedby", error.id);
          save.disabled = false;
        }
      }).catch(function () {
        error.textContent = t("networkError", "Your comment could not be sent.");
        error.hidden = false;
        save.disabled = false;
      });
    });
  }

  function deleteComment(li, deleteButton) {
    var id = li.getAttribute("data-comment-id");
    var entry = loadTokens()[id];
    if (!entry || !window.confirm(t("confirmDelete", "Delete your comment? This cannot be undone."))) return;
    var body = new FormData();
    body.append("token", entry.token);
    deleteButton.disabled = true;
    post(selfServiceUrl("delete", id), body).then(function (result) {
      if (result.status !== 200) {
        deleteButton.disabled = false;
        var errors = (result.data && result.data.errors) || {};
        window.alert(errors.__all__ || t("networkError", "Your comment could not be sent."));
        return;
      }
      forgetToken(id);
      var hasReplies = li.querySelector(":scope > ol.comment-list > li");
      var card = li.querySelector(":scope > .comment__card");
      var next = li.nextElementSibling || li.previousElementSibling || li.parentNode.closest("li.comment");
      if (hasReplies) {
        // Replies stay; the comment they answered becomes a placeholder, as on the page.
        card.textContent = "";
        var p = document.createElement("p");
        p.className = "comment__removed";
        p.textContent = t("removed", "This comment was removed.");
        card.appendChild(p);
        li.classList.add("comment--removed");
        focusComment(li);
      } else {
        li.remove();
        setStatus(t("deleted", "Your comment was deleted."));
        var target = next && next.querySelector ? next.querySelector(".comment__card") : null;
        if (target) { target.setAttribute("tabindex", "-1"); target.focus(); }
        else if (countHeading) { countHeading.setAttribute("tabindex", "-1"); countHeading.focus(); }
      }
    });
  }

  /* ---- Wiring ------------------------------------------------------------------------- */

  root.addEventListener("click", function (event) {
    var reply = event.target.closest("a[data-reply-to]");
    if (reply && form) {
      event.preventDefault();
      startReply(reply);
      return;
    }
    var cancel = event.target.closest("[data-cancel-reply]");
    if (cancel && form) {
      event.preventDefault();
      cancelReply(true);
    }
  });

  if (form) {
    form.addEventListener("submit", onSubmit);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && replyingFrom) {
        event.preventDefault();
        cancelReply(true);
      }
    });
    // A no-JS style reply (?replytocom=) already has a parent; JS keeps it and its cancel link.
    putTokenInForms();
    fillRemembered();
    // Only readers who start writing ask the server for anything: the session answer gives a
    // token when the cookie is missing and renews the form's render stamp, which a cached page
    // carries from whenever the page was rendered.
    form.addEventListener("focusin", function once() {
      form.removeEventListener("focusin", once);
      refreshSession().catch(function () { sessionPromise = null; });
    });
  }

  var tokens = loadTokens();
  Object.keys(tokens).forEach(function (id) {
    var li = root.querySelector('li.comment[data-comment-id="' + id + '"]');
    if (li) addSelfService(li);
  });
})();
