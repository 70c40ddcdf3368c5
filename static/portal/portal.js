// harborpy portal: copy-to-clipboard buttons for pull commands. Without JavaScript the buttons stay
// hidden and the commands can be selected by hand.
(function () {
  "use strict";
  var status = null;

  function announce(text) {
    if (!status) {
      status = document.createElement("p");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
    status.textContent = text;
  }

  function copyWithSelection(text) {
    // For pages served over plain HTTP, where browsers keep the Clipboard API from scripts.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    document.body.removeChild(area);
    return done;
  }

  function selectCode(button) {
    var code = button.parentNode.querySelector("code");
    if (code && window.getSelection) {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  function copied(button, text) {
    var label = document.body.dataset.copiedLabel || "Copied";
    var original = button.dataset.label || button.firstChild.textContent;
    button.dataset.label = original;
    button.firstChild.textContent = label;
    button.classList.add("copied");
    announce(label + ": " + text);
    document.dispatchEvent(new CustomEvent("harborpy:copied", { detail: text }));
    window.setTimeout(function () {
      button.firstChild.textContent = original;
      button.classList.remove("copied");
    }, 2000);
  }

  function failed(button) {
    selectCode(button);
    announce(document.body.dataset.copyFailedLabel || "Press Ctrl+C to copy");
  }

  function copy(button) {
    var text = button.dataset.copy;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(button, text); },
        function () { if (copyWithSelection(text)) { copied(button, text); } else { failed(button); } }
      );
    } else if (copyWithSelection(text)) {
      copied(button, text);
    } else {
      failed(button);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button.copy[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
