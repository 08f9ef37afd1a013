// The clerk's page: every call is the documented API with the key from sign-in (kept in this
// tab's sessionStorage only). Text from the server is set with textContent, never as HTML.
"use strict";

const $ = (selector) => document.querySelector(selector);
let key = sessionStorage.getItem("payeeflow-key") || "";

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...(options.headers || {}), "X-API-Key": key } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    } catch (_) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function facts(list, pairs) {
  list.replaceChildren();
  for (const [label, value] of pairs) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value ?? "—";
    list.append(dt, dd);
  }
}

// Sign-in: a key is good when it may read.
async function signIn(candidate) {
  key = candidate;
  try {
    await api("/payees?limit=1");
  } catch (error) {
    key = "";
    sessionStorage.removeItem("payeeflow-key");
    $("#sign-in-error").textContent = `That key was refused (${error.message}).`;
    return;
  }
  sessionStorage.setItem("payeeflow-key", key);
  $("#sign-in").hidden = true;
  $("#work").hidden = false;
  $("#sign-out").hidden = false;
  $("#who").textContent = `key ${key.split("_")[1]}`;
}

$("#sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("#key").value.trim());
});
$("#sign-out").addEventListener("click", () => {
  sessionStorage.removeItem("payeeflow-key");
  location.reload();
});

for (const button of document.querySelectorAll("nav button")) {
  button.addEventListener("click", () => {
    for (const other of document.querySelectorAll("nav button")) other.classList.toggle("active", other === button);
    for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== button.dataset.tab;
    if (button.dataset.tab === "review") loadQueue();
  });
}

// Upload, then follow the batch until every payee has its outcome.
let following = null;

$("#upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("#file").files[0];
  $("#upload-error").textContent = "";
  const type = /\.(jsonl|ndjson)$/i.test(file.name) ? "application/x-ndjson"
    : /\.xlsx$/i.test(file.name) ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    : "text/csv";
  try {
    const response = await api(`/batches?source=${encodeURIComponent(file.name)}`, {
      method: "POST",
      headers: { "Content-Type": type },
      body: file,
    });
    const accepted = await response.json();
    follow(accepted.batch_id);
  } catch (error) {
    $("#upload-error").textContent = error.message;
  }
});

function follow(batchId) {
  clearInterval(following);
  $("#batch").hidden = false;
  $("#download").hidden = true;
  $("#batch-id").textContent = batchId;
  const poll = async () => {
    let status;
    try {
      status = await (await api(`/batches/${encodeURIComponent(batchId)}`)).json();
    } catch (error) {
      $("#batch-status").textContent = error.message;
      return;
    }
    $("#batch-status").textContent = status.status;
    const done = (status.stored || 0) + (status.dead_lettered || 0);
    $("#batch-progress").max = status.total || 1;
    $("#batch-progress").value = status.total ? done : 0;
    facts($("#batch-counts"), [
      ["file", status.source],
      ["payees", status.total],
      ["stored", status.stored],
      ["dead-lettered", status.dead_lettered],
      ["pending", status.pending],
      ["by type", JSON.stringify(status.by_payee_type)],
      ["by match", JSON.stringify(status.by_match_type)],
      ["error", status.error],
    ]);
    if (status.status.startsWith("complete") || status.status === "failed") {
      clearInterval(following);
      $("#download").hidden = status.status === "failed";
      $("#download").onclick = () => download(batchId);
    }
  };
  poll();
  following = setInterval(poll, 1000);
}

async function download(batchId) {
  const blob = await (await api(`/batches/${encodeURIComponent(batchId)}/results.csv`)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${batchId}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

// The supplier a review asks a clerk to confirm: the best candidate, with how sure the model is.
function toConfirm(payee) {
  const first = payee.match_candidates.find((c) => c.supplier_id === payee.candidate_id);
  return first ? `${first.supplier_name}? (${first.probability.toFixed(2)})` : "";
}

// Search and the review queue: the same table of payees, one row opens the payee.
function fill(table, items) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const payee of items) {
    const row = body.insertRow();
    row.dataset.payeeId = payee.payee_id;
    cell(row, payee.payee_id);
    cell(row, payee.name);
    cell(row, payee.payee_type);
    cell(row, payee.confidence.toFixed(2));
    cell(row, payee.supplier_name || toConfirm(payee));
    cell(row, payee.match_type);
    cell(row, payee.review_reason, "flag");
    row.addEventListener("click", () => open(payee.payee_id));
  }
}

$("#search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ limit: "50" });
  if ($("#search-name").value.trim()) params.set("name", $("#search-name").value.trim());
  if ($("#search-type").value) params.set("payee_type", $("#search-type").value);
  const page = await (await api(`/payees?${params}`)).json();
  fill($("#results"), page.items);
});

async function loadQueue() {
  const page = await (await api("/payees?needs_review=true&limit=100")).json();
  fill($("#queue"), page.items);
}

async function open(payeeId) {
  const payee = await (await api(`/payees/${encodeURIComponent(payeeId)}`)).json();
  $("#payee-name").textContent = payee.name;
  facts($("#payee-facts"), [
    ["payee id", payee.payee_id],
    ["batch", payee.batch_id],
    ["address", [payee.address, payee.city, payee.state, payee.zip].filter(Boolean).join(", ")],
    ["excluded", payee.excluded ? `yes (${payee.exclusion_category}: ${payee.exclusion_keyword})` : "no"],
    ["type", `${payee.payee_type} (${payee.confidence.toFixed(2)})`],
    ["why", payee.reason],
    ["SIC", payee.sic_code ? `${payee.sic_code} ${payee.sic_description}` : null],
    ["supplier", payee.supplier_id ? `${payee.supplier_name} (${payee.supplier_id})` : null],
    ["to confirm", payee.candidate_id ? `${toConfirm(payee)} ${payee.candidate_id}` : null],
    ["match", `${payee.match_type}${payee.match_score != null ? ` ${payee.match_score}` : ""}`],
    ["standard address", [payee.address_line, payee.address_city, payee.address_state, payee.address_zip]
      .filter(Boolean).join(", ")],
    ["address status", payee.address_status],
    ["cards", payee.card_acceptance],
    ["pay by", payee.payment_method],
    ["review", payee.needs_review ? payee.review_reason : "no"],
    ["corrected", payee.correction
      ? `by ${payee.correction.reviewer} at ${payee.correction.corrected_at}${payee.correction.note ? `: ${payee.correction.note}` : ""}`
      : null],
  ]);
  const body = $("#candidates").tBodies[0];
  body.replaceChildren();
  for (const candidate of payee.match_candidates) {
    const row = body.insertRow();
    cell(row, candidate.supplier_id);
    cell(row, candidate.supplier_name);
    cell(row, (candidate.probability ?? candidate.score / 100).toFixed(2));
    cell(row, candidate.evidence.join("; "));
  }
  showCorrection(payee);
  $("#payee").hidden = false;
}

// Corrections (a key with the review scope): a type, a supplier of the candidates, or none.
let correcting = null;

function showCorrection(payee) {
  correcting = payee.payee_id;
  const suppliers = $("#correct-supplier");
  suppliers.replaceChildren(new Option("keep", ""), new Option("not a supplier", "none"));
  for (const candidate of payee.match_candidates) {
    suppliers.append(new Option(`${candidate.supplier_name} (${candidate.supplier_id})`, candidate.supplier_id));
  }
  $("#correct-type").value = "";
  $("#correct-note").value = "";
  $("#correct-status").textContent = "";
  $("#correct-status").className = "";
  $("#withdraw").hidden = !payee.correction;
}

async function saveCorrection(method, body) {
  const payeeId = correcting;
  const status = $("#correct-status");
  try {
    await api(`/payees/${encodeURIComponent(payeeId)}/correction`, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
    return;
  }
  status.className = "";
  status.textContent = method === "POST" ? "Saved." : "Withdrawn.";
  // the sink gives the stored row the answer within a moment: show it, and the queue without it
  setTimeout(async () => {
    if (correcting === payeeId) await open(payeeId);
    $("#correct-status").textContent = method === "POST" ? "Saved." : "Withdrawn.";
    if (!$("#review").hidden) loadQueue();
  }, 1500);
}

$("#correct-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = {};
  if ($("#correct-type").value) body.payee_type = $("#correct-type").value;
  const supplier = $("#correct-supplier").value;
  if (supplier === "none") body.not_supplier = true;
  else if (supplier) body.supplier_id = supplier;
  if ($("#correct-note").value.trim()) body.note = $("#correct-note").value.trim();
  if (!body.payee_type && !body.supplier_id && !body.not_supplier) {
    $("#correct-status").className = "error";
    $("#correct-status").textContent = "Choose a type or a supplier first.";
    return;
  }
  saveCorrection("POST", body);
});
$("#withdraw").addEventListener("click", () => saveCorrection("DELETE", null));

$("#close-payee").addEventListener("click", () => { $("#payee").hidden = true; });

if (key) signIn(key);
