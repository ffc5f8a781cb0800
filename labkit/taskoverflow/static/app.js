// TaskOverflow page: plain JS against api/v1. User text only ever goes through textContent.
// Every URL is relative to the page, so it works at / and behind a proxy prefix such as
// JupyterHub's /user/NAME/proxy/6400/ (jupyter-server-proxy).
"use strict";

const API = "api/v1";
const $ = (id) => document.getElementById(id);

function say(text, isError = false) {
  const message = $("message");
  message.textContent = text;
  message.className = isError ? "error" : "";
}

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    throw new Error((data && data.error) || `HTTP ${response.status}`);
  }
  return data;
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  return td;
}

function row(todo) {
  const tr = document.createElement("tr");
  tr.dataset.id = todo.id;
  if (todo.completed) tr.classList.add("done");

  const doneCell = document.createElement("td");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = todo.completed;
  box.className = "complete";
  box.setAttribute("aria-label", "completed");
  box.addEventListener("change", () => update(todo.id, { completed: box.checked }));
  doneCell.appendChild(box);
  tr.appendChild(doneCell);

  const title = cell(todo.title);
  title.className = "title";
  tr.appendChild(title);
  tr.appendChild(cell(todo.description));
  tr.appendChild(cell(todo.deadline_at ? todo.deadline_at.replace("T", " ") : ""));

  const actions = document.createElement("td");
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "delete";
  remove.textContent = "Delete";
  remove.addEventListener("click", () => removeTodo(todo.id));
  actions.appendChild(remove);
  tr.appendChild(actions);
  return tr;
}

async function refresh() {
  const todos = await call("GET", "/todos");
  const body = $("todos").querySelector("tbody");
  body.replaceChildren(...todos.map(row));
  $("empty").hidden = todos.length > 0;
}

async function update(id, fields) {
  try {
    await call("PUT", `/todos/${id}`, fields);
    await refresh();
  } catch (error) {
    say(error.message, true);
  }
}

async function removeTodo(id) {
  try {
    await call("DELETE", `/todos/${id}`);
    await refresh();
    say("Deleted.");
  } catch (error) {
    say(error.message, true);
  }
}

$("new-todo").addEventListener("submit", async (event) => {
  event.preventDefault();
  const todo = { title: $("title").value };
  const description = $("description").value.trim();
  if (description) todo.description = description;
  if ($("deadline").value) todo.deadline_at = $("deadline").value;
  try {
    await call("POST", "/todos", todo);
    event.target.reset();
    say("Added.");
    await refresh();
  } catch (error) {
    say(error.message, true);
  }
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

$("export").addEventListener("click", async () => {
  const button = $("export");
  const progress = $("progress");
  const status = $("job-status");
  const link = $("download");
  button.disabled = true;
  link.hidden = true;
  progress.hidden = false;
  progress.value = 0;
  try {
    const job = await call("POST", "/todos/ical");
    for (;;) {
      const state = await call("GET", `/todos/ical/${job.task_id}/status`);
      status.textContent = state.task_status;
      progress.value = state.progress || 0;
      if (state.task_status === "SUCCESS") break;
      if (state.task_status === "FAILURE") throw new Error(state.error || "calendar job failed");
      await sleep(250);
    }
    const response = await fetch(`${API}/todos/ical/${job.task_id}/result`);
    if (!response.ok) throw new Error(`calendar download failed (HTTP ${response.status})`);
    const blob = await response.blob();
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.hidden = false;
    link.click();
    say("Calendar ready.");
  } catch (error) {
    status.textContent = "FAILED";
    say(error.message, true);
  } finally {
    button.disabled = false;
  }
});

refresh().catch((error) => say(error.message, true));
