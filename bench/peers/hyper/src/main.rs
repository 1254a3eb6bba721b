// hyper 0.14 on a current-thread Tokio runtime (one core, like the other servers compared):
// GET /plaintext -> "Hello, World!", GET /json -> {"message":"Hello, World!"}.
// Prints "Serving on 127.0.0.1:PORT"; ends on SIGTERM.  Usage: hyper_http PORT
use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::header::{HeaderValue, CONTENT_TYPE, SERVER};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server, StatusCode};

async fn handle(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let (body, content_type) = match req.uri().path() {
        "/plaintext" => ("Hello, World!", "text/plain"),
        "/json" => (r#"{"message":"Hello, World!"}"#, "application/json"),
        _ => {
            let mut r = Response::new(Body::from("Not Found"));
            *r.status_mut() = StatusCode::NOT_FOUND;
            return Ok(r);
        }
    };
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(SERVER, HeaderValue::from_static("hyper"));
    Ok(r)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8080);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let make = make_service_fn(|_| async { Ok::<_, Infallible>(service_fn(handle)) });
    let server = Server::bind(&addr).http1_pipeline_flush(true).serve(make);
    println!("Serving on {}", server.local_addr());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    let graceful = server.with_graceful_shutdown(async move {
        term.recv().await;
    });
    graceful.await.unwrap();
}
