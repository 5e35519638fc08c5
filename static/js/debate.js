// Long debates are read in pages (data-speeches-per-page speeches each, by position) and
// very long speeches in parts (data-speech-part-sentences sentences each). A link to a
// speech or sentence anchor (#s412, #s412-3, #s412-section) made before the debate was
// paged, or typed by hand, opens the page or part that holds it. Without JavaScript the
// links Chamber makes name the page or part themselves.
(function () {
  "use strict";
  var debate = document.querySelector(".debate[data-speech-part-sentences]");
  var match = /^#s(\d+)(?:-(\d+)|-section)?$/.exec(window.location.hash);
  if (!debate || !match || document.getElementById(window.location.hash.slice(1))) {
    return;
  }
  var params = new URLSearchParams(window.location.search);
  var speech = document.getElementById("s" + match[1]);
  var sentence = match[2] ? parseInt(match[2], 10) : 0;
  var target;
  if (speech && sentence) {
    // The speech is here but not that sentence: it is in another part of the speech.
    var partSize = parseInt(debate.getAttribute("data-speech-part-sentences"), 10);
    var parts = parseInt(speech.getAttribute("data-parts"), 10);
    var part = Math.floor((sentence - 1) / partSize) + 1;
    var permalink = speech.querySelector("a.permalink");
    if (!partSize || !permalink || part > parts) {
      return;  // no such sentence
    }
    params.delete("page");
    params.set("part", String(part));
    target = new URL(permalink.getAttribute("href"), window.location.href).pathname;
  } else if (!speech && debate.hasAttribute("data-speeches-per-page")) {
    var perPage = parseInt(debate.getAttribute("data-speeches-per-page"), 10);
    var wanted = Math.floor((parseInt(match[1], 10) - 1) / perPage) + 1;
    if (!perPage || String(wanted) === debate.getAttribute("data-page")) {
      return;
    }
    if (wanted > 1) {
      params.set("page", String(wanted));
    } else {
      params.delete("page");
    }
    target = window.location.pathname;
  } else {
    return;
  }
  var query = params.toString();
  if (target + "?" + query === window.location.pathname + window.location.search) {
    return;  // already there: the anchor does not exist
  }
  window.location.replace(target + (query ? "?" + query : "") + window.location.hash);
})();
