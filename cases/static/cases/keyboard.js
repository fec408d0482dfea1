// Keyboard shortcuts of the staff queue and case page; `?` lists them in a dialog.
// Queue: j / k move to the next / previous case, Enter opens it, / searches.
// Case page: r reply, n internal note, t take, m macro picker, / search,
// [ and ] the previous / next case in the order the queue last showed (kept in
// sessionStorage when the queue is opened).
// No shortcut fires while typing in a field or with Ctrl, Alt or Meta held.
(function () {
  "use strict";

  const QUEUE_KEY = "supportdesk.queue";
  const SEARCH_KEY = "supportdesk.focusSearch";

  const QUEUE_KEYS = [
    ["j", "Next case in the list"],
    ["k", "Previous case in the list"],
    ["Enter", "Open the chosen case"],
    ["/", "Search the queue"],
    ["?", "Show these shortcuts"],
  ];
  const CASE_KEYS = [
    ["r", "Reply to the customer"],
    ["n", "Add an internal note"],
    ["t", "Take the case (assign it to me)"],
    ["m", "Choose a macro"],
    ["[", "Previous case in the queue"],
    ["]", "Next case in the queue"],
    ["/", "Search the queue"],
    ["?", "Show these shortcuts"],
  ];

  function typing(target) {
    if (!(target instanceof Element)) {
      return false;
    }
    return target.closest("input, textarea, select") !== null || target.isContentEditable;
  }

  function announce(text) {
    let region = document.getElementById("sd-kb-status");
    if (!region) {
      region = document.createElement("div");
      region.id = "sd-kb-status";
      region.className = "sd-visually-hidden";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    region.textContent = text;
  }

  // --- Help dialog: a native <dialog> (modal, Esc closes, focus returns).

  function helpDialog(keys) {
    let dialog = document.getElementById("sd-kb-help");
    if (dialog) {
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.id = "sd-kb-help";
    dialog.className = "sd-kb-help";
    dialog.setAttribute("aria-labelledby", "sd-kb-help-title");
    const title = document.createElement("h2");
    title.id = "sd-kb-help-title";
    title.textContent = "Keyboard shortcuts";
    dialog.appendChild(title);
    const list = document.createElement("dl");
    keys.forEach(function (entry) {
      const term = document.createElement("dt");
      const kbd = document.createElement("kbd");
      kbd.textContent = entry[0];
      term.appendChild(kbd);
      const description = document.createElement("dd");
      description.textContent = entry[1];
      list.appendChild(term);
      list.appendChild(description);
    });
    dialog.appendChild(list);
    const note = document.createElement("p");
    note.textContent = "Shortcuts do nothing while you type in a field. Esc closes this list.";
    dialog.appendChild(note);
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close";
    close.addEventListener("click", function () {
      dialog.close();
    });
    dialog.appendChild(close);
    document.body.appendChild(dialog);
    return dialog;
  }

  // --- The queue.

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
  }

  function rowLink(row) {
    return row.querySelector('a[href*="/change/"]');
  }

  function rememberQueue() {
    const links = queueRows()
      .map(rowLink)
      .filter(Boolean)
      .map(function (link) {
        return new window.URL(link.href, window.location.href).pathname;
      });
    try {
      window.sessionStorage.setItem(
        QUEUE_KEY,
        JSON.stringify({ url: window.location.pathname + window.location.search, cases: links })
      );
    } catch (error) {
      // Storage refused (private mode, quota): [ and ] then have no queue to follow.
    }
  }

  function storedQueue() {
    try {
      return JSON.parse(window.sessionStorage.getItem(QUEUE_KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  function moveInQueue(step) {
    const rows = queueRows().filter(rowLink);
    if (!rows.length) {
      return;
    }
    let index = rows.findIndex(function (row) {
      return row.classList.contains("sd-kb-current");
    });
    rows.forEach(function (row) {
      row.classList.remove("sd-kb-current");
    });
    index = index < 0 ? (step > 0 ? 0 : rows.length - 1) : index + step;
    index = Math.max(0, Math.min(rows.length - 1, index));
    rows[index].classList.add("sd-kb-current");
    rowLink(rows[index]).focus();
  }

  function focusSearch() {
    const box = document.getElementById("searchbar");
    if (box) {
      box.focus();
      box.select();
      return true;
    }
    return false;
  }

  function queueKey(event) {
    if (event.key === "j") {
      moveInQueue(1);
    } else if (event.key === "k") {
      moveInQueue(-1);
    } else if (event.key === "Enter") {
      const current = document.querySelector("#result_list tr.sd-kb-current");
      if (!current || document.activeElement === rowLink(current)) {
        return false; // the focused link opens the case itself
      }
      window.location.href = rowLink(current).href;
    } else if (event.key === "/") {
      return focusSearch();
    } else {
      return false;
    }
    return true;
  }

  // --- The case page.

  function chooseReply(visibility) {
    const body = document.querySelector('textarea[name="reply-body"]');
    if (!body) {
      return false;
    }
    const radio = document.querySelector(
      'input[name="reply-visibility"][value="' + visibility + '"]'
    );
    if (radio) {
      radio.checked = true;
    }
    body.focus();
    return true;
  }

  function take() {
    const form = document.querySelector('form[action$="/act/take/"]');
    if (!form) {
      announce("This case cannot be taken now.");
      return true;
    }
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
    return true;
  }

  function neighbour(step) {
    const queue = storedQueue();
    const here = window.location.pathname;
    const index = queue && queue.cases ? queue.cases.indexOf(here) : -1;
    if (index < 0) {
      announce("Open the queue first: this case is not in the list it last showed.");
      return true;
    }
    const next = queue.cases[index + step];
    if (!next) {
      announce(step > 0 ? "This is the last case of the queue." : "This is the first case.");
      return true;
    }
    window.location.href = next;
    return true;
  }

  function caseKey(event) {
    switch (event.key) {
      case "r":
        return chooseReply("public");
      case "n":
        return chooseReply("internal");
      case "t":
        return take();
      case "m": {
        const picker = document.getElementById("macro-picker");
        if (picker) {
          picker.focus();
          return true;
        }
        return false;
      }
      case "[":
        return neighbour(-1);
      case "]":
        return neighbour(1);
      case "/": {
        const queue = storedQueue();
        try {
          window.sessionStorage.setItem(SEARCH_KEY, "1");
        } catch (error) {
          // Without storage the queue opens without the cursor in its search box.
        }
        window.location.href = (queue && queue.url) || document.body.dataset.queueUrl || "../../";
        return true;
      }
      default:
        return false;
    }
  }

  function onQueue() {
    return document.body.classList.contains("change-list") && !!document.getElementById("changelist");
  }

  function onCase() {
    return document.querySelector(".sd-case") !== null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    if (typing(event.target) || document.querySelector("dialog[open]")) {
      return;
    }
    const queue = onQueue();
    const kase = onCase();
    if (!queue && !kase) {
      return;
    }
    if (event.key === "?") {
      helpDialog(queue ? QUEUE_KEYS : CASE_KEYS).showModal();
      event.preventDefault();
      return;
    }
    const handled = queue ? queueKey(event) : caseKey(event);
    if (handled) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (onQueue()) {
      rememberQueue();
      let wanted = null;
      try {
        wanted = window.sessionStorage.getItem(SEARCH_KEY);
        window.sessionStorage.removeItem(SEARCH_KEY);
      } catch (error) {
        wanted = null;
      }
      if (wanted) {
        focusSearch();
      }
    }
  });
})();
