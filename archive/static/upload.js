// Upload with a progress bar and a result line per file; the plain form works without it.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("file");
  var zone = document.getElementById("drop-zone");
  var count = document.getElementById("file-count");
  var progress = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var list = document.getElementById("upload-results");
  var title = document.getElementById("results-title");
  var messages = JSON.parse(form.getAttribute("data-messages") || "{}");

  function showCount() {
    var n = input.files.length;
    count.textContent = n ? (messages.files_chosen || "Files chosen:") + " " + n : "";
  }

  input.addEventListener("change", showCount);
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    input.files = event.dataTransfer.files;
    showCount();
  });

  function line(result) {
    var item = document.createElement("li");
    item.className = "outcome-" + result.outcome;
    var name = document.createElement("strong");
    name.textContent = result.filename;
    item.appendChild(name);
    var outcome = messages["outcome_" + result.outcome] || result.outcome;
    item.appendChild(document.createTextNode(": " + outcome + " — "));
    if (result.document_id) {
      var link = document.createElement("a");
      link.href = "/staff/documents/" + result.document_id + "/edit";
      link.textContent = result.message;
      item.appendChild(link);
    } else {
      item.appendChild(document.createTextNode(result.message));
    }
    return item;
  }

  function showError(text) {
    var item = document.createElement("li");
    item.className = "outcome-refused";
    item.textContent = text;
    list.appendChild(item);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    progress.hidden = false;
    progress.value = 0;
    list.textContent = "";
    title.hidden = false;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        progress.value = Math.round((e.loaded / e.total) * 100);
        percent.textContent = (messages.uploaded || "Uploaded:") + " " + progress.value + "%";
      }
    });
    request.addEventListener("load", function () {
      percent.textContent = messages.upload_finished || "Upload finished.";
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
      if (body && body.results) {
        body.results.forEach(function (r) { list.appendChild(line(r)); });
      } else if (body && body.error) {
        showError(body.error.message);
      } else {
        showError((messages.upload_failed || "The upload failed (HTTP status {status}).")
          .replace("{status}", String(request.status)));
      }
    });
    request.addEventListener("error", function () {
      showError(messages.no_answer || "The upload failed: no answer from the server.");
    });
    request.send(new FormData(form));
  });
})();
