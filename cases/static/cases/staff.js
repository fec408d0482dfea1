// The case page fetches an action's form when its button is opened, so the page itself
// renders fast; without script, the button's link opens the form on a page of its own.
(function () {
  "use strict";

  function load(details) {
    if (!details.open || !details.dataset.src || details.dataset.loaded) {
      return;
    }
    details.dataset.loaded = "1";
    const body = details.querySelector(".sd-action-body");
    fetch(details.dataset.src, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        body.innerHTML = html;
        const first = body.querySelector("textarea, select, input:not([type=hidden])");
        if (first) {
          first.focus();
        }
      })
      .catch(function () {
        details.dataset.loaded = "";
      });
  }

  // "toggle" does not bubble; listen in the capture phase for every details element.
  document.addEventListener(
    "toggle",
    function (event) {
      if (event.target instanceof HTMLDetailsElement) {
        load(event.target);
      }
    },
    true
  );

  // Collision: while the reply box has input, tell the page's presence endpoint that this
  // engineer is typing, at most every TYPING_PING_MS (the colleagues' pages poll it).
  const TYPING_PING_MS = 5000;
  let lastTypingPing = 0;

  function pingTyping(presence, form) {
    const now = Date.now();
    if (now - lastTypingPing < TYPING_PING_MS) {
      return;
    }
    lastTypingPing = now;
    const token = form.querySelector("input[name=csrfmiddlewaretoken]");
    const body = new URLSearchParams({ typing: "1" });
    fetch(presence.dataset.typingUrl, {
      method: "POST",
      headers: {
        "X-CSRFToken": token ? token.value : "",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      credentials: "same-origin",
      body: body.toString(),
    }).catch(function () {
      lastTypingPing = 0;
    });
  }

  document.addEventListener("input", function (event) {
    const presence = document.getElementById("sd-presence");
    const target = event.target;
    if (!presence || !presence.dataset.typingUrl || !(target instanceof HTMLTextAreaElement)) {
      return;
    }
    const form = target.closest("#action-reply form");
    if (form && target.value.trim() !== "") {
      pingTyping(presence, form);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash.indexOf("#action-") === 0) {
      const details = document.getElementById(window.location.hash.slice(1));
      if (details instanceof HTMLDetailsElement) {
        details.open = true;
      }
    }
  });
})();
