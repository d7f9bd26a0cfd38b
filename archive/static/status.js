// Live text status: while a file's text is pending, ask the API every two seconds.
(function () {
  "use strict";
  var table = document.querySelector("[data-status-url]");
  if (!table) { return; }
  var url = table.getAttribute("data-status-url");
  var messages = JSON.parse(table.getAttribute("data-messages") || "{}");

  function label(file) {
    var text = messages["status_" + file.text_status] || file.text_status.replace("_", " ");
    return file.text_reason ? text + ": " + file.text_reason : text;
  }

  function update(doc) {
    var pending = false;
    doc.files.forEach(function (file) {
      var row = table.querySelector('[data-file-id="' + file.id + '"]');
      if (!row) { return; }
      var cell = row.querySelector(".text-status");
      cell.textContent = label(file);
      cell.className = "text-status status-" + file.text_status;
      row.querySelector(".page-count").textContent = file.page_count || "";
      if (file.text_status === "pending") { pending = true; }
    });
    if (pending) { window.setTimeout(poll, 2000); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(update)
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
