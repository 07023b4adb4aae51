//! PEM armour: finding blocks in concatenated PEM text, and the `SIGNATURE` block OCM writes.
//!
//! Key blocks are handed whole to the RFC 7468 decoders of the `rsa` crate's `pkcs1`/`pkcs8`
//! re-exports. The `SIGNATURE` block carries a `Signature Algorithm` header, which RFC 7468
//! does not allow, so that block is read and written here (RFC 1421-style headers, standard
//! padded base64 in 64-character lines, as Go's `encoding/pem` writes it).

use base64::{Engine as _, engine::general_purpose::STANDARD};

use crate::{PEM_ALGORITHM_HEADER, PEM_SIGNATURE_LABEL};

const BEGIN: &str = "-----BEGIN ";
const DASHES: &str = "-----";
/// Base64 characters per line, as Go and OpenSSL write PEM.
const LINE_WIDTH: usize = 64;

/// One PEM block found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block<'a> {
    /// The label, e.g. `PRIVATE KEY`.
    pub(crate) label: &'a str,
    /// The whole block, from `-----BEGIN` to the end of the `-----END …-----` line.
    pub(crate) text: &'a str,
    /// `Key: Value` header lines before the base64 body, trimmed.
    pub(crate) headers: Vec<(&'a str, &'a str)>,
    /// The base64 body, line breaks included.
    body: &'a str,
}

impl Block<'_> {
    /// The value of a header, if present.
    pub(crate) fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    /// The decoded body; `None` if it is not valid standard base64.
    pub(crate) fn decode_body(&self) -> Option<Vec<u8>> {
        let compact: String = self
            .body
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        STANDARD.decode(compact).ok()
    }
}

/// The PEM blocks of `input` in order. Text between blocks is ignored, as Go does; a block
/// without its `-----END` line ends the scan.
pub(crate) fn blocks(input: &str) -> Vec<Block<'_>> {
    let mut found = Vec::new();
    let mut pos = 0;
    // All offsets below come from `find` of ASCII patterns or from ASCII characters, so every
    // slice boundary is a char boundary.
    while let Some(rel) = input.get(pos..).and_then(|rest| rest.find(BEGIN)) {
        let begin = pos + rel;
        let label_start = begin + BEGIN.len();
        let Some(label_len) = input.get(label_start..).and_then(|rest| rest.find(DASHES)) else {
            break;
        };
        let label = input
            .get(label_start..label_start + label_len)
            .unwrap_or("");
        let after_label = label_start + label_len + DASHES.len();
        let line_end = input
            .get(after_label..)
            .and_then(|rest| rest.find('\n'))
            .map_or(input.len(), |i| after_label + i);
        let begin_line_rest = input.get(after_label..line_end).unwrap_or("");
        if label.contains(['\n', '\r']) || !begin_line_rest.trim().is_empty() {
            // Not a BEGIN line after all; look further.
            pos = label_start;
            continue;
        }
        let body_start = (line_end + 1).min(input.len());
        let end_line = format!("-----END {label}-----");
        let Some(body_len) = input
            .get(body_start..)
            .and_then(|rest| rest.find(&end_line))
        else {
            break;
        };
        let body_end = body_start + body_len;
        let block_end = body_end + end_line.len();
        let (headers, body) = split_headers(input.get(body_start..body_end).unwrap_or(""));
        found.push(Block {
            label,
            text: input.get(begin..block_end).unwrap_or(""),
            headers,
            body,
        });
        pos = block_end;
    }
    found
}

/// Splits leading `Key: Value` lines off a block's inside. Base64 has no `:`, so the first
/// line without one starts the body.
fn split_headers(inner: &str) -> (Vec<(&str, &str)>, &str) {
    let mut headers = Vec::new();
    let mut consumed = 0;
    for line in inner.split_inclusive('\n') {
        let Some((key, value)) = line.split_once(':') else {
            break;
        };
        headers.push((key.trim(), value.trim()));
        consumed += line.len();
    }
    (headers, inner.get(consumed..).unwrap_or(""))
}

/// Appends one PEM block to `out`.
fn write_block(out: &mut String, label: &str, headers: &[(&str, &str)], der: &[u8]) {
    out.push_str(BEGIN);
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
    for (key, value) in headers {
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    if !headers.is_empty() {
        out.push('\n');
    }
    let encoded = STANDARD.encode(der);
    // Base64 is ASCII, so chunking the bytes keeps whole characters.
    for line in encoded.as_bytes().chunks(LINE_WIDTH) {
        out.push_str(std::str::from_utf8(line).unwrap_or(""));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str(DASHES);
    out.push('\n');
}

/// The PEM form of a signature: a `SIGNATURE` block with the algorithm header, followed by one
/// `CERTIFICATE` block per DER certificate, in order.
pub(crate) fn encode_signature(
    algorithm: &str,
    signature: &[u8],
    certificates: &[Vec<u8>],
) -> String {
    let mut out = String::new();
    write_block(
        &mut out,
        PEM_SIGNATURE_LABEL,
        &[(PEM_ALGORITHM_HEADER, algorithm)],
        signature,
    );
    for der in certificates {
        write_block(&mut out, "CERTIFICATE", &[], der);
    }
    out
}

/// A signature read from its PEM form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PemSignature {
    /// The raw signature bytes.
    pub(crate) signature: Vec<u8>,
    /// The `Signature Algorithm` header, if present and not empty.
    pub(crate) algorithm: Option<String>,
    /// The DER bytes of the `CERTIFICATE` blocks that follow the signature, in order (leaf
    /// first, as OCM writes them).
    pub(crate) certificates: Vec<Vec<u8>>,
}

/// Reads the PEM form of a signature. The first block must be the `SIGNATURE` block; the
/// error says what is wrong, never what the text contains.
pub(crate) fn decode_signature(text: &str) -> Result<PemSignature, String> {
    let found = blocks(text);
    let Some(first) = found.first() else {
        return Err("the signature value contains no PEM block".to_owned());
    };
    if first.label != PEM_SIGNATURE_LABEL {
        return Err(format!(
            "the first PEM block of the signature is {:?}, expected {PEM_SIGNATURE_LABEL:?}",
            first.label
        ));
    }
    let signature = first
        .decode_body()
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| {
            format!("the {PEM_SIGNATURE_LABEL} PEM block does not hold valid base64 data")
        })?;
    let algorithm = first
        .header(PEM_ALGORITHM_HEADER)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let certificates = found
        .iter()
        .skip(1)
        .filter(|b| b.label == "CERTIFICATE")
        .enumerate()
        .map(|(i, b)| {
            b.decode_body().ok_or_else(|| {
                format!(
                    "CERTIFICATE block {} after the signature is not valid base64",
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PemSignature {
        signature,
        algorithm,
        certificates,
    })
}

/// The DER bytes of every `CERTIFICATE` block in `text`, in order; an error names the first
/// block that is not valid base64.
pub(crate) fn certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    blocks(text)
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .enumerate()
        .map(|(i, b)| {
            b.decode_body()
                .ok_or_else(|| format!("CERTIFICATE block {} is not valid base64", i + 1))
        })
        .collect()
}
