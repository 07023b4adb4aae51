//! The JSON Canonicalization Scheme (RFC 8785): one byte sequence per JSON value.
//!
//! * object members sorted by the UTF-16 code units of their names, at every depth;
//! * strings in UTF-8, escaping only `"`, `\`, and U+0000..U+001F (the five short forms
//!   `\b \t \n \f \r`, the rest as `\u00xx` in lower-case hex); `/`, `<`, `>`, `&`, U+007F,
//!   U+2028 and U+2029 stay raw;
//! * numbers as ECMAScript's `Number.prototype.toString` writes an IEEE 754 double (so every
//!   integer passes through a `f64`, as in JavaScript and in Go's `float64`);
//! * no whitespace.
//!
//! Number formatting comes from `ryu-js` (the Boa engine's); the rest is small enough to
//! write once here, with the RFC's own vectors as tests.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The canonical bytes of `value`.
///
/// ```
/// let v = serde_json::json!({"b": [1.0, 1e21, "é\n"], "a": null});
/// assert_eq!(ocm_plugin_signing::jcs::to_vec(&v), r#"{"a":null,"b":[1,1e+21,"é\n"]}"#.as_bytes());
/// ```
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(members) => write_object(out, members),
    }
}

fn write_object(out: &mut Vec<u8>, members: &Map<String, Value>) {
    // serde_json's map usually iterates in code point order already, which is UTF-16 order
    // unless a key holds characters above U+FFFF: sort only when the order is not right.
    let in_order = members
        .keys()
        .zip(members.keys().skip(1))
        .all(|(a, b)| utf16_cmp(a, b) != Ordering::Greater);
    if in_order {
        return write_members(out, members.iter());
    }
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| utf16_cmp(a, b));
    write_members(out, sorted.into_iter());
}

fn write_members<'a>(out: &mut Vec<u8>, members: impl Iterator<Item = (&'a String, &'a Value)>) {
    out.push(b'{');
    for (i, (name, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, name);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

/// Orders two strings by their UTF-16 code units (RFC 8785 §3.2.3), which differs from the
/// UTF-8 byte order for characters above U+FFFF against U+E000..U+FFFF.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The number as ECMAScript writes the double nearest to it.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    let f = n.as_f64().unwrap_or(0.0);
    write_f64(out, f);
}

pub(crate) fn write_f64(out: &mut Vec<u8>, f: f64) {
    if f == 0.0 {
        // -0 prints as 0 in ECMAScript.
        out.push(b'0');
        return;
    }
    if !f.is_finite() {
        // JSON values never hold these; a canonical form must still be total.
        out.extend_from_slice(b"null");
        return;
    }
    let mut buffer = ryu_js::Buffer::new();
    out.extend_from_slice(buffer.format_finite(f).as_bytes());
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> String {
        let v: Value = serde_json::from_str(json).unwrap();
        String::from_utf8(to_vec(&v)).unwrap()
    }

    /// RFC 8785 §3.2.2 and appendix B: IEEE 754 doubles and their ECMAScript forms.
    #[test]
    fn numbers_follow_ecmascript() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("1", "1"),
            ("10.0", "10"),
            ("1E+2", "100"),
            ("1e20", "100000000000000000000"),
            ("1e21", "1e+21"),
            ("0.000001", "0.000001"),
            ("1e-7", "1e-7"),
            ("9007199254740993", "9007199254740992"),
            ("18446744073709551615", "18446744073709552000"),
            ("-9223372036854775808", "-9223372036854776000"),
            ("123456789012345678901234567890", "1.2345678901234568e+29"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("0.1", "0.1"),
            ("333333333.3333333", "333333333.3333333"),
            ("1e23", "1e+23"),
            ("4.35", "4.35"),
            ("0.002", "0.002"),
            ("-1.5e-10", "-1.5e-10"),
            ("295147905179352830000", "295147905179352830000"),
        ];
        for (input, want) in cases {
            assert_eq!(canon(input), want, "{input}");
        }
    }

    /// Strings: only `"`, `\` and controls are escaped, the short forms where they exist.
    #[test]
    fn strings_escape_minimally() {
        assert_eq!(
            canon(r#""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#),
            "\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\""
        );
        assert_eq!(
            canon(r#""<>&\u007f\u2028\u2029\u0008\u0009\u000c\u000d\u0000\u001f""#),
            "\"<>&\u{7f}\u{2028}\u{2029}\\b\\t\\f\\r\\u0000\\u001f\""
        );
    }

    /// Members sort by UTF-16 code units: U+1F600 (surrogates D83D..) before U+FFFF.
    #[test]
    fn keys_sort_by_utf16() {
        assert_eq!(
            canon(r#"{"\uffff":1,"😀":2,"a":3,"\u0080":4,"€":5,"":6}"#),
            "{\"\":6,\"a\":3,\"\u{80}\":4,\"€\":5,\"😀\":2,\"\u{ffff}\":1}"
        );
    }

    #[test]
    fn nesting_and_whitespace() {
        assert_eq!(
            canon(" { \"b\" : [ 1 , { \"d\" : true , \"c\" : null } ] , \"a\" : { } } "),
            r#"{"a":{},"b":[1,{"c":null,"d":true}]}"#
        );
    }
}
