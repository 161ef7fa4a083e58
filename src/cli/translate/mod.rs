//! `dragoman translate`: offline translation of stored documents between styles, for
//! migrations. One JSON document (printed pretty) or NDJSON (one compact document per line,
//! streamed), from a file or standard input.
//!
//! # Decision: by default a field the target cannot hold is dropped *and reported*;
//! `--strict` refuses it
//!
//! The gateway refuses such writes unless a route names the field (README, "What a translation
//! does, and loses"). Offline, the
//! default is the other way round: `WritePolicy { drop_all: true }`, because the issue this
//! command answers requires the envelope PUT seed (which carries `department`, `phone` and
//! `metadata`) to translate to a camel body. A migration must still never lose a field
//! silently, so every dropped field and every lossy value is named on stderr, per line
//! (`line 4: dropped department, phone, metadata (the camel style cannot hold them)`).
//! With `--strict`, any field that would be dropped makes that document fail (exit 1).
//! The same applies to `--kind response`: fields of a stored resource that the target style
//! has no place for are named on stderr (refused with `--strict`).
//!
//! # Input detection
//!
//! If the whole input is one JSON value it is one document. Otherwise it is NDJSON: one
//! document per non-empty line, numbered by physical line (1-based). The decision is made
//! without reading everything: a first line that is a complete value followed by another
//! non-empty line means NDJSON, which is then streamed; a first line that is the *start* of
//! a value (`{` of a pretty-printed document) means the input is read whole and parsed as
//! one document, falling back to NDJSON over what was read if it is not one.
//!
//! # Exit codes
//!
//! 0: every document translated. 1: at least one document failed (named on stderr; nothing
//! of it is written, the other lines still are). 2: the command could not run (unknown style,
//! unreadable input, broken rules).

mod document;

use crate::assets;
use crate::translate::RuleSet;
use document::Translator;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 1024 * 1024;

/// `dragoman translate`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    #[arg(long, value_enum, default_value_t = super::KindArg::Request)]
    pub kind: super::KindArg,
    /// Refuse (exit 1) instead of dropping fields the target style cannot hold.
    #[arg(long)]
    pub strict: bool,
    /// Folder of rules to use instead of the built-in ones (with --schemas-dir).
    #[arg(long)]
    pub rules_dir: Option<PathBuf>,
    #[arg(long)]
    pub schemas_dir: Option<PathBuf>,
    /// The input; standard input when absent.
    pub file: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match run_inner(&args) {
        Ok(code) => code,
        Err(Usage(message)) => {
            eprintln!("dragoman translate: {message}");
            ExitCode::from(2)
        }
    }
}

/// A problem that stops the command before any document is looked at (exit 2).
struct Usage(String);

fn run_inner(args: &Args) -> Result<ExitCode, Usage> {
    let rules = load_rules(args)?;
    let style = |flag: &str, name: &str| {
        rules.style_id(name).ok_or_else(|| {
            Usage(format!(
                "unknown style '{name}' for {flag} (known styles: {})",
                rules.style_names().join(", ")
            ))
        })
    };
    let from = style("--from", &args.from)?;
    let to = style("--to", &args.to)?;
    let translator = Translator {
        rules: &rules,
        from,
        to,
        kind: args.kind,
        strict: args.strict,
        refused: Cell::new(false),
    };

    let (reader, size): (Box<dyn BufRead>, Option<u64>) = match &args.file {
        Some(path) => {
            let file = File::open(path)
                .map_err(|e| Usage(format!("cannot open {}: {e}", path.display())))?;
            let meta = file.metadata().ok();
            if meta.as_ref().is_some_and(std::fs::Metadata::is_dir) {
                return Err(Usage(format!("{} is a directory", path.display())));
            }
            let size = meta.map(|m| m.len());
            (Box::new(BufReader::with_capacity(64 * 1024, file)), size)
        }
        None => {
            let stdin = io::stdin();
            if stdin.is_terminal() && io::stderr().is_terminal() {
                eprintln!("dragoman translate: reading from standard input (end with Ctrl-D)");
            }
            (Box::new(BufReader::with_capacity(64 * 1024, stdin)), None)
        }
    };

    let stdout = io::stdout();
    let mut out = Output {
        writer: io::BufWriter::new(stdout.lock()),
        written: 0,
        failed: 0,
        ndjson: false,
    };
    let mut input = Lines::new(reader);
    let result = drive(&translator, &mut input, size, &mut out);
    let flushed = out.writer.flush();
    match (result, flushed) {
        (Ok(()), Ok(())) => {}
        (Err(e), _) | (Ok(()), Err(e)) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("dragoman translate: {e}");
            }
            return Ok(ExitCode::FAILURE);
        }
    }
    if out.ndjson {
        eprintln!(
            "dragoman translate: {} documents written, {} failed",
            out.written, out.failed
        );
    }
    if translator.refused.get() {
        eprintln!(
            "dragoman translate: --strict refuses fields the {} style cannot hold; \
             without it they are dropped and listed here",
            rules.style(to).name
        );
    }
    Ok(if out.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Built-in rules and schemas, or the given folders (each missing one is built-in).
fn load_rules(args: &Args) -> Result<RuleSet, Usage> {
    assets::load_rules(args.rules_dir.as_deref(), args.schemas_dir.as_deref())
        .map(|(rules, _)| rules)
        .map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Usage(format!(
                "the rules and schemas do not load:\n{}",
                lines.join("\n")
            ))
        })
}

/// Reads physical lines as bytes, counting line numbers and bytes consumed.
struct Lines {
    reader: Box<dyn BufRead>,
    /// The number of the line last returned (1-based).
    number: usize,
    bytes: u64,
}

impl Lines {
    fn new(reader: Box<dyn BufRead>) -> Self {
        Self {
            reader,
            number: 0,
            bytes: 0,
        }
    }

    /// The next line (with its newline) into `buf`; false at the end of the input.
    fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        let n = self.reader.read_until(b'\n', buf).map_err(read_error)?;
        if n == 0 {
            return Ok(false);
        }
        self.number += 1;
        self.bytes += n as u64;
        Ok(true)
    }

    /// The next line that holds more than white space, with its number.
    fn next_document(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
        while self.next_into(buf)? {
            if !is_blank(buf) {
                return Ok(Some(self.number));
            }
        }
        Ok(None)
    }
}

fn read_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot read the input: {e}"))
}

fn write_line<W: Write>(out: &mut Output<W>, text: &[u8]) -> io::Result<()> {
    out.written += 1;
    out.writer
        .write_all(text)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write the output: {e}")))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Where a document came from, for messages: `input` or `line N`.
#[derive(Clone, Copy)]
enum Origin {
    Whole,
    Line(usize),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Whole => f.write_str("input"),
            Origin::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// A JSON parse error without serde_json's own "at line 1 column N" (the line is ours).
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |at| &text[..at]);
    format!("not valid JSON: {message} (column {})", e.column())
}

/// One line (its line break removed) as a JSON value.
fn parse_line(line: &[u8]) -> Result<Value, serde_json::Error> {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    serde_json::from_slice(&line[..end])
}

struct Output<W: Write> {
    writer: W,
    /// Documents written.
    written: usize,
    /// Documents that failed (nothing of them written).
    failed: usize,
    /// The input was read as NDJSON.
    ndjson: bool,
}

/// Decides between one document and NDJSON, then translates everything.
fn drive<W: Write>(
    t: &Translator<'_>,
    input: &mut Lines,
    size: Option<u64>,
    out: &mut Output<W>,
) -> io::Result<()> {
    let mut first = Vec::new();
    let Some(first_no) = input.next_document(&mut first)? else {
        eprintln!("dragoman translate: the input holds no document");
        return Ok(());
    };
    let notes = Notes::none();
    match parse_line(&first) {
        Ok(value) => {
            let mut second = Vec::new();
            match input.next_document(&mut second)? {
                None => single(t, value, out, &notes),
                Some(second_no) => {
                    let notes = Notes::for_input(size);
                    ndjson_line(t, first_no, Ok(value), out, &notes)?;
                    ndjson_line(t, second_no, parse_line(&second), out, &notes)?;
                    notes.progress(input.bytes);
                    ndjson_rest(t, input, out, &notes)?;
                    notes.finish();
                    Ok(())
                }
            }
        }
        Err(e) if e.is_eof() => {
            // The start of a multi-line value: read it whole (a single document needs to be in
            // memory anyway) and see whether it is one.
            let mut whole = first;
            input.reader.read_to_end(&mut whole).map_err(read_error)?;
            match parse_line(&whole) {
                Ok(value) => single(t, value, out, &notes),
                Err(_) => {
                    let mut number = first_no - 1;
                    for line in whole.split(|&b| b == b'\n') {
                        number += 1;
                        if !is_blank(line) {
                            ndjson_line(t, number, parse_line(line), out, &notes)?;
                        }
                    }
                    Ok(())
                }
            }
        }
        Err(e) => {
            let notes = Notes::for_input(size);
            ndjson_line(t, first_no, Err(e), out, &notes)?;
            ndjson_rest(t, input, out, &notes)?;
            notes.finish();
            Ok(())
        }
    }
}

fn single<W: Write>(
    t: &Translator<'_>,
    value: Value,
    out: &mut Output<W>,
    notes: &Notes,
) -> io::Result<()> {
    match t.translate(&value) {
        Ok(done) => {
            notes.emit(Origin::Whole, &done.notes);
            let mut text = serde_json::to_vec_pretty(&done.body).map_err(io::Error::other)?;
            text.push(b'\n');
            write_line(out, &text)
        }
        Err(errors) => {
            out.failed += 1;
            notes.emit(Origin::Whole, &errors);
            Ok(())
        }
    }
}

fn ndjson_rest<W: Write>(
    t: &Translator<'_>,
    input: &mut Lines,
    out: &mut Output<W>,
    notes: &Notes,
) -> io::Result<()> {
    let mut line = Vec::new();
    while input.next_into(&mut line)? {
        if !is_blank(&line) {
            ndjson_line(t, input.number, parse_line(&line), out, notes)?;
        }
        notes.progress(input.bytes);
    }
    Ok(())
}

/// One NDJSON line: the translated document as one compact line, or messages only.
fn ndjson_line<W: Write>(
    t: &Translator<'_>,
    number: usize,
    parsed: Result<Value, serde_json::Error>,
    out: &mut Output<W>,
    notes: &Notes,
) -> io::Result<()> {
    out.ndjson = true;
    let origin = Origin::Line(number);
    let result = match parsed {
        Ok(value) => t.translate(&value),
        Err(e) => Err(vec![json_error(&e)]),
    };
    match result {
        Ok(done) => {
            notes.emit(origin, &done.notes);
            // The whole line is built before anything of it is written.
            let mut text = serde_json::to_vec(&done.body).map_err(io::Error::other)?;
            text.push(b'\n');
            write_line(out, &text)
        }
        Err(errors) => {
            out.failed += 1;
            notes.emit(origin, &errors);
            Ok(())
        }
    }
}

/// Messages on stderr, printed around the progress bar when there is one.
struct Notes {
    bar: Option<ProgressBar>,
}

impl Notes {
    fn none() -> Self {
        Self { bar: None }
    }

    /// A progress bar for a large input file, only when stderr is a terminal.
    fn for_input(size: Option<u64>) -> Self {
        let bar = match size {
            Some(size) if size >= PROGRESS_MIN_BYTES && io::stderr().is_terminal() => {
                let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                ) {
                    bar.set_style(style);
                }
                Some(bar)
            }
            _ => None,
        };
        Self { bar }
    }

    fn emit(&self, origin: Origin, messages: &[String]) {
        if messages.is_empty() {
            return;
        }
        let print = || {
            let stderr = io::stderr();
            let mut err = stderr.lock();
            for m in messages {
                let _ = writeln!(err, "{origin}: {m}");
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    fn progress(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
