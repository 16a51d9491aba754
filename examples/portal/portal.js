// The portal's script: finds or creates two tasks on the simulator, starts
// the widgets and logs their events. `?shared=ID&other=ID` picks the tasks.
import { ready, mount } from "../pkg/index.js";

const log = document.getElementById("event-log");
for (const name of ["task-status-change", "task-status-end", "task-status-error"]) {
  document.addEventListener(name, (event) => {
    const widget = event.target.closest("[data-widget]")?.dataset.widget ?? "unknown";
    const detail = event.detail;
    const entry = document.createElement("li");
    entry.dataset.event = name;
    entry.dataset.widget = widget;
    entry.dataset.status = detail.status ?? "";
    entry.textContent = `${widget}: ${name} ${detail.status ?? ""} ${detail.percent ?? "–"}%`;
    log.append(entry);
  });
}

async function simulatorTask(body) {
  const response = await fetch("/sim/tasks", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()).taskId;
}

async function simulatorKey() {
  const response = await fetch("/sim/tasks");
  return response.ok ? (await response.json()).apiKey : undefined;
}

const params = new URLSearchParams(location.search);
const shared = params.get("shared") ?? (await simulatorTask({ nbItems: 40, pendingMs: 2000, itemsPerSecond: 2 }));
const other = params.get("other") ?? (await simulatorTask({ nbItems: 30, pendingMs: 1000, itemsPerSecond: 3 }));
// NOTE: a real portal leaves the key out and lets its same-origin proxy add it;
// the simulator's demo key stands in for that here.
const apiKey = await simulatorKey();

await ready;
for (const element of document.querySelectorAll("task-status")) {
  element.apiKey = apiKey;
  element.setAttribute("task-id", shared);
}

const handle = await mount(document.getElementById("mounted"), { taskId: other, apiKey });
handle.element.dataset.widget = "mounted";
window.portal = { shared, other, handle };
