//! The server loop, with connections that a handler can close without
//! sending a response.
//!
//! [`serve`] accepts through [`ClosableListener`], whose streams end their
//! read side when their [`ConnectionCloser`] is used. hyper 1, which
//! rejects half-closed HTTP/1 connections by default, reads that as the
//! client closing the connection in the middle of a request. It then drops
//! the handler and closes the socket without writing anything. No handler
//! returns an error or panics for it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::routes::app;
use crate::state::AppState;

/// Serves the simulator on `listener` until `shutdown` resolves, then stops
/// accepting connections and waits for the requests in flight.
///
/// Compared to `axum::serve(listener, app(state))`, this lets scripted
/// steps close their connection without a response (`dropConnection`), and
/// it calls [`AppState::begin_shutdown`] when `shutdown` resolves, so
/// delayed and hung scripted requests end at once instead of holding the
/// shutdown for up to 10 minutes.
///
/// # Errors
///
/// Returns the error of axum's server loop, which never fails in axum 0.8.9.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let service = app(state.clone()).into_make_service_with_connect_info::<ConnectionCloser>();
    let signal = async move {
        shutdown.await;
        state.begin_shutdown();
    };
    axum::serve(ClosableListener::new(listener), service)
        .with_graceful_shutdown(signal)
        .await
}

/// TCP listener whose connections can be closed by their handler.
#[derive(Debug)]
pub struct ClosableListener {
    inner: TcpListener,
}

impl ClosableListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

impl Listener for ClosableListener {
    type Io = ClosableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's listener logs accept errors and retries.
        let (stream, address) = Listener::accept(&mut self.inner).await;
        let stream = ClosableStream {
            inner: stream,
            closer: ConnectionCloser::default(),
        };
        (stream, address)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// TCP stream that reads as closed by the client once its
/// [`ConnectionCloser`] is used, and fails every later write.
#[derive(Debug)]
pub struct ClosableStream {
    inner: TcpStream,
    closer: ConnectionCloser,
}

impl AsyncRead for ClosableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.closer.register_reader(context.waker()) {
            // A read that fills nothing is the end of the stream.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(context, buffer)
    }
}

impl AsyncWrite for ClosableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.closer.is_closed() {
            return Poll::Ready(Err(closed_error()));
        }
        Pin::new(&mut this.inner).poll_write(context, bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(context)
    }
}

fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection closed by a scripted step",
    )
}

/// Handle that closes one connection accepted by [`ClosableListener`].
/// Handlers get it from the `ConnectInfo` that [`serve`] adds to requests.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCloser {
    state: Arc<Mutex<CloserState>>,
}

#[derive(Debug, Default)]
struct CloserState {
    closed: bool,
    /// Waker of the connection's last pending read, woken on close so that
    /// hyper reads the end of the stream at once.
    reader: Option<Waker>,
}

impl ConnectionCloser {
    /// Closes the connection. hyper then drops the request being handled
    /// and sends nothing more.
    ///
    /// NOTE: hyper looks for the end of the stream only while no unread
    /// request bytes are buffered, so a client that pipelines a second
    /// request on this connection keeps it open until a write fails. Over
    /// HTTP/2, closing ends every stream of the connection.
    pub fn close(&self) {
        let reader = {
            let mut state = self.lock();
            state.closed = true;
            state.reader.take()
        };
        if let Some(waker) = reader {
            waker.wake();
        }
    }

    /// Returns whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Stores the waker of a read about to be polled and returns whether
    /// the connection is closed. Checking under the same lock as `close`
    /// means a close is either seen here or wakes this waker.
    fn register_reader(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if state.closed {
            return true;
        }
        match &state.reader {
            Some(stored) if stored.will_wake(waker) => {}
            _ => state.reader = Some(waker.clone()),
        }
        false
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CloserState> {
        // The state is a flag and a waker that no panic can leave
        // half-written, so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Connected<IncomingStream<'_, ClosableListener>> for ConnectionCloser {
    fn connect_info(stream: IncomingStream<'_, ClosableListener>) -> Self {
        stream.io().closer.clone()
    }
}

/// The request's [`ConnectionCloser`], or `None` when the router runs
/// outside [`serve`], such as under `axum::serve` or in `oneshot` tests.
pub(crate) struct OptionalCloser(pub Option<ConnectionCloser>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalCloser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let closer = parts
            .extensions
            .get::<ConnectInfo<ConnectionCloser>>()
            .map(|ConnectInfo(closer)| closer.clone());
        Ok(Self(closer))
    }
}
