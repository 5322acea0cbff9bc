//! A TCP proxy in front of a server that a test can cut and restore, to play a broker (or
//! any server) that goes down and comes back without touching the real one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards every connection to `target` until cut.
pub struct TcpProxy {
    pub port: u16,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl TcpProxy {
    /// Listens on a free local port and forwards to `target` (`host:port`).
    pub async fn start(target: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy listens");
        let port = listener.local_addr().expect("a local address").port();
        let proxy = TcpProxy { port, target, tasks: Arc::default(), acceptor: Mutex::new(None) };
        proxy.serve(listener);
        proxy
    }

    /// The proxy's address in place of the host and port of `url` (e.g. an `amqp://` URL).
    pub fn url_for(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).expect("a URL");
        parsed.set_host(Some("127.0.0.1")).expect("a URL with a host");
        parsed.set_port(Some(self.port)).expect("a URL with a port");
        parsed.into()
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target;
        let tasks = self.tasks.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let forward = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().expect("proxy tasks").push(forward);
            }
        });
        *self.acceptor.lock().expect("proxy acceptor") = Some(acceptor);
    }

    /// Drops every connection and refuses new ones, as a stopped server would.
    pub fn cut(&self) {
        if let Some(acceptor) = self.acceptor.lock().expect("proxy acceptor").take() {
            acceptor.abort();
        }
        for task in self.tasks.lock().expect("proxy tasks").drain(..) {
            task.abort();
        }
    }

    /// Accepts connections again on the same port.
    pub async fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("the proxy listens again");
        self.serve(listener);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
