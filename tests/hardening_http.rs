//! `ambassador-bot run`'s HTTP server against slow and silent clients, over raw TCP: half a request
//! is cut off, a body that stops coming gets 408 and the connection closed, an idle kept-alive
//! connection is closed, and the connection cap makes further connections wait (with one log
//! line) without stopping `/healthz` for good.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};
use support::{Sandbox, free_port};

/// Generous: the server's limits in these tests are 2 s.
const WITHIN: Duration = Duration::from_secs(30);

/// `run` with Slack over HTTP (no Web API call at start: the bot's id is given), its HTTP limits
/// at 2 s and `max_connections` connections.
struct Server {
    child: Option<Child>,
    port: u16,
    _sandbox: Sandbox,
}

impl Server {
    fn start(max_connections: usize) -> Server {
        let port = free_port();
        let sb = Sandbox::new();
        sb.file(
            "bot-config.toml",
            &format!(
                "[database]\nurl = \"sqlite://bot.db\"\n\n\
                 [slack]\nenabled = true\napi_base_url = \"http://127.0.0.1:9/api\"\nbot_user_id = \"UBOT\"\n\n\
                 [http]\nlisten = \"127.0.0.1:{port}\"\nheader_timeout = \"2s\"\nbody_timeout = \"2s\"\nmax_connections = {max_connections}\n"
            ),
        );
        let sb = sb
            .with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", "xoxb-hardening-token")
            .with_env("AMBASSADOR_BOT__SLACK__SIGNING_SECRET", "hardening-secret");
        let child = sb.spawn(&["run"]);
        let mut server = Server {
            child: Some(child),
            port,
            _sandbox: sb,
        };
        let deadline = Instant::now() + WITHIN;
        while server.get("/healthz").is_none() {
            if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
                let (_, err) = server.stop_output();
                panic!("run exited with {status}:\n{err}");
            }
            assert!(Instant::now() < deadline, "run did not answer /healthz");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(WITHIN)).unwrap();
        stream
    }

    /// The whole answer to a GET on a fresh connection that asks to be closed; `None` when the
    /// server cannot be reached.
    fn get(&self, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(WITHIN)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        Some(answer)
    }

    /// SIGTERM; `run` must exit 0. Its stdout and stderr.
    fn stop_output(&mut self) -> (String, String) {
        let mut child = self.child.take().unwrap();
        let status = support::sigterm(&mut child, WITHIN);
        let (out, err) = support::output_of(&mut child);
        assert!(status.success(), "exit {status}\n{err}");
        (out, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Reads until the server closes the connection; what it sent. Fails the test when the
/// connection is still open after [`WITHIN`].
fn until_closed(stream: &mut TcpStream, what: &str) -> String {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!(
                    "{what}: the connection was still open after {:?}",
                    started.elapsed()
                )
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn half_a_request_line_and_headers_then_silence_is_cut_off() {
    let mut server = Server::start(64);
    let mut half_line = server.connect();
    half_line.write_all(b"GET /heal").unwrap();
    let mut half_headers = server.connect();
    half_headers
        .write_all(b"POST /slack/commands HTTP/1.1\r\nHost: localhost\r\nContent-Ty")
        .unwrap();
    let mut silent = server.connect();
    until_closed(&mut half_line, "half a request line");
    until_closed(&mut half_headers, "half the headers");
    until_closed(&mut silent, "a connection that sent nothing");
    assert!(server.get("/healthz").unwrap().contains("200 OK"));
    server.stop_output();
}

#[test]
fn a_body_that_stops_coming_gets_408_and_the_connection_is_closed() {
    let mut server = Server::start(64);
    let mut slow = server.connect();
    slow.write_all(
        b"POST /slack/commands HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntoken=abc&",
    )
    .unwrap();
    let answer = until_closed(&mut slow, "a body cut short");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A body announced larger than 1 MiB is refused at once, not read.
    let mut large = server.connect();
    large
        .write_all(
            b"POST /slack/commands HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\n\r\n",
        )
        .unwrap();
    let answer = until_closed(&mut large, "a body over the cap");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(server.get("/healthz").unwrap().contains("200 OK"));
    server.stop_output();
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let mut server = Server::start(64);
    let mut kept = server.connect();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // The answer, then nothing from either side: the server closes it.
    let answer = until_closed(&mut kept, "an idle kept-alive connection");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    server.stop_output();
}

#[test]
fn with_the_cap_reached_healthz_answers_once_idle_connections_time_out() {
    let mut server = Server::start(4);
    let mut held: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    // The four are taken (the server accepts at once); the fifth waits for a slot.
    std::thread::sleep(Duration::from_millis(500));
    let answer = server.get("/healthz").expect("/healthz answers");
    assert!(answer.contains("200 OK"), "{answer}");
    for (i, stream) in held.iter_mut().enumerate() {
        until_closed(stream, &format!("held connection {i}"));
    }
    // Another round of four idle connections and a request: served again, once they time out.
    let _more: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.get("/healthz").unwrap().contains("200 OK"));
    let (_, err) = server.stop_output();
    let lines = err
        .lines()
        .filter(|l| l.contains("HTTP connection cap reached"))
        .count();
    assert_eq!(
        lines, 1,
        "one line says the cap was reached (at most one a minute):\n{err}"
    );
    assert!(err.contains("max_connections=4"), "{err}");
}
