// A debate is read in pages (Debate.SPEECHES_PER_PAGE speeches each, by position). A link
// to a speech or sentence anchor (#s412, #s412-3, #s412-section) made before the debate was
// paged, or typed by hand, opens the page that holds it. Without JavaScript the speech's
// permalink page links to the right page.
(function () {
  "use strict";
  var debate = document.querySelector(".debate[data-speeches-per-page]");
  var match = /^#s(\d+)(-\d+|-section)?$/.exec(window.location.hash);
  if (!debate || !match || document.getElementById(window.location.hash.slice(1))) {
    return;
  }
  var perPage = parseInt(debate.getAttribute("data-speeches-per-page"), 10);
  var current = parseInt(debate.getAttribute("data-page"), 10);
  var wanted = Math.floor((parseInt(match[1], 10) - 1) / perPage) + 1;
  if (!perPage || wanted === current) {
    return;
  }
  var params = new URLSearchParams(window.location.search);
  if (wanted > 1) {
    params.set("page", String(wanted));
  } else {
    params.delete("page");
  }
  var query = params.toString();
  window.location.replace(window.location.pathname + (query ? "?" + query : "") + window.location.hash);
})();
