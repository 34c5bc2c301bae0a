/* A principle page, with script on: each question saves itself a moment after it changes
   (htmx, from the section's hx-* attributes), shows "Saving…", and leaving the page with
   a change not yet saved asks first. Without script the page's Save button does it all. */
(function () {
  "use strict";
  var form = document.getElementById("answers");
  if (!form) { return; }
  var changes = 0;
  var submitting = false;

  function sectionOf(element) { return element && element.closest ? element.closest("section.question") : null; }
  function stateOf(section) { return section ? section.querySelector(".answer-state") : null; }
  function say(section, text, kind) {
    var state = stateOf(section);
    if (!state) { return; }
    var span = document.createElement("span");
    span.className = "state " + (kind || "");
    span.textContent = text;
    state.replaceChildren(span);
  }
  function unsaved() {
    if (form.querySelector("section.question[data-changed]") !== null) { return true; }
    // A link typed or a document chosen but not yet added is unsaved too.
    return Array.prototype.some.call(form.querySelectorAll(".evidence-add input"), function (input) {
      return input.type === "file" ? input.files.length > 0 : input.value.trim() !== "";
    });
  }

  form.addEventListener("input", function (event) {
    var section = sectionOf(event.target);
    if (!section || event.target.closest(".evidence-items")) { return; }
    changes += 1;
    section.dataset.changed = String(changes);
    say(section, "Changed: saving in a moment…", "pending");
  });
  form.addEventListener("submit", function () { submitting = true; });

  document.body.addEventListener("htmx:confirm", function (event) {
    if (submitting) { event.preventDefault(); }  // the page's own Save is on its way
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var section = sectionOf(event.detail.elt);
    if (!section) { return; }
    section.dataset.sending = String(changes);
    say(section, "Saving…", "saving");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var section = sectionOf(event.detail.elt);
    var xhr = event.detail.xhr;
    if (!section) { return; }
    if (xhr && xhr.status === 200 && Number(section.dataset.changed) <= Number(section.dataset.sending)) {
      delete section.dataset.changed;
    }
    if (xhr && xhr.status === 0) {
      say(section, "Not saved: the server could not be reached. Your answer is still here; use Save when you are back online.", "error");
    } else if (xhr && xhr.status >= 400 && xhr.status !== 409 && xhr.status !== 422) {
      say(section, "Not saved (error " + xhr.status + "). Your answer is still here; use Save to try again.", "error");
    }
  });

  // A question that saved itself marks its invalid fields (aria-invalid, described by the
  // state line that says why) and unmarks them once it saves.
  function markInvalid(section) {
    var state = stateOf(section);
    if (!state) { return; }
    var line = state.querySelector(".state");
    var invalid = line && line.dataset.invalid !== undefined ? line.dataset.invalid.split(" ") : [];
    var prefix = state.id.replace(/^state-/, "") + "-";
    var fields = section.querySelectorAll("[name^='" + prefix + "']:not([type=hidden])");
    Array.prototype.forEach.call(fields, function (field) {
      var name = field.name.slice(prefix.length);
      var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== state.id;
      });
      if (invalid.indexOf(name) !== -1) {
        field.setAttribute("aria-invalid", "true");
        described.push(state.id);
      } else {
        field.removeAttribute("aria-invalid");
      }
      if (described.length) { field.setAttribute("aria-describedby", described.join(" ")); }
    });
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var section = sectionOf(event.detail.elt);
    if (section) { markInvalid(section); }
  });

  window.addEventListener("beforeunload", function (event) {
    if (submitting || !unsaved()) { return; }
    event.preventDefault();
    event.returnValue = "";
  });
})();
