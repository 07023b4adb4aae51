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
