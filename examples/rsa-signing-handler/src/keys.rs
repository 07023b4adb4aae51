//! RSA keys from credentials: inline PEM or a PEM file, PKCS#1 or PKCS#8 private keys, SPKI or
//! PKCS#1 public keys.
//!
//! Every error here is [`Error::Unauthorized`] (the credentials are missing or malformed) and
//! names properties, block labels and paths, never key material.

use std::{borrow::Cow, fs::File, io::Read as _};

use ocm_plugin_contracts::{Error, Result};
use ocm_plugin_types::Credentials;
use rsa::{
    PrivateKey, PublicKey,
    pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _},
    pkcs8::{DecodePrivateKey as _, DecodePublicKey as _},
};

use crate::{
    CREDENTIAL_TYPE_NAME, CREDENTIAL_TYPE_VERSION, PRIVATE_KEY_PEM, PRIVATE_KEY_PEM_FILE,
    PUBLIC_KEY_PEM, PUBLIC_KEY_PEM_FILE, chain::Cert, pem,
};

/// Key files are a few kilobytes; anything larger is not a key file (and `/dev/zero` must not
/// exhaust memory).
const MAX_PEM_FILE_BYTES: u64 = 1024 * 1024;

/// One kind of key material: its inline property, its file property and the snake_case names
/// older OCM configurations used for both.
struct KeyProperties {
    inline: &'static str,
    inline_legacy: &'static str,
    file: &'static str,
    file_legacy: &'static str,
}

const PRIVATE: KeyProperties = KeyProperties {
    inline: PRIVATE_KEY_PEM,
    inline_legacy: "private_key_pem",
    file: PRIVATE_KEY_PEM_FILE,
    file_legacy: "private_key_pem_file",
};

const PUBLIC: KeyProperties = KeyProperties {
    inline: PUBLIC_KEY_PEM,
    inline_legacy: "public_key_pem",
    file: PUBLIC_KEY_PEM_FILE,
    file_legacy: "public_key_pem_file",
};

/// PEM text from the credentials and where it came from (for messages).
struct Loaded<'a> {
    text: Cow<'a, str>,
    source: String,
}

/// Fails unless the credentials are untyped, direct credentials or `RSACredentials/v1`.
pub(crate) fn check_credential_type(credentials: &Credentials) -> Result<()> {
    if credentials.is_direct() {
        return Ok(());
    }
    let typ = credentials.credential_type().unwrap_or_default();
    let (name, version) = typ.split_once('/').unwrap_or((typ, ""));
    if name == CREDENTIAL_TYPE_NAME && matches!(version, "" | CREDENTIAL_TYPE_VERSION) {
        return Ok(());
    }
    Err(Error::Unauthorized(format!(
        "unsupported credential type {typ:?}: expected {CREDENTIAL_TYPE_NAME}/\
         {CREDENTIAL_TYPE_VERSION} or direct credentials"
    )))
}

/// A non-empty property, by its current name or else its legacy one.
fn property<'a>(credentials: &'a Credentials, name: &str, legacy: &str) -> Option<&'a str> {
    [name, legacy]
        .into_iter()
        .filter_map(|key| credentials.get(key))
        .map(String::as_str)
        .find(|value| !value.is_empty())
}

/// The inline PEM if set (it takes precedence, as in OCM), else the file's content, else `None`.
fn load<'a>(credentials: &'a Credentials, props: &KeyProperties) -> Result<Option<Loaded<'a>>> {
    if let Some(text) = property(credentials, props.inline, props.inline_legacy) {
        return Ok(Some(Loaded {
            text: Cow::Borrowed(text),
            source: format!("credential property {}", props.inline),
        }));
    }
    let Some(path) = property(credentials, props.file, props.file_legacy) else {
        return Ok(None);
    };
    let source = format!("file {path:?} (credential property {})", props.file);
    let unreadable = |e: std::io::Error| Error::Unauthorized(format!("cannot read {source}: {e}"));
    let file = File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PEM_FILE_BYTES {
        return Err(Error::Unauthorized(format!(
            "cannot read {source}: larger than {MAX_PEM_FILE_BYTES} bytes, not a PEM key file"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Unauthorized(format!("cannot read {source}: not UTF-8 PEM text")))?;
    Ok(Some(Loaded {
        text: Cow::Owned(text),
        source,
    }))
}

/// The names of the credential properties, for messages that must not show values.
fn property_names(credentials: &Credentials) -> String {
    let names: Vec<&str> = credentials.keys().map(String::as_str).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The first RSA private key in `text`, PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`).
fn parse_private_key(text: &str, source: &str) -> Result<PrivateKey> {
    let malformed = |label: &str, e: &dyn std::fmt::Display| {
        Error::Unauthorized(format!(
            "the {label:?} PEM block in {source} is not a valid RSA private key: {e}"
        ))
    };
    for block in pem::blocks(text) {
        match block.label {
            "RSA PRIVATE KEY" if !block.headers.is_empty() => {
                return Err(Error::Unauthorized(format!(
                    "the \"RSA PRIVATE KEY\" PEM block in {source} is encrypted; only \
                     unencrypted keys are supported"
                )));
            }
            "RSA PRIVATE KEY" => {
                return PrivateKey::from_pkcs1_pem(block.text)
                    .map_err(|e| malformed(block.label, &e));
            }
            "PRIVATE KEY" => {
                return PrivateKey::from_pkcs8_pem(block.text)
                    .map_err(|e| malformed(block.label, &e));
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::Unauthorized(format!(
                    "the private key in {source} is encrypted (\"ENCRYPTED PRIVATE KEY\"); only \
                     unencrypted keys are supported"
                )));
            }
            _ => {}
        }
    }
    Err(Error::Unauthorized(format!(
        "{source} holds no RSA private key: expected a PEM block \"RSA PRIVATE KEY\" (PKCS#1) \
         or \"PRIVATE KEY\" (PKCS#8)"
    )))
}

/// The first RSA public key in `text`, SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
fn parse_public_key(text: &str, source: &str) -> Result<PublicKey> {
    let malformed = |label: &str, e: &dyn std::fmt::Display| {
        Error::Unauthorized(format!(
            "the {label:?} PEM block in {source} is not a valid RSA public key: {e}"
        ))
    };
    let mut has_certificate = false;
    for block in pem::blocks(text) {
        match block.label {
            "PUBLIC KEY" => {
                return PublicKey::from_public_key_pem(block.text)
                    .map_err(|e| malformed(block.label, &e));
            }
            "RSA PUBLIC KEY" => {
                return PublicKey::from_pkcs1_pem(block.text)
                    .map_err(|e| malformed(block.label, &e));
            }
            "CERTIFICATE" => has_certificate = true,
            _ => {}
        }
    }
    let hint = if has_certificate {
        " (X.509 certificates are not read as keys by this handler; give the signer's public key)"
    } else {
        ""
    };
    Err(Error::Unauthorized(format!(
        "{source} holds no RSA public key: expected a PEM block \"PUBLIC KEY\" (SPKI) or \
         \"RSA PUBLIC KEY\" (PKCS#1){hint}"
    )))
}

/// The private key for signing.
pub(crate) fn signing_key(credentials: &Credentials) -> Result<PrivateKey> {
    check_credential_type(credentials)?;
    match load(credentials, &PRIVATE)? {
        Some(loaded) => parse_private_key(&loaded.text, &loaded.source),
        None => Err(Error::Unauthorized(format!(
            "missing private key for signing: the credentials must set {PRIVATE_KEY_PEM} \
             (inline PEM) or {PRIVATE_KEY_PEM_FILE} (path to a PEM file), with an RSA private \
             key in PKCS#1 or PKCS#8 form; properties present: {}",
            property_names(credentials)
        ))),
    }
}

/// The public key for verifying: the configured public key, or else the one of the private key.
pub(crate) fn verifying_key(credentials: &Credentials) -> Result<PublicKey> {
    check_credential_type(credentials)?;
    if let Some(loaded) = load(credentials, &PUBLIC)? {
        return parse_public_key(&loaded.text, &loaded.source);
    }
    if let Some(loaded) = load(credentials, &PRIVATE)? {
        return parse_private_key(&loaded.text, &loaded.source).map(|k| k.to_public_key());
    }
    Err(Error::Unauthorized(format!(
        "missing public key for verification: the credentials must set {PUBLIC_KEY_PEM} (inline \
         PEM) or {PUBLIC_KEY_PEM_FILE} (path to a PEM file) with an RSA public key in SPKI or \
         PKCS#1 form, or {PRIVATE_KEY_PEM} or {PRIVATE_KEY_PEM_FILE} to derive it from; \
         properties present: {}",
        property_names(credentials)
    )))
}

/// The DER certificates in the public key material, to append to a PEM signature. None when the
/// credentials have no public key material or it holds no certificates.
pub(crate) fn certificate_chain(credentials: &Credentials) -> Result<Vec<Vec<u8>>> {
    match load(credentials, &PUBLIC)? {
        Some(loaded) => pem::certificates(&loaded.text)
            .map_err(|e| Error::Unauthorized(format!("in {}: {e}", loaded.source))),
        None => Ok(Vec::new()),
    }
}

/// The trust anchors for a PEM signature's certificate chain: every `CERTIFICATE` block of the
/// public key material (a self-signed CA certificate, or several). Other blocks next to them
/// are ignored.
///
/// Errors are [`Error::Unauthorized`], worded as OCM's Go handler words them: no public key
/// material at all is `certificate signed by unknown authority`; material without a
/// certificate (a bare `PUBLIC KEY`, say) is `cannot load certificate chain from credentials:
/// unexpected pem block type for certificate: "PUBLIC KEY"`.
pub(crate) fn trust_anchors(credentials: &Credentials) -> Result<Vec<Cert>> {
    check_credential_type(credentials)?;
    let Some(loaded) = load(credentials, &PUBLIC)? else {
        return Err(Error::Unauthorized(format!(
            "certificate verification failed: x509: certificate signed by unknown authority: \
             the PEM signature embeds a certificate chain, and the credentials hold no trust \
             anchor to validate it against: set {PUBLIC_KEY_PEM} (inline PEM) or \
             {PUBLIC_KEY_PEM_FILE} (path to a PEM file) to the CA CERTIFICATE; properties \
             present: {}",
            property_names(credentials)
        )));
    };
    let source = &loaded.source;
    let found = pem::blocks(&loaded.text);
    let certificates: Vec<_> = found.iter().filter(|b| b.label == "CERTIFICATE").collect();
    if certificates.is_empty() {
        let what = match found.first() {
            Some(block) => format!(
                "unexpected pem block type for certificate: {:?}",
                block.label
            ),
            None => "invalid certificate format (expected \"CERTIFICATE\" PEM block)".to_owned(),
        };
        return Err(Error::Unauthorized(format!(
            "cannot load certificate chain from credentials: {what}: the PEM signature embeds \
             a certificate chain, so {source} must hold the trust anchor as a CA CERTIFICATE, \
             not a bare public key"
        )));
    }
    certificates
        .iter()
        .enumerate()
        .map(|(i, block)| {
            let der = block.decode_body().ok_or_else(|| {
                Error::Unauthorized(format!(
                    "cannot load certificate chain from credentials: CERTIFICATE block {} in \
                     {source} is not valid base64",
                    i + 1
                ))
            })?;
            Cert::from_der(&der).map_err(|e| {
                Error::Unauthorized(format!(
                    "cannot load certificate chain from credentials: CERTIFICATE block {} in \
                     {source}: {e}",
                    i + 1
                ))
            })
        })
        .collect()
}
