//! A real server on a loopback port, reached over a plain TCP socket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use task_status_server::{app, AppState, Config, SystemClock, DEMO_LIVE_TASK_ID};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Sends `request` as is and returns the whole response text.
fn exchange(address: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout is set");
    stream
        .write_all(request.as_bytes())
        .expect("request is sent");

    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("response is read");
    response
}

#[tokio::test]
async fn tcp_server_answers_task_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port binds");
    let address = listener.local_addr().expect("address is known");
    let router = app(AppState::new(Config::default(), Arc::new(SystemClock)));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let task_request = format!(
        "GET /v1/enterprise/task/{DEMO_LIVE_TASK_ID} HTTP/1.1\r\n\
         Host: {address}\r\n\
         x-dq-enterprise-api-key: demo-key\r\n\
         Connection: close\r\n\r\n"
    );
    let dot_request = format!(
        "GET /v1/enterprise/task/../../admin HTTP/1.1\r\n\
         Host: {address}\r\n\
         Connection: close\r\n\r\n"
    );
    let (task_response, dot_response) = tokio::task::spawn_blocking(move || {
        (
            exchange(address, &task_request),
            exchange(address, &dot_request),
        )
    })
    .await
    .expect("client thread ends");
    let _ = stop.send(());
    let served = server.await.expect("server task ends");

    assert!(
        task_response.starts_with("HTTP/1.1 200 OK\r\n"),
        "{task_response}"
    );
    assert!(task_response.contains(&format!("\"taskId\":\"{DEMO_LIVE_TASK_ID}\"")));
    assert!(
        dot_response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{dot_response}"
    );
    assert!(dot_response.contains("\"error\":\"not_found\""));
    assert!(served.is_ok());
}
