// Member suggestions in the search boxes ([data-speaker-suggestions], the URL of
// search.suggestions.speakers). While the word at the caret starts with `speaker:` and two
// letters of a name, a list of members opens under the box: an ARIA 1.2 combobox with a
// listbox popup. Down and Up move through it, Enter or Tab accepts (Tab then moves on; the word becomes
// speaker:"Full Name", as the query language reads a name), Escape closes it, a click
// chooses, and a polite status says how many were suggested. Without JavaScript the box is
// the plain search field it always was.
(function () {
  "use strict";
  var DEBOUNCE_MS = 200;
  var MAX_PREFIX = 60; // as the server allows (search.suggestions.MAX_PREFIX)
  // The word ending at the caret: `speaker:` (at the start, after a space, or after the
  // minus that excludes), then an open quoted name or a bare word.
  var TOKEN = /(^|\s)(-?)speaker:("[^"]*|[^\s"]*)$/i;
  var LETTERS = /[^\W\d_]{2}/;

  function tokenAt(input) {
    var value = input.value;
    var caret = input.selectionStart;
    if (caret === null || caret !== input.selectionEnd) { return null; }
    var match = TOKEN.exec(value.slice(0, caret));
    if (!match) { return null; }
    var typed = match[3];
    var quoted = typed.charAt(0) === "\"";
    var prefix = (quoted ? typed.slice(1) : typed).trim();
    // The rest of the word after the caret is replaced too: to the closing quote of a
    // quoted name, else to the next space.
    var rest = value.slice(caret);
    var close = quoted ? rest.indexOf("\"") : -1;
    var end = quoted && close >= 0 ? caret + close + 1 : caret + rest.search(/\s|$/);
    return {
      start: match.index + match[1].length,
      end: end,
      negated: match[2],
      prefix: prefix
    };
  }

  function askable(token) {
    return token && token.prefix.length <= MAX_PREFIX && LETTERS.test(token.prefix);
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function enhance(input, number) {
    var url = input.getAttribute("data-speaker-suggestions");
    var listId = (input.id || "search-box-" + number) + "-speakers";
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var members = [];
    var active = -1;
    var timer = null;
    var pending = null; // the request in flight (an AbortController)

    list.id = listId;
    list.className = "speaker-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested members");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status"); // polite: announced when the typing pauses
    input.parentNode.classList.add("speaker-suggestions-host");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off"); // the browser's own list would cover ours

    function cancel() {
      window.clearTimeout(timer);
      timer = null;
      if (pending) { pending.abort(); pending = null; }
    }

    function close() {
      cancel();
      members = [];
      activate(-1);
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
    }

    function activate(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, n) {
        option.setAttribute("aria-selected", n === index ? "true" : "false");
      });
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      var option = list.children[index];
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }

    function show(found) {
      members = found;
      list.textContent = "";
      found.forEach(function (member, n) {
        var option = document.createElement("li");
        var name = document.createElement("span");
        var pause = document.createElement("span");
        var details = document.createElement("span");
        option.id = listId + "-" + n;
        option.className = "speaker-suggestions__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        name.className = "speaker-suggestions__name";
        name.textContent = member.name;
        pause.className = "visually-hidden";
        pause.textContent = ", "; // read as two phrases; seen as two lines
        details.className = "speaker-suggestions__details";
        details.textContent = [
          member.party,
          member.constituency,
          plural(member.speeches, "speech", "speeches")
        ].filter(Boolean).join(" · ");
        option.append(name, pause, details);
        list.append(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      if (!list.hidden) {
        // Under the box, wherever the form's layout put it (CSSOM, allowed by the CSP).
        list.style.left = input.offsetLeft + "px";
        list.style.top = input.offsetTop + input.offsetHeight + "px";
        list.style.minWidth = input.offsetWidth + "px";
      }
      status.textContent = found.length
        ? plural(found.length, "member", "members") + " suggested"
        : "No members suggested";
    }

    function ask(token) {
      cancel();
      var controller = new AbortController();
      pending = controller;
      fetch(url + "?q=" + encodeURIComponent(token.prefix), {
        signal: controller.signal,
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (pending !== controller) { return; } // a newer request has been made
          pending = null;
          if (body) { show(body.members); } else { close(); }
        })
        .catch(function (error) {
          if (error.name !== "AbortError" && pending === controller) { close(); }
        });
    }

    function update(now) {
      var token = tokenAt(input);
      if (!askable(token)) { close(); return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { ask(token); }, now ? 0 : DEBOUNCE_MS);
    }

    function accept(index) {
      var member = members[index];
      var token = tokenAt(input);
      if (!member || !token) { close(); return; }
      var value = input.value;
      var after = value.slice(token.end);
      var chosen = token.negated + member.query + (/^\s/.test(after) ? "" : " ");
      input.value = value.slice(0, token.start) + chosen + after;
      var caret = token.start + chosen.length + (/^\s/.test(after) ? 1 : 0);
      input.setSelectionRange(caret, caret);
      close();
      status.textContent = member.name + " chosen";
    }

    input.addEventListener("input", function () { update(false); });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (event.isComposing) { return; }
      var open = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
          if (open) {
            event.preventDefault();
            activate((active + 1) % members.length);
          } else if (askable(tokenAt(input))) {
            event.preventDefault();
            update(true);
          }
          break;
        case "ArrowUp":
          if (open) {
            event.preventDefault();
            activate(active <= 0 ? members.length - 1 : active - 1);
          }
          break;
        case "Enter":
          // With no member chosen, Enter searches as it always did.
          if (open && active >= 0) {
            event.preventDefault();
            accept(active);
          } else {
            close();
          }
          break;
        case "Tab":
          if (open && active >= 0 && !event.shiftKey) {
            accept(active); // and focus moves on, as the ARIA combobox pattern has it
          } else {
            close();
          }
          break;
        case "Escape":
          if (open || pending || timer) {
            event.preventDefault(); // a search box would clear itself
            close();
          }
          break;
      }
    });
    // A press on the list keeps the caret in the box; the click then chooses.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        accept(Array.prototype.indexOf.call(list.children, option));
        input.focus();
      }
    });
  }

  if (!("fetch" in window && "AbortController" in window)) { return; }
  document.querySelectorAll("input[data-speaker-suggestions]").forEach(enhance);
})();
