//! A `nats-server` with JetStream of a test's own: a free loopback port, a temporary store
//! directory, killed when dropped. A missing binary fails the test; it is never skipped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections.
const START_LIMIT: Duration = Duration::from_secs(10);

pub struct NatsServer {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
}

impl NatsServer {
    /// Starts a server (retrying on another port should the chosen one be taken meanwhile).
    pub fn start() -> NatsServer {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match spawn(&dir, port) {
                Ok(child) => {
                    return NatsServer {
                        child: Some(child),
                        dir,
                        port,
                    };
                }
                Err(err) => last = err,
            }
        }
        panic!("nats-server did not start: {last}");
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL: no orderly shutdown), keeping its store.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        let started = Instant::now();
        loop {
            match spawn(&self.dir, self.port) {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                // The port may linger a moment after the kill.
                Err(err) if started.elapsed() > START_LIMIT => {
                    panic!("nats-server did not restart: {err}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `NATS_SERVER`, else `nats-server` on the `PATH`, else Debian's `/usr/sbin/nats-server`.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("nats-server"))
        .chain([PathBuf::from("/usr/sbin/nats-server")])
        .find(|candidate| candidate.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "nats-server is not installed (Debian: apt-get install nats-server; or set NATS_SERVER to its path): these tests need it and are never skipped"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Starts `nats-server -js` and waits until it accepts connections.
fn spawn(dir: &tempfile::TempDir, port: u16) -> Result<Child, String> {
    let store = dir.path().join("jetstream");
    let log = std::fs::File::create(dir.path().join(format!("server-{port}.log")))
        .map_err(|err| err.to_string())?;
    let mut child = Command::new(binary())
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|err| format!("cannot run {}: {err}", binary().display()))?;
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.path().join(format!("server-{port}.log")))
                .unwrap_or_default();
            return Err(format!("it exited ({status}): {log}"));
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(child);
        }
        if started.elapsed() > START_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "no connection on port {port} within {START_LIMIT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
