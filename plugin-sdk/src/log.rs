//! Logging: slog-style JSON lines on stderr, the format Go managers parse (spec §8).
//!
//! Each event becomes one line `{"time":"<RFC 3339, nanoseconds, UTC>","level":"INFO","msg":"…",
//! <fields in the order they were recorded>}`. Levels are the four Go understands; `TRACE` is
//! written as `DEBUG` so a Go manager does not drop it.

use std::{fmt, io::Write, time::SystemTime};

use serde_json::Value;
use tracing::{
    Event, Level, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    Layer,
    filter::{LevelFilter, ParseError, Targets},
    fmt::MakeWriter,
    layer::Context,
    layer::SubscriberExt as _,
    util::SubscriberInitExt as _,
};

/// Environment variable holding the log filter: comma-separated directives, each a level
/// (`info`), a target and a level (`ocm_plugin_sdk=debug`) or a target alone (all its levels);
/// for an event, the directive with the longest target that prefixes the event's target wins.
pub(crate) const LOG_ENV: &str = "OCM_PLUGIN_LOG";

/// The filter when `OCM_PLUGIN_LOG` is unset, empty or invalid.
fn default_filter() -> Targets {
    Targets::new().with_default(LevelFilter::INFO)
}

/// Parses a filter. tracing-subscriber's `Targets` (the directive syntax of `EnvFilter`
/// without its span and field-value matching, so without a regex engine in every plugin);
/// empty directives (`info,`) are skipped as `EnvFilter` skips them, where `Targets` would read
/// them as an empty target that enables everything.
pub(crate) fn parse_filter(spec: &str) -> Result<Targets, ParseError> {
    let directives: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        return Ok(default_filter());
    }
    directives.join(",").parse()
}

/// Installs the stderr JSON logger as the global subscriber, unless one is installed already.
pub(crate) fn init() {
    let (filter, bad) = match std::env::var(LOG_ENV) {
        Ok(spec) if !spec.trim().is_empty() => match parse_filter(&spec) {
            Ok(f) => (f, None),
            Err(e) => (default_filter(), Some((spec, e))),
        },
        _ => (default_filter(), None),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(SlogJsonLayer::new(std::io::stderr))
        .try_init()
        .is_ok();
    if let (true, Some((spec, e))) = (installed, bad) {
        tracing::warn!(variable = LOG_ENV, value = %spec, error = %e, "invalid log filter, using info");
    }
}

/// A `tracing` layer writing one slog-style JSON object per event.
#[derive(Debug)]
pub(crate) struct SlogJsonLayer<W> {
    make_writer: W,
}

impl<W> SlogJsonLayer<W> {
    pub(crate) fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

impl<S, W> Layer<S> for SlogJsonLayer<W>
where
    S: Subscriber,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = format_line(
            SystemTime::now(),
            event.metadata().level(),
            &fields.msg,
            &fields.rest,
        );
        let mut writer = self.make_writer.make_writer_for(event.metadata());
        // A log line that cannot be written has nowhere else to go.
        let _ = writer.write_all(line.as_bytes());
    }
}

/// slog's name of a level.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    }
}

/// One log line, newline included.
fn format_line(time: SystemTime, level: &Level, msg: &str, fields: &[(&str, Value)]) -> String {
    let mut out = String::with_capacity(96 + msg.len());
    out.push_str("{\"time\":");
    push_json(&mut out, &humantime::format_rfc3339_nanos(time).to_string());
    out.push_str(",\"level\":\"");
    out.push_str(level_name(level));
    out.push_str("\",\"msg\":");
    push_json(&mut out, msg);
    for (key, value) in fields {
        out.push(',');
        push_json(&mut out, key);
        out.push(':');
        out.push_str(&value.to_string());
    }
    out.push_str("}\n");
    out
}

fn push_json(out: &mut String, s: &str) {
    out.push_str(&Value::from(s).to_string());
}

/// Collects an event's message and fields in recording order.
#[derive(Default)]
struct Fields {
    msg: String,
    rest: Vec<(&'static str, Value)>,
}

impl Fields {
    fn push(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.msg = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.rest.push((field.name(), value));
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        // NaN and infinities are not JSON numbers.
        let v = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.push(field, v);
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, Value::String(value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Arc, Mutex},
        time::{Duration, UNIX_EPOCH},
    };

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    #[test]
    fn line_format_matches_slog() {
        let t = UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_789);
        let line = format_line(
            t,
            &Level::INFO,
            "starting up plugin",
            &[("id", Value::from("cv")), ("n", Value::from(3))],
        );
        assert_eq!(
            line,
            "{\"time\":\"2026-11-18T11:06:40.123456789Z\",\"level\":\"INFO\",\"msg\":\"starting up plugin\",\"id\":\"cv\",\"n\":3}\n"
        );
        assert!(format_line(t, &Level::TRACE, "", &[]).contains("\"level\":\"DEBUG\""));
        assert!(format_line(t, &Level::WARN, "", &[]).contains("\"level\":\"WARN\""));
        assert!(format_line(t, &Level::ERROR, "", &[]).contains("\"level\":\"ERROR\""));
        // Escaping keeps every line one valid JSON object.
        let line = format_line(t, &Level::DEBUG, "a\"b\nc", &[]);
        assert_eq!(line.matches('\n').count(), 1);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["msg"], "a\"b\nc");
    }

    #[test]
    fn filter_keeps_the_directive_syntax() {
        let on = |spec: &str, target: &str, level: Level| {
            parse_filter(spec).unwrap().would_enable(target, &level)
        };
        // A bare level.
        assert!(on("info", "any", Level::INFO));
        assert!(!on("info", "any", Level::DEBUG));
        assert!(on("DEBUG", "any", Level::DEBUG));
        assert!(!on("off", "any", Level::ERROR));
        // target=level, the longest matching target winning, in any order.
        for spec in ["warn,ocm_plugin_sdk=debug", "ocm_plugin_sdk=debug, warn"] {
            assert!(on(spec, "ocm_plugin_sdk::serve", Level::DEBUG), "{spec}");
            assert!(!on(spec, "ocm_plugin_sdk::serve", Level::TRACE), "{spec}");
            assert!(!on(spec, "hyper", Level::INFO), "{spec}");
            assert!(on(spec, "hyper", Level::WARN), "{spec}");
        }
        assert!(on(
            "ocm=info,ocm_plugin_sdk=trace",
            "ocm_plugin_sdk",
            Level::TRACE
        ));
        assert!(!on(
            "ocm=info,ocm_plugin_sdk=trace",
            "ocm_other",
            Level::DEBUG
        ));
        // A target alone: all its levels; nothing else.
        assert!(on("file_input", "file_input::x", Level::TRACE));
        assert!(!on("file_input", "hyper", Level::ERROR));
        // Empty directives are skipped, not read as a target that matches everything.
        assert!(!on("info,", "any", Level::DEBUG));
        assert!(!on(",,", "any", Level::DEBUG));
        assert!(on(",,", "any", Level::INFO));
        // What does not parse is an error (the caller falls back to info and warns).
        for bad in ["a=b=c", "x=loud", "a[{f}=info"] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    #[test]
    fn events_become_json_lines_with_typed_fields() {
        let buf = Buf::default();
        let subscriber = tracing_subscriber::registry().with(SlogJsonLayer::new(buf.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let err = std::io::Error::other("boom");
            tracing::info!(id = "cv", count = 2u64, neg = -1i64, ok = true, ratio = 0.5, path = %"/x", dbg = ?vec![1], error = &err as &dyn std::error::Error, "hello {}", "world");
            tracing::trace!("fine");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first = lines[0];
        let body = first.split_once(",\"level\"").unwrap().1;
        assert_eq!(
            body,
            ":\"INFO\",\"msg\":\"hello world\",\"id\":\"cv\",\"count\":2,\"neg\":-1,\"ok\":true,\"ratio\":0.5,\"path\":\"/x\",\"dbg\":\"[1]\",\"error\":\"boom\"}"
        );
        let v: Value = serde_json::from_str(first).unwrap();
        let time = v["time"].as_str().unwrap();
        assert!(humantime::parse_rfc3339(time).is_ok(), "{time}");
        assert!(time.ends_with('Z') && time.len() == "2026-11-18T11:06:40.123456789Z".len());
        assert!(lines[1].contains("\"level\":\"DEBUG\",\"msg\":\"fine\""));
    }
}
