/* Fund-flow diagram interaction: hover, focus or select a box to highlight the money flowing
   through it. The diagram and its table read fine without this script. */
(function () {
  "use strict";
  var svg = document.getElementById("flow");
  if (!svg) return;
  var nodes = Array.prototype.slice.call(svg.querySelectorAll(".flow-node"));
  var links = Array.prototype.slice.call(svg.querySelectorAll(".flow-link"));
  var pinned = null;
  svg.setAttribute("role", "group");  // its boxes become buttons: no longer a flat image

  function connected(id) {
    // every link upstream and downstream of the node
    var on = {}, seen = {};
    function walk(nodeId, dir) {
      links.forEach(function (l, i) {
        var from = l.getAttribute("data-from"), to = l.getAttribute("data-to");
        var hit = dir === "down" ? from === nodeId : to === nodeId;
        if (hit && !on[i]) {
          on[i] = true;
          var next = dir === "down" ? to : from;
          if (!seen[next + dir]) { seen[next + dir] = true; walk(next, dir); }
        }
      });
    }
    walk(id, "down");
    walk(id, "up");
    return on;
  }

  function show(id) {
    if (!id) {
      svg.classList.remove("focused");
      return;
    }
    var on = connected(id), names = {};
    names[id] = true;
    links.forEach(function (l, i) {
      l.classList.toggle("on", !!on[i]);
      if (on[i]) { names[l.getAttribute("data-from")] = true; names[l.getAttribute("data-to")] = true; }
    });
    nodes.forEach(function (n) { n.classList.toggle("on", !!names[n.getAttribute("data-node")]); });
    svg.classList.add("focused");
  }

  nodes.forEach(function (n) {
    var id = n.getAttribute("data-node");
    n.setAttribute("tabindex", "0");
    n.setAttribute("role", "button");
    n.setAttribute("aria-pressed", "false");
    // its name is the text it shows (the wrapped label and the amount); the full name stays in
    // its <title>, which then describes it
    var shown = Array.prototype.map.call(n.querySelectorAll("text"), function (t) {
      return t.textContent.replace(/\s+/g, " ").trim();
    }).join(" ");
    if (shown) n.setAttribute("aria-label", shown);
    n.addEventListener("mouseenter", function () { if (!pinned) show(id); });
    n.addEventListener("mouseleave", function () { if (!pinned) show(null); });
    n.addEventListener("focus", function () { if (!pinned) show(id); });
    n.addEventListener("blur", function () { if (!pinned) show(null); });
    function toggle() {
      pinned = pinned === id ? null : id;
      nodes.forEach(function (m) { m.setAttribute("aria-pressed", String(m === n && pinned === id)); });
      show(pinned || id);
    }
    n.addEventListener("click", toggle);
    n.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); }
      if (e.key === "Escape") { pinned = null; show(null); }
    });
  });
})();
