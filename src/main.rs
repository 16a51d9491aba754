//! The standalone page built by Trunk: it only mounts the app from the library.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(task_status_widget::web::page::App);
}
