// The queue's drop-down filters reload the list with the chosen value, keeping the
// other filters and going back to the first page. Kept out of the template so the
// Content-Security-Policy can refuse inline script.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches || !select.matches("select.queue-filter-select")) {
      return;
    }
    const url = new window.URL(window.location.href);
    url.searchParams.delete("p");
    if (select.value) {
      url.searchParams.set(select.dataset.param, select.value);
    } else {
      url.searchParams.delete(select.dataset.param);
    }
    window.location.href = url.toString();
  });
})();
