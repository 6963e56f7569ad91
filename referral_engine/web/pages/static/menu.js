// The phone menu: below 700 px the navigation folds behind a "Menu" button.
// Without JavaScript the navigation simply stays open (the page still works).
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  if (!header) return;
  var toggle = header.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!toggle || !menu) return;
  header.classList.add("foldable");
  toggle.hidden = false;
  function setOpen(open) {
    header.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("open")) {
      setOpen(false);
      toggle.focus();
    }
  });
})();
