//! Plugin stderr → `tracing`, the bounded line reader used on both pipes, and the stderr tail
//! kept for error messages.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;
use tracing::Level;

use crate::{Endpoint, parse_location_line};

/// Target of every event re-emitted from a plugin's stderr, so hosts can filter plugin logs
/// (`RUST_LOG=ocm_plugin::plugin=debug`).
pub const PLUGIN_LOG_TARGET: &str = "ocm_plugin::plugin";

/// Longest line kept; the rest of a longer line is discarded (the pipe is still drained).
const MAX_LINE: usize = 64 * 1024;
/// Lines kept for error messages.
const TAIL_LINES: usize = 20;
/// Longest line kept in the tail.
const TAIL_LINE_CHARS: usize = 512;

/// Forwards one line a plugin wrote to stderr as a `tracing` event.
///
/// Plugins log slog-style JSON (spec §8). A JSON object with a string `msg` (or `message`) and a
/// `level` becomes an event at the mapped level (see [`map_level`]) on target
/// [`PLUGIN_LOG_TARGET`] with field `plugin_id`; its other keys, except `time`, are rendered
/// sorted as `key=value` into a `fields` string. Everything else (plain text such as Go's
/// default logger output, JSON without those keys or with odd types) is passed through verbatim
/// at INFO. Unlike the Go manager (W9) this never drops a line and never panics.
pub fn forward_log_line(plugin_id: &str, line: &str) {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return;
    }
    match parse_structured(line) {
        Some(record) => emit(
            record.level,
            plugin_id,
            &record.msg,
            (!record.fields.is_empty()).then_some(record.fields.as_str()),
        ),
        None => emit(Level::INFO, plugin_id, line, None),
    }
}

/// [`forward_log_line`] for raw pipe bytes: invalid UTF-8 is replaced, not dropped.
pub(crate) fn forward_log_bytes(plugin_id: &str, line: &[u8]) {
    forward_log_line(plugin_id, &String::from_utf8_lossy(line));
}

fn emit(level: Level, plugin_id: &str, msg: &str, fields: Option<&str>) {
    // tracing needs the level at compile time.
    match level {
        Level::ERROR => tracing::error!(target: PLUGIN_LOG_TARGET, plugin_id, fields, "{msg}"),
        Level::WARN => tracing::warn!(target: PLUGIN_LOG_TARGET, plugin_id, fields, "{msg}"),
        Level::INFO => tracing::info!(target: PLUGIN_LOG_TARGET, plugin_id, fields, "{msg}"),
        Level::DEBUG => tracing::debug!(target: PLUGIN_LOG_TARGET, plugin_id, fields, "{msg}"),
        _ => tracing::trace!(target: PLUGIN_LOG_TARGET, plugin_id, fields, "{msg}"),
    }
}

#[derive(Debug, PartialEq)]
struct Record {
    level: Level,
    msg: String,
    fields: String,
}

fn parse_structured(line: &str) -> Option<Record> {
    let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(line) else {
        return None;
    };
    let msg_key = ["msg", "message"]
        .into_iter()
        .find(|k| obj.get(*k).is_some_and(Value::is_string))?;
    let level = match obj.get("level")? {
        Value::String(s) => map_level(s),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.round() as i64))
            .map(level_from_slog),
        _ => None,
    }?;
    let Some(Value::String(msg)) = obj.remove(msg_key) else {
        return None;
    };
    obj.remove("level");
    obj.remove("time");
    Some(Record {
        level,
        msg,
        fields: render_fields(&obj),
    })
}

/// Renders attributes sorted by key as `k=v k2="v 2"`, like Go's text handler: strings bare
/// unless they need quoting, everything else as compact JSON.
fn render_fields(obj: &Map<String, Value>) -> String {
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    let mut out = String::new();
    for k in keys {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(k);
        out.push('=');
        match &obj[k] {
            Value::String(s) if !needs_quoting(s) => out.push_str(s),
            v => {
                let _ = write!(out, "{v}");
            }
        }
    }
    out
}

fn needs_quoting(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '=' | '\\'))
}

/// Maps a plugin's log level name to a `tracing` level.
///
/// Case-insensitive; knows Go slog's names and their offsets (`INFO+2`, `DEBUG-4`, the way slog
/// prints levels between the named ones), common synonyms (`WARNING`, `ERR`, `TRACE`, `FATAL`…)
/// and plain numbers (slog's numeric levels: DEBUG -4, INFO 0, WARN 4, ERROR 8). A level maps to
/// the nearest `tracing` level, ties going up, so `INFO+2` is WARN and `DEBUG-4` is TRACE.
/// Unknown names give `None`.
pub fn map_level(level: &str) -> Option<Level> {
    let s = level.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(level_from_slog(n));
    }
    let split = s.find(['+', '-']).unwrap_or(s.len());
    let (name, offset) = s.split_at(split);
    let base: i64 = match name.to_ascii_lowercase().as_str() {
        "trace" => -8,
        "debug" | "dbg" => -4,
        "info" | "information" | "notice" => 0,
        "warn" | "warning" => 4,
        "error" | "err" | "fatal" | "critical" | "crit" | "panic" | "alert" | "emerg" => 8,
        _ => return None,
    };
    let offset: i64 = match offset {
        "" => 0,
        o => o.parse().ok()?,
    };
    Some(level_from_slog(base.saturating_add(offset)))
}

/// slog numeric level → nearest `tracing` level (TRACE -8, DEBUG -4, INFO 0, WARN 4, ERROR 8),
/// ties rounding up so that a raised level is never hidden by a filter at the level below.
fn level_from_slog(n: i64) -> Level {
    match n {
        i64::MIN..=-7 => Level::TRACE,
        -6..=-3 => Level::DEBUG,
        -2..=1 => Level::INFO,
        2..=5 => Level::WARN,
        _ => Level::ERROR,
    }
}

/// The last lines a plugin wrote to stderr, for error messages.
#[derive(Debug, Default)]
pub(crate) struct StderrTail {
    lines: Mutex<VecDeque<String>>,
}

impl StderrTail {
    fn push(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let text: String = match text.char_indices().nth(TAIL_LINE_CHARS) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_owned(),
        };
        if let Ok(mut lines) = self.lines.lock() {
            if lines.len() == TAIL_LINES {
                lines.pop_front();
            }
            lines.push_back(text);
        }
    }

    /// The kept lines, newline separated.
    pub(crate) fn render(&self) -> String {
        self.lines
            .lock()
            .map(|l| l.iter().map(String::as_str).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

/// Reads `\n`-terminated lines without ever holding more than [`MAX_LINE`] bytes: the excess
/// of a longer line is consumed and dropped, so a flood cannot exhaust memory and the pipe is
/// always drained.
pub(crate) struct LineReader<R> {
    reader: BufReader<R>,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            reader: BufReader::new(inner),
            buf: Vec::new(),
        }
    }

    /// The next line without its terminator, or `None` at EOF (or on a read error, which for a
    /// pipe means the same).
    pub(crate) async fn next_line(&mut self) -> Option<&[u8]> {
        self.buf.clear();
        let mut seen = false;
        loop {
            let available = match self.reader.fill_buf().await {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => &[],
            };
            if available.is_empty() {
                return seen.then_some(self.buf.as_slice());
            }
            seen = true;
            let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            let room = MAX_LINE.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.reader.consume(used);
            if done {
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
                return Some(self.buf.as_slice());
            }
        }
    }
}

/// Drains a plugin's stderr until EOF: every line is forwarded to `tracing` and kept in the
/// tail; the first line that is a location is published on `location` (the Go manager reads
/// stderr for the location once stdout has closed, W8). Sets `done` at EOF.
pub(crate) async fn drain_stderr<R: AsyncRead + Unpin>(
    plugin_id: Arc<str>,
    stderr: R,
    tail: Arc<StderrTail>,
    location: Option<watch::Sender<Option<Endpoint>>>,
    done: watch::Sender<bool>,
) {
    let mut lines = LineReader::new(stderr);
    while let Some(line) = lines.next_line().await {
        forward_log_bytes(&plugin_id, line);
        tail.push(line);
        if let Some(tx) = &location
            && tx.borrow().is_none()
            && let Some(ep) = std::str::from_utf8(line).ok().and_then(parse_location_line)
        {
            tx.send_replace(Some(ep));
        }
    }
    tracing::debug!(target: PLUGIN_LOG_TARGET, plugin_id = &*plugin_id, "plugin closed stderr");
    done.send_replace(true);
}

#[cfg(test)]
mod tests;

/// Property tests: a plugin's stderr is untrusted, so no line (any bytes, any length, JSON with
/// odd types) may panic the forwarder, the tail or the line reader, and the reader keeps its
/// length bound. (The subscriber-based checks live in `tests`; these stay off `tracing`'s
/// global state.)
#[cfg(test)]
mod props {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use proptest::prelude::*;
    use proptest::test_runner::Config;
    use tokio::io::ReadBuf;

    use super::*;

    fn config(cases: u32) -> Config {
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// Arbitrary JSON trees, with the record's keys frequent.
    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter_map("finite", |f| {
                serde_json::Number::from_f64(f).map(Value::Number)
            }),
            prop_oneof![
                prop::sample::select(vec!["INFO", "warn", "DEBUG-4", "ERROR+99", "8", "LOUD", ""])
                    .prop_map(str::to_owned),
                ".{0,10}",
            ]
            .prop_map(Value::from),
        ];
        let key = prop_oneof![
            3 => prop::sample::select(vec!["level", "msg", "message", "time", "error"])
                .prop_map(str::to_owned),
            1 => ".{0,6}",
        ];
        leaf.prop_recursive(4, 32, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// The level `parse_structured` must find in a record's `level` field.
    fn expected_level(v: &Value) -> Option<Level> {
        match v {
            Value::String(s) => map_level(s),
            Value::Number(n) => Some(level_from_slog(
                n.as_i64()
                    .unwrap_or_else(|| n.as_f64().unwrap_or(0.0).round() as i64),
            )),
            _ => None,
        }
    }

    /// Reads at most `chunk` bytes per poll, so lines straddle buffer refills.
    struct Chunked<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl AsyncRead for Chunked<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let n = self.chunk.min(self.data.len()).min(buf.remaining());
            buf.put_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Poll::Ready(Ok(()))
        }
    }

    /// The lines the reader must return for `input`: split at `\n`, each cut to [`MAX_LINE`],
    /// a terminated line without its final `\r`, an unterminated last line as is.
    fn expected_lines(input: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let (line, terminated) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let line = &rest[..i];
                    rest = &rest[i + 1..];
                    (line, true)
                }
                None => (std::mem::take(&mut rest), false),
            };
            let mut line = line[..line.len().min(MAX_LINE)].to_vec();
            if terminated && line.last() == Some(&b'\r') {
                line.pop();
            }
            out.push(line);
        }
        out
    }

    fn read_all(input: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut reader = LineReader::new(Chunked { data: input, chunk });
            let mut lines = Vec::new();
            while let Some(line) = reader.next_line().await {
                lines.push(line.to_vec());
            }
            lines
        })
    }

    /// Input made of short lines and runs of a byte long enough to pass [`MAX_LINE`] (up to
    /// 1 MiB), with `\n` and `\r\n` terminators.
    fn arb_stream() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            (any::<u8>(), 0..=1usize << 20).prop_map(|(b, n)| vec![b; n]),
            Just(b"\r\n".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r".to_vec()),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Any text: forwarding never panics, and a line counts as a structured record
        /// exactly when it is an object with a string `msg`/`message` and a readable `level`.
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,128}") {
            forward_log_line("p", &s);
            if let Some(r) = parse_structured(&s) {
                let v: Value = serde_json::from_str(&s).unwrap();
                prop_assert_eq!(Some(r.level), expected_level(&v["level"]));
            }
        }

        /// Any bytes, invalid UTF-8 included: forwarding and the tail never panic.
        #[test]
        fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..256)) {
            forward_log_bytes("p", &b);
            let tail = StderrTail::default();
            tail.push(&b);
            prop_assert!(tail.render().chars().count() <= TAIL_LINE_CHARS + 1);
        }

        /// Any JSON, odd field types included (`level` a number or an object, `msg` an
        /// object): the record is read exactly by the documented rule, never a panic.
        #[test]
        fn arbitrary_json_follows_the_rule(v in arb_json()) {
            let line = v.to_string();
            forward_log_line("p", &line);
            let got = parse_structured(&line);
            let Value::Object(obj) = &v else {
                prop_assert_eq!(got, None);
                return Ok(());
            };
            let msg = ["msg", "message"].into_iter().find_map(|k| obj.get(k)?.as_str());
            let level = obj.get("level").and_then(expected_level);
            match (msg, level) {
                (Some(msg), Some(level)) => {
                    let r = got.expect("a structured record");
                    prop_assert_eq!(r.level, level);
                    prop_assert_eq!(r.msg.as_str(), msg);
                    // Every other key but `time` is rendered; `level` and the message are not.
                    let msg_key = ["msg", "message"]
                        .into_iter()
                        .find(|k| obj.get(*k).is_some_and(Value::is_string));
                    let mut rest = obj
                        .keys()
                        .filter(|k| !matches!(k.as_str(), "level" | "time"))
                        .filter(|k| Some(k.as_str()) != msg_key)
                        .peekable();
                    prop_assert_eq!(rest.peek().is_none(), r.fields.is_empty());
                    for k in rest {
                        prop_assert!(r.fields.contains(&format!("{k}=")), "{k} missing in {}", r.fields);
                    }
                }
                _ => prop_assert_eq!(got, None, "{}", line),
            }
        }

        /// Level names with any offset: the nearest `tracing` level, never a panic, and
        /// monotonic in the numeric level.
        #[test]
        fn level_mapping(name in prop::sample::select(vec!["trace", "DEBUG", "Info", "warn", "ERROR", "fatal", "x"]),
                         off in any::<i64>(), a in any::<i64>(), b in any::<i64>(), s in ".{0,24}") {
            let _ = map_level(&s);
            let base = match name.to_ascii_lowercase().as_str() {
                "trace" => Some(-8i64),
                "debug" => Some(-4),
                "info" => Some(0),
                "warn" => Some(4),
                "error" | "fatal" => Some(8),
                _ => None,
            };
            let text = if off < 0 { format!("{name}{off}") } else { format!("{name}+{off}") };
            prop_assert_eq!(map_level(&text), base.map(|b| level_from_slog(b.saturating_add(off))));
            prop_assert_eq!(map_level(&a.to_string()), Some(level_from_slog(a)));
            // tracing orders levels by verbosity: TRACE > DEBUG > … > ERROR.
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(level_from_slog(lo) >= level_from_slog(hi));
        }
    }

    proptest! {
        #![proptest_config(config(32))]

        /// The reader returns exactly the split lines, each at most [`MAX_LINE`] bytes,
        /// however the pipe delivers them, and drains everything.
        #[test]
        fn line_reader_bounds_lines(input in arb_stream(), chunk in 1..=70_000usize) {
            let got = read_all(&input, chunk);
            prop_assert!(got.iter().all(|l| l.len() <= MAX_LINE));
            let want = expected_lines(&input);
            prop_assert_eq!(got.len(), want.len());
            prop_assert!(got == want, "lines differ");
        }

        /// Huge lines (up to 1 MiB), forwarded the way `drain_stderr` does: no panic.
        #[test]
        fn huge_lines_forward(b in any::<u8>().prop_filter("one line: no newline", |b| *b != b'\n'), n in 0..=1usize << 20) {
            let line = vec![b; n];
            // The forwarder alone has no bound of its own: it must cope with the whole line.
            forward_log_bytes("p", &line);
            let read = read_all(&line, 8192);
            prop_assert!(read.len() <= 1 && read.iter().all(|l| l.len() <= MAX_LINE));
            for line in read {
                forward_log_bytes("p", &line);
            }
        }
    }
}
