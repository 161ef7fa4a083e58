//! A gateway run as its own `dragoman serve` process, the way it ships: each test's gateway
//! gets a process of its own (pingora's per-thread runtimes keep handles in process-wide
//! thread-locals, so several pingora servers in one test process would share them).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct GatewayProcess {
    child: Child,
    /// Holds the config file and the process's stderr for the process's lifetime.
    dir: tempfile::TempDir,
}

impl GatewayProcess {
    /// Writes `text` to a config file and starts `dragoman serve` on it, logging at `level`
    /// (`DRAGOMAN_LOG`) to a file [`Self::log`] reads. The config is checked in this process
    /// first, so a broken test config fails with its errors.
    pub fn start(text: &str, level: &str) -> Self {
        dragoman::config::Config::from_str("test.toml", text, std::path::Path::new("."), &|_| None)
            .unwrap_or_else(|e| panic!("test config: {e}"));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path: PathBuf = dir.path().join("gateway.toml");
        std::fs::write(&path, text).expect("config written");
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_dragoman"))
            .args(["serve", "--config"])
            .arg(&path)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DRAGOMAN_LOG", level)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("dragoman serve starts");
        Self { child, dir }
    }

    /// What the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A graceful stop, as an operator's SIGTERM: requests in progress finish first. Waits
    /// (blocking) up to 15 s for the exit, then kills.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
