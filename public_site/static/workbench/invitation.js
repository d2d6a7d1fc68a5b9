/* The invitation code travels in the link's fragment (#code=…), never sent to the server in a
 * URL; this puts it into the form. */
(function () {
  "use strict";
  var m = /(?:^#|&)code=([A-Za-z0-9_-]+)/.exec(location.hash || "");
  var input = document.getElementById("code");
  if (m && input && !input.value) input.value = m[1];
})();
