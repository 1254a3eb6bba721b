// The Tokio echo server of bench/compare, as Tokio's tutorial writes one, on the
// current_thread runtime: a task per connection, read into a buffer, write_all back.
// Prints "Serving on 127.0.0.1:PORT"; SIGTERM ends it.
//   tokio_echo [PORT]
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("Serving on {}", listener.local_addr()?);
    let mut term = signal(SignalKind::terminate())?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (mut socket, _) = accepted?;
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if socket.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
            _ = term.recv() => return Ok(()),
        }
    }
}
