use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::Level;

use super::*;

#[test]
fn level_mapping() {
    let table: &[(&str, Option<Level>)] = &[
        ("DEBUG", Some(Level::DEBUG)),
        ("INFO", Some(Level::INFO)),
        ("WARN", Some(Level::WARN)),
        ("ERROR", Some(Level::ERROR)),
        ("info", Some(Level::INFO)),
        ("Warn", Some(Level::WARN)),
        ("WARNING", Some(Level::WARN)),
        ("warning", Some(Level::WARN)),
        ("ERR", Some(Level::ERROR)),
        ("fatal", Some(Level::ERROR)),
        ("trace", Some(Level::TRACE)),
        (" INFO ", Some(Level::INFO)),
        // slog offsets: nearest level, ties up.
        ("INFO+2", Some(Level::WARN)),
        ("INFO+1", Some(Level::INFO)),
        ("INFO-1", Some(Level::INFO)),
        ("INFO-2", Some(Level::INFO)),
        ("INFO-3", Some(Level::DEBUG)),
        ("DEBUG-4", Some(Level::TRACE)),
        ("DEBUG-2", Some(Level::DEBUG)),
        ("DEBUG+2", Some(Level::INFO)),
        ("WARN+1", Some(Level::WARN)),
        ("WARN+2", Some(Level::ERROR)),
        ("ERROR+4", Some(Level::ERROR)),
        ("error-1", Some(Level::ERROR)),
        // Numeric slog levels.
        ("-8", Some(Level::TRACE)),
        ("-4", Some(Level::DEBUG)),
        ("0", Some(Level::INFO)),
        ("4", Some(Level::WARN)),
        ("8", Some(Level::ERROR)),
        ("12", Some(Level::ERROR)),
        ("-9223372036854775808", Some(Level::TRACE)),
        // Garbage.
        ("", None),
        ("LOUD", None),
        ("INFO+", None),
        ("INFO+x", None),
        ("+", None),
        ("+2", Some(Level::WARN)),
        ("INFO+99999999999999999999", None),
    ];
    for (input, want) in table {
        assert_eq!(map_level(input), *want, "level {input:?}");
    }
}

#[test]
fn structured_lines() {
    let r = parse_structured(
        r#"{"time":"2025-08-13T07:56:21.123456789+02:00","level":"INFO","msg":"configuration successfully marshaled","maximumNumberOfPotatoes":"100"}"#,
    )
    .unwrap();
    assert_eq!(r.level, Level::INFO);
    assert_eq!(r.msg, "configuration successfully marshaled");
    assert_eq!(r.fields, "maximumNumberOfPotatoes=100");

    // Remaining keys sorted, values rendered like Go's text handler.
    let r = parse_structured(
        r#"{"level":"warn","message":"m","z":1.5,"a":"two words","m":{"k":[1,null]},"e":"","b":true}"#,
    )
    .unwrap();
    assert_eq!(r.level, Level::WARN);
    assert_eq!(r.msg, "m");
    assert_eq!(
        r.fields,
        r#"a="two words" b=true e="" m={"k":[1,null]} z=1.5"#
    );

    // Numeric level.
    let r = parse_structured(r#"{"level":2,"msg":"x"}"#).unwrap();
    assert_eq!(r.level, Level::WARN);
    assert_eq!(r.fields, "");

    // Not structured: passed through by the caller.
    for line in [
        r#"{"msg":1,"level":2}"#,
        r#"{"msg":"x","level":true}"#,
        r#"{"msg":"x","level":"LOUD"}"#,
        r#"{"msg":"x"}"#,
        r#"{"level":"INFO"}"#,
        r#"{"msg":null,"level":"INFO"}"#,
        "[]",
        "null",
        "42",
        r#""INFO""#,
        "2026/11/24 12:00:00 ERROR failed to decode request body",
        "{",
    ] {
        assert_eq!(parse_structured(line), None, "{line}");
    }
}

/// A writer that collects everything a `fmt` subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` and returns the formatted events that name `plugin_id`.
///
/// The subscriber is the process-wide default, installed once: a thread-scoped one
/// (`with_default`) can miss events when other test threads register the same callsites at the
/// same time (tracing caches callsite interest globally).
fn capture(plugin_id: &str, f: impl FnOnce()) -> String {
    static OUT: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let out = OUT.get_or_init(|| {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_ansi(false)
            .without_time()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        out
    });
    f();
    let bytes = out.0.lock().unwrap().clone();
    let needle = format!("plugin_id=\"{plugin_id}\"");
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .filter(|l| l.contains(&needle))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn forwards_with_plugin_id_level_and_fields() {
    let out = capture("test-plugin", || {
        forward_log_line(
            "test-plugin",
            r#"{"time":"t","level":"INFO","msg":"configuration successfully marshaled","maximumNumberOfPotatoes":"100"}"#,
        );
        forward_log_line(
            "test-plugin",
            r#"{"level":"ERROR","msg":"failed to start plugin","error":"http: Server closed"}"#,
        );
        forward_log_line("test-plugin", "2026/11/24 12:00:00 ERROR plain text\r\n");
        forward_log_line("test-plugin", r#"{"msg":1,"level":2}"#);
        forward_log_line("test-plugin", "   ");
    });
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with(" INFO ocm_plugin::plugin: configuration successfully marshaled"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("plugin_id=\"test-plugin\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("maximumNumberOfPotatoes=100"),
        "{}",
        lines[0]
    );
    assert!(!lines[0].contains("time"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("ERROR ocm_plugin::plugin: failed to start plugin"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(r#"error=\"http: Server closed\""#),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(" INFO ocm_plugin::plugin: 2026/11/24 12:00:00 ERROR plain text"),
        "{}",
        lines[2]
    );
    assert!(!lines[2].contains("fields"), "{}", lines[2]);
    assert!(lines[3].contains(r#"{"msg":1,"level":2}"#), "{}", lines[3]);
}

#[test]
fn never_panics_on_odd_input() {
    let long = "x".repeat(100_000);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let inputs: Vec<&str> = vec![
        r#"{"msg":1,"level":2}"#,
        "[]",
        "{}",
        "null",
        r#"{"msg":"x","level":1e400}"#,
        r#"{"msg":"x","level":-1e300}"#,
        r#"{"msg":"x","level":"INFO+-2"}"#,
        r#"{"msg":"\u0000\ud800","level":"INFO"}"#,
        r#"{"msg":"x","level":"INFO","msg":"dup"}"#,
        "\u{feff}{\"msg\":\"bom\",\"level\":\"INFO\"}",
        &long,
        &deep,
    ];
    let out = capture("p", || {
        for i in &inputs {
            forward_log_line("p", i);
        }
        forward_log_bytes("p", b"bad \xff\xfe utf8");
    });
    assert!(out.contains("bad \u{fffd}\u{fffd} utf8"), "{out}");
}

#[tokio::test]
async fn line_reader_bounds_and_drains() {
    let mut input = Vec::new();
    input.extend_from_slice(b"first\r\n");
    input.extend_from_slice(&vec![b'a'; MAX_LINE * 2 + 10]);
    input.extend_from_slice(b"\n\nlast without newline");
    let mut r = LineReader::new(&input[..]);
    assert_eq!(r.next_line().await, Some(&b"first"[..]));
    let long = r.next_line().await.unwrap();
    assert_eq!(long.len(), MAX_LINE);
    assert_eq!(r.next_line().await, Some(&b""[..]));
    assert_eq!(r.next_line().await, Some(&b"last without newline"[..]));
    assert_eq!(r.next_line().await, None);
    assert_eq!(r.next_line().await, None);
}

#[test]
fn tail_keeps_the_last_lines() {
    let tail = StderrTail::default();
    for i in 0..30 {
        tail.push(format!("line {i}\n").as_bytes());
    }
    tail.push("y".repeat(1000).as_bytes());
    let text = tail.render();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), TAIL_LINES);
    assert_eq!(lines[0], "line 11");
    assert_eq!(lines[18], "line 29");
    assert_eq!(lines[19].chars().count(), TAIL_LINE_CHARS + 1);
}

#[tokio::test]
async fn drain_stderr_finds_a_location_and_signals_eof() {
    let input =
        b"{\"level\":\"INFO\",\"msg\":\"hi\"}\nhttp+unix:///tmp/x.sock\n[::]:1234\n".to_vec();
    let tail = Arc::new(StderrTail::default());
    let (loc_tx, loc_rx) = tokio::sync::watch::channel(None);
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    drain_stderr("p".into(), &input[..], tail.clone(), Some(loc_tx), done_tx).await;
    assert!(*done_rx.wait_for(|d| *d).await.unwrap());
    assert_eq!(*loc_rx.borrow(), Some(Endpoint::Unix("/tmp/x.sock".into())));
    assert!(tail.render().ends_with("[::]:1234"));
}
