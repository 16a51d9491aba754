import type { TaskStatusHandle, TaskStatusOptions } from "./task_status_widget.js";

export type {
  TaskStatusDetail,
  TaskStatusElement,
  TaskStatusHandle,
  TaskStatusOptions,
} from "./task_status_widget.js";

/** Resolves once the module is loaded and <task-status> is defined. */
export declare const ready: Promise<void>;

/** Mounts a widget at the end of `parent` once the module is ready. */
export declare function mount(
  parent: HTMLElement,
  options: TaskStatusOptions,
): Promise<TaskStatusHandle>;
