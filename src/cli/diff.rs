//! `dragoman diff --config FILE --from UPSTREAM --to UPSTREAM [--ids FILE] [--ignore FIELD]…
//! [--out FILE] [--concurrency N]`: reads each user (canonical ids, one per line; stdin by
//! default) from both upstreams of a config, each in its own style and with its own
//! credential, and compares them on the fields both styles hold, as both can say them
//! (`RuleSet::compare_users`). Prints a summary — users compared, agreeing, differing, missing on
//! one side, failed; per field, how many users differ — and with `--out` writes one NDJSON line
//! per differing, missing or failed user (credentials are never written).
//!
//! Exit 0 when every user was read from both and they agree; 1 when some differ, are missing
//! on one side or could not be read; 2 on a usage or config error.

use crate::config::{Config, Upstream};
use crate::proxy::upstream::{self, peer_for, Call};
use crate::translate::{BytesError, Canonical, FieldDifference, FieldId, RuleSet};
use indicatif::{ProgressBar, ProgressStyle};
use pingora::connectors::http::Connector;
use pingora::upstreams::peer::HttpPeer;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    config: PathBuf,
    /// The upstream (by name) whose users are the reference.
    #[arg(long)]
    from: String,
    /// The upstream (by name) compared with it.
    #[arg(long)]
    to: String,
    /// Canonical user ids, one per line (`-` or absent: stdin). Blank lines and `#` comments
    /// are skipped.
    #[arg(long)]
    ids: Option<PathBuf>,
    /// A canonical field not to compare (repeatable), e.g. `updated_at`.
    #[arg(long = "ignore")]
    ignore: Vec<String>,
    /// Write one NDJSON line per user that differs, is missing or failed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Users read at a time (1–256).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

/// What became of one user.
#[derive(Debug)]
enum Outcome {
    Agree,
    Differ(Vec<FieldDifference>),
    /// Not found on the `from` side, the `to` side, or both.
    Missing {
        from: bool,
        to: bool,
    },
    Failed(String),
}

pub fn run(args: Args) -> ExitCode {
    let usage = |m: String| {
        eprintln!("dragoman diff: {m}");
        ExitCode::from(2)
    };
    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("{e}");
            }
            return usage(format!("{} does not load", args.config.display()));
        }
    };
    let find = |name: &str| config.upstreams.iter().find(|u| u.name == name).cloned();
    let (Some(from), Some(to)) = (find(&args.from), find(&args.to)) else {
        let names: Vec<&str> = config.upstreams.iter().map(|u| u.name.as_str()).collect();
        return usage(format!(
            "--from and --to must name upstreams of the config ({})",
            names.join(", ")
        ));
    };
    if !(1..=256).contains(&args.concurrency) {
        return usage("--concurrency must be 1–256".into());
    }
    let rules = config.rules.clone();
    let mut ignore = Vec::new();
    for name in &args.ignore {
        match rules.registry().id(name) {
            Some(id) => ignore.push(id),
            None => return usage(format!("--ignore {name:?}: no such canonical field")),
        }
    }
    let ids = match read_ids(args.ids.as_deref()) {
        Ok(ids) => ids,
        Err(e) => return usage(e),
    };
    let mut out = match &args.out {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(std::io::BufWriter::new(f)),
            Err(e) => return usage(format!("--out {}: {e}", path.display())),
        },
        None => None,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dragoman diff: cannot start a runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let job = Arc::new(Job {
        rules,
        connector: Connector::new(None),
        from_peer: peer_for(&from),
        to_peer: peer_for(&to),
        from,
        to,
        ignore,
    });
    let bar = progress(ids.len());
    let outcomes = runtime.block_on(compare_all(job.clone(), ids, args.concurrency, &bar));
    bar.finish_and_clear();

    let mut summary = Summary::default();
    for (id, outcome) in &outcomes {
        summary.add(id, outcome);
        if let (Some(out), Some(line)) = (out.as_mut(), ndjson(id, outcome)) {
            if writeln!(out, "{line}").is_err() {
                return usage("cannot write --out".into());
            }
        }
    }
    if let Some(mut out) = out {
        if out.flush().is_err() {
            return usage("cannot write --out".into());
        }
    }
    print!("{}", summary.render(&job.from.name, &job.to.name));
    if summary.all_agree() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn read_ids(path: Option<&Path>) -> Result<Vec<String>, String> {
    let reader: Box<dyn BufRead> = match path {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).map_err(|e| format!("--ids {}: {e}", p.display()))?,
        )),
    };
    let mut ids = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| format!("reading ids: {e}"))?;
        let id = line.trim();
        if !id.is_empty() && !id.starts_with('#') {
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}

fn progress(n: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} users {elapsed}") {
        bar.set_style(style);
    }
    bar
}

struct Job {
    rules: Arc<RuleSet>,
    connector: Connector,
    from: Upstream,
    to: Upstream,
    from_peer: HttpPeer,
    to_peer: HttpPeer,
    ignore: Vec<FieldId>,
}

/// Every id compared, at most `concurrency` at a time, in the order given.
async fn compare_all(
    job: Arc<Job>,
    ids: Vec<String>,
    concurrency: usize,
    bar: &ProgressBar,
) -> Vec<(String, Outcome)> {
    let mut results: Vec<Option<Outcome>> = (0..ids.len()).map(|_| None).collect();
    let mut running = tokio::task::JoinSet::new();
    let mut next = 0;
    while next < ids.len() || !running.is_empty() {
        while next < ids.len() && running.len() < concurrency {
            let (job, id, i) = (job.clone(), ids[next].clone(), next);
            running.spawn(async move { (i, compare_one(&job, &id, i).await) });
            next += 1;
        }
        if let Some(Ok((i, outcome))) = running.join_next().await {
            results[i] = Some(outcome);
            bar.inc(1);
        }
    }
    ids.into_iter()
        .zip(results)
        .map(|(id, r)| (id, r.unwrap_or(Outcome::Failed("not compared".into()))))
        .collect()
}

async fn compare_one(job: &Job, id: &str, n: usize) -> Outcome {
    let (left, right) = tokio::join!(
        fetch(job, &job.from, &job.from_peer, id, n),
        fetch(job, &job.to, &job.to_peer, id, n)
    );
    match (left, right) {
        (Ok(Some(l)), Ok(Some(r))) => {
            let diffs = job
                .rules
                .compare_users(job.from.style, &l, job.to.style, &r, &job.ignore);
            if diffs.is_empty() {
                Outcome::Agree
            } else {
                Outcome::Differ(diffs)
            }
        }
        (Err(e), _) => Outcome::Failed(format!("{}: {e}", job.from.name)),
        (_, Err(e)) => Outcome::Failed(format!("{}: {e}", job.to.name)),
        (l, r) => Outcome::Missing {
            from: matches!(l, Ok(None)),
            to: matches!(r, Ok(None)),
        },
    }
}

/// The user from one upstream; `None` when it answers 404.
async fn fetch(
    job: &Job,
    up: &Upstream,
    peer: &HttpPeer,
    id: &str,
    n: usize,
) -> Result<Option<Canonical>, String> {
    let rules = &job.rules;
    let style = rules.style(up.style);
    let path_id = rules
        .path_id(up.style, id)
        .ok_or_else(|| format!("{id:?} is not a user id this backend's style can hold"))?;
    let mut headers = vec![("x-request-id", format!("diff-{n}"))];
    let query = upstream::present_credential(&style.auth, &up.credential, &mut headers);
    let path = format!("{}{query}", style.path.render(&path_id));
    let call = Call {
        method: "GET",
        path: &path,
        body: None,
        headers,
    };
    let answer = upstream::send(&job.connector, up, peer, &call)
        .await
        .map_err(|e| e.to_string())?;
    match answer.status {
        200 => {}
        404 => return Ok(None),
        s => return Err(format!("answered {s}")),
    }
    let user = rules
        .read_response_bytes(up.style, &answer.body)
        .map_err(|e| match e {
            BytesError::Json(e) => format!("invalid JSON: {e}"),
            BytesError::Translate(e) => e.to_string(),
        })?;
    match rules.user_id(&user) {
        Some(got) if crate::translate::same_user_id(got, id) => Ok(Some(user)),
        got => Err(format!("answered with user {got:?}")),
    }
}

fn ndjson(id: &str, outcome: &Outcome) -> Option<Value> {
    Some(match outcome {
        Outcome::Agree => return None,
        Outcome::Differ(diffs) => json!({
            "id": id,
            "result": "differ",
            "fields": diffs.iter().map(|d| json!({"field": d.field, "from": d.left, "to": d.right})).collect::<Vec<_>>(),
        }),
        Outcome::Missing { from, to } => json!({
            "id": id, "result": "missing", "missing_from": from, "missing_to": to,
        }),
        Outcome::Failed(why) => json!({"id": id, "result": "error", "error": why}),
    })
}

#[derive(Default)]
struct Summary {
    compared: usize,
    agree: usize,
    differ: usize,
    missing_from: usize,
    missing_to: usize,
    failed: usize,
    /// Field → (users differing, the first few of their ids).
    fields: BTreeMap<String, (usize, Vec<String>)>,
}

impl Summary {
    fn add(&mut self, id: &str, outcome: &Outcome) {
        self.compared += 1;
        match outcome {
            Outcome::Agree => self.agree += 1,
            Outcome::Differ(diffs) => {
                self.differ += 1;
                for d in diffs {
                    let (n, sample) = self.fields.entry(d.field.clone()).or_default();
                    *n += 1;
                    if sample.len() < 3 {
                        sample.push(id.to_owned());
                    }
                }
            }
            Outcome::Missing { from, to } => {
                self.missing_from += usize::from(*from);
                self.missing_to += usize::from(*to);
            }
            Outcome::Failed(_) => self.failed += 1,
        }
    }

    fn all_agree(&self) -> bool {
        self.agree == self.compared
    }

    fn render(&self, from: &str, to: &str) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{from} → {to}: {} users compared, {} agree, {} differ, {} missing on {from}, {} missing on {to}, {} could not be read",
            self.compared, self.agree, self.differ, self.missing_from, self.missing_to, self.failed
        );
        if !self.fields.is_empty() {
            let width = self
                .fields
                .keys()
                .map(String::len)
                .max()
                .unwrap_or(5)
                .max(5);
            let _ = writeln!(o, "{:width$}  users  e.g.", "field");
            for (field, (n, sample)) in &self.fields {
                let _ = writeln!(o, "{field:width$}  {n:>5}  {}", sample.join(", "));
            }
        }
        o
    }
}
