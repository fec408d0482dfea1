/* SupportDesk portal: small progressive enhancements. Every page works without this file;
   the server checks everything again. */
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / (1024 * 1024)).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  /* Attachments: drag and drop, several files, added up across picks, checked as the
     server will check them (size and type) so the person sees a problem straight away. */
  function setUpDropzone(zone) {
    var input = zone.querySelector('input[type="file"]');
    var list = zone.querySelector("[data-file-list]");
    if (!input || !list || typeof DataTransfer === "undefined") return;
    var maxBytes = parseInt(zone.dataset.maxBytes, 10);
    var maxFiles = parseInt(zone.dataset.maxFiles, 10);
    var maxTotal = parseInt(zone.dataset.maxTotal, 10);
    var allowed = (zone.dataset.allowed || "").split(",").filter(Boolean);
    var kept = new DataTransfer();

    function problem(file) {
      var dot = file.name.lastIndexOf(".");
      var ext = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : "";
      if (allowed.indexOf(ext) === -1) return "files of type ." + (ext || "?") + " are not accepted";
      if (file.size === 0) return "the file is empty";
      if (file.size > maxBytes) return "larger than the " + formatSize(maxBytes) + " limit";
      return "";
    }

    function render() {
      list.textContent = "";
      var bad = 0;
      Array.prototype.forEach.call(kept.files, function (file, index) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        var issue = problem(file);
        name.textContent = file.name + " (" + formatSize(file.size) + ")" + (issue ? ": " + issue : "");
        item.appendChild(name);
        if (issue) {
          item.className = "bad";
          bad += 1;
        }
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button button--secondary button--small";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove " + file.name);
        remove.addEventListener("click", function () {
          var next = new DataTransfer();
          Array.prototype.forEach.call(kept.files, function (other, i) {
            if (i !== index) next.items.add(other);
          });
          kept = next;
          input.files = kept.files;
          render();
          input.focus();
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
      var status = zone.querySelector("[data-file-status]");
      var total = Array.prototype.reduce.call(kept.files, function (sum, file) {
        return sum + file.size;
      }, 0);
      if (status) {
        status.textContent = bad
          ? bad + (bad === 1 ? " file" : " files") + " will be refused; remove or replace them."
          : kept.files.length > maxFiles
            ? "Too many files: " + maxFiles + " at most per message; remove some."
          : total > maxTotal
            ? formatSize(total) + " in all is more than the " + formatSize(maxTotal) +
              " a message takes; remove some."
          : kept.files.length
            ? kept.files.length + (kept.files.length === 1 ? " file" : " files") + " ready to upload."
            : "";
      }
    }

    function add(files) {
      Array.prototype.forEach.call(files, function (file) {
        var duplicate = Array.prototype.some.call(kept.files, function (known) {
          return known.name === file.name && known.size === file.size;
        });
        if (!duplicate) kept.items.add(file);
      });
      input.files = kept.files;
      render();
    }

    input.addEventListener("change", function () {
      add(Array.prototype.slice.call(input.files));
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone--over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.remove("dropzone--over");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) add(event.dataTransfer.files);
    });
  }

  /* The phone route shows while the plan's most urgent priority is chosen. */
  function setUpPhoneNote(form) {
    var note = form.querySelector("[data-phone-note]");
    if (!note) return;
    function update() {
      var chosen = form.querySelector('input[name="priority"]:checked');
      note.hidden = !(chosen && chosen.hasAttribute("data-critical"));
    }
    form.addEventListener("change", update);
    update();
  }

  /* A priority limited to some environments warns when another is chosen; the case
     service refuses the pair, so this only saves a round trip. Environment kinds: the
     select's values, or the kind of the chosen environment of the customer's own. */
  function setUpEnvironmentWarning(form) {
    var warning = form.querySelector("[data-environment-warning]");
    if (!warning) return;
    function update() {
      var chosen = form.querySelector('input[name="priority"]:checked');
      var kind = form.querySelector('[name="environment"]');
      var own = form.querySelector('[name="tenant_environment_id"]');
      var value = kind ? kind.value : "";
      if (own && own.selectedOptions && own.selectedOptions[0] && own.selectedOptions[0].dataset.kind) {
        value = own.selectedOptions[0].dataset.kind;
      }
      var allowed = chosen && chosen.dataset.environments;
      if (!allowed || !value || allowed.split(" ").indexOf(value) >= 0) {
        warning.hidden = true;
        warning.textContent = "";
        return;
      }
      warning.textContent = "Priority " + chosen.value + " is for " +
        chosen.dataset.environmentsText.toLowerCase() + " only; choose " +
        chosen.dataset.environmentsText + " or a lower priority.";
      warning.hidden = false;
    }
    form.addEventListener("change", update);
    update();
  }

  // The plan's questions of one category show only while that category is chosen; those
  // of every category always. Without the script every group shows, named by category.
  function setUpIntakeGroups(form) {
    var groups = form.querySelectorAll("[data-intake-category]");
    if (!groups.length) return;
    function update() {
      var chosen = form.querySelector('input[name="category"]:checked');
      var code = chosen ? chosen.value : "";
      groups.forEach(function (group) {
        var own = group.getAttribute("data-intake-category");
        group.hidden = own !== "" && own !== code;
      });
    }
    form.addEventListener("change", update);
    update();
  }

  /* A form that came back with errors: focus moves to its summary, so a screen reader
     reads what went wrong first; each link in it focuses its field (for a group of
     radios, the chosen or first one) and scrolls the field's label or legend into view. */
  function fieldFor(target) {
    if (target.matches("input, select, textarea, button")) return target;
    return target.querySelector("input:checked, input, select, textarea");
  }

  function setUpErrorSummary(summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest('a[href^="#"]');
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var field = target && fieldFor(target);
      if (!field) return;
      event.preventDefault();
      var details = field.closest("details");
      if (details) details.open = true;
      var group = target !== field ? field.closest("fieldset") : null;
      var legend = group && group.querySelector("legend");
      var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
      (legend || label || field).scrollIntoView();
      field.focus({preventScroll: true});
    });
  }

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  /* The messages a page loads with ("ACME-00042 is filed") are read out through the
     live region base.html keeps empty on every page: a screen reader announces text put
     into a region it already knows, not a region that arrives with its text. Focus stays
     where the page put it (a reply's link scrolls to the reply). */
  function announceMessages() {
    var messages = document.querySelector("[data-messages]");
    var announcer = document.querySelector("[data-announcer]");
    if (!messages || !announcer) return;
    window.setTimeout(function () {
      announcer.textContent = messages.textContent.replace(/\s+/g, " ").trim();
    }, 250);
  }

  /* A table wider than its card scrolls inside it; a keyboard reaches it there as a
     region named by the table's caption (the flag matrix carries this in its template). */
  function setUpScrollingTable(wrap) {
    if (wrap.hasAttribute("tabindex") || wrap.scrollWidth <= wrap.clientWidth) return;
    var caption = wrap.querySelector("caption");
    var heading = wrap.closest("section, .card");
    heading = heading && heading.querySelector("h2, h3");
    var name = (caption && caption.textContent.trim()) || (heading && heading.textContent.trim());
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", (name || "Table") + " (scrolls sideways)");
  }

  function setUp(root) {
    root.querySelectorAll("[data-error-summary]").forEach(setUpErrorSummary);
    root.querySelectorAll(".table-wrap").forEach(setUpScrollingTable);
    root.querySelectorAll("[data-dropzone]").forEach(setUpDropzone);
    root.querySelectorAll("[data-priority-form]").forEach(setUpPhoneNote);
    root.querySelectorAll("[data-priority-form]").forEach(setUpEnvironmentWarning);
    root.querySelectorAll("[data-priority-form]").forEach(setUpIntakeGroups);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
    focusErrorSummary();
    announceMessages();
  });

  // A form htmx swapped back in with errors (adding someone to a case's list): its
  // summary takes focus as on a page load.
  document.addEventListener("htmx:load", function (event) {
    var added = event.target;
    if (added === document.body || !added.querySelector) return;
    var summary = added.matches("[data-error-summary]")
      ? added
      : added.querySelector("[data-error-summary]");
    if (!summary) return;
    setUpErrorSummary(summary);
    summary.focus();
  });
})();
