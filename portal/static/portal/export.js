// The export page's "select all" box (portal/templates/admin/import_export/export.html): the
// library wires it with an inline change handler, which the Content Security Policy refuses;
// its own function (onSelectToggleChange, export_selectable_fields.js) is attached here.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("input.select-toggle");
  if (toggle && typeof onSelectToggleChange === "function") {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
