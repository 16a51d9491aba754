// Entry point of the task status widget package: loads the wasm module that
// sits next to this file, then registers the <task-status> element.
import init, { defineElement, mount as mountNow } from "./task_status_widget.js";

const wasmUrl = new URL("./task_status_widget_bg.wasm", import.meta.url);

/** Resolves once the module is loaded and <task-status> is defined. */
export const ready = init({ module_or_path: wasmUrl }).then(() => {
  defineElement();
});

/**
 * Mounts a widget at the end of `parent` once the module is ready and
 * resolves with its handle: `update(options)`, `refresh()`, `unmount()`.
 */
export async function mount(parent, options) {
  await ready;
  return mountNow(parent, options);
}
