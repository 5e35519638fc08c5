// Copy buttons for citations: each [data-copy] button copies its box's text. Without the
// clipboard API the text is selected (and copied where execCommand still works), so the
// reader can press Ctrl+C; without JavaScript the buttons stay hidden and the boxes are
// plain selectable text.
(function () {
  "use strict";
  function say(button, text) {
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (status) { status.textContent = text; }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var box = document.getElementById(button.getAttribute("data-copy"));
    if (!box) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      box.focus();
      box.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(
          function () { say(button, "Copied."); },
          function () { say(button, "Selected: press Ctrl+C (⌘C) to copy."); }
        );
        return;
      }
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      say(button, copied ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.");
    });
  });
})();
